// Marks the page as scripted, then follows the server clock over server-sent events.
"use strict";

document.documentElement.dataset.js = "ready";

const clock = document.getElementById("clock");
if (clock && "EventSource" in window) {
  const source = new EventSource(clock.dataset.events);
  source.addEventListener("tick", (event) => {
    const tick = JSON.parse(event.data);
    clock.textContent = `tick ${tick.n} at ${new Date(tick.time * 1000).toLocaleTimeString()}`;
  });
  window.addEventListener("pagehide", () => source.close());
}
