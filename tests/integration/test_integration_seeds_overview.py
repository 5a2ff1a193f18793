"""Everyday Starlette code, example by example: an app with static files and a WebSocket, a
favicon, submounts, the application, request and response APIs, routing and reverse lookups,
middleware (trusted hosts, HTTPS redirects, per-route, CORS, sessions).

Each example is a small program written as users write it; endpoints come both as `async def`
and as plain `def` where either is usual. `static/` and `favicon.ico` live under tmp_path.
Every test runs on asyncio and trio.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pytest

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]

FAVICON = b"\x00\x00\x01\x00fake icon bytes"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory the examples assume: `static/` and `favicon.ico` beside the app."""
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "base.css").write_text("h1 { font-weight: bold; }")
    (tmp_path / "favicon.ico").write_bytes(FAVICON)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# The "Example" section, with `[async]` taken as `async`...
async def homepage(request):
    return PlainTextResponse("Hello, world!")


async def profile(request):
    username = request.path_params["username"]
    return JSONResponse({"username": username})


# ...and without it.
def sync_homepage(request):
    return PlainTextResponse("Hello, world!")


def sync_profile(request):
    username = request.path_params["username"]
    return JSONResponse({"username": username})


async def favicon(request):
    return FileResponse("favicon.ico")  # or Path instance


async def websocket_endpoint(websocket):
    await websocket.accept()
    await websocket.send_text("Hello, websocket!")
    await websocket.close()


def example_app(home: Callable[..., Any], user_profile: Callable[..., Any]) -> Starlette:
    routes = [
        Route("/", home),
        Route("/user/{username}", user_profile),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory="static")),
    ]
    app = Starlette(debug=True, routes=routes)
    return app


@pytest.mark.parametrize(
    ("home", "user_profile"),
    [(homepage, profile), (sync_homepage, sync_profile)],
    ids=["async", "sync"],
)
def test_example(
    site: Path,
    test_client_factory: TestClientFactory,
    home: Callable[..., Any],
    user_profile: Callable[..., Any],
) -> None:
    client = test_client_factory(example_app(home, user_profile))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello, world!"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/user/marie").json() == {"username": "marie"}
    css = client.get("/static/css/base.css")
    assert css.status_code == 200
    assert css.text == "h1 { font-weight: bold; }"
    # The example defines `favicon` but routes nothing to it.
    assert client.get("/favicon.ico").status_code == 404
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, websocket!"
        with pytest.raises(WebSocketDisconnect):
            session.receive_text()


