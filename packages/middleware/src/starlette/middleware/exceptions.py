"""`ExceptionMiddleware`: maps exceptions and status codes to handlers, innermost in the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette._exception_handler import ResponseTracker, handle_exception
from starlette.exceptions import HTTPException, WebSocketException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send
from starlette.websockets import WebSocket

__all__ = ["ExceptionMiddleware"]

# Responses to these statuses must not carry a body (RFC 9110, 15.3.5 and 15.4.5).
_BODYLESS_STATUSES = frozenset({204, 304})


class ExceptionMiddleware:
    """Publishes the app's exception handlers in the scope and applies them to what the app raises.

    `HTTPException` and `WebSocketException` have default handlers; `handlers` maps a status code
    or an exception class to a handler, called with `(request, exc)` or `(websocket, exc)`.
    """

    def __init__(
        self,
        app: ASGIApp,
        handlers: Mapping[Any, ExceptionHandler] | None = None,
        debug: bool = False,
    ) -> None:
        self.app = app
        self.debug = debug  # kept for API compatibility: ServerErrorMiddleware renders tracebacks
        self._status_handlers: dict[int, ExceptionHandler] = {}
        self._exception_handlers: dict[type[Exception], ExceptionHandler] = {
            HTTPException: self.http_exception,
            WebSocketException: self.websocket_exception,
        }
        if handlers is not None:
            for key, value in handlers.items():
                self.add_exception_handler(key, value)

    def add_exception_handler(
        self,
        exc_class_or_status_code: int | type[Exception],
        handler: ExceptionHandler,
    ) -> None:
        """Handle a status code (of an `HTTPException`) or an exception class and its subclasses."""
        if isinstance(exc_class_or_status_code, int):
            self._status_handlers[exc_class_or_status_code] = handler
        elif isinstance(exc_class_or_status_code, type) and issubclass(
            exc_class_or_status_code, Exception
        ):
            self._exception_handlers[exc_class_or_status_code] = handler
        else:
            raise TypeError(
                "Exception handlers are keyed by an int status code or an Exception subclass, "
                f"not {exc_class_or_status_code!r}."
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        # Routes apply the handlers themselves (so route middleware sees handled responses);
        # the scope is how they find them.
        handlers = scope["starlette.exception_handlers"] = (
            self._exception_handlers,
            self._status_handlers,
        )
        # call_handling_exceptions, inlined: its coroutine is one of the few frames every
        # request crosses. tests/middleware/test_middleware_exceptions_copy.py pins this copy to it.
        if type(send) is not ResponseTracker and scope["type"] == "http":
            send = ResponseTracker(send)  # what `track` answers, without a call for it
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            await handle_exception(exc, handlers, None, scope, receive, send)

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        """The default `HTTPException` handler: the detail as plain text, plus its headers."""
        assert isinstance(exc, HTTPException)
        return _http_exception_response(exc)

    def _stock_response(self, exc: HTTPException) -> Response | None:
        """The response to `exc` when this middleware's default `http_exception` is the handler
        that would answer it (no handler of the user's for its status or class), else None.

        `Starlette` sends it for the router's 404 instead of raising the exception only for
        this middleware to catch it: raising and catching cost about 15 % of a 404.
        """
        if exc.status_code in self._status_handlers:
            return None
        handler = self._exception_handlers.get(HTTPException)
        if getattr(handler, "__func__", None) is not _STOCK_HTTP_EXCEPTION:
            return None
        return _http_exception_response(exc)

    async def websocket_exception(self, websocket: WebSocket, exc: Exception) -> None:
        """The default `WebSocketException` handler: close with the exception's code and reason."""
        assert isinstance(exc, WebSocketException)
        await websocket.close(code=exc.code, reason=exc.reason)


# The default handler as this module defines it: a subclass's override, or a function patched in
# later, is not "stock" (see `_stock_response`).
_STOCK_HTTP_EXCEPTION = ExceptionMiddleware.http_exception


def _http_exception_response(exc: HTTPException) -> Response:
    """What the default `HTTPException` handler answers."""
    if exc.status_code in _BODYLESS_STATUSES:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
