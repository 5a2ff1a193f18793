"""Class-based endpoints: one method per HTTP verb, or callbacks for a WebSocket session."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from typing import Any, Literal

from starlette import status
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException, WebSocketException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketState

__all__ = ["HTTPEndpoint", "WebSocketEndpoint"]

# Only these verbs reach a handler method: a request for "DISPATCH" must not call `dispatch`.
_HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


class HTTPEndpoint:
    """Subclass and define `get`, `post`, ... (sync or async) taking a request."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self.scope = scope
        self.receive = receive
        self.send = send
        self._allowed_methods = [
            method
            for method in _HTTP_METHODS
            if getattr(self, method.lower(), None) is not None
            or (method == "HEAD" and getattr(self, "get", None) is not None)
        ]

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    def _handler(self, method: str) -> Callable[[Request], Any]:
        if method not in _HTTP_METHODS:
            return self.method_not_allowed
        name = method.lower()
        if method == "HEAD" and getattr(self, "head", None) is None:
            name = "get"
        handler: Callable[[Request], Any] = getattr(self, name, self.method_not_allowed)
        return handler

    async def dispatch(self) -> None:
        """Call the method named after the request's verb and send its response."""
        request = Request(self.scope, receive=self.receive, send=self.send)
        handler = self._handler(request.method)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if is_async_callable(handler):
                response = await handler(request)
            else:
                response = await run_in_threadpool(handler, request)
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(app, request)(self.scope, self.receive, self.send)

    async def method_not_allowed(self, request: Request) -> Response:
        """405 listing the implemented verbs (an HTTPException inside an application)."""
        headers = {"Allow": ", ".join(self._allowed_methods)}
        if "app" in self.scope:
            raise HTTPException(status_code=405, headers=headers)
        return PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)


class WebSocketEndpoint:
    """Subclass and override `on_connect`, `on_receive`, `on_disconnect`.

    `encoding` ("text", "bytes", "json" or None for either) decides what `on_receive` gets.
    """

    encoding: Literal["text", "bytes", "json"] | None = None

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        self.scope = scope
        self.receive = receive
        self.send = send

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    async def dispatch(self) -> None:
        """Accept, feed every message to `on_receive` until disconnect, then `on_disconnect`."""
        websocket = WebSocket(self.scope, receive=self.receive, send=self.send)
        await self.on_connect(websocket)

        close_code = status.WS_1000_NORMAL_CLOSURE
        try:
            while True:
                # WebSocket.receive() lets only "websocket.receive" and "websocket.disconnect" in.
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code = int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)
                    break
                data = await self.decode(websocket, message)
                await self.on_receive(websocket, data)
        except Exception as exc:
            close_code = status.WS_1011_INTERNAL_ERROR
            if not isinstance(exc, WebSocketException) and _is_open(websocket):
                # Tell the client the server failed; WebSocketExceptions close through handlers.
                await websocket.close(code=close_code)
            raise
        finally:
            await self.on_disconnect(websocket, close_code)

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        """The payload of `message` per `encoding`; a wrong or missing one closes with 1003."""
        text = message.get("text")
        data = message.get("bytes")
        if self.encoding == "text":
            if text is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected text websocket messages, but got bytes")
            return text
        if self.encoding == "bytes":
            if data is None:
                await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
                raise RuntimeError("Expected bytes websocket messages, but got text")
            return data
        if self.encoding == "json":
            return await self._decode_json(websocket, text, data)
        assert self.encoding is None, f"Unsupported 'encoding' attribute {self.encoding}"
        if text is not None:
            return text
        if data is not None:
            return data
        await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
        raise RuntimeError("Expected a text or bytes payload in the websocket message")

    async def _decode_json(self, websocket: WebSocket, text: str | None, data: bytes | None) -> Any:
        try:
            if text is None:
                if data is None:
                    raise ValueError("no payload")
                text = data.decode("utf-8")
            return json.loads(text)
        except ValueError:
            # JSONDecodeError and UnicodeDecodeError are ValueErrors too.
            await websocket.close(code=status.WS_1003_UNSUPPORTED_DATA)
            raise RuntimeError("Malformed JSON data received.") from None

    async def on_connect(self, websocket: WebSocket) -> None:
        """Called before the first message; accepts the connection by default."""
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Called with every decoded message."""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Called once the session ends, with the close code."""


def _is_open(websocket: WebSocket) -> bool:
    return bool(
        websocket.application_state == WebSocketState.CONNECTED
        and websocket.client_state == WebSocketState.CONNECTED
    )
