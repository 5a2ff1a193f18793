"""`ExceptionMiddleware.__call__` keeps an inlined copy of `call_handling_exceptions` (one
coroutine less on every request). These tests pin the copy to the reference: the same messages
sent, the same exception raised, for HTTP and WebSocket scopes."""

from __future__ import annotations

from typing import Any

import pytest

from starlette._exception_handler import ResponseTracker, call_handling_exceptions
from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class Reference(ExceptionMiddleware):
    """`ExceptionMiddleware` written with `call_handling_exceptions`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope["starlette.exception_handlers"] = (self._exception_handlers, self._status_handlers)
        await call_handling_exceptions(self.app, scope, receive, send)


class Teapot(Exception):
    pass


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


async def http_error(scope: Scope, receive: Receive, send: Send) -> None:
    raise HTTPException(status_code=418, detail="short and stout")


async def teapot(scope: Scope, receive: Receive, send: Send) -> None:
    raise Teapot("tip me over")


async def unhandled(scope: Scope, receive: Receive, send: Send) -> None:
    raise KeyError("nobody handles this")


async def started(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise HTTPException(status_code=418)


async def websocket_error(scope: Scope, receive: Receive, send: Send) -> None:
    raise WebSocketException(code=1008, reason="go away")


# A mounted app with an ExceptionMiddleware of its own: it publishes its own handlers in the
# shared scope, has none for Teapot, and lets it through. The outer middleware must answer with
# the handlers it published before the app ran, not with what the scope holds afterwards.
mounted_teapot = ExceptionMiddleware(teapot)


async def by_status(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"status handler: {request.url.path}", status_code=418)


def by_class(request: Request, exc: Exception) -> Response:  # sync: runs in a thread
    return PlainTextResponse(f"class handler: {exc}", status_code=500)


HANDLERS: dict[str, Any] = {
    "default": None,
    "status": {418: by_status},
    "class": {Teapot: by_class},
}
APPS = [ok, http_error, teapot, unhandled, started, websocket_error, mounted_teapot]


async def outcome(app: ASGIApp, scope_type: str) -> tuple[list[Message], str | None]:
    scope: Scope = {"type": scope_type, "path": "/x", "headers": [], "query_string": b""}
    if scope_type == "http":
        scope["method"] = "GET"
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - no app here reads
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    raised = None
    try:
        await app(scope, receive, send)
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    return sent, raised


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize("handlers", list(HANDLERS))
@pytest.mark.parametrize("scope_type", ["http", "websocket", "other"])
async def test_the_inlined_copy_answers_as_call_handling_exceptions(
    app: ASGIApp, handlers: str, scope_type: str
) -> None:
    if scope_type == "websocket" and app in (ok, started):
        return  # HTTP responses: not a WebSocket app
    expected = await outcome(Reference(app, HANDLERS[handlers]), scope_type)
    assert await outcome(ExceptionMiddleware(app, HANDLERS[handlers]), scope_type) == expected


async def test_the_pinned_cases_cover_every_outcome() -> None:
    status = await outcome(ExceptionMiddleware(http_error, {418: by_status}), "http")
    assert status[0][1]["body"] == b"status handler: /x"
    teapot_500 = await outcome(ExceptionMiddleware(teapot, {Teapot: by_class}), "http")
    assert teapot_500[0][1]["body"] == b"class handler: tip me over"
    assert (await outcome(ExceptionMiddleware(unhandled), "http"))[1] == (
        "KeyError: 'nobody handles this'"
    )
    assert (await outcome(ExceptionMiddleware(started), "http"))[1] == (
        "RuntimeError: Caught handled exception, but response already started."
    )
    closed = await outcome(ExceptionMiddleware(websocket_error), "websocket")
    assert closed == ([{"type": "websocket.close", "code": 1008, "reason": "go away"}], None)
    outer = await outcome(ExceptionMiddleware(mounted_teapot, {Teapot: by_class}), "http")
    assert outer[0][1]["body"] == b"class handler: tip me over"


async def test_an_outer_tracker_is_shared_not_wrapped() -> None:
    seen: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)

    async def server_send(message: Message) -> None:  # pragma: no cover - nothing is sent
        raise AssertionError("unexpected send")

    tracker = ResponseTracker(server_send)
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await ExceptionMiddleware(app)(scope, None, tracker)  # type: ignore[arg-type]
    assert seen == [tracker]
