"""Run an app, answering its exceptions with the handlers `ExceptionMiddleware` put in the scope."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.websockets import WebSocket

ExceptionHandlers = Mapping[Any, ExceptionHandler]
StatusHandlers = Mapping[int, ExceptionHandler]


def _lookup_exception_handler(
    exc_handlers: ExceptionHandlers, exc: Exception
) -> ExceptionHandler | None:
    """The handler registered for the closest class in `exc`'s MRO, if any."""
    for cls in type(exc).__mro__:
        if cls in exc_handlers:
            return exc_handlers[cls]
    return None


def _find_handler(
    exc: Exception, exception_handlers: ExceptionHandlers, status_handlers: StatusHandlers
) -> ExceptionHandler | None:
    # A handler for the exact status code is more specific than one for the HTTPException class.
    if isinstance(exc, HTTPException) and exc.status_code in status_handlers:
        return status_handlers[exc.status_code]
    return _lookup_exception_handler(exception_handlers, exc)


def wrap_app_handling_exceptions(app: ASGIApp, conn: Request | WebSocket) -> ASGIApp:
    """Wrap `app` so exceptions with a registered handler are answered by that handler."""
    exception_handlers: ExceptionHandlers
    status_handlers: StatusHandlers
    try:
        exception_handlers, status_handlers = conn.scope["starlette.exception_handlers"]
    except KeyError:
        exception_handlers, status_handlers = {}, {}

    async def wrapped_app(scope: Scope, receive: Receive, send: Send) -> None:
        response_started = False

        async def sender(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await app(scope, receive, sender)
        except Exception as exc:
            handler = _find_handler(exc, exception_handlers, status_handlers)
            if handler is None:
                raise
            if response_started:
                raise RuntimeError(
                    "Caught handled exception, but response already started."
                ) from exc
            await _run_handler(handler, conn, exc, scope, receive, sender)
            # The exception is handled: drop its frames so a reused instance keeps nothing alive.
            exc.__traceback__ = None

    return wrapped_app


async def _run_handler(
    handler: ExceptionHandler,
    conn: Request | WebSocket,
    exc: Exception,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    call: Callable[..., Any] = handler
    if is_async_callable(call):
        result = await call(conn, exc)
    else:
        result = await run_in_threadpool(call, conn, exc)
    if scope["type"] == "websocket":
        return
    if result is None:
        raise RuntimeError(f"Exception handler {handler!r} returned None instead of a response.")
    await result(scope, receive, send)
