"""A tour of the 0.47 API, one short program per area (imports, apps, lifespan and state,
routing, requests and responses, WebSockets, middleware, authentication, static files, testing,
data structures, exceptions, background tasks, configuration, typing, ASGI), each run as such
code is written.

Each program runs alone: `@requires("authenticated")` gets an authentication backend installed,
`Config(".env")` a `.env` file, and the static directory is created under tmp_path. Every test
runs on asyncio and trio.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

from starlette import status
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
    requires,
)
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.config import Config
from starlette.datastructures import URL, FormData, Headers, QueryParams
from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, Router, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

TestClientFactory = Callable[..., Any]


def test_core_imports() -> None:
    # The core imports: every public name such code imports resolves.
    names: list[Any] = [
        Mount,
        Route,
        Router,
        WebSocketRoute,
        Request,
        Response,
        JSONResponse,
        HTMLResponse,
    ]
    names += [PlainTextResponse, RedirectResponse, StreamingResponse, FileResponse, WebSocket]
    names += [Middleware, CORSMiddleware, GZipMiddleware, SessionMiddleware, BackgroundTask]
    names += [BackgroundTasks, requires, AuthenticationBackend, BaseUser, SimpleUser]
    names += [UnauthenticatedUser, URL, Headers, QueryParams, FormData, Config, TestClient]
    names += [HTTPException, WebSocketException, StaticFiles, Jinja2Templates]
    assert all(callable(name) for name in names)
    assert status.HTTP_404_NOT_FOUND == 404


def test_simple_asgi_application(test_client_factory: TestClientFactory) -> None:
    async def homepage(request):
        return JSONResponse({"hello": "world"})

    app = Starlette(
        debug=True,
        routes=[
            Route("/", homepage),
        ],
    )
    response = test_client_factory(app).get("/")
    assert response.status_code == 200
    assert response.json() == {"hello": "world"}
    assert response.headers["content-type"] == "application/json"


def complete_application() -> tuple[Starlette, list[str]]:
    """The "Complete Application Example", with print() swapped for a log the test can read."""
    log: list[str] = []

    # HTTP endpoints
    async def homepage(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello, world!")

    async def user_profile(request: Request) -> JSONResponse:
        user_id = request.path_params["user_id"]
        return JSONResponse({"user_id": user_id, "name": f"User {user_id}"})

    # WebSocket endpoint
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("Hello WebSocket!")
        await websocket.close()

    # Application startup/shutdown
    async def startup():
        log.append("Application starting up...")

    async def shutdown():
        log.append("Application shutting down...")

    # Application configuration
    middleware = [
        Middleware(CORSMiddleware, allow_origins=["*"]),
        Middleware(SessionMiddleware, secret_key="secret-key"),
    ]

    routes = [
        Route("/", homepage),
        Route("/users/{user_id:int}", user_profile),
        WebSocketRoute("/ws", websocket_endpoint),
    ]

    with pytest.warns(DeprecationWarning, match="on_startup and on_shutdown"):
        app = Starlette(
            debug=True,
            routes=routes,
            middleware=middleware,
            on_startup=[startup],
            on_shutdown=[shutdown],
        )
    return app, log


def test_complete_application_example(test_client_factory: TestClientFactory) -> None:
    app, log = complete_application()
    with test_client_factory(app) as client:
        assert log == ["Application starting up..."]
        response = client.get("/", headers={"Origin": "https://elsewhere.org"})
        assert response.text == "Hello, world!"
        assert response.headers["access-control-allow-origin"] == "*"
        assert client.get("/users/42").json() == {"user_id": 42, "name": "User 42"}
        assert client.get("/users/abc").status_code == 404
        with client.websocket_connect("/ws") as session:
            assert session.receive_text() == "Hello WebSocket!"
    assert log == ["Application starting up...", "Application shutting down..."]


def test_application_with_lifespan_and_state(test_client_factory: TestClientFactory) -> None:
    class Database:
        connected = False

    @asynccontextmanager
    async def lifespan_context(app: Starlette) -> AsyncIterator[None]:
        app.state.database.connected = True
        yield
        app.state.database.connected = False

    async def check(request: Request) -> Response:
        return JSONResponse({"connected": request.app.state.database.connected})

    app = Starlette(routes=[Route("/", check)], lifespan=lifespan_context)
    # Application state for sharing data
    app.state.database = Database()
    with test_client_factory(app) as client:
        assert client.get("/").json() == {"connected": True}
    assert app.state.database.connected is False


@pytest.fixture
def static_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.js").write_text("console.log('hi');")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_routing_system(static_site: Path, test_client_factory: TestClientFactory) -> None:
    async def homepage(request):
        return PlainTextResponse("home")

    async def user_detail(request):
        return PlainTextResponse(f"{request.method} user {request.path_params['user_id'] + 1}")

    async def websocket_endpoint(websocket):
        await websocket.accept()
        await websocket.close()

    routes = [
        Route("/", homepage),
        Route("/users/{user_id:int}", user_detail, methods=["GET", "POST"]),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory="static"), name="static"),
    ]
    app = Starlette(routes=routes)
    client = test_client_factory(app)
    assert client.get("/").text == "home"
    assert client.get("/users/1").text == "GET user 2"
    assert client.post("/users/1").text == "POST user 2"
    assert client.get("/static/app.js").text == "console.log('hi');"
    assert app.url_path_for("static", path="/app.js") == "/static/app.js"
    with client.websocket_connect("/ws"):
        pass


def test_request_and_response_handling(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        # Access request data
        method = request.method
        headers = request.headers
        body = await request.json()

        # Return various response types
        return JSONResponse(
            {"message": "success", "method": method, "agent": headers["user-agent"], "body": body}
        )

    app = Starlette(routes=[Route("/", endpoint, methods=["POST"])])
    response = test_client_factory(app).post("/", json={"a": [1, 2]})
    assert response.json() == {
        "message": "success",
        "method": "POST",
        "agent": "testclient",
        "body": {"a": [1, 2]},
    }


def test_websocket_support(test_client_factory: TestClientFactory) -> None:
    async def websocket_endpoint(websocket: WebSocket):
        await websocket.accept()
        data = await websocket.receive_json()
        await websocket.send_json({"response": data})
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/ws", websocket_endpoint)])
    with test_client_factory(app).websocket_connect("/ws") as session:
        session.send_json({"ping": 1})
        assert session.receive_json() == {"response": {"ping": 1}}


def test_middleware_system(test_client_factory: TestClientFactory) -> None:
    async def big(request):
        return PlainTextResponse("z" * 2000)

    async def small(request):
        return PlainTextResponse("z" * 10)

    middleware = [
        Middleware(CORSMiddleware, allow_origins=["*"]),
        Middleware(GZipMiddleware, minimum_size=1000),
    ]
    app = Starlette(routes=[Route("/big", big), Route("/small", small)], middleware=middleware)
    client = test_client_factory(app)
    response = client.get("/big", headers={"Accept-Encoding": "gzip", "Origin": "https://a.org"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.text == "z" * 2000
    response = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.text == "z" * 10


class BasicAuthBackend(AuthenticationBackend):
    """`@requires` needs some backend to have been installed: this one reads Basic auth."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if "Authorization" not in conn.headers:
            return None
        scheme, _, credentials = conn.headers["Authorization"].partition(" ")
        if scheme.lower() != "basic":
            return None
        username, _, _ = base64.b64decode(credentials).decode().partition(":")
        return AuthCredentials(["authenticated"]), SimpleUser(username)


