"""The WebSocket connection object, with the ASGI WebSocket state machine."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection
from starlette.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from starlette.responses import Response

__all__ = [
    "WebSocket",
    "WebSocketClose",
    "WebSocketDisconnect",
    "WebSocketDisconnected",
    "WebSocketState",
]

_DENIAL_EXTENSION = "websocket.http.response"


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


# Module constants: the state checks on every message compare identities, without lookups.
_CONNECTING = WebSocketState.CONNECTING
_CONNECTED = WebSocketState.CONNECTED
_DISCONNECTED = WebSocketState.DISCONNECTED


class WebSocketDisconnect(Exception):
    """The client closed the connection (`code`, `reason`), seen while receiving or sending."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""


class WebSocketDisconnected(RuntimeError):
    """An operation on a WebSocket that is not open: not accepted yet, or closed by either side."""


def _check_mode(mode: str) -> None:
    if mode not in ("text", "binary"):
        raise RuntimeError('The "mode" argument should be "text" or "binary".')


class WebSocket(HTTPConnection):
    """A WebSocket connection: accept it, then send and receive text, bytes or JSON."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope)
        assert scope["type"] == "websocket"
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    async def receive(self) -> Message:
        """Receive the next ASGI message, checking it is valid for the connection's state."""
        state = self.client_state
        if state is _CONNECTED:
            message = await self._receive()
            message_type = message["type"]
            if message_type == "websocket.receive":
                return message
            if message_type == "websocket.disconnect":
                self.client_state = _DISCONNECTED
                return message
            raise RuntimeError(
                'Expected ASGI message "websocket.receive" or "websocket.disconnect", '
                f"but got {message_type!r}"
            )
        if state is _CONNECTING:
            message = await self._receive()
            message_type = message["type"]
            if message_type != "websocket.connect":
                raise RuntimeError(
                    f'Expected ASGI message "websocket.connect", but got {message_type!r}'
                )
            self.client_state = _CONNECTED
            return message
        raise WebSocketDisconnected(
            'Cannot call "receive" once a disconnect message has been received.'
        )

    async def send(self, message: Message) -> None:
        """Send an ASGI message, checking it is valid for the connection's state."""
        message_type = message["type"]
        if message_type == "websocket.send" and self.application_state is _CONNECTED:
            # The common case, every message of an open socket: nothing changes. After the
            # client's disconnect it still goes to the server, as upstream's does: the server
            # drops it or raises OSError (the 1006 below).
            pass
        elif not self._advance(message_type, message):
            return
        try:
            await self._send(message)
        except OSError:
            # The server could not write: the client is gone without a close frame.
            self.application_state = _DISCONNECTED
            raise WebSocketDisconnect(code=1006) from None

    def _advance(self, message_type: str, message: Message) -> bool:
        """Move the application's state for sending `message`; False if it is not to be sent."""
        state = self.application_state
        if state is _DISCONNECTED:
            raise WebSocketDisconnected('Cannot call "send" once a close message has been sent.')
        if self.client_state is _DISCONNECTED and message_type == "websocket.close":
            # Closing a connection the client already closed: nothing left to do.
            self.application_state = _DISCONNECTED
            return False
        if state is _CONNECTING:
            self.application_state = self._next_connecting_state(message_type)
        elif state is _CONNECTED:
            if message_type != "websocket.close":
                raise RuntimeError(
                    'Expected ASGI message "websocket.send" or "websocket.close", '
                    f"but got {message_type!r}"
                )
            self.application_state = _DISCONNECTED
        else:  # WebSocketState.RESPONSE
            if message_type != "websocket.http.response.body":
                raise RuntimeError(
                    'Expected ASGI message "websocket.http.response.body", '
                    f"but got {message_type!r}"
                )
            if not message.get("more_body", False):
                self.application_state = _DISCONNECTED
        return True

    def _next_connecting_state(self, message_type: str) -> WebSocketState:
        if message_type == "websocket.accept":
            return WebSocketState.CONNECTED
        if message_type == "websocket.close":
            return WebSocketState.DISCONNECTED
        if message_type == "websocket.http.response.start":
            self._require_denial_extension()
            return WebSocketState.RESPONSE
        raise RuntimeError(
            'Expected ASGI message "websocket.accept", "websocket.close" or '
            f'"websocket.http.response.start", but got {message_type!r}'
        )

    def _require_denial_extension(self) -> None:
        if _DENIAL_EXTENSION not in self.scope.get("extensions", {}):
            raise RuntimeError(
                "The server doesn't support the Websocket Denial Response extension."
            )

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Iterable[tuple[bytes, bytes]] | None = None,
    ) -> None:
        """Accept the connection, with an optional subprotocol and extra response headers."""
        if self.client_state == WebSocketState.CONNECTING:
            # The "connect" message must be received before the application may answer it.
            await self.receive()
        await self.send(
            {"type": "websocket.accept", "subprotocol": subprotocol, "headers": list(headers or [])}
        )

    def _raise_on_disconnect(self, message: Message) -> None:
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1005), message.get("reason"))

    def _check_connected(self) -> None:
        if self.application_state != WebSocketState.CONNECTED:
            # Upstream's class (a RuntimeError) and text, whatever the state: not accepted yet,
            # or closed by the application (after accepting, or with a denial response).
            raise WebSocketDisconnected('WebSocket is not connected. Need to call "accept" first.')

    async def receive_text(self) -> str:
        # The checks' common outcome tested inline: this runs for every message of a socket.
        if self.application_state is not _CONNECTED:
            self._check_connected()
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            self._raise_on_disconnect(message)
        text: str = message["text"]
        return text

    async def receive_bytes(self) -> bytes:
        if self.application_state is not _CONNECTED:
            self._check_connected()
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            self._raise_on_disconnect(message)
        data: bytes = message["bytes"]
        return data

    async def receive_json(self, mode: str = "text") -> Any:
        _check_mode(mode)
        self._check_connected()
        message = await self.receive()
        self._raise_on_disconnect(message)
        if mode == "text":
            return json.loads(message["text"])
        return json.loads(message["bytes"].decode("utf-8"))

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        """Yield binary messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        """Yield JSON (text) messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        _check_mode(mode)
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode("utf-8")})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Response) -> None:
        """Reject the handshake with an HTTP response (needs the server's denial extension)."""
        self._require_denial_extension()
        if self.application_state != WebSocketState.CONNECTING:
            raise RuntimeError(
                "A denial response can only be sent before the WebSocket is accepted."
            )
        await response(self.scope, self.receive, self.send)


class WebSocketClose:
    """An ASGI app that closes the WebSocket (used to reject unmatched connections)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})
