"""Run an app, answering its exceptions with the handlers `ExceptionMiddleware` put in the scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

ExceptionHandlers = Mapping[Any, ExceptionHandler]
StatusHandlers = Mapping[int, ExceptionHandler]
# What a scope without ExceptionMiddleware's handlers gets: nothing is handled.
NO_HANDLERS: tuple[ExceptionHandlers, StatusHandlers] = ({}, {})


def _lookup_exception_handler(
    exc_handlers: ExceptionHandlers, exc: Exception
) -> ExceptionHandler | None:
    """The handler registered for the closest class in `exc`'s MRO, if any."""
    for cls in type(exc).__mro__:
        if cls in exc_handlers:
            return exc_handlers[cls]
    return None


def find_handler(
    exc: Exception, handlers: tuple[ExceptionHandlers, StatusHandlers]
) -> ExceptionHandler | None:
    """The handler for `exc` among `(exception_handlers, status_handlers)`, if any."""
    exception_handlers, status_handlers = handlers
    # A handler for the exact status code is more specific than one for the HTTPException class.
    if isinstance(exc, HTTPException) and exc.status_code in status_handlers:
        return status_handlers[exc.status_code]
    return _lookup_exception_handler(exception_handlers, exc)


def wrap_app_handling_exceptions(app: ASGIApp, conn: Request | WebSocket) -> ASGIApp:
    """Wrap `app` so exceptions with a registered handler are answered by that handler."""

    async def wrapped_app(scope: Scope, receive: Receive, send: Send) -> None:
        await call_handling_exceptions(app, scope, receive, send, conn)

    return wrapped_app


class ResponseTracker:
    """A `send` that notes whether the response has started.

    The layers that answer exceptions (ServerErrorMiddleware, ExceptionMiddleware, each route)
    must know whether headers went out. Nested layers share the outermost tracker instead of
    wrapping `send` once each (see `track`), so a message crosses one wrapper, not three.
    """

    __slots__ = ("send", "started")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        # A plain function returning the inner send's awaitable: no coroutine of its own for
        # each message. (Only ASGI apps must be coroutine functions; nobody inspects a send.)
        if message["type"] == "http.response.start":
            self.started = True
        return self.send(message)

    def start(self) -> Send:
        """Note that the response starts, and return the wrapped `send`: for a sender whose next
        message is `http.response.start` and that sends the rest of the response straight to
        it (`Response.__call__`), since calling an instance costs three times a function call."""
        self.started = True
        return self.send


def track(scope: Scope, send: Send) -> Send:
    """The `send` to pass on: HTTP sends go through one shared `ResponseTracker`.

    A WebSocket has no "http.response.start" to note: its `send` is passed on as it is.
    """
    if type(send) is ResponseTracker or scope["type"] != "http":
        return send
    return ResponseTracker(send)


async def call_handling_exceptions(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    conn: Request | WebSocket | None = None,
) -> None:
    """Run `app`; answer what it raises with a registered handler, called with `conn`.

    Without `conn`, the Request or WebSocket is built only when a handler runs, so the
    common path (no exception) builds nothing.
    """
    # Read now: a mounted app's ExceptionMiddleware replaces them in the shared scope.
    handlers = scope.get("starlette.exception_handlers", NO_HANDLERS)
    send = track(scope, send)
    try:
        await app(scope, receive, send)
    except Exception as exc:
        await handle_exception(exc, handlers, conn, scope, receive, send)


async def handle_exception(
    exc: Exception,
    handlers: tuple[ExceptionHandlers, StatusHandlers],
    conn: Request | WebSocket | None,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Answer `exc` with its handler among `handlers`; re-raise it when none is registered.

    `send` is what `track` returned. Call it from an `except` block: the bare `raise`
    re-raises the exception being handled.
    """
    handler = find_handler(exc, handlers)
    if handler is None:
        raise
    if conn is None:
        conn = _connection(scope, receive, send)
    started = type(send) is ResponseTracker and send.started
    await answer_exception(handler, exc, started, conn, scope, receive, send)


def _connection(scope: Scope, receive: Receive, send: Send) -> Request | WebSocket:
    if scope["type"] == "websocket":
        return WebSocket(scope, receive, send)
    return Request(scope, receive, send)


async def answer_exception(
    handler: ExceptionHandler,
    exc: Exception,
    response_started: bool,
    conn: Request | WebSocket,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Send `handler`'s answer to `exc`: the part of an `except` block that follows the lookup."""
    if response_started:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    call: Callable[..., Any] = handler
    if is_async_callable(call):
        result = await call(conn, exc)
    else:
        result = await run_in_threadpool(call, conn, exc)
    if scope["type"] != "websocket":
        if result is None:
            raise RuntimeError(
                f"Exception handler {handler!r} returned None instead of a response."
            )
        await result(scope, receive, send)
    elif result is not None:
        await _send_denial(result, exc, conn, scope, receive, send)
    # The exception is handled: drop its frames so a reused instance keeps nothing alive.
    exc.__traceback__ = None


async def _send_denial(
    response: ASGIApp,
    exc: Exception,
    conn: Request | WebSocket,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Send a handler's response for a WebSocket as the handshake's denial response.

    The client sees that status and body (a 401 from an `HTTPException(401)` raised before
    `accept()`, say) instead of a default 403. Sent as upstream sends it, whether or not the
    server announced the denial extension. A connection already accepted or closed cannot
    take one: that is reported as for an HTTP response that has started.
    """
    from starlette.websockets import WebSocket, WebSocketState

    assert isinstance(conn, WebSocket)  # what a WebSocket scope's handlers are called with
    if conn.application_state is not WebSocketState.CONNECTING:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    conn.application_state = WebSocketState.DISCONNECTED
    await response(scope, receive, send)
