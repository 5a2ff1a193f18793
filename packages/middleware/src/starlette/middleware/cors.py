"""Cross-Origin Resource Sharing: answer preflights and add CORS headers to responses."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Collection
from typing import Any

from starlette._utils import find_header, has_unsafe_header_chars
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALL_METHODS", "SAFELISTED_HEADERS", "CORSMiddleware"]

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")
SAFELISTED_HEADERS = {"Accept", "Accept-Language", "Content-Language", "Content-Type"}

# A preflight's answer depends on all four request headers, whatever its outcome: a shared cache
# must never serve one preflight's answer to another.
PREFLIGHT_VARY = (
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
    "Access-Control-Request-Private-Network"
)
_VARY_ORIGIN = (b"vary", b"Origin")


class CORSMiddleware:
    """Allow cross-origin requests from `allow_origins` (or `allow_origin_regex`).

    Preflight requests (`OPTIONS` with `Access-Control-Request-Method`) are answered here, never
    by the application. Every other response gets `Vary: Origin`, also for requests without an
    `Origin` and with a constant `*`: a shared cache must not serve a response without CORS
    headers to a CORS request. Preflights vary by all four request headers they read.
    """

    # True in subclasses that override `simple_response` or `send` (see `__init_subclass__`).
    _general_path = False

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Collection[str] = (),
        allow_methods: Collection[str] = ("GET",),
        allow_headers: Collection[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Collection[str] = (),
        max_age: int = 600,
    ) -> None:
        if "*" in allow_methods:
            allow_methods = ALL_METHODS

        self.app = app
        self.allow_origins = allow_origins
        self.allow_methods = allow_methods
        self.allow_all_origins = "*" in allow_origins
        self.allow_all_headers = "*" in allow_headers
        self.allow_headers = sorted({h.lower() for h in SAFELISTED_HEADERS | set(allow_headers)})
        self.allow_credentials = allow_credentials
        self.allow_private_network = allow_private_network
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        # With credentials a browser refuses `*`: the request's origin is named instead.
        self.explicit_origin = not self.allow_all_origins or allow_credentials

        # Ordered as 1.x sends them: the allowed origin leads when any origin is allowed.
        simple_headers: dict[str, str] = {}
        if self.allow_all_origins:
            simple_headers["Access-Control-Allow-Origin"] = "*"
        if allow_credentials:
            simple_headers["Access-Control-Allow-Credentials"] = "true"
        if expose_headers:
            simple_headers["Access-Control-Expose-Headers"] = ", ".join(expose_headers)
        self.simple_headers = simple_headers

        preflight_headers = {"Vary": PREFLIGHT_VARY}
        if not self.explicit_origin:
            preflight_headers["Access-Control-Allow-Origin"] = "*"
        preflight_headers["Access-Control-Allow-Methods"] = ", ".join(allow_methods)
        preflight_headers["Access-Control-Max-Age"] = str(max_age)
        if not self.allow_all_headers:
            preflight_headers["Access-Control-Allow-Headers"] = ", ".join(
                sorted(SAFELISTED_HEADERS | set(allow_headers))
            )
        if allow_credentials:
            preflight_headers["Access-Control-Allow-Credentials"] = "true"
        self.preflight_headers = preflight_headers

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that overrides how a response is sent gets the general path, with Headers.
        cls._general_path = (
            cls.simple_response is not CORSMiddleware.simple_response
            or cls.send is not CORSMiddleware.send
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if scope["method"] == "OPTIONS" or self._general_path:
            headers = Headers(scope=scope)
            if (
                scope["method"] == "OPTIONS"
                and "access-control-request-method" in headers
                and "origin" in headers
            ):
                response = self.preflight_response(request_headers=headers)
                await response(scope, receive, send)
                return
            await self.simple_response(scope, receive, send, request_headers=headers)
            return

        # `simple_response` without a Headers object, a partial and a coroutine per message: the
        # one header it reads, and a plain function for `send`, returning the awaitable of the
        # inner one. Taken unless a subclass overrides `simple_response` or `send`.
        # tests/middleware/test_middleware_cors_fast_path.py pins it to `simple_response`.
        origin = find_header(scope.get("headers") or (), b"origin")

        def send_with_cors_headers(message: Message) -> Awaitable[None]:
            if message["type"] != "http.response.start":
                return send(message)
            return send(self._with_cors_headers(message, origin))

        await self.app(scope, receive, send_with_cors_headers)

    def is_allowed_origin(self, origin: str) -> bool:
        """True when `origin` may make cross-origin requests."""
        # An origin echoed into a response header must not split the response.
        if has_unsafe_header_chars(origin):
            return False
        if self.allow_all_origins:
            return True
        if self.allow_origin_regex is not None and self.allow_origin_regex.fullmatch(origin):
            return True
        return origin in self.allow_origins

    def preflight_response(self, request_headers: Headers) -> Response:
        """`200 OK` with the CORS policy, or `400` naming what the preflight asked and may not."""
        requested_origin = request_headers["origin"]
        requested_method = request_headers["access-control-request-method"]
        requested_headers = request_headers.get("access-control-request-headers")

        headers = MutableHeaders(self.preflight_headers)
        failures: list[str] = []

        if self.is_allowed_origin(requested_origin):
            if self.explicit_origin:
                headers["Access-Control-Allow-Origin"] = requested_origin
        else:
            failures.append("origin")

        if requested_method not in self.allow_methods:
            failures.append("method")

        if self.allow_all_headers:
            if requested_headers is not None and has_unsafe_header_chars(requested_headers):
                failures.append("headers")
            elif requested_headers is not None:
                headers["Access-Control-Allow-Headers"] = requested_headers
        elif requested_headers is not None:
            names = (name.strip().lower() for name in requested_headers.split(","))
            if any(name and name not in self.allow_headers for name in names):
                failures.append("headers")

        # A Private Network Access preflight (any value of the header, as 1.x reads it) is
        # granted only when allowed, and refused like any other disallowed preflight otherwise.
        if "access-control-request-private-network" in request_headers:
            if self.allow_private_network:
                headers["Access-Control-Allow-Private-Network"] = "true"
            else:
                failures.append("private-network")

        if failures:
            # Browsers only need the status; the text is for whoever debugs the request.
            failure_text = "Disallowed CORS " + ", ".join(failures)
            return PlainTextResponse(failure_text, status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)

    async def simple_response(
        self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
    ) -> None:
        """Run the application, adding the CORS headers to its response."""
        send = functools.partial(self.send, send=send, request_headers=request_headers)
        await self.app(scope, receive, send)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        """Add the CORS headers to an `http.response.start` message, then send it."""
        if message["type"] != "http.response.start":
            await send(message)
            return
        origin = request_headers.get("origin")
        raw_origin = None if origin is None else origin.encode("latin-1")
        await send(self._with_cors_headers(message, raw_origin))

    def _with_cors_headers(self, start: Message, origin: bytes | None) -> Message:
        """A copy of the `http.response.start` message `start` with the CORS headers added, for
        a request whose `Origin` header is `origin` (None: none)."""
        headers = start.get("headers", ())
        message = {**start}
        if self.explicit_origin and not self.simple_headers:
            for key, _ in headers:
                if key == b"vary" or key == b"access-control-allow-origin":
                    break
            else:
                # Neither header yet, and no others to add (the default policy): what
                # `_add_cors_headers` does then is to append the two.
                # tests/middleware/test_middleware_cors_fast_path.py pins them to each other.
                if origin is not None and self.is_allowed_origin(origin.decode("latin-1")):
                    allowed = (b"access-control-allow-origin", origin)
                    message["headers"] = [*headers, allowed, _VARY_ORIGIN]
                else:
                    message["headers"] = [*headers, _VARY_ORIGIN]
                return message
        mutable = MutableHeaders(raw=list(headers))
        self._add_cors_headers(mutable, None if origin is None else origin.decode("latin-1"))
        message["headers"] = mutable.raw
        return message

    def _add_cors_headers(self, headers: MutableHeaders, origin: str | None) -> None:
        """Add the CORS headers of a response to a request from `origin` (None: no Origin)."""
        if origin is None:
            pass  # not a CORS request: only the Vary below, for the cache's sake
        elif self.explicit_origin:
            if self.is_allowed_origin(origin):
                headers.update(self.simple_headers)
                headers["Access-Control-Allow-Origin"] = origin
        else:
            # Any origin, no credentials: `*`, also for a request that carries cookies (as 1.x).
            # Credentials are not allowed, so a browser that sent them rightly refuses the answer.
            headers.update(self.simple_headers)
        # Every response varies by origin: with or without `Origin`, allowed or not, even `*`.
        headers.add_vary_header("Origin")

    @staticmethod
    def allow_explicit_origin(headers: MutableHeaders, origin: str) -> None:
        """Name `origin` as the allowed origin, and say that the response varies by origin."""
        headers["Access-Control-Allow-Origin"] = origin
        headers.add_vary_header("Origin")
