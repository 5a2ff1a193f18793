"""OpenTelemetry tracing and metrics: one SERVER span per HTTP request or WebSocket session."""

from __future__ import annotations

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

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["OpenTelemetryMiddleware"]


def _carrier(scope: Scope) -> dict[str, str]:
    """The request headers as the propagators read them: lower-case names, repeats joined."""
    carrier: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        carrier[name] = f"{carrier[name]},{value}" if name in carrier else value
    return carrier


def _server_address(scope: Scope, carrier: dict[str, str]) -> str | None:
    host = carrier.get("host")
    if host:
        if host.startswith("["):
            return host[1:].partition("]")[0]
        return host.partition(":")[0]
    server = scope.get("server")
    return str(server[0]) if server else None


class OpenTelemetryMiddleware:
    """Trace every HTTP request and WebSocket session as a SERVER span.

    The span is named `"{method} {route}"` when the router set `scope["route"]`, else
    `"{method}"`. Its parent is taken from the request headers (W3C `traceparent` by default).
    Paths matching any regex of `excluded_urls` (a sequence, or one comma-separated string) are
    not traced. HTTP request durations are recorded in the `http.server.request.duration`
    histogram of `meter_provider` (the global one by default).
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
        patterns = [url for url in excluded_urls if url]
        self.app = app
        self.excluded_urls = re.compile("|".join(patterns)) if patterns else None
        self.tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(__name__, meter_provider=meter_provider)
        self.duration_histogram = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            description="Duration of HTTP server requests.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or (
            self.excluded_urls is not None and self.excluded_urls.search(scope["path"])
        ):
            await self.app(scope, receive, send)
            return

        carrier = _carrier(scope)
        method = scope.get("method", "GET")  # a WebSocket handshake is a GET
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"),
        }
        server_address = _server_address(scope, carrier)
        if server_address:
            attributes["server.address"] = server_address

        start_time = time.perf_counter()
        status_code: int | None = None
        with self.tracer.start_as_current_span(
            method,
            context=extract(carrier),
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            async def send_wrapper(message: Message) -> None:
                nonlocal status_code
                if message["type"] == "http.response.start":
                    status_code = message["status"]
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, send_wrapper)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
                raise
            finally:
                route = getattr(scope.get("route"), "path", None)
                if isinstance(route, str):
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    attributes["http.route"] = route
                if scope["type"] == "http":
                    self._record_duration(attributes, status_code, start_time)

    def _record_duration(
        self, attributes: dict[str, Any], status_code: int | None, start_time: float
    ) -> None:
        metric_attributes: dict[str, Any] = {
            key: attributes[key]
            for key in ("http.request.method", "url.scheme", "http.route")
            if key in attributes
        }
        if status_code is not None:
            metric_attributes["http.response.status_code"] = status_code
        self.duration_histogram.record(time.perf_counter() - start_time, metric_attributes)
