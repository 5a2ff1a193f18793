"""asgi-correlation-id's middleware and log filter on starlette-full: a request id read from (or
set on) the headers, kept in a contextvar that endpoints, worker threads and logs all see."""

import functools
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgi_correlation_id import CorrelationIdFilter, CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.testclient import TestClient

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

HEX_UUID4 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    backend: Any = anyio_backend_name
    return functools.partial(TestClient, backend=backend)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Records of the `shop` logger, passed through `CorrelationIdFilter` as its docs set it up."""
    captured: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    handler = ListHandler()
    handler.addFilter(CorrelationIdFilter(uuid_length=8, default_value="-"))
    logger = logging.getLogger("shop")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield captured
    logger.removeHandler(handler)


async def async_endpoint(request: Request) -> JSONResponse:
    logging.getLogger("shop").info("async handler")
    return JSONResponse({"id": correlation_id.get()})


def sync_endpoint(request: Request) -> JSONResponse:
    # Sync endpoints run in a worker thread: the contextvar must travel there.
    logging.getLogger("shop").info("sync handler")
    return JSONResponse({"id": correlation_id.get()})


def starlette_app() -> Starlette:
    return Starlette(
        routes=[Route("/async", async_endpoint), Route("/sync", sync_endpoint)],
        middleware=[Middleware(CorrelationIdMiddleware)],
    )


def test_generated_id_is_set_on_the_response_and_seen_by_endpoints(client_factory) -> None:
    client = client_factory(starlette_app())
    for path in ("/async", "/sync"):
        response = client.get(path)
        assert response.status_code == 200
        request_id = response.headers["x-request-id"]
        assert HEX_UUID4.match(request_id)
        assert response.json() == {"id": request_id}
    assert client.get("/async").headers["x-request-id"] != request_id
    # The contextvar is reset once the request is over.
    assert correlation_id.get() is None


def test_valid_incoming_id_is_kept_and_invalid_one_replaced(client_factory) -> None:
    client = client_factory(starlette_app())
    incoming = uuid.uuid4().hex
    response = client.get("/sync", headers={"X-Request-ID": incoming})
    assert response.headers["x-request-id"] == incoming
    assert response.json() == {"id": incoming}

    response = client.get("/async", headers={"X-Request-ID": "not-a-uuid"})
    replaced = response.headers["x-request-id"]
    assert replaced != "not-a-uuid"
    assert HEX_UUID4.match(replaced)
    assert response.json() == {"id": replaced}


def test_log_records_carry_the_request_id(client_factory, records) -> None:
    client = client_factory(starlette_app())
    incoming = uuid.uuid4().hex
    client.get("/async", headers={"X-Request-ID": incoming})
    client.get("/sync", headers={"X-Request-ID": incoming})
    logging.getLogger("shop").info("outside a request")
    assert [(r.getMessage(), r.correlation_id) for r in records] == [
        ("async handler", incoming[:8]),
        ("sync handler", incoming[:8]),
        ("outside a request", "-"),
    ]


def test_fastapi_with_custom_header_cors_and_http_middleware(client_factory) -> None:
    app = FastAPI()

    @app.middleware("http")
    async def echo_id(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["X-Seen-By-Middleware"] = correlation_id.get() or ""
        return response

    app.add_middleware(
        CorrelationIdMiddleware,
        header_name="X-Correlation-ID",
        generator=lambda: "fixed-id",
        validator=None,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://example.org"],
        expose_headers=["X-Correlation-ID"],
    )

    @app.get("/orders/{order_id}")
    def order(order_id: int, request: Request) -> dict[str, Any]:
        return {
            "order": order_id,
            "id": correlation_id.get(),
            "header": request.headers.get("x-correlation-id"),
        }

    client = client_factory(app)
    response = client.get("/orders/5", headers={"Origin": "https://example.org"})
    assert response.status_code == 200
    assert response.json() == {"order": 5, "id": "fixed-id", "header": "fixed-id"}
    assert response.headers["x-correlation-id"] == "fixed-id"
    assert response.headers["x-seen-by-middleware"] == "fixed-id"
    assert response.headers["access-control-expose-headers"] == "X-Correlation-ID"

    response = client.get("/orders/x", headers={"X-Correlation-ID": "from-client"})
    assert response.status_code == 422
    assert response.headers["x-correlation-id"] == "from-client"
