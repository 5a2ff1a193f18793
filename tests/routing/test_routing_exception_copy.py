"""`request_response` keeps an inlined copy of `call_handling_exceptions` (it pays: see
docs/development/architecture.md). These tests pin the copy to the reference: the same messages
sent, the same exception raised, the handler given the endpoint's own `Request`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from starlette._exception_handler import ResponseTracker, call_handling_exceptions
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import request_response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio

Endpoint = Callable[[Request], Awaitable[Response]]


def reference(func: Endpoint) -> ASGIApp:
    """`request_response` written with `call_handling_exceptions`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            response = await func(request)
            await response(scope, receive, send)

        await call_handling_exceptions(run, scope, receive, send, request)

    return app


class Teapot(Exception):
    pass


class Started(Response):
    """Starts the response, then fails."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise HTTPException(status_code=418)


seen: list[Request] = []


async def ok(request: Request) -> Response:
    seen.append(request)
    return PlainTextResponse("ok")


async def http_error(request: Request) -> Response:
    seen.append(request)
    raise HTTPException(status_code=418, detail="short and stout")


async def teapot(request: Request) -> Response:
    seen.append(request)
    raise Teapot("tip me over")


async def unhandled(request: Request) -> Response:
    seen.append(request)
    raise KeyError("nobody handles this")


async def started(request: Request) -> Response:
    seen.append(request)
    return Started()


async def teapot_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise Teapot("tip me over")


class Delegating(Response):
    """Hands the request to an app with an ExceptionMiddleware of its own, in the same scope.

    That middleware publishes its own handlers, which know nothing of Teapot, and lets the
    exception through: the route must answer it with the handlers it found before it ran.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await ExceptionMiddleware(teapot_app)(scope, receive, send)


async def nested(request: Request) -> Response:
    seen.append(request)
    return Delegating()


async def by_status(request: Request, exc: Exception) -> Response:
    seen.append(request)
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(f"status handler: {exc.detail}", status_code=exc.status_code)


def by_class(request: Request, exc: Exception) -> Response:  # sync: runs in a thread
    seen.append(request)
    return PlainTextResponse(f"class handler: {exc}", status_code=500)


async def returns_none(request: Request, exc: Exception) -> None:
    seen.append(request)


HANDLERS: dict[str, Any] = {
    "status": ({}, {418: by_status}),
    "class": ({Teapot: by_class}, {}),
    "none": ({Teapot: returns_none, HTTPException: returns_none}, {}),
    "absent": None,
}


async def outcome(
    app: ASGIApp, handlers: Any, tracked: bool = False
) -> tuple[list[Message], str | None, bool]:
    """What `app` sent, what it raised, and whether every request seen was the same one.

    `tracked`: `send` is already the shared ResponseTracker, as below ServerErrorMiddleware.
    """
    seen.clear()
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    if handlers is not None:
        scope["starlette.exception_handlers"] = handlers
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - no endpoint here reads the body
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    raised = None
    try:
        await app(scope, receive, ResponseTracker(send) if tracked else send)
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    return sent, raised, all(request is seen[0] for request in seen)


@pytest.mark.parametrize("tracked", [False, True])
@pytest.mark.parametrize("endpoint", [ok, http_error, teapot, unhandled, started, nested])
@pytest.mark.parametrize("handlers", list(HANDLERS))
async def test_the_inlined_copy_answers_as_call_handling_exceptions(
    endpoint: Endpoint, handlers: str, tracked: bool
) -> None:
    expected = await outcome(reference(endpoint), HANDLERS[handlers], tracked)
    assert await outcome(request_response(endpoint), HANDLERS[handlers], tracked) == expected
    assert expected[2]  # the handler got the endpoint's request


async def test_the_pinned_cases_cover_every_outcome() -> None:
    outcomes = {
        (endpoint.__name__, handlers): await outcome(request_response(endpoint), HANDLERS[handlers])
        for endpoint in (ok, http_error, teapot, unhandled, started, nested)
        for handlers in HANDLERS
    }
    assert outcomes["ok", "absent"][1] is None
    assert outcomes["http_error", "status"][0][1]["body"] == b"status handler: short and stout"
    assert outcomes["teapot", "class"][0][1]["body"] == b"class handler: tip me over"
    assert outcomes["unhandled", "class"][1] == "KeyError: 'nobody handles this'"
    assert outcomes["teapot", "none"][1] is not None
    assert "returned None instead of a response" in outcomes["teapot", "none"][1]
    assert outcomes["nested", "class"][0][1]["body"] == b"class handler: tip me over"
    assert outcomes["started", "status"][1] == (
        "RuntimeError: Caught handled exception, but response already started."
    )
