"""The 0.47 `Starlette` APIs removed later: each works and warns as 0.47 did (or not at all)."""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

import starlette.applications
import starlette.routing
from starlette.applications import Starlette
from starlette.exceptions import HTTPException, StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

TestClientFactory = Callable[..., Any]


async def homepage(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


def only_one_warning(
    record: pytest.WarningsRecorder, module: Any = starlette.applications
) -> warnings.WarningMessage:
    """One plain DeprecationWarning, named after the Starlette module 0.47's was named after."""
    assert len(record) == 1
    warning = record[0]
    assert warning.category is DeprecationWarning
    assert warning.filename == module.__file__
    return warning


def test_on_startup_and_on_shutdown(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    def startup() -> None:
        events.append("startup")

    async def shutdown() -> None:
        events.append("shutdown")

    with pytest.warns(DeprecationWarning, match="on_startup and on_shutdown parameters") as record:
        app = Starlette(routes=[Route("/", homepage)], on_startup=[startup], on_shutdown=[shutdown])
    only_one_warning(record, starlette.routing)  # 0.47's router warned, not the app

    with test_client_factory(app) as client:
        assert events == ["startup"]
        assert client.get("/").text == "Hello, world!"
    assert events == ["startup", "shutdown"]


def test_empty_event_lists_do_not_warn() -> None:
    app = Starlette(on_startup=[], on_shutdown=[])
    assert app.router.on_startup == []


def test_lifespan_and_event_handlers_are_exclusive() -> None:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield  # pragma: no cover

    with pytest.raises(ValueError, match="Use either 'lifespan' or 'on_startup'/'on_shutdown'"):
        Starlette(lifespan=lifespan, on_startup=[lambda: None])


def test_add_event_handler(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    app = Starlette()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0.47's add_event_handler never warned
        app.add_event_handler("startup", lambda: events.append("startup"))
        app.add_event_handler("shutdown", lambda: events.append("shutdown"))

    with test_client_factory(app):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


def test_on_event_decorator(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    app = Starlette()

    with pytest.warns(DeprecationWarning, match="The `on_event` decorator") as record:

        @app.on_event("startup")
        async def startup() -> None:
            events.append("startup")

    only_one_warning(record, starlette.routing)  # the router's on_event warns, as in 0.47

    with pytest.warns(DeprecationWarning, match="on_event"):

        @app.on_event("shutdown")
        def shutdown() -> None:
            events.append("shutdown")

    assert startup.__name__ == "startup"  # the decorator returns the function itself
    with test_client_factory(app):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


def test_route_decorator(test_client_factory: TestClientFactory) -> None:
    app = Starlette()

    with pytest.warns(DeprecationWarning, match="The `route` decorator") as record:

        @app.route("/items/{item_id:int}", methods=["GET", "POST"], name="item")
        async def item(request: Request) -> Response:
            return PlainTextResponse(f"item {request.path_params['item_id']} via {request.method}")

    only_one_warning(record)
    client = test_client_factory(app)
    assert client.get("/items/3").text == "item 3 via GET"
    assert client.post("/items/4").text == "item 4 via POST"
    assert client.put("/items/4").status_code == 405
    assert app.url_path_for("item", item_id=7) == "/items/7"

    with pytest.warns(DeprecationWarning, match="route"):

        @app.route("/hidden", include_in_schema=False)
        def hidden(request: Request) -> Response:
            return PlainTextResponse("hidden")

    route = app.routes[-1]
    assert isinstance(route, Route)
    assert route.include_in_schema is False
    assert client.get("/hidden").text == "hidden"


def test_websocket_route_decorator(test_client_factory: TestClientFactory) -> None:
    app = Starlette()

    with pytest.warns(DeprecationWarning, match="The `websocket_route` decorator") as record:

        @app.websocket_route("/ws", name="ws")
        async def echo(websocket: WebSocket) -> None:
            await websocket.accept()
            await websocket.send_text("echo: " + await websocket.receive_text())
            await websocket.close()

    only_one_warning(record)
    with test_client_factory(app).websocket_connect("/ws") as session:
        session.send_text("hi")
        assert session.receive_text() == "echo: hi"
    assert app.url_path_for("ws") == "/ws"


def test_add_websocket_route(test_client_factory: TestClientFactory) -> None:
    async def hello(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("Hello, websocket!")
        await websocket.close()

    app = Starlette()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0.47's add_websocket_route never warned
        app.add_websocket_route("/ws", hello, name="hello")
    assert isinstance(app.routes[0], WebSocketRoute)
    with test_client_factory(app).websocket_connect("/ws") as session:
        assert session.receive_text() == "Hello, websocket!"


def test_exception_handler_decorator(test_client_factory: TestClientFactory) -> None:
    async def broken(request: Request) -> Response:
        raise KeyError("missing")

    async def forbidden(request: Request) -> Response:
        raise HTTPException(403)

    app = Starlette(routes=[Route("/broken", broken), Route("/forbidden", forbidden)])

    with pytest.warns(DeprecationWarning, match="The `exception_handler` decorator") as record:

        @app.exception_handler(KeyError)
        async def handle_key_error(request: Request, exc: Exception) -> Response:
            return PlainTextResponse("no such key", status_code=404)

    only_one_warning(record)

    with pytest.warns(DeprecationWarning, match="exception_handler"):

        @app.exception_handler(403)
        def handle_forbidden(request: Request, exc: Exception) -> Response:
            return PlainTextResponse("go away", status_code=403)

    assert app.exception_handlers == {KeyError: handle_key_error, 403: handle_forbidden}
    client = test_client_factory(app)
    assert client.get("/broken").text == "no such key"
    response = client.get("/forbidden")
    assert response.status_code == 403
    assert response.text == "go away"


def test_middleware_decorator(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", homepage)])

    with pytest.warns(DeprecationWarning, match="The `middleware` decorator") as record:

        @app.middleware("http")
        async def add_header(request: Request, call_next: Any) -> Response:
            response: Response = await call_next(request)
            response.headers["X-Process"] = "decorated"
            return response

    only_one_warning(record)
    assert add_header.__name__ == "add_header"
    response = test_client_factory(app).get("/")
    assert response.text == "Hello, world!"
    assert response.headers["x-process"] == "decorated"


def test_middleware_decorator_only_supports_http() -> None:
    app = Starlette()
    with (
        pytest.warns(DeprecationWarning, match="The `middleware` decorator"),
        pytest.raises(ValueError, match='only middleware\\("http"\\)'),
    ):
        app.middleware("websocket")


def _app_with_generator_lifespan() -> Starlette:
    def lifespan(app: Starlette) -> Any:
        yield  # pragma: no cover

    return Starlette(lifespan=lifespan)


# Exact texts, categories and modules of upstream's warnings, observed on upstream 0.47.3 for
# the APIs 1.x removed and on 1.x for generator lifespans (which 1.x still accepts).
WARNINGS: list[tuple[str, Callable[[], object], type[Warning], Any, str]] = [
    (
        "on_startup",
        lambda: Starlette(on_startup=[lambda: None]),
        DeprecationWarning,
        starlette.routing,
        "The on_startup and on_shutdown parameters are deprecated, and they will be removed on "
        "version 1.0. Use the lifespan parameter instead. See more about it on "
        "https://www.starlette.io/lifespan/.",
    ),
    (
        "generator lifespan",
        _app_with_generator_lifespan,
        StarletteDeprecationWarning,
        starlette.routing,
        "generator function lifespans are deprecated, "
        "use an @contextlib.asynccontextmanager function instead",
    ),
    (
        "on_event",
        lambda: Starlette().on_event("startup"),
        DeprecationWarning,
        starlette.routing,
        "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/lifespan/ for recommended approach.",
    ),
    (
        "route",
        lambda: Starlette().route("/"),
        DeprecationWarning,
        starlette.applications,
        "The `route` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/routing/ for the recommended approach.",
    ),
    (
        "websocket_route",
        lambda: Starlette().websocket_route("/ws"),
        DeprecationWarning,
        starlette.applications,
        "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/routing/#websocket-routing for the recommended "
        "approach.",
    ),
    (
        "exception_handler",
        lambda: Starlette().exception_handler(404),
        DeprecationWarning,
        starlette.applications,
        "The `exception_handler` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/exceptions/ for the recommended approach.",
    ),
    (
        "middleware",
        lambda: Starlette().middleware("http"),
        DeprecationWarning,
        starlette.applications,
        "The `middleware` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/middleware/#using-middleware for recommended approach.",
    ),
]


@pytest.mark.parametrize(
    ("trigger", "category", "module", "message"),
    [row[1:] for row in WARNINGS],
    ids=[row[0] for row in WARNINGS],
)
def test_deprecation_matches_upstream(
    trigger: Callable[[], object], category: type[Warning], module: Any, message: str
) -> None:
    with pytest.warns(category, match=f"^{re.escape(message)}$") as record:
        trigger()  # the call warns, not the decorated function
    assert len(record) == 1
    assert record[0].category is category
    assert record[0].filename == module.__file__