def test_authentication_framework(test_client_factory: TestClientFactory) -> None:
    @requires("authenticated")
    async def protected_endpoint(request: Request):
        user = request.user
        return JSONResponse({"user": user.display_name})

    app = Starlette(
        routes=[Route("/protected", protected_endpoint)],
        middleware=[Middleware(AuthenticationMiddleware, backend=BasicAuthBackend())],
    )
    client = test_client_factory(app)
    assert client.get("/protected").status_code == 403
    token = base64.b64encode(b"alice:secret").decode()
    response = client.get("/protected", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json() == {"user": "alice"}


def test_static_file_serving(static_site: Path, test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    app.mount("/static", StaticFiles(directory="static"), name="static")
    client = test_client_factory(app)
    response = client.get("/static/app.js")
    assert response.status_code == 200
    assert response.text == "console.log('hi');"
    assert client.get("/static/../secret").status_code == 404
    assert client.post("/static/app.js").status_code == 405


def test_testing_utilities(anyio_backend_name: Literal["asyncio", "trio"]) -> None:
    async def homepage(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", homepage)])
    client = TestClient(app, backend=anyio_backend_name)
    response = client.get("/")
    assert response.status_code == 200


def test_data_structures() -> None:
    url = URL("https://example.com/path?param=value")
    headers = Headers({"content-type": "application/json"})
    params = QueryParams("name=john&age=30")
    assert (url.scheme, url.hostname, url.path, url.query) == (
        "https",
        "example.com",
        "/path",
        "param=value",
    )
    assert headers["Content-Type"] == "application/json"
    assert dict(params) == {"name": "john", "age": "30"}


def test_exception_handling_and_status_codes(test_client_factory: TestClientFactory) -> None:
    async def missing(request):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Resource not found")

    app = Starlette(routes=[Route("/resource", missing)])
    response = test_client_factory(app).get("/resource")
    assert response.status_code == 404
    assert response.text == "Resource not found"


def test_background_tasks(test_client_factory: TestClientFactory) -> None:
    sent: list[tuple[str, str]] = []

    def send_email(email: str, message: str):
        # Send email implementation
        sent.append((email, message))

    async def endpoint(request: Request):
        task = BackgroundTask(send_email, "user@example.com", "Welcome!")
        return JSONResponse({"message": "User created"}, background=task)

    app = Starlette(routes=[Route("/", endpoint, methods=["POST"])])
    response = test_client_factory(app).post("/")
    assert response.json() == {"message": "User created"}
    assert sent == [("user@example.com", "Welcome!")]


def test_configuration_management(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DEBUG=true\nDATABASE_URL=postgresql://localhost/app\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DEBUG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    config = Config(".env")
    DEBUG = config("DEBUG", cast=bool, default=False)
    DATABASE_URL = config("DATABASE_URL")
    assert DEBUG is True
    assert DATABASE_URL == "postgresql://localhost/app"


def test_type_safety(test_client_factory: TestClientFactory) -> None:
    async def typed_endpoint(request: Request) -> Response:
        data: dict[str, Any] = await request.json()
        return JSONResponse(data)

    app = Starlette(routes=[Route("/", typed_endpoint, methods=["POST"])])
    assert test_client_factory(app).post("/", json={"typed": True}).json() == {"typed": True}


def test_asgi_foundation(test_client_factory: TestClientFactory) -> None:
    # "ASGI application type signature": any such callable is an app, and Starlette is one.
    async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
        message: Message = {"type": "http.response.start", "status": 200, "headers": []}
        await send(message)
        await send({"type": "http.response.body", "body": b"raw ASGI"})

    as_app: ASGIApp = raw_app
    outer = Starlette(routes=[Mount("/raw", app=as_app)])
    as_starlette: ASGIApp = outer
    assert test_client_factory(as_starlette).get("/raw/").text == "raw ASGI"
