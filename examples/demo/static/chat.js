// The live chat page: one WebSocket, JSON messages both ways.
"use strict";

const list = document.getElementById("messages");
const status = document.getElementById("chat-status");
const form = document.getElementById("chat-form");
const input = document.getElementById("chat-text");
const socket = new WebSocket(list.dataset.socket);

function show(text) {
  const item = document.createElement("li");
  item.textContent = text; // never innerHTML: messages come from other users
  list.append(item);
}

socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.type === "welcome") {
    status.textContent = `connected as ${message.user}`;
  } else {
    show(`${message.user}: ${message.text}`);
  }
});
socket.addEventListener("close", () => { status.textContent = "disconnected"; });

form.addEventListener("submit", (event) => {
  event.preventDefault();
  socket.send(JSON.stringify({ text: input.value }));
  input.value = "";
});
