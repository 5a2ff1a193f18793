from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from starlette.middleware.opentelemetry import OpenTelemetryMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket


class FakeRoute:
    def __init__(self, path: str) -> None:
        self.path = path


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope["path"]
    if path.startswith("/users/"):
        scope["route"] = FakeRoute("/users/{id}")
    if path == "/boom":
        raise ValueError("boom")
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.close()
        return
    status = 503 if path == "/down" else 404 if path == "/missing" else 200
    await PlainTextResponse("hello", status_code=status)(scope, receive, send)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


def make_app(tracer_provider: TracerProvider, reader: InMemoryMetricReader, **kw: Any) -> ASGIApp:
    return OpenTelemetryMiddleware(
        endpoint,
        tracer_provider=tracer_provider,
        meter_provider=MeterProvider(metric_readers=[reader]),
        **kw,
    )


def test_span_for_a_routed_request(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    response = client.get("/users/42", headers={"host": "example.com:8000"})
    assert response.status_code == 200

    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /users/{id}"
    assert span.kind == SpanKind.SERVER
    assert span.attributes is not None
    assert dict(span.attributes) == {
        "http.request.method": "GET",
        "url.path": "/users/42",
        "url.scheme": "http",
        "server.address": "example.com",
        "server.port": 8000,
        "network.protocol.version": "1.1",
        "client.address": "testclient",
        "user_agent.original": "testclient",
        "http.response.status_code": 200,
        "http.route": "/users/{id}",
    }
    assert span.status.status_code == StatusCode.UNSET

    metrics_data = metric_reader.get_metrics_data()
    assert metrics_data is not None
    (metric,) = metrics_data.resource_metrics[0].scope_metrics[0].metrics
    assert metric.name == "http.server.request.duration"
    assert metric.unit == "s"
    (point,) = metric.data.data_points
    assert dict(point.attributes or {}) == {
        "http.request.method": "GET",
        "url.scheme": "http",
        "network.protocol.version": "1.1",
        "http.route": "/users/{id}",
        "http.response.status_code": 200,
    }
    assert point.count == 1  # type: ignore[union-attr]


def test_span_without_route_is_named_by_method(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    assert client.post("/missing").status_code == 404
    (span,) = exporter.get_finished_spans()
    assert span.name == "POST"
    assert span.attributes is not None
    assert "http.route" not in span.attributes
    assert span.attributes["http.response.status_code"] == 404
    assert span.attributes["server.address"] == "testserver"
    # A client error is not a server error.
    assert span.status.status_code == StatusCode.UNSET


def test_server_error_status(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    assert client.get("/down").status_code == 503
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR


def test_exception_is_recorded_and_reraised(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    with pytest.raises(ValueError, match="boom"):
        client.get("/boom")
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "ValueError: boom"
    (event,) = span.events
    assert event.name == "exception"
    assert event.attributes is not None
    assert event.attributes["exception.type"] == "ValueError"

    metrics_data = metric_reader.get_metrics_data()
    assert metrics_data is not None
    (metric,) = metrics_data.resource_metrics[0].scope_metrics[0].metrics
    (point,) = metric.data.data_points
    assert "http.response.status_code" not in (point.attributes or {})


def test_parent_context_from_traceparent(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    parent_id = "00f067aa0ba902b7"
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    client.get("/", headers={"traceparent": f"00-{trace_id}-{parent_id}-01"})
    (span,) = exporter.get_finished_spans()
    assert span.context is not None
    assert format(span.context.trace_id, "032x") == trace_id
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == parent_id
    assert span.parent.is_remote


def test_span_is_current_inside_the_app(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    from opentelemetry import trace

    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(trace.get_current_span().get_span_context().span_id)
        await PlainTextResponse("ok")(scope, receive, send)

    middleware = OpenTelemetryMiddleware(app, tracer_provider=tracer_provider)
    test_client_factory(middleware).get("/")
    (span,) = exporter.get_finished_spans()
    assert span.context is not None
    assert seen == [span.context.span_id]


@pytest.mark.parametrize(
    "excluded_urls",
    ["/health, /metrics$", ["/health", "/metrics$"], ("^http://testserver/health",)],
)
def test_excluded_urls(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    excluded_urls: Any,
) -> None:
    app = make_app(tracer_provider, metric_reader, excluded_urls=excluded_urls)
    client = test_client_factory(app)
    assert client.get("/health").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/other").status_code == 200
    assert [span.attributes["url.path"] for span in exporter.get_finished_spans()] == ["/other"]  # type: ignore[index]


def test_websocket_is_not_traced(
    test_client_factory: Any,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    # A WebSocket session is not an HTTP request (nor is it in upstream 1.x).
    client = test_client_factory(make_app(tracer_provider, metric_reader))
    with client.websocket_connect("/users/ws"):
        pass
    assert exporter.get_finished_spans() == ()
    assert metric_reader.get_metrics_data() is None


@pytest.mark.anyio
async def test_server_address_from_scope_and_ipv6() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    middleware = OpenTelemetryMiddleware(endpoint, tracer_provider=provider)

    async def receive() -> Any:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        pass

    base = {"type": "http", "method": "GET", "path": "/", "query_string": b""}
    await middleware({**base, "headers": [], "server": ("10.0.0.1", 80)}, receive, send)
    await middleware({**base, "headers": [(b"host", b"[::1]:8000")]}, receive, send)
    await middleware({**base, "headers": []}, receive, send)
    addresses = [span.attributes.get("server.address") for span in exporter.get_finished_spans()]  # type: ignore[union-attr]
    assert addresses == ["10.0.0.1", "::1", None]


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        pass

    await OpenTelemetryMiddleware(inner)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]


def test_repeated_headers_are_joined() -> None:
    from starlette.middleware.opentelemetry import _carrier

    scope = {"headers": [(b"X-A", b"1"), (b"x-a", b"2"), (b"host", b"h")]}
    assert _carrier(scope) == {"x-a": "1,2", "host": "h"}


def test_missing_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.delitem(sys.modules, "starlette.middleware.opentelemetry")
    with pytest.raises(ImportError, match=r'pip install "starlette-middleware\[opentelemetry\]"'):
        importlib.import_module("starlette.middleware.opentelemetry")
