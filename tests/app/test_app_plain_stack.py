"""`Starlette.__call__` runs the stack without user middleware (ServerErrorMiddleware, then
ExceptionMiddleware, then the router) in its own frame, and answers the router's own 404 without
raising when the default handler would answer it. These tests pin that copy to the stack it
stands for: the same messages sent, the same exception raised, the same scope keys, for every
outcome a request can have; and they check when the copy runs and when the stack itself does.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest

from starlette import applications
from starlette._exception_handler import handle_exception
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

pytestmark = pytest.mark.anyio


class Reference(Starlette):
    """`Starlette` calling its middleware stack as built, layer by layer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)


class Teapot(Exception):
    pass


async def ok(request: Request) -> Response:
    return PlainTextResponse("ok")


async def http_error(request: Request) -> Response:
    raise HTTPException(status_code=418, detail="short and stout", headers={"x-tea": "yes"})


async def not_modified(request: Request) -> Response:
    raise HTTPException(status_code=304)


async def teapot(request: Request) -> Response:
    raise Teapot("tip me over")


async def unhandled(request: Request) -> Response:
    raise KeyError("nobody handles this")


class Started(Response):
    """Sends its headers, then fails with `error`."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise self.error


async def started_http_error(request: Request) -> Response:
    return Started(HTTPException(status_code=418))


async def started_unhandled(request: Request) -> Response:
    return Started(KeyError("after the headers"))


async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.close(code=1001)


ROUTES = [
    Route("/ok", ok),
    Route("/http", http_error),
    Route("/not-modified", not_modified),
    Route("/teapot", teapot),
    Route("/unhandled", unhandled),
    Route("/started-http", started_http_error),
    Route("/started-unhandled", started_unhandled),
    Route("/slash", ok),
    Route("/post-only", ok, methods=["POST"]),
    WebSocketRoute("/ws", websocket_endpoint),
]
PATHS = [
    "/ok",
    "/http",
    "/not-modified",
    "/teapot",
    "/unhandled",
    "/started-http",
    "/started-unhandled",
    "/slash/",
    "/post-only",
    "/nowhere",
]


async def by_status(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"status handler: {request.url.path}", status_code=404)


def by_class(request: Request, exc: Exception) -> Response:  # sync: runs in a thread
    return PlainTextResponse(f"class handler: {exc!r}", status_code=400)


async def on_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"error handler: {exc!r}", status_code=500)


async def broken_404(request: Request, exc: Exception) -> Response:
    raise Teapot("the 404 handler failed")


HANDLERS: dict[str, dict[Any, Any]] = {
    "default": {},
    "status 404": {404: by_status},
    "HTTPException class": {HTTPException: by_class},
    "Teapot class": {Teapot: by_class},
    "500 handler": {Exception: on_error},
    "404 handler raising": {404: broken_404, Teapot: by_class},
}


class NotFoundRouter(Router):
    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("nothing here", status_code=404)(scope, receive, send)


async def custom_default(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("custom default", status_code=410)(scope, receive, send)


def stock(app: Starlette) -> None:
    pass


def own_default(app: Starlette) -> None:
    app.router.default = custom_default


def subclass_router(app: Starlette) -> None:
    app.router = NotFoundRouter(ROUTES)


def router_with_middleware(app: Starlette) -> None:
    app.router = Router(ROUTES, middleware=[])


ROUTERS: dict[str, Callable[[Starlette], None]] = {
    "stock": stock,
    "own default": own_default,
    "subclass with its own not_found": subclass_router,
    "router with middleware": router_with_middleware,
}


class PassThrough:
    """User middleware: ServerErrorMiddleware is inlined, the layers below it are called."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def build(
    cls: type[Starlette],
    handlers: str,
    router: str,
    debug: bool = False,
    user_middleware: bool = False,
) -> Starlette:
    middleware = [Middleware(PassThrough)] if user_middleware else []
    app = cls(
        routes=ROUTES, exception_handlers=HANDLERS[handlers], debug=debug, middleware=middleware
    )
    ROUTERS[router](app)
    return app


Outcome = tuple[list[Message], str | None, list[str]]


