"""OpenTelemetry tracing and metrics: one SERVER span per HTTP request.

Follows the OpenTelemetry semantic conventions for HTTP servers: span names, attributes, the
`http.server.request.duration` histogram, `_OTHER` for unknown methods.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from typing import Any

try:
    from opentelemetry import metrics, trace
    from opentelemetry.propagate import extract
    from opentelemetry.trace import SpanKind, Status, StatusCode
except ImportError as exc:
    raise ImportError(
        "OpenTelemetryMiddleware requires opentelemetry-api: "
        'pip install "starlette-middleware[opentelemetry]"'
    ) from exc

from starlette._utils import DEFAULT_PORTS, parse_host
from starlette.datastructures import URL
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["OpenTelemetryMiddleware"]

# The scope key (and value, `True`) that tells inner OpenTelemetryMiddleware (stacked, or in a
# mounted application) that this request is already traced, or excluded: either way they pass
# it through. Upstream 1.x marks the scope the same way, so the two recognise each other.
SCOPE_KEY = "starlette.opentelemetry"

# The methods the semantic conventions know (RFC 9110, PATCH, QUERY); others become `_OTHER`.
# OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the list, as the conventions require.
DEFAULT_KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)

# The bucket boundaries (seconds) the conventions advise for `http.server.request.duration`.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

# The instrumentation scope, named as upstream's. No version: reading the distribution's metadata
# costs a file system scan, too slow for import time and blocking inside the event loop.
_SCOPE_NAME = "starlette"
_METRIC_ATTRIBUTES = (
    "http.request.method",
    "url.scheme",
    "network.protocol.version",
    "http.route",
    "http.response.status_code",
    "error.type",
)


def _known_methods() -> frozenset[str]:
    configured = os.environ.get("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS")
    if configured is None:
        return DEFAULT_KNOWN_METHODS
    return frozenset(method.strip() for method in configured.split(",") if method.strip())


def _carrier(scope: Scope) -> dict[str, str]:
    """The request headers as the propagators read them: lower-case names, repeats joined."""
    carrier: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        carrier[name] = f"{carrier[name]},{value}" if name in carrier else value
    return carrier


def _server_address(scope: Scope, carrier: dict[str, str]) -> tuple[str | None, int | None]:
    """`server.address` and `server.port`: from `Host` (the port by default of the scheme).

    Read by the family's one Host parser: a missing or malformed header falls back to the
    server's address, as `request.url` does. An IPv6 address is reported without brackets.
    """
    parsed = parse_host(carrier.get("host", ""))
    if parsed is None:
        server = scope.get("server")
        return (str(server[0]), server[1]) if server else (None, None)
    address, port = parsed
    if address.startswith("["):
        address = address[1:-1]
    return address, DEFAULT_PORTS.get(scope.get("scheme", "http")) if port is None else port


def _mount_template(routes: Any, path: str, mounted: str) -> str:
    """The template of `mounted`, the concrete mount prefix of `path` (below the server root).

    `/org/acme` becomes `/org/{org}`: found by matching the mounts again, from the top router,
    as the router did. Where the chain cannot be followed, the rest stays as it is.
    """
    template = ""
    while mounted:
        for route in routes:
            regex = getattr(route, "path_regex", None)
            if regex is None or not hasattr(route, "routes"):
                continue  # not a mount
            match = regex.match(path)
            if match is None or "path" not in match.groupdict():
                continue
            consumed = len(path) - len(match.group("path")) - 1
            if consumed <= 0 or not mounted.startswith(path[:consumed]):
                continue
            template += route.path
            path, mounted, routes = path[consumed:], mounted[consumed:], route.routes
            break
        else:
            return template + mounted
    return template


def _http_route(scope: Scope) -> str | None:
    """The full route template of the request, mount prefixes and application root included.

    Routing leaves the innermost route in `scope["route"]` and the concrete mount prefixes in
    `root_path`; `app_root_path` is the root path before the first mount.
    """
    route = scope.get("route")
    route_path = getattr(route, "path", None)
    if not isinstance(route_path, str):
        return None
    root_path: str = scope.get("root_path", "")
    app_root: str = scope.get("app_root_path", root_path)
    mounted = root_path[len(app_root) :] if root_path.startswith(app_root) else ""
    if mounted and scope.get("path_params"):
        # Mount parameters are in the concrete prefix: put their placeholders back.
        path: str = scope["path"]
        if app_root and path.startswith(app_root + "/"):
            path = path[len(app_root) :]
        mounted = _mount_template(getattr(scope.get("router"), "routes", ()), path, mounted)
    if hasattr(route, "routes"):
        # A mount that matched with nothing below it: its prefix is already in `root_path`.
        return app_root + mounted or "/"
    return app_root + mounted + route_path


class OpenTelemetryMiddleware:
    """Trace every HTTP request as a SERVER span, following the HTTP semantic conventions.

    The span is named `"{method} {route}"` once routing has set `scope["route"]` (the route
    includes mount prefixes and the application root), else `"{method}"`; unknown methods are
    named `HTTP` and recorded as `_OTHER`. Its parent is taken from the request headers (W3C
    `traceparent` by default). Requests whose full URL matches any regex of `excluded_urls` (a
    sequence, or one comma-separated string, as `OTEL_PYTHON_*_EXCLUDED_URLS`) are not traced.
    Durations go to the `http.server.request.duration` histogram.

    Only the outermost instance traces a request: stacked instances, or one in a mounted
    application, pass it through. WebSocket connections are not traced. The providers (the
    global ones by default) are looked up on first use, so a provider set later is honoured.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        excluded_urls: str | Sequence[str] = (),
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        if isinstance(excluded_urls, str):
            excluded_urls = [url.strip() for url in excluded_urls.split(",")]
        patterns = [url for url in excluded_urls if url.strip()]
        self.app = app
        self.excluded_urls = re.compile("|".join(patterns)) if patterns else None
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.known_methods = _known_methods()
        self._tracer: trace.Tracer | None = None
        self._duration_histogram: metrics.Histogram | None = None

    @property
    def tracer(self) -> trace.Tracer:
        if self._tracer is None:
            self._tracer = trace.get_tracer(_SCOPE_NAME, tracer_provider=self.tracer_provider)
        return self._tracer

    @property
    def duration_histogram(self) -> metrics.Histogram:
        if self._duration_histogram is None:
            meter = metrics.get_meter(_SCOPE_NAME, meter_provider=self.meter_provider)
            self._duration_histogram = meter.create_histogram(
                "http.server.request.duration",
                unit="s",
                description="Duration of HTTP server requests.",
                explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
            )
        return self._duration_histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or SCOPE_KEY in scope:
            await self.app(scope, receive, send)
            return
        if self.excluded_urls is not None and self.excluded_urls.search(str(URL(scope=scope))):
            scope[SCOPE_KEY] = True  # excluded all the way down
            await self.app(scope, receive, send)
            return

        carrier = _carrier(scope)
        attributes = self._request_attributes(scope, carrier)
        method = "HTTP" if attributes["http.request.method"] == "_OTHER" else scope["method"]
        start_time = time.perf_counter()
        with self.tracer.start_as_current_span(
            method,
            context=extract(carrier),
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            scope[SCOPE_KEY] = True

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_code = message["status"]
                    attributes["http.response.status_code"] = status_code
                    span.set_attribute("http.response.status_code", status_code)
                    if status_code >= 500:
                        attributes["error.type"] = str(status_code)
                        span.set_attribute("error.type", str(status_code))
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, send_wrapper)
            except Exception as exc:
                attributes["error.type"] = type(exc).__qualname__
                span.set_attribute("error.type", type(exc).__qualname__)
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise
            finally:
                route = _http_route(scope)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    attributes["http.route"] = route
                metric_attributes = {
                    key: attributes[key] for key in _METRIC_ATTRIBUTES if key in attributes
                }
                self.duration_histogram.record(time.perf_counter() - start_time, metric_attributes)

    def _request_attributes(self, scope: Scope, carrier: dict[str, str]) -> dict[str, Any]:
        method: str = scope["method"]
        attributes: dict[str, Any] = {}
        if method in self.known_methods:
            attributes["http.request.method"] = method
        else:
            attributes["http.request.method"] = "_OTHER"
            attributes["http.request.method_original"] = method
        attributes["url.path"] = scope["path"]
        attributes["url.scheme"] = scope.get("scheme", "http")
        query_string = scope.get("query_string", b"")
        if query_string:
            attributes["url.query"] = query_string.decode("latin-1")
        address, port = _server_address(scope, carrier)
        if address:
            attributes["server.address"] = address
        if port is not None:
            attributes["server.port"] = port
        if scope.get("http_version"):
            attributes["network.protocol.version"] = scope["http_version"]
        client = scope.get("client")
        if client:
            attributes["client.address"] = client[0]
        if "user-agent" in carrier:
            attributes["user_agent.original"] = carrier["user-agent"]
        return attributes
