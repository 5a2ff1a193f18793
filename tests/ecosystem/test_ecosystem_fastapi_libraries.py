"""prometheus-fastapi-instrumentator, starlette-context and asgi-correlation-id on a FastAPI app,
on starlette-full. No `from __future__ import annotations`: FastAPI reads the annotations."""

import functools
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from starlette_context import context
from starlette_context.middleware import RawContextMiddleware
from starlette_context.plugins import RequestIdPlugin, UserAgentPlugin


@pytest.fixture
def client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    backend: Any = anyio_backend_name
    return functools.partial(TestClient, backend=backend)


def test_prometheus_instrumentator_counts_requests() -> None:
    # asyncio only: the instrumentator calls asyncio's own API, which has no loop under trio.
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    # Its own registry: the process-wide default one would collect across tests.
    Instrumentator(registry=CollectorRegistry()).instrument(app).expose(app)
    client = TestClient(app)
    assert client.get("/items/1").json() == {"item_id": 1}
    assert client.get("/items/2").status_code == 200
    assert client.get("/items/x").status_code == 422
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    counts = {
        (m.group(1), m.group(2)): float(m.group(3))
        for m in re.finditer(
            r'^http_requests_total\{handler="([^"]+)",method="GET",status="(\w+)"\} (\S+)$',
            metrics.text,
            re.MULTILINE,
        )
    }
    # Grouped by the route template, not the raw path.
    assert counts[("/items/{item_id}", "2xx")] == 2.0
    assert counts[("/items/{item_id}", "4xx")] == 1.0


def test_starlette_context_plugins(client_factory: Callable[..., TestClient]) -> None:
    app = FastAPI()
    app.add_middleware(RawContextMiddleware, plugins=(RequestIdPlugin(), UserAgentPlugin()))

    @app.get("/context")
    async def show() -> dict[str, Any]:
        return dict(context.data)

    client = client_factory(app)
    given = uuid.uuid4().hex
    response = client.get("/context", headers={"X-Request-ID": given, "User-Agent": "tests/1.0"})
    assert response.json() == {"X-Request-ID": given, "User-Agent": "tests/1.0"}
    assert response.headers["x-request-id"] == given
    # The plugin validates the id: a malformed one is refused before the endpoint runs.
    assert client.get("/context", headers={"X-Request-ID": "abc-123"}).status_code == 400
    generated = client.get("/context", headers={"User-Agent": "tests/1.0"}).json()
    assert uuid.UUID(generated["X-Request-ID"]).hex


def test_correlation_id_on_fastapi(client_factory: Callable[..., TestClient]) -> None:
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/id")
    async def show() -> dict[str, Any]:
        return {"id": correlation_id.get()}

    client = client_factory(app)
    given = uuid.uuid4().hex
    response = client.get("/id", headers={"X-Request-ID": given})
    assert response.json() == {"id": given}
    assert response.headers["x-request-id"] == given
    fresh = client.get("/id")
    assert fresh.headers["x-request-id"] == fresh.json()["id"]
    # A malformed id is replaced, not echoed.
    replaced = client.get("/id", headers={"X-Request-ID": "not a uuid"})
    assert replaced.json()["id"] != "not a uuid"
