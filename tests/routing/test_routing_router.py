from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from starlette._exception_handler import ResponseTracker
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import (
    BaseRoute,
    Host,
    Match,
    Mount,
    Route,
    Router,
    WebSocketRoute,
    websocket_session,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]


def homepage(request: Request) -> Response:
    return PlainTextResponse("home")


async def users(request: Request) -> Response:
    return PlainTextResponse("users")


async def user(request: Request) -> Response:
    return JSONResponse(
        {
            "params": {key: str(value) for key, value in request.path_params.items()},
            "path": request.url.path,
            "root_path": request.scope.get("root_path", ""),
        }
    )


async def echo_route(request: Request) -> Response:
    route = request.scope["route"]
    return PlainTextResponse(
        f"{type(route).__name__} {route.path} {request.scope['router'] is not None}"
    )


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"{text} {websocket.path_params}")
    await websocket.close()


def make_router(**kwargs: Any) -> Router:
    return Router(
        [
            Route("/", homepage),
            Route("/users", users, methods=["GET", "POST"]),
            Route("/users/{id:int}", user),
            Route("/users/{name}", user),
            Route("/items/{id}", user, methods=["DELETE"]),
            Route("/items/{id}", user, methods=["PUT"]),
            Route("/slash/", homepage),
            Route("/route", echo_route),
            WebSocketRoute("/ws/{room}", ws_echo),
        ],
        **kwargs,
    )


def test_router_dispatches_routes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "home"
    assert client.get("/users").text == "users"
    assert client.post("/users").text == "users"
    assert client.get("/users/12").json()["params"] == {"id": "12"}
    assert client.get("/users/tom").json()["params"] == {"name": "tom"}


