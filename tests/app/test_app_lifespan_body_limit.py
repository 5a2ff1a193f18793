"""`Starlette` lifespan (and its state) and `max_body_size` at app, mount and route level."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

TestClientFactory = Callable[..., Any]


async def echo_length(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"{len(body)} bytes")


def test_lifespan_runs_around_the_client(test_client_factory: TestClientFactory) -> None:
    events: list[Any] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append(("startup", app))
        yield
        events.append("shutdown")

    app = Starlette(lifespan=lifespan)
    with test_client_factory(app):
        assert events == [("startup", app)]
    assert events == [("startup", app), "shutdown"]


def test_lifespan_state_reaches_requests(test_client_factory: TestClientFactory) -> None:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"db": "connected"}

    async def endpoint(request: Request) -> Response:
        return JSONResponse({"db": request.state.db})

    app = Starlette(routes=[Route("/", endpoint)], lifespan=lifespan)
    with test_client_factory(app) as client:
        assert client.get("/").json() == {"db": "connected"}


def test_failing_startup_is_reported(test_client_factory: TestClientFactory) -> None:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("cannot start")
        yield  # pragma: no cover

    app = Starlette(lifespan=lifespan)
    with pytest.raises(RuntimeError, match="cannot start"), test_client_factory(app):
        pass  # pragma: no cover


def test_app_level_limit(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", echo_length, methods=["POST"])], max_body_size=10)
    assert app.max_body_size == 10
    client = test_client_factory(app)
    assert client.post("/", content=b"x" * 10).text == "10 bytes"
    response = client.post("/", content=b"x" * 11)
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_app_level_limit_on_streamed_body(test_client_factory: TestClientFactory) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"x" * 8
        yield b"x" * 8

    app = Starlette(routes=[Route("/", echo_length, methods=["POST"])], max_body_size=10)
    response = test_client_factory(app).post("/", content=chunks())
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_413_goes_through_the_app_exception_handlers(
    test_client_factory: TestClientFactory,
) -> None:
    async def too_large(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": "body too large"}, status_code=413)

    app = Starlette(
        routes=[Route("/", echo_length, methods=["POST"])],
        exception_handlers={413: too_large},
        max_body_size=4,
    )
    client = test_client_factory(app)
    response = client.post("/", content=iter([b"too ", b"long"]))
    assert response.status_code == 413
    assert response.json() == {"error": "body too large"}
    # A declared Content-Length over the limit is answered by the limiter itself, as in 1.x.
    response = client.post("/", content=b"too long")
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_route_level_limit_overrides_app_level(test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        routes=[
            Route("/small", echo_length, methods=["POST"]),
            Route("/upload", echo_length, methods=["POST"], max_body_size=100),
            Route("/tiny", echo_length, methods=["POST"], max_body_size=2),
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/small", content=b"x" * 50).status_code == 413
    assert client.post("/upload", content=b"x" * 50).text == "50 bytes"
    assert client.post("/upload", content=b"x" * 101).status_code == 413
    assert client.post("/tiny", content=b"x" * 5).status_code == 413
    assert client.post("/tiny", content=b"xy").text == "2 bytes"


def test_mount_level_limit_overrides_app_level(test_client_factory: TestClientFactory) -> None:
    app = Starlette(
        routes=[
            Mount(
                "/files",
                routes=[
                    Route("/", echo_length, methods=["POST"]),
                    Route("/huge", echo_length, methods=["POST"], max_body_size=1000),
                ],
                max_body_size=100,
            )
        ],
        max_body_size=10,
    )
    client = test_client_factory(app)
    assert client.post("/files/", content=b"x" * 50).text == "50 bytes"
    assert client.post("/files/", content=b"x" * 150).status_code == 413
    assert client.post("/files/huge", content=b"x" * 500).text == "500 bytes"


def test_no_limit_by_default(test_client_factory: TestClientFactory) -> None:
    app = Starlette(routes=[Route("/", echo_length, methods=["POST"])])
    response = test_client_factory(app).post("/", content=b"x" * 100_000)
    assert response.status_code == 200
    assert response.text == "100000 bytes"
