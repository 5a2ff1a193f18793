"""OpenTelemetryMiddleware against the HTTP server semantic conventions and upstream 1.x.

Routing is not a dependency of starlette-middleware: these tests build the scope the router
leaves behind (`route`, `root_path`, `app_root_path`, `path_params`, `router`) by hand; the
tests of starlette-app check the same against the real router.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from starlette.middleware.opentelemetry import (
    DURATION_BUCKETS,
    OpenTelemetryMiddleware,
    _http_route,
)
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class FakeRoute:
    def __init__(self, path: str) -> None:
        self.path = path


class FakeMount:
    """What the middleware reads of a Mount: its path, its regex, the routes below it."""

    def __init__(self, path: str, regex: str, routes: list[Any]) -> None:
        self.path = path
        self.path_regex = re.compile(regex)
        self.routes = routes


class FakeRouter:
    def __init__(self, routes: list[Any]) -> None:
        self.routes = routes


class Outer:
    class Failure(Exception):
        pass


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    path = scope["path"]
    if path.startswith("/users/"):
        scope["route"] = FakeRoute("/users/{id}")
    if path == "/boom":
        raise Outer.Failure("boom")
    status = 503 if path == "/down" else 404 if path == "/missing" else 200
    await PlainTextResponse("hello", status_code=status)(scope, receive, send)


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def wrap(self, app: ASGIApp, **kw: Any) -> OpenTelemetryMiddleware:
        return OpenTelemetryMiddleware(
            app, tracer_provider=self.tracer_provider, meter_provider=self.meter_provider, **kw
        )

    def spans(self) -> list[ReadableSpan]:
        spans = list(self.exporter.get_finished_spans())
        self.exporter.clear()
        return spans

    def points(self) -> list[Any]:
        data = self.reader.get_metrics_data()
        assert data is not None
        (metric,) = data.resource_metrics[0].scope_metrics[0].metrics
        return list(metric.data.data_points)


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.mark.parametrize(
    ("method", "expected", "name"),
    [
        ("GET", "GET", "GET /users/{id}"),
        ("QUERY", "QUERY", "QUERY /users/{id}"),
        ("PATCH", "PATCH", "PATCH /users/{id}"),
        ("PURGE", "_OTHER", "HTTP /users/{id}"),
        ("FOO", "_OTHER", "HTTP /users/{id}"),
    ],
)
def test_method_is_normalised(
    test_client_factory: Any, telemetry: Telemetry, method: str, expected: str, name: str
) -> None:
    client = test_client_factory(telemetry.wrap(endpoint))
    assert client.request(method, "/users/1").status_code == 200
    (span,) = telemetry.spans()
    assert span.name == name
    assert attributes(span)["http.request.method"] == expected
    if expected == "_OTHER":
        assert attributes(span)["http.request.method_original"] == method
    else:
        assert "http.request.method_original" not in attributes(span)
    (point,) = telemetry.points()
    assert point.attributes["http.request.method"] == expected


@pytest.mark.anyio
async def test_method_names_are_case_sensitive(telemetry: Telemetry) -> None:
    await call(telemetry.wrap(endpoint), {"method": "get", "path": "/missing"})
    (span,) = telemetry.spans()
    assert span.name == "HTTP"
    assert attributes(span)["http.request.method"] == "_OTHER"
    assert attributes(span)["http.request.method_original"] == "get"


def test_known_methods_from_the_environment(
    test_client_factory: Any, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full override of the default list, as the conventions require.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "GET, PURGE,,")
    client = test_client_factory(telemetry.wrap(endpoint))
    client.request("PURGE", "/users/1")
    client.post("/users/1")
    purge, post = telemetry.spans()
    assert attributes(purge)["http.request.method"] == "PURGE"
    assert attributes(post)["http.request.method"] == "_OTHER"
    assert attributes(post)["http.request.method_original"] == "POST"


@pytest.mark.parametrize(("url", "query"), [("/?a=b&c", "a=b&c"), ("/", None), ("/?", None)])
def test_url_query_when_there_is_one(
    test_client_factory: Any, telemetry: Telemetry, url: str, query: str | None
) -> None:
    test_client_factory(telemetry.wrap(endpoint)).get(url)
    (span,) = telemetry.spans()
    assert attributes(span).get("url.query") == query
    assert attributes(span)["url.path"] == "/"


def test_error_type(test_client_factory: Any, telemetry: Telemetry) -> None:
    client = test_client_factory(telemetry.wrap(endpoint))
    with pytest.raises(Outer.Failure):
        client.get("/boom")
    client.get("/down")
    client.get("/missing")
    boom, down, missing = telemetry.spans()
    # The exception's class name within its module, as upstream 1.x; a 5xx status as a string.
    assert attributes(boom)["error.type"] == "Outer.Failure"
    assert boom.status.status_code == StatusCode.ERROR
    assert boom.status.description == "Failure: boom"
    assert "http.response.status_code" not in attributes(boom)
    assert attributes(down)["error.type"] == "503"
    assert down.status.status_code == StatusCode.ERROR
    assert "error.type" not in attributes(missing)
    assert missing.status.status_code == StatusCode.UNSET

    errors = sorted(str(point.attributes.get("error.type")) for point in telemetry.points())
    assert errors == ["503", "None", "Outer.Failure"]


@pytest.mark.parametrize(
    ("excluded_urls", "traced"),
    [
        ("testserver/health", ["/a/health", "/q?x=1", "/q"]),
        ("^http://testserver/health$", ["/a/health", "/q?x=1", "/q"]),
        # Matched against the full URL, not the path: `^/` matches nothing.
        ("^/health", ["/health", "/a/health", "/q?x=1", "/q"]),
        (r"q\?x=1", ["/health", "/a/health", "/q"]),
        ("https://", ["/health", "/a/health", "/q?x=1", "/q"]),
        (" /health , /q ", []),
        (["/health$", "  "], ["/q?x=1", "/q"]),
        ("", ["/health", "/a/health", "/q?x=1", "/q"]),
    ],
)
def test_excluded_urls_match_the_full_url(
    test_client_factory: Any, telemetry: Telemetry, excluded_urls: Any, traced: list[str]
) -> None:
    client = test_client_factory(telemetry.wrap(endpoint, excluded_urls=excluded_urls))
    for url in ("/health", "/a/health", "/q?x=1", "/q"):
        assert client.get(url).status_code == 200
    seen = []
    for span in telemetry.spans():
        query = attributes(span).get("url.query")
        seen.append(attributes(span)["url.path"] + (f"?{query}" if query else ""))
    assert seen == traced


@pytest.mark.anyio
async def test_excluded_urls_see_scheme_port_and_root_path(telemetry: Telemetry) -> None:
    app = telemetry.wrap(endpoint, excluded_urls=r"^https://example\.org:8443/api/health$")
    base = {"method": "GET", "scheme": "https", "root_path": "/api"}
    headers = [(b"host", b"example.org:8443")]
    await call(app, {**base, "path": "/api/health", "headers": headers})
    await call(app, {**base, "path": "/api/other", "headers": headers})
    (span,) = telemetry.spans()
    assert attributes(span)["url.path"] == "/api/other"


def test_stacked_middleware_make_one_span(test_client_factory: Any, telemetry: Telemetry) -> None:
    seen: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(trace.get_current_span().get_span_context().span_id)
        await endpoint(scope, receive, send)

    other = Telemetry()
    stacked = telemetry.wrap(other.wrap(telemetry.wrap(app)))
    test_client_factory(stacked).get("/users/1")
    (span,) = telemetry.spans()
    assert span.context is not None
    assert seen == [span.context.span_id]
    assert span.name == "GET /users/{id}"
    assert other.spans() == []
    (point,) = telemetry.points()
    assert point.count == 1


def test_scope_is_marked_as_upstream(test_client_factory: Any, telemetry: Telemetry) -> None:
    marks: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        marks.append(scope.get("starlette.opentelemetry"))
        await endpoint(scope, receive, send)

    client = test_client_factory(telemetry.wrap(app, excluded_urls="/health"))
    client.get("/health")
    client.get("/users/1")
    assert marks == [True, True]


def test_excluded_all_the_way_down(test_client_factory: Any, telemetry: Telemetry) -> None:
    inner = Telemetry()
    app = telemetry.wrap(inner.wrap(endpoint), excluded_urls="/health")
    client = test_client_factory(app)
    client.get("/health")
    assert telemetry.spans() == []
    assert inner.spans() == []
    client.get("/users/1")
    assert [span.name for span in telemetry.spans()] == ["GET /users/{id}"]
    assert inner.spans() == []


def fake_mount(prefix: str, app: ASGIApp) -> ASGIApp:
    """What the router does on a mount: a child scope (a copy) with the prefix in root_path."""

    async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
        root_path = scope.get("root_path", "")
        child = {
            **scope,
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + prefix,
        }
        await app(child, receive, send)

    return mounted


def test_mounted_application_with_its_own_middleware(
    test_client_factory: Any, telemetry: Telemetry
) -> None:
    inner = Telemetry()

    async def sub_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = FakeRoute("/items/{id}")
        await PlainTextResponse("item")(scope, receive, send)

    # The sub-application is traced on its own...
    test_client_factory(fake_mount("/sub", inner.wrap(sub_app))).get("/sub/items/3")
    (span,) = inner.spans()
    assert span.name == "GET /sub/items/{id}"

    # ...and behind an outer middleware, only the outer one traces: the mark crosses the copy.
    app = telemetry.wrap(fake_mount("/sub", inner.wrap(sub_app)))
    test_client_factory(app).get("/sub/items/3")
    assert inner.spans() == []
    (span,) = telemetry.spans()
    assert span.name == "GET"  # the route was set in the mount's copy of the scope
    assert attributes(span)["url.path"] == "/sub/items/3"


ORG = FakeMount(
    "/org/{org}",
    r"^/org/(?P<org>[^/]+)/(?P<path>.*)$",
    [
        FakeMount("/static", r"^/static/(?P<path>.*)$", []),
        FakeMount("/team/{team}", r"^/team/(?P<team>[^/]+)/(?P<path>.*)$", []),
    ],
)
ROUTER = FakeRouter(
    [
        FakeRoute("/users/{id}"),  # no regex: not a mount
        FakeMount("/api", r"^/api/(?P<path>.*)$", []),
        FakeMount("/org/{bad}", r"^/org/(?P<bad>[0-9]+)$", []),  # no remaining path group
        FakeMount("", r"^/(?P<path>.*)$", []),  # consumes nothing: never a prefix
        ORG,
    ]
)


@pytest.mark.parametrize(
    ("scope", "route"),
    [
        ({"path": "/x"}, None),
        ({"path": "/x", "route": object()}, None),
        ({"path": "/x", "route": FakeRoute("/x")}, "/x"),
        # The application root given by the server is part of the route.
        ({"path": "/pre/x", "root_path": "/pre", "route": FakeRoute("/x")}, "/pre/x"),
        (
            {
                "path": "/api/v/1",
                "root_path": "/api",
                "app_root_path": "",
                "route": FakeRoute("/v/{n}"),
                "path_params": {"n": "1"},
                "router": ROUTER,
            },
            "/api/v/{n}",
        ),
        # Mount parameters get their placeholders back (low cardinality).
        (
            {
                "path": "/pre/org/acme/team/t1/m",
                "root_path": "/pre/org/acme/team/t1",
                "app_root_path": "/pre",
                "route": FakeRoute("/m"),
                "path_params": {"org": "acme", "team": "t1"},
                "router": ROUTER,
            },
            "/pre/org/{org}/team/{team}/m",
        ),
        # A mount that matched, nothing below it: the mount is the route.
        (
            {
                "path": "/org/acme/nope",
                "root_path": "/org/acme",
                "app_root_path": "",
                "route": FakeMount("/org/{org}", "", []),
                "path_params": {"org": "acme"},
                "router": ROUTER,
            },
            "/org/{org}",
        ),
        ({"path": "/a", "root_path": "", "route": FakeMount("", "", [])}, "/"),
        # Where the mounts cannot be followed (no router, or an app without routes), the
        # concrete prefix stays.
        (
            {
                "path": "/org/acme/x",
                "root_path": "/org/acme",
                "app_root_path": "",
                "route": FakeRoute("/x"),
                "path_params": {"org": "acme"},
            },
            "/org/acme/x",
        ),
        (
            {
                "path": "/org/acme/unknown/9/x",
                "root_path": "/org/acme/unknown/9",
                "app_root_path": "",
                "route": FakeRoute("/x"),
                "path_params": {"org": "acme"},
                "router": ROUTER,
            },
            "/org/{org}/unknown/9/x",
        ),
        # A root path that is not below app_root_path (an app rewrote it): used as it is.
        (
            {
                "path": "/x",
                "root_path": "/elsewhere",
                "app_root_path": "/pre",
                "route": FakeRoute("/x"),
            },
            "/pre/x",
        ),
    ],
)
def test_http_route_from_the_scope(scope: Scope, route: str | None) -> None:
    assert _http_route(scope) == route


@pytest.mark.parametrize(
    ("base_url", "headers", "address", "port"),
    [
        ("http://testserver", {}, "testserver", 80),
        ("https://testserver", {}, "testserver", 443),
        ("http://testserver:8080", {}, "testserver", 8080),
        ("http://[::1]:8000", {}, "::1", 8000),
        ("http://[::1]", {}, "::1", 80),
        # A malformed Host is ignored, as by `request.url`: the server's address is reported.
        ("http://testserver", {"host": "example.com:abc"}, "testserver", 80),
    ],
)
def test_server_address_and_port(
    test_client_factory: Any,
    telemetry: Telemetry,
    base_url: str,
    headers: dict[str, str],
    address: str,
    port: int | None,
) -> None:
    test_client_factory(telemetry.wrap(endpoint), base_url=base_url).get("/", headers=headers)
    (span,) = telemetry.spans()
    assert attributes(span)["server.address"] == address
    assert attributes(span).get("server.port") == port


async def call(app: ASGIApp, scope: dict[str, Any]) -> None:
    async def receive() -> Any:
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        pass

    await app({"type": "http", "path": "/", "headers": [], **scope}, receive, send)


@pytest.mark.anyio
async def test_minimal_scope(telemetry: Telemetry) -> None:
    # No scheme, client, server, http_version or query string: only what can be known.
    await call(telemetry.wrap(endpoint), {"method": "GET"})
    (span,) = telemetry.spans()
    assert attributes(span) == {
        "http.request.method": "GET",
        "url.path": "/",
        "url.scheme": "http",
        "http.response.status_code": 200,
    }


@pytest.mark.anyio
async def test_server_from_scope_without_host_header(telemetry: Telemetry) -> None:
    await call(telemetry.wrap(endpoint), {"method": "GET", "server": ("10.0.0.1", 8080)})
    (span,) = telemetry.spans()
    assert (attributes(span)["server.address"], attributes(span)["server.port"]) == (
        "10.0.0.1",
        8080,
    )


def test_duration_histogram(test_client_factory: Any, telemetry: Telemetry) -> None:
    client = test_client_factory(telemetry.wrap(endpoint))
    client.get("/users/1")
    client.get("/users/2")
    data = telemetry.reader.get_metrics_data()
    assert data is not None
    scope_metrics = data.resource_metrics[0].scope_metrics[0]
    assert scope_metrics.scope.name == "starlette"
    (metric,) = scope_metrics.metrics
    assert (metric.name, metric.unit) == ("http.server.request.duration", "s")
    (point,) = metric.data.data_points
    assert isinstance(point, HistogramDataPoint)
    assert point.count == 2
    assert tuple(point.explicit_bounds) == DURATION_BUCKETS
    (span, _) = telemetry.spans()
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "starlette"


def test_providers_are_looked_up_when_first_used(
    test_client_factory: Any, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[str] = []
    get_tracer, get_meter = trace.get_tracer, metrics.get_meter

    def counting_tracer(*args: Any, **kwargs: Any) -> Any:
        lookups.append("tracer")
        return get_tracer(*args, **kwargs)

    def counting_meter(*args: Any, **kwargs: Any) -> Any:
        lookups.append("meter")
        return get_meter(*args, **kwargs)

    monkeypatch.setattr(trace, "get_tracer", counting_tracer)
    monkeypatch.setattr(metrics, "get_meter", counting_meter)
    # Built before any provider is set: the global ones, when the first request comes.
    app = OpenTelemetryMiddleware(endpoint)
    assert lookups == []
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", telemetry.tracer_provider)
    monkeypatch.setattr(metrics._internal, "_METER_PROVIDER", telemetry.meter_provider)
    client = test_client_factory(app)
    client.get("/users/1")
    client.get("/users/2")
    assert lookups == ["tracer", "meter"]
    assert [span.name for span in telemetry.spans()] == ["GET /users/{id}"] * 2
    (point,) = telemetry.points()
    assert point.count == 2


def test_websocket_passes_through_untraced(test_client_factory: Any, telemetry: Telemetry) -> None:
    from starlette.websockets import WebSocket

    seen: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append("starlette.opentelemetry" in scope)
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    client = test_client_factory(telemetry.wrap(telemetry.wrap(app)))
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hi"
    assert seen == [False]
    assert telemetry.spans() == []
    assert telemetry.reader.get_metrics_data() is None


@pytest.mark.anyio
async def test_malformed_host_headers_fall_back_to_the_server(telemetry: Telemetry) -> None:
    app = telemetry.wrap(endpoint, excluded_urls="never")
    for host in (b"h:\xb2", b"h:99x", b"[::1", b"\xff\xfe"):
        await call(app, {"method": "GET", "headers": [(b"host", host)], "query_string": b"\xff"})
    ports = [attributes(span).get("server.port") for span in telemetry.spans()]
    assert ports == [None, None, None, None]  # the scope names no server either