def test_router_404(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_router_405_with_allow(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    response = client.delete("/users")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, POST"
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_first_partial_match_decides_405(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    assert client.put("/items/1").status_code == 200
    assert client.delete("/items/1").status_code == 200
    response = client.get("/items/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE"


def test_full_match_after_partial_wins(test_client_factory: TestClientFactory) -> None:
    async def post_only(request: Request) -> Response:
        return PlainTextResponse("post")  # pragma: no cover

    router = Router([Route("/x", post_only, methods=["POST"]), Route("/x", homepage)])
    response = test_client_factory(router).get("/x")
    assert response.status_code == 200
    assert response.text == "home"


def test_first_full_match_wins(test_client_factory: TestClientFactory) -> None:
    async def first(request: Request) -> Response:
        return PlainTextResponse("first")

    router = Router([Route("/x", first), Route("/x", homepage)])
    assert test_client_factory(router).get("/x").text == "first"


def test_head_on_get_routes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    response = client.head("/")
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["content-length"] == "4"


@pytest.mark.anyio
async def test_405_raises_http_exception_inside_an_app() -> None:
    router = make_router()
    scope = {"type": "http", "method": "DELETE", "path": "/", "headers": [], "app": object()}

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(HTTPException) as info:
        await router(scope, receive, send)
    assert info.value.status_code == 405
    assert info.value.headers == {"Allow": "GET, HEAD"}
    assert scope["route"] is router.routes[0]


@pytest.mark.anyio
async def test_404_raises_http_exception_inside_an_app() -> None:
    router = Router([])
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "app": object()}

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(HTTPException) as info:
        await router(scope, receive, send)
    assert info.value.status_code == 404
    assert scope["router"] is router


def test_scope_route_is_the_matched_route(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    assert client.get("/route").text == "Route /route True"


def test_scope_route_inside_mount_is_innermost(test_client_factory: TestClientFactory) -> None:
    outer = Router([Mount("/m", routes=[Route("/route", echo_route)])])
    assert test_client_factory(outer).get("/m/route").text == "Route /route True"


def test_scope_router_is_outermost(test_client_factory: TestClientFactory) -> None:
    async def which(request: Request) -> Response:
        return PlainTextResponse(str(request.scope["router"] is outer))

    outer = Router([Mount("/m", routes=[Route("/which", which)])])
    assert test_client_factory(outer).get("/m/which").text == "True"


def test_redirect_slashes_adds_slash(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router(), follow_redirects=False)
    response = client.get("/slash?x=1")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/slash/?x=1"
    assert client.get("/slash", follow_redirects=True).text == "home"


def test_redirect_slashes_removes_slash(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router(), follow_redirects=False)
    response = client.get("/users/")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users"


def test_redirect_slashes_on_method_mismatch(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router(), follow_redirects=False)
    response = client.delete("/items/3/")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/items/3"


def test_redirect_slashes_inside_mount(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [Mount("/users", routes=[Route("/{name}", user), Route("/{name}/posts/", users)])]
    )
    client = test_client_factory(router, follow_redirects=False)
    response = client.get("/users/tom/")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users/tom"
    response = client.get("/users/tom/posts")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users/tom/posts/"


def test_redirect_slashes_disabled(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router(redirect_slashes=False), follow_redirects=False)
    assert client.get("/users/").status_code == 404


def test_no_redirect_when_nothing_matches_either_way(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(make_router(), follow_redirects=False)
    assert client.get("/nothing/").status_code == 404


def test_no_redirect_for_root(test_client_factory: TestClientFactory) -> None:
    async def nothing(request: Request) -> Response:
        return PlainTextResponse("x")  # pragma: no cover

    router = Router([Route("/x", nothing)])
    client = test_client_factory(router, follow_redirects=False)
    assert client.get("/").status_code == 404


def test_redirect_does_not_leave_the_host(test_client_factory: TestClientFactory) -> None:
    router = Router([Mount("/", routes=[Route("/{p:path}/end", homepage)])])
    client = test_client_factory(router, follow_redirects=False)
    response = client.get("http://testserver//evil.com/end/")
    assert response.status_code == 307
    location = response.headers["location"]
    assert location.startswith("http://testserver/")
    assert "evil.com" in location


@pytest.mark.anyio
async def test_redirect_without_host_stays_local() -> None:
    router = Router([Route("/{p:path}/end", homepage)])
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "path": "//evil.com/end/",
        "raw_path": b"//evil.com/end/",
        "query_string": b"",
        "headers": [],
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}  # pragma: no cover

    async def send(message: Message) -> None:
        messages.append(message)

    await router(scope, receive, send)
    start = messages[0]
    assert start["status"] == 307
    headers = dict(start["headers"])
    location = headers[b"location"].decode()
    assert not location.startswith("//")
    assert not location.startswith("/\\")


def test_websocket_no_redirect_and_close(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/lobby/"):
        pass  # pragma: no cover
    assert info.value.code == 1000


def test_websocket_route(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_router())
    with client.websocket_connect("/ws/lobby") as session:
        session.send_text("hi")
        assert session.receive_text() == "hi {'room': 'lobby'}"


def test_http_request_does_not_match_websocket_route(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(make_router())
    assert client.get("/ws/lobby").status_code == 404


def test_custom_default(test_client_factory: TestClientFactory) -> None:
    router = Router([], default=PlainTextResponse("custom", status_code=418))
    response = test_client_factory(router).get("/x")
    assert response.status_code == 418
    assert response.text == "custom"


def test_sync_async_partial_and_method_endpoints(test_client_factory: TestClientFactory) -> None:
    def sync_endpoint(request: Request, suffix: str) -> Response:
        return PlainTextResponse("sync" + suffix)

    async def async_endpoint(request: Request, suffix: str) -> Response:
        return PlainTextResponse("async" + suffix)

    class Handlers:
        def method(self, request: Request) -> Response:
            return PlainTextResponse("method")

        async def amethod(self, request: Request) -> Response:
            return PlainTextResponse("amethod")

    handlers = Handlers()
    router = Router(
        [
            Route("/sync", functools.partial(sync_endpoint, suffix="!")),
            Route("/async", functools.partial(async_endpoint, suffix="?")),
            Route("/method", handlers.method),
            Route("/amethod", handlers.amethod),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/sync").text == "sync!"
    assert client.get("/async").text == "async?"
    assert client.get("/method").text == "method"
    assert client.get("/amethod").text == "amethod"
    assert client.post("/sync").status_code == 405


def test_asgi_class_and_instance_endpoints(test_client_factory: TestClientFactory) -> None:
    class ASGIClass:
        def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
            self.scope, self.receive, self.send = scope, receive, send

        def __await__(self) -> Any:
            return self.run().__await__()

        async def run(self) -> None:
            response = PlainTextResponse(f"class {self.scope['method']}")
            await response(self.scope, self.receive, self.send)

    class ASGIInstance:
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse("instance")(scope, receive, send)

    router = Router([Route("/class", ASGIClass), Route("/instance", ASGIInstance())])
    client = test_client_factory(router)
    assert client.get("/class").text == "class GET"
    # ASGI apps take every method unless `methods` is given.
    assert client.patch("/class").text == "class PATCH"
    assert client.delete("/instance").text == "instance"


def test_sync_endpoint_exception_handled_as_http_exception(
    test_client_factory: TestClientFactory,
) -> None:
    def fail(request: Request) -> Response:
        raise HTTPException(status_code=418, detail="teapot")

    router = Router([Route("/fail", fail)])
    client = test_client_factory(router)
    with pytest.raises(HTTPException) as info:
        client.get("/fail")
    assert info.value.status_code == 418


def test_mount_routes_and_paths(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Mount(
                "/users",
                routes=[Route("/", users), Route("/{name}", user)],
            ),
            Mount("/org/{org}", routes=[Route("/{name}", user)]),
        ]
    )
    client = test_client_factory(router, follow_redirects=False)
    assert client.get("/users/").text == "users"
    body = client.get("/users/tom").json()
    assert body == {"params": {"name": "tom"}, "path": "/users/tom", "root_path": "/users"}
    body = client.get("/org/acme/tom").json()
    assert body["params"] == {"org": "acme", "name": "tom"}
    assert body["root_path"] == "/org/acme"
    response = client.get("/users")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users/"
    assert client.get("/users/a/b").status_code == 404


def test_mount_app_sees_root_path(test_client_factory: TestClientFactory) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(
            path=scope["path"],
            root_path=scope["root_path"],
            app_root_path=scope["app_root_path"],
            route=scope["route"],
        )
        await PlainTextResponse("ok")(scope, receive, send)

    mount = Mount("/static", app=app)
    router = Router([mount])
    client = test_client_factory(router, root_path="/prefix")
    assert client.get("/prefix/static/css/a.css").text == "ok"
    assert seen["path"] == "/prefix/static/css/a.css"
    assert seen["root_path"] == "/prefix/static"
    assert seen["app_root_path"] == "/prefix"
    assert seen["route"] is mount


def test_nested_mounts(test_client_factory: TestClientFactory) -> None:
    router = Router([Mount("/a", routes=[Mount("/b", routes=[Route("/{name}", user)])])])
    body = test_client_factory(router).get("/a/b/c").json()
    assert body == {"params": {"name": "c"}, "path": "/a/b/c", "root_path": "/a/b"}


def test_mount_at_root(test_client_factory: TestClientFactory) -> None:
    router = Router([Mount("/", routes=[Route("/x", homepage)])])
    client = test_client_factory(router)
    assert client.get("/x").text == "home"
    assert client.get("/y").status_code == 404


def test_mount_websocket(test_client_factory: TestClientFactory) -> None:
    router = Router([Mount("/rt", routes=[WebSocketRoute("/ws/{room}", ws_echo)])])
    with test_client_factory(router).websocket_connect("/rt/ws/r1") as session:
        session.send_text("x")
        assert session.receive_text() == "x {'room': 'r1'}"


def test_host_routing(test_client_factory: TestClientFactory) -> None:
    api = Router([Route("/users", user)])
    router = Router(
        [
            Host("www.example.org", app=PlainTextResponse("www")),
            Host("{sub}.example.org", app=api, name="api"),
            Host("[::1]", app=PlainTextResponse("ipv6")),
            Route("/", homepage),
        ]
    )
    client = test_client_factory(router, base_url="http://api.example.org")
    assert client.get("/users").json()["params"] == {"sub": "api"}
    # Host parameters come lower-cased, as upstream 1.x gives them.
    assert client.get("/users", headers={"host": "API.Example.ORG:8000"}).json()["params"] == {
        "sub": "api"
    }
    assert client.get("/", headers={"host": "[::1]:8000"}).text == "ipv6"
    assert client.get("/", headers={"host": "[::1]"}).text == "ipv6"
    assert client.get("/", headers={"host": "[::2]:8000"}).text == "home"
    assert client.get("/", headers={"host": "WWW.EXAMPLE.ORG"}).text == "www"
    assert client.get("/", headers={"host": "example.org"}).text == "home"
    assert client.get("/", headers={"host": "[::1"}).text == "home"
    assert client.get("/", headers={"host": "bad host/"}).text == "home"


@pytest.mark.parametrize(
    "host", [" api.example.org", "api.example.org ", "\tapi.example.org:8000", " API.example.org"]
)
def test_a_host_with_surrounding_whitespace_matches_no_host_route(
    test_client_factory: TestClientFactory, host: str
) -> None:
    # Host routes read the Host header as request.url and TrustedHostMiddleware do: whitespace
    # around the value makes it malformed for all three, not a host once stripped.
    async def url(request: Request) -> Response:
        return PlainTextResponse(str(request.url))

    router = Router(
        [
            Host("api.example.org", app=PlainTextResponse("literal")),
            Host("{sub}.example.org", app=PlainTextResponse("param")),
            Route("/", url),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/", headers={"host": host}).text == "http://testserver/"
    assert client.get("/", headers={"host": host.strip()}).text == "literal"
    trusted = test_client_factory(TrustedHostMiddleware(router, allowed_hosts=["api.example.org"]))
    refused = trusted.get("/", headers={"host": host})
    assert (refused.status_code, refused.text) == (400, "Invalid host header")
    assert trusted.get("/", headers={"host": host.strip()}).text == "literal"


@pytest.mark.anyio
async def test_host_without_host_header() -> None:
    host = Host("example.org", app=PlainTextResponse("x"))
    assert host.matches({"type": "http", "headers": []}) == (Match.NONE, {})
    assert host.matches({"type": "lifespan"}) == (Match.NONE, {})


def test_host_websocket(test_client_factory: TestClientFactory) -> None:
    router = Router([Host("chat.example.org", app=Router([WebSocketRoute("/ws/{room}", ws_echo)]))])
    client = test_client_factory(router)
    with client.websocket_connect("ws://chat.example.org/ws/a") as session:
        session.send_text("y")
        assert session.receive_text() == "y {'room': 'a'}"


def test_route_middleware(test_client_factory: TestClientFactory) -> None:
    class AddHeader:
        def __init__(self, app: ASGIApp, value: str) -> None:
            self.app = app
            self.value = value

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-mw", self.value.encode())]
                await send(message)

            await self.app(scope, receive, send_wrapper)

    class WSApp:
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            websocket = WebSocket(scope, receive, send)
            await websocket.accept()
            await websocket.send_text(scope.get("marker", "none"))
            await websocket.close()

    class Marker:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            scope["marker"] = "marked"
            await self.app(scope, receive, send)

    router = Router(
        [
            Route("/r", homepage, middleware=[Middleware(AddHeader, "route")]),
            Mount(
                "/m",
                routes=[Route("/x", homepage)],
                middleware=[Middleware(AddHeader, value="mount")],
            ),
            Route("/plain", homepage),
            WebSocketRoute("/ws", WSApp(), middleware=[Middleware(Marker)]),
        ],
        middleware=[Middleware(AddHeader, "router")],
    )
    client = test_client_factory(router)
    assert client.get("/r").headers.get_list("x-mw") == ["route", "router"]
    assert client.get("/m/x").headers.get_list("x-mw") == ["mount", "router"]
    assert client.get("/plain").headers.get_list("x-mw") == ["router"]
    assert client.get("/nothing").headers.get_list("x-mw") == ["router"]
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "marked"


async def read_body(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(str(len(body)))


def test_route_max_body_size(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/upload", read_body, methods=["POST"], max_body_size=10)])
    client = test_client_factory(router)
    assert client.post("/upload", content=b"x" * 10).text == "10"
    response = client.post("/upload", content=b"x" * 11)
    assert response.status_code == 413
    response = client.post("/upload", content=iter([b"x" * 6, b"x" * 6]))
    assert response.status_code == 413


def test_inner_limit_wins_over_router_limit(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/big", read_body, methods=["POST"], max_body_size=100),
            Route("/default", read_body, methods=["POST"]),
            Mount("/m", routes=[Route("/x", read_body, methods=["POST"])], max_body_size=50),
        ],
        max_body_size=10,
    )
    client = test_client_factory(router)
    assert client.post("/big", content=b"x" * 50).text == "50"
    assert client.post("/big", content=b"x" * 101).status_code == 413
    assert client.post("/default", content=b"x" * 11).status_code == 413
    assert client.post("/default", content=b"x" * 10).text == "10"
    assert client.post("/m/x", content=b"x" * 40).text == "40"
    assert client.post("/m/x", content=b"x" * 51).status_code == 413


def test_integer_param_too_long_is_not_found(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/n/{n:int}", user), Mount("/m/{n:int}", app=PlainTextResponse("m"))])
    router.routes.append(Host("{n:int}.example.org", app=PlainTextResponse("h")))
    client = test_client_factory(router)
    huge = "9" * 5000
    assert client.get(f"/n/{huge}").status_code == 404
    assert client.get(f"/m/{huge}/x").status_code == 404
    assert client.get("/", headers={"host": f"{huge}.example.org"}).status_code == 404
    assert client.get("/n/5").json()["params"] == {"n": "5"}


def test_websocket_route_int_param_too_long(test_client_factory: TestClientFactory) -> None:
    router = Router([WebSocketRoute("/ws/{n:int}", ws_echo)])
    client = test_client_factory(router)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/" + "1" * 5000):
        pass  # pragma: no cover


def test_routes_list_is_plain_and_appendable(test_client_factory: TestClientFactory) -> None:
    router = Router()
    assert router.routes == []
    router.routes.append(Route("/late", homepage))
    assert test_client_factory(router).get("/late").text == "home"


def test_route_as_standalone_app(test_client_factory: TestClientFactory) -> None:
    route = Route("/r/{x}", user)
    client = test_client_factory(route)
    assert client.get("/r/1").json()["params"] == {"x": "1"}
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.text == "Not Found"
    response = client.post("/r/1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_websocket_route_as_standalone_app(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(WebSocketRoute("/ws/{room}", ws_echo))
    with client.websocket_connect("/ws/x") as session:
        session.send_text("a")
        assert session.receive_text() == "a {'room': 'x'}"
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/other"):
        pass  # pragma: no cover


@pytest.mark.anyio
@pytest.mark.parametrize("tracked", [False, True], ids=["server-send", "tracked-send"])
async def test_websocket_session_answers_exceptions_with_the_scope_handlers(tracked: bool) -> None:
    class Refused(Exception):
        pass

    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        raise Refused()

    async def handler(websocket: WebSocket, exc: Exception) -> None:
        await websocket.close(code=1008)

    incoming: list[Message] = [{"type": "websocket.connect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [],
        "query_string": b"",
        "starlette.exception_handlers": ({Refused: handler}, {}),
    }
    # Behind ExceptionMiddleware the server's send arrives wrapped in the exception layers' tracker.
    tracker = ResponseTracker(send)
    await websocket_session(endpoint)(scope, receive, tracker if tracked else send)
    assert [message["type"] for message in sent] == [
        "websocket.accept",
        "websocket.send",
        "websocket.close",
    ]
    assert sent[-1]["code"] == 1008
    assert not tracker.started


@pytest.mark.anyio
async def test_standalone_route_ignores_lifespan() -> None:
    route = Route("/", homepage)
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover

    await route({"type": "lifespan"}, receive, send)
    assert sent == []


@pytest.mark.anyio
async def test_base_route_is_abstract() -> None:
    route = BaseRoute()
    with pytest.raises(NotImplementedError):
        route.matches({})
    with pytest.raises(NotImplementedError):
        route.url_path_for("x")
    with pytest.raises(NotImplementedError):
        await route.handle({}, None, None)  # type: ignore[arg-type]


def test_custom_base_route_gets_scope_route(test_client_factory: TestClientFactory) -> None:
    class Always(BaseRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return Match.FULL, {}

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse(str(scope["route"] is self))(scope, receive, send)

    assert test_client_factory(Router([Always()])).get("/anything").text == "True"


@pytest.mark.anyio
async def test_router_rejects_unknown_scope_type() -> None:
    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(AssertionError):
        await Router()({"type": "unknown"}, receive, send)


def test_add_route_helpers(test_client_factory: TestClientFactory) -> None:
    router = Router()
    router.add_route("/a", homepage, methods=["GET"], name="a", include_in_schema=False)
    router.add_websocket_route("/ws/{room}", ws_echo, name="ws")
    router.mount("/m", app=PlainTextResponse("mounted"), name="m")
    router.host("h.example.org", app=PlainTextResponse("hosted"), name="h")
    client = test_client_factory(router)
    assert client.get("/a").text == "home"
    assert client.get("/m/x").text == "mounted"
    assert client.get("/", headers={"host": "h.example.org"}).text == "hosted"
    assert router.url_path_for("a") == "/a"
    assert router.url_path_for("ws", room="r") == "/ws/r"
    assert isinstance(router.routes[0], Route)
    assert router.routes[0].include_in_schema is False


def test_deprecated_route_decorators(test_client_factory: TestClientFactory) -> None:
    router = Router()
    with pytest.warns(DeprecationWarning, match="The `route` decorator is deprecated"):

        @router.route("/dec", methods=["POST"], name="dec")
        async def dec(request: Request) -> Response:
            return PlainTextResponse("dec")

    with pytest.warns(DeprecationWarning, match="The `websocket_route` decorator is deprecated"):

        @router.websocket_route("/wsdec/{room}", name="wsdec")
        async def wsdec(websocket: WebSocket) -> None:
            await ws_echo(websocket)

    client = test_client_factory(router)
    assert client.post("/dec").text == "dec"
    assert router.url_path_for("dec") == "/dec"
    with client.websocket_connect("/wsdec/z") as session:
        session.send_text("q")
        assert session.receive_text() == "q {'room': 'z'}"
