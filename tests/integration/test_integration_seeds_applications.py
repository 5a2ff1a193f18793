"""A Starlette 0.47-style application, assembled on the instance, and every `Starlette` method
such code calls.

The app is built with the pre-1.0 API (`app.debug = True`, `app.mount(...)`, then routes, event
and exception handlers added on the instance): those calls run here as 0.47 code writes them, the
deprecated ones inside `pytest.warns`. Every test runs on asyncio and trio.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles

TestClientFactory = Callable[..., Any]


# Endpoints as 0.47-era code writes them (untyped, `%` formatting).
def homepage(request):
    return PlainTextResponse("Hello, world!")


def user_me(request):
    username = "John Doe"
    return PlainTextResponse("Hello, %s!" % username)  # noqa: UP031 - as such code writes it


def user(request):
    username = request.path_params["username"]
    return PlainTextResponse("Hello, %s!" % username)  # noqa: UP031 - as such code writes it


async def websocket_endpoint(websocket):
    await websocket.accept()
    await websocket.send_text("Hello, websocket!")
    await websocket.close()


def startup():
    print("Ready to go")


@pytest.fixture
def static_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`directory="static"` is relative: run from a folder that has one."""
    static = tmp_path / "static"
    static.mkdir()
    (static / "style.css").write_text("body { color: black; }")
    monkeypatch.chdir(tmp_path)
    return static


def build_app() -> Starlette:
    """The application, with its routes and startup handler added on the instance."""
    app = Starlette()
    app.debug = True
    app.mount("/static", StaticFiles(directory="static"))

    app.add_route("/", homepage)
    app.add_route("/user/me", user_me)
    app.add_route("/user/{username}", user)
    # Neither method warned in 0.47, and neither warns here.
    app.add_websocket_route("/ws", websocket_endpoint)
    app.add_event_handler("startup", startup)
    return app


def test_instantiating_the_application() -> None:
    app = Starlette(debug=False)
    assert app.debug is False
    assert app.routes == []


def test_example_http_routes(
    static_dir: Path, test_client_factory: TestClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = build_app()
    with test_client_factory(app) as client:
        assert capsys.readouterr().out == "Ready to go\n"
        response = client.get("/")
        assert response.status_code == 200
        assert response.text == "Hello, world!"
        assert client.get("/user/me").text == "Hello, John Doe!"
        assert client.get("/user/tomchristie").text == "Hello, tomchristie!"
        static = client.get("/static/style.css")
        assert static.status_code == 200
        assert static.text == "body { color: black; }"
        assert static.headers["content-type"].startswith("text/css")
        assert client.get("/static/missing.css").status_code == 404
        assert client.get("/nowhere").status_code == 404


def test_example_websocket(static_dir: Path, test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(build_app())
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, websocket!"


def test_example_debug_tracebacks(static_dir: Path, test_client_factory: TestClientFactory) -> None:
    app = build_app()

    def broken(request):
        raise ValueError("broken page")

    app.add_route("/broken", broken)
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/broken", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert "ValueError: broken page" in response.text
    app.debug = False
    response = client.get("/broken")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_adding_routes_decorator_style(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    with pytest.warns(DeprecationWarning, match="route"):

        @app.route("/", methods=["GET"])
        def home(request):
            return PlainTextResponse("decorated")

    with pytest.warns(DeprecationWarning, match="websocket_route"):

        @app.websocket_route("/ws")
        async def ws(session):
            await session.accept()
            await session.send_text("decorated websocket")
            await session.close()

    client = test_client_factory(app)
    assert client.get("/").text == "decorated"
    with client.websocket_connect("/ws") as session:
        assert session.receive_text() == "decorated websocket"


def test_add_route_with_methods(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    app.add_route("/", homepage, methods=["GET"])
    client = test_client_factory(app)
    assert client.get("/").text == "Hello, world!"
    assert client.post("/").status_code == 405


def test_event_handlers_both_ways(
    test_client_factory: TestClientFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Starlette()
    with pytest.warns(DeprecationWarning, match="on_event"):

        @app.on_event("startup")
        async def open_connections():
            print("startup by decorator")

    def close_connections():
        print("shutdown by function call")

    app.add_event_handler("shutdown", close_connections)  # 0.47: no warning

    with test_client_factory(app):
        assert capsys.readouterr().out == "startup by decorator\n"
    assert capsys.readouterr().out == "shutdown by function call\n"


def test_submounting_an_asgi_app(test_client_factory: TestClientFactory) -> None:
    async def sub_app(scope, receive, send):
        response = PlainTextResponse(f"sub app at {scope['path']}")
        await response(scope, receive, send)

    app = Starlette()
    app.mount("/sub", sub_app)
    assert test_client_factory(app).get("/sub/page").text == "sub app at /sub/page"


def test_customizing_exception_handling(test_client_factory: TestClientFactory) -> None:
    class PaymentRequired(Exception):
        pass

    async def not_found(request, exc):
        return PlainTextResponse("Custom not found", status_code=404)

    def payment_required(request, exc):
        return PlainTextResponse("Pay first", status_code=402)

    def shop(request):
        raise PaymentRequired()

    app = Starlette()
    app.add_route("/shop", shop)
    app.add_exception_handler(404, not_found)
    with pytest.warns(DeprecationWarning, match="exception_handler"):
        app.exception_handler(PaymentRequired)(payment_required)

    client = test_client_factory(app)
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Custom not found"
    response = client.get("/shop")
    assert response.status_code == 402
    assert response.text == "Pay first"


def test_storing_state_and_accessing_the_app(test_client_factory: TestClientFactory) -> None:
    app = Starlette()
    app.state.ADMIN_EMAIL = ""

    def admin(request):
        assert request.app is app
        return PlainTextResponse(f"admin email: {request.app.state.ADMIN_EMAIL!r}")

    app.add_route("/admin", admin)
    assert app.state.ADMIN_EMAIL == ""
    assert test_client_factory(app).get("/admin").text == "admin email: ''"
