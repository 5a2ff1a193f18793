"""`Starlette`: routing, middleware stack, exception handlers, debug, state, URL building."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Host, Mount, NoMatchFound, Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]


class CustomError(Exception):
    pass


class RecordingMiddleware:
    """Appends its name to `log` on the way in, for HTTP requests."""

    def __init__(self, app: ASGIApp, name: str, log: list[str]) -> None:
        self.app = app
        self.name = name
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.log.append(self.name)
        await self.app(scope, receive, send)


class RaisingMiddleware:
    def __init__(self, app: ASGIApp, exc: Exception) -> None:
        self.app = app
        self.exc = exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raise self.exc
        await self.app(scope, receive, send)  # pragma: no cover


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


def sync_homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, sync world!")


async def user(request: Request) -> Response:
    username = request.path_params["username"]
    return JSONResponse(
        {"username": username, "url": str(request.url_for("user", username=username))}
    )


async def runtime_error(request: Request) -> Response:
    raise RuntimeError("Broken endpoint")


async def custom_error(request: Request) -> Response:
    raise CustomError("custom")


async def teapot(request: Request) -> Response:
    raise HTTPException(418, detail="I'm a teapot", headers={"X-Teapot": "yes"})


async def websocket_endpoint(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("Hello, websocket!")
    await websocket.close()


async def websocket_refusing(websocket: WebSocket) -> None:
    raise WebSocketException(code=1008, reason="Not welcome")


async def show_app(request: Request) -> Response:
    app = request.app
    return JSONResponse(
        {
            "request_app_is_scope_app": app is request.scope["app"],
            "type": type(app).__name__,
            "admin": app.state.ADMIN_EMAIL,
        }
    )


def test_routes_and_request_app(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage), Route("/app", show_app)])
    app.state.ADMIN_EMAIL = "admin@example.org"
    client = test_client_factory(app)
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello, world!"
    assert client.get("/app").json() == {
        "request_app_is_scope_app": True,
        "type": "Starlette",
        "admin": "admin@example.org",
    }


def test_request_app_is_the_application(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def endpoint(request: Request) -> Response:
        seen.append(request.app)
        seen.append(request.scope["app"])
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", endpoint)])
    assert test_client_factory(app).get("/").text == "ok"
    assert seen == [app, app]


def test_attributes_after_init() -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("x")  # pragma: no cover

    middleware = [Middleware(RecordingMiddleware, name="a", log=[])]
    routes = [Route("/", homepage)]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: handler})
    assert app.debug is False
    assert isinstance(app.state, State)
    assert isinstance(app.router, Router)
    assert app.routes == routes
    assert app.routes is app.router.routes
    assert app.user_middleware == middleware
    assert app.user_middleware is not middleware  # the caller's list is copied
    assert app.exception_handlers == {404: handler}
    assert app.middleware_stack is None
    assert app.max_body_size is None


def test_state_attribute_and_item_access(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        state = request.app.state
        return JSONResponse({"db": state.db, "cache": state["cache"]})

    app = Starlette(routes=[Route("/", endpoint)])
    app.state.db = "postgres"
    app.state["cache"] = "redis"
    assert test_client_factory(app).get("/").json() == {"db": "postgres", "cache": "redis"}


def test_add_route_sync_and_methods(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    app.add_route("/", sync_homepage)
    app.add_route("/post-only", homepage, methods=["POST"], name="post_only")
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, sync world!"
    assert client.post("/post-only").text == "Hello, world!"
    response = client.get("/post-only")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert app.url_path_for("post_only") == "/post-only"


def test_add_route_include_in_schema() -> None:
    app = Starlette()
    app.add_route("/hidden", homepage, include_in_schema=False)
    route = app.routes[0]
    assert isinstance(route, Route)
    assert route.include_in_schema is False


def test_unknown_path_is_404(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Starlette(routes=[Route("/", homepage)]))
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_url_path_for_routes_and_mounts(test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        routes=[
            Route("/users/{username}", user, name="user"),
            Mount("/admin", routes=[Route("/", homepage, name="dashboard")], name="admin"),
        ]
    )
    assert app.url_path_for("user", username="tom") == "/users/tom"
    assert app.url_path_for("admin:dashboard") == "/admin/"
    with pytest.raises(NoMatchFound):
        app.url_path_for("nowhere")
    response = test_client_factory(app).get("/users/tom")
    assert response.json() == {"username": "tom", "url": "http://testserver/users/tom"}


def test_mount(test_client_factory: TestClientFactory) -> None:
    async def subapp(scope: Scope, receive: Receive, send: Send) -> None:
        text = f"root_path={scope['root_path']} path={scope['path']}"
        await PlainTextResponse(text)(scope, receive, send)

    app = Starlette()
    app.mount("/sub", subapp, name="sub")
    client = test_client_factory(app)
    assert client.get("/sub/page").text == "root_path=/sub path=/sub/page"
    assert app.url_path_for("sub", path="/page") == "/sub/page"
    assert isinstance(app.routes[0], Mount)


def test_host(test_client_factory: TestClientFactory) -> None:
    api = Router(routes=[Route("/", homepage, name="api_home")])
    app = Starlette(routes=[Route("/local", sync_homepage)])
    app.host("api.example.org", api, name="api")
    assert isinstance(app.routes[1], Host)
    api_client = test_client_factory(app, base_url="https://api.example.org")
    assert api_client.get("/").text == "Hello, world!"
    local_client = test_client_factory(app)
    assert local_client.get("/local").text == "Hello, sync world!"
    assert local_client.get("/").status_code == 404
    assert app.url_path_for("api:api_home") == "/"


def test_websocket_route(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", websocket_endpoint)])
    with test_client_factory(app).websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, websocket!"


def test_websocket_exception_closes(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", websocket_refusing)])
    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert info.value.code == 1008
    assert info.value.reason == "Not welcome"


def test_middleware_order(test_client_factory: TestClientFactory) -> None:
    log: list[str] = []
    app = Starlette(
        routes=[Route("/", homepage)],
        middleware=[
            Middleware(RecordingMiddleware, name="first", log=log),
            Middleware(RecordingMiddleware, name="second", log=log),
        ],
    )
    # add_middleware puts the new one outside the existing ones.
    app.add_middleware(RecordingMiddleware, name="added", log=log)
    app.add_middleware(RecordingMiddleware, name="added last", log=log)
    assert test_client_factory(app).get("/").text == "Hello, world!"
    assert log == ["added last", "added", "first", "second"]


def test_build_middleware_stack_layers() -> None:
    async def server_error(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("x")  # pragma: no cover

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("x")  # pragma: no cover

    app = Starlette(
        debug=True,
        middleware=[Middleware(RecordingMiddleware, name="user", log=[])],
        exception_handlers={500: server_error, 404: not_found},
        max_body_size=1024,
    )
    stack: Any = app.build_middleware_stack()
    assert isinstance(stack, ServerErrorMiddleware)
    assert stack.handler is server_error
    assert stack.debug is True
    user_layer = stack.app
    assert isinstance(user_layer, RecordingMiddleware)
    exception_layer = user_layer.app
    assert isinstance(exception_layer, ExceptionMiddleware)
    assert exception_layer._status_handlers == {404: not_found}
    limit_layer = exception_layer.app
    assert isinstance(limit_layer, RequestBodyLimitMiddleware)
    assert limit_layer.max_body_size == 1024
    assert limit_layer.app is app.router


def test_build_middleware_stack_without_body_limit() -> None:
    app = Starlette()
    stack: Any = app.build_middleware_stack()
    assert isinstance(stack, ServerErrorMiddleware)
    assert stack.handler is None
    assert stack.debug is False
    assert isinstance(stack.app, ExceptionMiddleware)
    assert stack.app.app is app.router


def test_stack_is_built_once(test_client_factory: TestClientFactory) -> None:
    builds: list[ASGIApp] = []

    class CountingStarlette(Starlette):
        def build_middleware_stack(self) -> ASGIApp:
            stack = super().build_middleware_stack()
            builds.append(stack)
            return stack

    app = CountingStarlette(routes=[Route("/", homepage)])
    client = test_client_factory(app)
    client.get("/")
    client.get("/")
    assert len(builds) == 1
    assert app.middleware_stack is builds[0]


def test_add_middleware_after_start_fails(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage)])
    test_client_factory(app).get("/")
    with pytest.raises(
        RuntimeError, match="Cannot add middleware after an application has started"
    ):
        app.add_middleware(RecordingMiddleware, name="late", log=[])


def test_status_code_handler(test_client_factory: TestClientFactory) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": "nothing at " + request.url.path}, status_code=404)

    app = Starlette(routes=[Route("/", homepage)], exception_handlers={404: not_found})
    response = test_client_factory(app).get("/missing")
    assert response.status_code == 404
    assert response.json() == {"detail": "nothing at /missing"}


def test_http_exception_default_response(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/teapot", teapot)])
    response = test_client_factory(app).get("/teapot")
    assert response.status_code == 418
    assert response.text == "I'm a teapot"
    assert response.headers["x-teapot"] == "yes"


def test_exception_class_handler(test_client_factory: TestClientFactory) -> None:
    def handle_custom(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"handled {exc}", status_code=400)

    app = Starlette(routes=[Route("/custom", custom_error)])
    app.add_exception_handler(CustomError, handle_custom)
    response = test_client_factory(app).get("/custom")
    assert response.status_code == 400
    assert response.text == "handled custom"


def test_exception_handler_for_base_class(test_client_factory: TestClientFactory) -> None:
    async def handle_lookup(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(type(exc).__name__, status_code=404)

    async def missing_key(request: Request) -> Response:
        raise KeyError("k")

    app = Starlette(
        routes=[Route("/", missing_key)], exception_handlers={LookupError: handle_lookup}
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 404
    assert response.text == "KeyError"


def test_outer_handler_answers_what_a_mounted_exception_middleware_lets_through(
    test_client_factory: TestClientFactory,
) -> None:
    # A mounted app with an ExceptionMiddleware of its own publishes its handlers in the shared
    # scope; an exception only the outer app handles still gets the outer handler (418), as in
    # upstream 1.10. The inner handler keeps answering what it handles (451).
    class Other(Exception):
        pass

    async def teapot(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("outer teapot", status_code=418)

    async def other(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("inner other", status_code=451)

    async def raise_other(request: Request) -> Response:
        raise Other()

    inner_routes = [Route("/custom", custom_error), Route("/other", raise_other)]
    app = Starlette(
        routes=[
            Mount("/router", app=ExceptionMiddleware(Router(inner_routes), {Other: other})),
            Mount(
                "/mount",
                routes=inner_routes,
                middleware=[Middleware(ExceptionMiddleware, handlers={Other: other})],
            ),
        ],
        exception_handlers={CustomError: teapot},
    )
    client = test_client_factory(app)
    for prefix in ("/router", "/mount"):
        response = client.get(f"{prefix}/custom")
        assert (response.status_code, response.text) == (418, "outer teapot")
        response = client.get(f"{prefix}/other")
        assert (response.status_code, response.text) == (451, "inner other")


@pytest.mark.parametrize("key", [500, Exception])
def test_server_error_handler(test_client_factory: TestClientFactory, key: Any) -> None:
    async def server_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=500)

    app = Starlette(routes=[Route("/", runtime_error)], exception_handlers={key: server_error})
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.json() == {"error": "Broken endpoint"}
    # The exception still reaches the server, for its logs.
    with pytest.raises(RuntimeError, match="Broken endpoint"):
        test_client_factory(app).get("/")


def test_unhandled_exception_is_plain_500(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", runtime_error)])
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_exception_in_user_middleware_skips_exception_handlers(
    test_client_factory: TestClientFactory,
) -> None:
    def handle_custom(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=400)  # pragma: no cover

    app = Starlette(
        routes=[Route("/", homepage)],
        middleware=[Middleware(RaisingMiddleware, exc=CustomError("outside"))],
        exception_handlers={CustomError: handle_custom},
    )
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_debug_mode_traceback(test_client_factory: TestClientFactory) -> None:
    app = Starlette(debug=True, routes=[Route("/", runtime_error)])
    client = test_client_factory(app, raise_server_exceptions=False)
    html = client.get("/", headers={"Accept": "text/html"})
    assert html.status_code == 500
    assert html.headers["content-type"].startswith("text/html")
    assert "RuntimeError: Broken endpoint" in html.text
    assert "runtime_error" in html.text
    text = client.get("/")
    assert text.status_code == 500
    assert text.headers["content-type"].startswith("text/plain")
    assert "Traceback (most recent call last):" in text.text


def test_debug_toggling_rebuilds_the_stack(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", runtime_error)])
    client = test_client_factory(app, raise_server_exceptions=False)
    assert client.get("/").text == "Internal Server Error"
    assert app.middleware_stack is not None

    app.debug = True
    assert app.debug is True
    assert app.middleware_stack is None
    assert "RuntimeError: Broken endpoint" in client.get("/").text

    app.debug = False
    assert client.get("/").text == "Internal Server Error"


def test_http_exception_in_sync_endpoint(test_client_factory: TestClientFactory) -> None:
    def forbidden(request: Request) -> Response:
        raise HTTPException(403)

    app = Starlette(routes=[Route("/", forbidden)])
    response = test_client_factory(app).get("/")
    assert response.status_code == 403
    assert response.text == "Forbidden"
