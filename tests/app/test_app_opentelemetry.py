"""OpenTelemetryMiddleware's `http.route` and single span with the real router."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.opentelemetry import OpenTelemetryMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Host, Mount, Route, Router
from starlette.types import Receive, Scope, Send


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hi")


async def raw(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("raw")(scope, receive, send)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def client(test_client_factory: Any, exporter: InMemorySpanExporter) -> Any:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    inner = [Middleware(OpenTelemetryMiddleware, tracer_provider=TracerProvider())]
    sub = Starlette(routes=[Route("/items/{i}", hello)], middleware=inner)
    app = Starlette(
        routes=[
            Route("/users/{id}", hello),
            Mount(
                "/api",
                routes=[Route("/v/{n}", hello), Mount("/inner", routes=[Route("/leaf", hello)])],
            ),
            Mount(
                "/org/{org}",
                routes=[Route("/x/{y}", hello), Mount("/team/{t}", routes=[Route("/m", hello)])],
            ),
            Mount("/sub", app=sub),
            Mount("/app/{a}", app=sub),
            Mount("/gz", app=GZipMiddleware(Router(routes=[Route("/g/{q}", hello)]))),
            Mount("/raw", app=raw),
            Host("api.example.com", app=Router(routes=[Route("/h/{z}", hello)])),
        ],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
    )
    return test_client_factory(app)


@pytest.mark.parametrize(
    ("url", "name", "status"),
    [
        ("/users/1", "GET /users/{id}", 200),
        ("/api/v/3", "GET /api/v/{n}", 200),
        ("/api/inner/leaf", "GET /api/inner/leaf", 200),
        ("/api/missing", "GET /api", 404),
        # Mount parameters keep their placeholders: `http.route` stays low-cardinality.
        ("/org/acme/x/1", "GET /org/{org}/x/{y}", 200),
        ("/org/acme/team/t1/m", "GET /org/{org}/team/{t}/m", 200),
        ("/org/acme/nope", "GET /org/{org}", 404),
        # A mounted application with a middleware of its own: one span, the outer one's.
        ("/sub/items/5", "GET /sub/items/{i}", 200),
        ("/app/7/items/5", "GET /app/{a}/items/{i}", 200),
        ("/gz/g/1", "GET /gz/g/{q}", 200),
        ("/raw/a/b", "GET /raw", 200),
        ("http://api.example.com/h/1", "GET /h/{z}", 200),
        ("/nowhere", "GET", 404),
    ],
)
def test_http_route_with_mount_prefixes(
    client: Any, exporter: InMemorySpanExporter, url: str, name: str, status: int
) -> None:
    for _ in range(2):  # the second request comes from the router's resolution cache
        assert client.get(url).status_code == status
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == [name, name]
    route = name.partition(" ")[2] or None
    assert [(span.attributes or {}).get("http.route") for span in spans] == [route, route]


def test_application_root(test_client_factory: Any, exporter: InMemorySpanExporter) -> None:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = Starlette(
        routes=[Mount("/org/{org}", routes=[Route("/x/{y}", hello)])],
        middleware=[Middleware(OpenTelemetryMiddleware, tracer_provider=provider)],
    )
    # `path` holds the root path too, as ASGI servers send it.
    response = test_client_factory(app, root_path="/pre").get("/pre/org/acme/x/1")
    assert response.status_code == 200
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /pre/org/{org}/x/{y}"