def test_favicon_endpoint(site: Path, test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/favicon.ico", favicon)])
    response = test_client_factory(app).get("/favicon.ico")
    assert response.status_code == 200
    assert response.content == FAVICON
    assert response.headers["content-length"] == str(len(FAVICON))
    assert response.headers["content-type"] in {"image/vnd.microsoft.icon", "image/x-icon"}


def test_favicon_with_path_instance(site: Path, test_client_factory: TestClientFactory) -> None:
    async def favicon_path(request):
        return FileResponse(Path("favicon.ico"))

    app = Starlette(routes=[Route("/favicon.ico", favicon_path)])
    assert test_client_factory(app).get("/favicon.ico").content == FAVICON


def test_submounting(test_client_factory: TestClientFactory) -> None:
    # The endpoints the submounted routes name.
    async def users(request):
        return PlainTextResponse(f"users via {request.method}")

    async def user(request):
        return PlainTextResponse(f"user {request.path_params['username']}")

    routes = [
        Route("/", homepage),
        Mount(
            "/users",
            routes=[
                Route("/", users, methods=["GET", "POST"]),
                Route("/{username}", user),
            ],
        ),
    ]
    client = test_client_factory(Starlette(routes=routes))
    assert client.get("/").text == "Hello, world!"
    assert client.get("/users/").text == "users via GET"
    assert client.post("/users/").text == "users via POST"
    assert client.delete("/users/").status_code == 405
    assert client.get("/users/tom").text == "user tom"
    # `/users` redirects to `/users/` (redirect_slashes).
    response = client.get("/users", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/users/"


def test_applications_reference(test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        debug=False,  # whether debug tracebacks should be returned on errors
        routes=None,  # list of Route and WebsocketRoute instances
        middleware=None,  # list
        exception_handlers=None,  # { [ integer status code | exception class type ]: callable }
        on_startup=None,  # list of callables (no arguments) (sync or async)
        on_shutdown=None,  # list of callables (no arguments) (sync or async)
        lifespan=None,  # lifespan context function
    )
    app.state.ADMIN_EMAIL = "admin@example.org"
    assert app.state.ADMIN_EMAIL == "admin@example.org"
    assert test_client_factory(app).get("/").status_code == 404


def test_exception_handlers_by_status_and_class(test_client_factory: TestClientFactory) -> None:
    def not_found(request, exc):  # sync
        return HTMLResponse("<h1>Not here</h1>", status_code=404)

    async def value_error(request, exc):  # async
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def bad(request):
        raise ValueError("bad value")

    app = Starlette(
        routes=[Route("/bad", bad)],
        exception_handlers={404: not_found, ValueError: value_error},
    )
    client = test_client_factory(app)
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.text == "<h1>Not here</h1>"
    response = client.get("/bad")
    assert response.status_code == 400
    assert response.json() == {"error": "bad value"}


def test_route_endpoints_functions_and_classes(test_client_factory: TestClientFactory) -> None:
    from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint

    class Items(HTTPEndpoint):  # a class, not an instance
        async def get(self, request):
            return PlainTextResponse("listing")

        async def post(self, request):
            return PlainTextResponse("created", status_code=201)

    class Echo(WebSocketEndpoint):
        encoding = "text"

        async def on_receive(self, websocket, data):
            await websocket.send_text(f"echo {data}")

    app = Starlette(
        routes=[
            Route("/items", endpoint=Items, name="items"),
            Route("/both", endpoint=homepage, methods=["GET", "POST"], name="both"),
            WebSocketRoute("/echo", Echo),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/items").text == "listing"
    assert client.post("/items").status_code == 201
    assert client.post("/both").text == "Hello, world!"
    with client.websocket_connect("/echo") as session:
        session.send_text("hi")
        assert session.receive_text() == "echo hi"


def test_paths_and_convertors(test_client_factory: TestClientFactory) -> None:
    async def show(request):
        return JSONResponse({k: str(v) for k, v in request.path_params.items()})

    app = Starlette(
        routes=[
            Route("/foo/{bar}", show),
            Route("/{foo_id:int}", show),
            Route("/price/{amount:float}", show),
            Route("/id/{uid:uuid}", show),
            Route("/files/{rest:path}", show),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/foo/baz").json() == {"bar": "baz"}
    assert client.get("/foo/baz/qux").status_code == 404  # stops at the next "/"
    assert client.get("/42").json() == {"foo_id": "42"}
    assert client.get("/price/9.5").json() == {"amount": "9.5"}
    uid = "0b5b9c3e-3b5e-4b0a-9f6e-2c1d1f0e7a11"
    assert client.get(f"/id/{uid}").json() == {"uid": uid}
    assert client.get("/files/a/b/c.txt").json() == {"rest": "a/b/c.txt"}


def test_request_reference(test_client_factory: TestClientFactory) -> None:
    async def inspect_request(request: Request) -> Response:
        request.state.seen = True
        body = await request.body()
        data = await request.json()
        return JSONResponse(
            {
                "app": request.app is app,
                "client": list(request.client) if request.client else None,
                "cookies": request.cookies,
                "header": request.headers["x-custom"],
                "method": request.method,
                "path_params": request.path_params,
                "query": request.query_params.getlist("q"),
                "state": request.state.seen,
                "path": request.url.path,
                "port": request.url.port,
                "scheme": request.url.scheme,
                "body": body.decode(),
                "json": data,
                "disconnected": await request.is_disconnected(),
            }
        )

    async def form(request: Request) -> Response:
        async with request.form() as form:
            return JSONResponse(dict(form))

    async def stream(request: Request) -> Response:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        return PlainTextResponse(str(size))

    app = Starlette(
        routes=[
            Route("/inspect/{item}", inspect_request, methods=["POST"]),
            Route("/form", form, methods=["POST"]),
            Route("/stream", stream, methods=["POST"]),
        ]
    )
    client = test_client_factory(app)
    client.cookies.set("flavour", "chocolate")
    response = client.post(
        "http://testserver:8000/inspect/7?q=a&q=b",
        json={"x": 1},
        headers={"X-Custom": "yes"},
    )
    assert response.json() == {
        "app": True,
        "client": ["testclient", 50000],
        "cookies": {"flavour": "chocolate"},
        "header": "yes",
        "method": "POST",
        "path_params": {"item": "7"},
        "query": ["a", "b"],
        "state": True,
        "path": "/inspect/7",
        "port": 8000,
        "scheme": "http",
        "body": '{"x":1}',
        "json": {"x": 1},
        "disconnected": False,
    }
    assert client.post("/form", data={"name": "starlette"}).json() == {"name": "starlette"}
    assert client.post("/stream", content=b"x" * 1000).text == "1000"


def test_response_reference(test_client_factory: TestClientFactory) -> None:
    async def plain(request):
        return Response("raw", status_code=202, headers={"X-A": "1"}, media_type="text/plain")

    async def cookies(request):
        response = PlainTextResponse("cookies")
        response.set_cookie("session_id", "abc", httponly=True)
        response.delete_cookie("old")
        return response

    async def html(request):
        return HTMLResponse("<p>hi</p>")

    async def json(request):
        return JSONResponse({"any": ["json", 1, None]})

    async def redirect(request):
        return RedirectResponse("/html")

    app = Starlette(
        routes=[
            Route("/plain", plain),
            Route("/cookies", cookies),
            Route("/html", html),
            Route("/json", json),
            Route("/redirect", redirect),
        ]
    )
    client = test_client_factory(app)
    response = client.get("/plain")
    assert (response.status_code, response.text, response.headers["x-a"]) == (202, "raw", "1")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    set_cookies = client.get("/cookies").headers.get_list("set-cookie")
    assert any(c.startswith("session_id=abc;") and "HttpOnly" in c for c in set_cookies)
    assert any(c.startswith('old="";') and "Max-Age=0" in c for c in set_cookies)
    assert client.get("/html").headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/json").json() == {"any": ["json", 1, None]}
    response = client.get("/redirect", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/html"


def test_reverse_url_lookups(site: Path, test_client_factory: TestClientFactory) -> None:
    async def user_detail(request):
        return PlainTextResponse(str(request.url_for("user_detail", username="foo")))

    async def user_list(request):
        return PlainTextResponse(str(request.url_for("users:user_list")))

    async def links(request):
        url = request.url_for("static", path="/css/base.css")
        return PlainTextResponse(str(url))

    app = Starlette(
        routes=[
            Route("/user/{username}", user_detail, name="user_detail"),
            Mount("/users", routes=[Route("/", user_list, name="user_list")], name="users"),
            Mount("/static", app=StaticFiles(directory="static"), name="static"),
            Route("/links", links),
        ]
    )
    client = test_client_factory(app)
    assert client.get("/user/bar").text == "http://testserver/user/foo"
    assert client.get("/users/").text == "http://testserver/users/"
    url = client.get("/links").text
    assert url == "http://testserver/static/css/base.css"
    assert client.get(url).text == "h1 { font-weight: bold; }"
    assert app.url_path_for("user_detail", username="foo") == "/user/foo"


def test_middleware_trusted_host_and_https_redirect(test_client_factory: TestClientFactory) -> None:
    routes = [Route("/", homepage)]
    # Ensure that all requests include an 'example.com' or '*.example.com' host header,
    # and strictly enforce https-only access.
    middleware = [
        Middleware(
            TrustedHostMiddleware,
            allowed_hosts=["example.com", "*.example.com"],
        ),
        Middleware(HTTPSRedirectMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware)

    response = test_client_factory(app, base_url="https://example.com").get("/")
    assert response.status_code == 200
    assert response.text == "Hello, world!"
    sub = test_client_factory(app, base_url="https://api.example.com").get("/")
    assert sub.text == "Hello, world!"

    response = test_client_factory(app, base_url="http://example.com").get(
        "/?x=1", follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == "https://example.com/?x=1"

    response = test_client_factory(app, base_url="https://evil.org").get("/")
    assert response.status_code == 400
    assert response.text == "Invalid host header"


def test_middleware_on_a_subset_of_routes(test_client_factory: TestClientFactory) -> None:
    async def big(request):
        return PlainTextResponse("x" * 1000)

    routes = [
        Route("/foo", endpoint=big, middleware=[Middleware(GZipMiddleware)]),
        Mount("/bar", routes=[Route("/", big)], middleware=[Middleware(GZipMiddleware)]),
        Route("/plain", endpoint=big),
    ]
    client = test_client_factory(Starlette(routes=routes))
    for path in ("/foo", "/bar/"):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"
        assert response.text == "x" * 1000
    response = client.get("/plain", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.text == "x" * 1000


def test_route_middleware_errors_reach_the_app_handlers(
    test_client_factory: TestClientFactory,
) -> None:
    # Route middleware sits inside the router, so the app's ExceptionMiddleware still sees what
    # it raises; only the route's own (endpoint-level) handling is bypassed.
    class Failing:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            raise LookupError("from route middleware")

    async def handled(request, exc):
        return PlainTextResponse(f"handled {exc}", status_code=404)

    app = Starlette(
        routes=[Route("/", homepage, middleware=[Middleware(Failing)])],
        exception_handlers={LookupError: handled},
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 404
    assert response.text == "handled from route middleware"


def test_cors_middleware(test_client_factory: TestClientFactory) -> None:
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization"],
        )
    ]
    client = test_client_factory(Starlette(routes=[Route("/", homepage)], middleware=middleware))
    response = client.get("/", headers={"Origin": "https://example.org"})
    assert response.text == "Hello, world!"
    assert response.headers["access-control-allow-origin"] == "*"

    preflight = client.options(
        "/",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert preflight.headers["access-control-max-age"] == "600"

    refused = client.options(
        "/",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "DELETE"},
    )
    assert refused.status_code == 400


def test_sessions_and_imports(anyio_backend_name: Literal["asyncio", "trio"]) -> None:
    async def counter(request):
        request.session["count"] = request.session.get("count", 0) + 1
        return JSONResponse({"count": request.session["count"]})

    app = Starlette(
        routes=[Route("/", counter)],
        middleware=[Middleware(SessionMiddleware, secret_key="secret")],
    )
    client = TestClient(app, backend=anyio_backend_name)  # imported directly, not the fixture
    assert client.get("/").json() == {"count": 1}
    assert client.get("/").json() == {"count": 2}
    assert isinstance(client.app, Starlette)
    assert WebSocket.__name__ == "WebSocket"