async def outcome(app: ASGIApp, path: str, scope_type: str = "http") -> Outcome:
    scope: Scope = {
        "type": scope_type,
        "path": path,
        "root_path": "",
        "headers": [(b"host", b"example.org")],
        "query_string": b"",
        "scheme": "http" if scope_type == "http" else "ws",
        "server": ("example.org", 80),
    }
    if scope_type == "http":
        scope["method"] = "GET"
    sent: list[Message] = []
    received = 0

    async def receive() -> Message:
        nonlocal received
        received += 1
        return {"type": "websocket.connect"} if received == 1 else {"type": "websocket.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    raised = None
    try:
        await app(scope, receive, send)
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    return sent, raised, sorted(scope)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("handlers", list(HANDLERS))
@pytest.mark.parametrize("router", list(ROUTERS))
@pytest.mark.parametrize("user_middleware", [False, True])
async def test_the_inlined_stack_answers_as_the_stack(
    path: str, handlers: str, router: str, user_middleware: bool
) -> None:
    expected = await outcome(build(Reference, handlers, router, False, user_middleware), path)
    got = await outcome(build(Starlette, handlers, router, False, user_middleware), path)
    assert got == expected


@pytest.mark.parametrize("path", ["/ok", "/unhandled", "/started-unhandled", "/nowhere"])
async def test_the_inlined_stack_answers_as_the_stack_in_debug(path: str) -> None:
    def shape(result: Outcome) -> Outcome:
        # The traceback page names the frames crossed, which differ: compare all but its text
        # (and so its length).
        sent: list[Message] = [
            {**m, "body": m["body"][:24]}
            if "body" in m
            else {**m, "headers": [h for h in m.get("headers", []) if h[0] != b"content-length"]}
            for m in result[0]
        ]
        return sent, result[1], result[2]

    expected = await outcome(build(Reference, "default", "stock", debug=True), path)
    got = await outcome(build(Starlette, "default", "stock", debug=True), path)
    assert shape(got) == shape(expected)


async def test_websocket_scopes_go_through_the_stack() -> None:
    expected = await outcome(build(Reference, "default", "stock"), "/ws", "websocket")
    assert expected[0] == [{"type": "websocket.close", "code": 1001, "reason": ""}]
    assert await outcome(build(Starlette, "default", "stock"), "/ws", "websocket") == expected


async def test_the_pinned_cases_cover_every_outcome() -> None:
    app = build(Starlette, "default", "stock")
    assert (await outcome(app, "/ok"))[0][1]["body"] == b"ok"
    not_found = await outcome(app, "/nowhere")
    assert not_found[0][0]["status"] == 404
    assert not_found[0][1]["body"] == b"Not Found"
    assert (await outcome(app, "/not-modified"))[0][0]["status"] == 304
    assert (await outcome(app, "/slash/"))[0][0]["status"] == 307
    assert (await outcome(app, "/post-only"))[0][0]["status"] == 405
    escaped = await outcome(app, "/unhandled")
    assert escaped[0][0]["status"] == 500
    assert escaped[1] == "KeyError: 'nobody handles this'"
    late = await outcome(app, "/started-http")
    assert late[1] == "RuntimeError: Caught handled exception, but response already started."
    custom = await outcome(build(Starlette, "status 404", "stock"), "/nowhere")
    assert custom[0][1]["body"] == b"status handler: /nowhere"
    failing = await outcome(build(Starlette, "404 handler raising", "stock"), "/nowhere")
    # The handler's own error is not answered by the Teapot handler: it escapes, as it would.
    assert failing[0][0]["status"] == 500
    assert failing[1] == "Teapot: the 404 handler failed"
    late_handler = await outcome(build(Starlette, "500 handler", "stock"), "/started-unhandled")
    assert late_handler[0] == [{"type": "http.response.start", "status": 200, "headers": []}]
    gone = await outcome(build(Starlette, "default", "own default"), "/nowhere")
    assert gone[0][1]["body"] == b"custom default"


def frames_crossed(app: Starlette) -> set[str]:
    """The modules whose functions an exception escaping the endpoint crossed."""
    import anyio

    async def main() -> set[str]:
        scope: Scope = {"type": "http", "method": "GET", "path": "/unhandled", "headers": []}

        async def send(message: Message) -> None:
            pass

        try:
            await app(scope, None, send)  # type: ignore[arg-type]
        except KeyError as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            return {f"{frame.filename.rsplit('/', 1)[-1]}:{frame.name}" for frame in frames}
        raise AssertionError("the error did not escape")  # pragma: no cover

    return anyio.run(main)


def test_the_stack_runs_in_one_frame() -> None:
    layers = {"errors.py:__call__", "exceptions.py:__call__", "routing.py:__call__"}
    inlined = frames_crossed(build(Starlette, "default", "stock"))
    assert "applications.py:__call__" in inlined
    assert not layers & inlined
    layered = frames_crossed(build(Reference, "default", "stock"))
    assert layers <= layered
    # With user middleware, only ServerErrorMiddleware's runs in Starlette's frame.
    below_middleware = frames_crossed(build(Starlette, "default", "stock", user_middleware=True))
    assert "errors.py:__call__" not in below_middleware
    assert {"exceptions.py:__call__", "routing.py:__call__"} <= below_middleware


async def test_the_stock_404_is_answered_without_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    handled: list[Exception] = []
    real = handle_exception

    async def spy(exc: Exception, *args: Any) -> None:
        handled.append(exc)
        await real(exc, *args)

    monkeypatch.setattr(applications, "handle_exception", spy)
    await outcome(build(Starlette, "default", "stock"), "/nowhere")
    assert handled == []
    await outcome(build(Starlette, "status 404", "stock"), "/nowhere")
    assert [type(exc) for exc in handled] == [HTTPException]


@pytest.mark.parametrize("layer", [ServerErrorMiddleware, ExceptionMiddleware, Router])
async def test_a_patched_layer_runs_as_patched(
    layer: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Sentry patches the middleware classes' __call__: the patch must see every request.
    calls: list[str] = []
    original = layer.__call__

    async def patched(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(layer, "__call__", patched)
    expected = await outcome(build(Reference, "default", "stock"), "/nowhere")
    calls.clear()
    assert await outcome(build(Starlette, "default", "stock"), "/nowhere") == expected
    assert calls == ["/nowhere"]


async def test_user_middleware_runs_below_the_inlined_error_middleware() -> None:
    seen: list[str] = []

    class Note:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["path"])
            await self.app(scope, receive, send)

    app = Starlette(routes=ROUTES, middleware=[Middleware(Note)])
    assert (await outcome(app, "/nowhere"))[0][1]["body"] == b"Not Found"
    assert seen == ["/nowhere"]


async def test_a_404_handler_added_to_the_built_middleware_is_used() -> None:
    # The copy reads the handlers from the middleware on each request, as the stack does.
    app = build(Starlette, "default", "stock")
    assert (await outcome(app, "/nowhere"))[0][1]["body"] == b"Not Found"
    assert isinstance(app.middleware_stack, ServerErrorMiddleware)
    inner = app.middleware_stack.app
    assert isinstance(inner, ExceptionMiddleware)
    inner.add_exception_handler(404, by_status)
    assert (await outcome(app, "/nowhere"))[0][1]["body"] == b"status handler: /nowhere"
