"""Refuse requests whose `Host` header is not one of the application's own hosts."""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import find_header, is_ipv6_address, parse_host, parse_host_header
from starlette.datastructures import URL
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["TrustedHostMiddleware"]

ENFORCE_DOMAIN_WILDCARD = "Domain wildcard patterns must be like '*.example.com'."

# At most this many allowed Host values are remembered per middleware.
_KNOWN_VALUES = 64


def _normalize_pattern(pattern: str) -> str:
    """An exact pattern as `parse_host` spells hosts: lower-case, no port, IPv6 in brackets."""
    pattern = pattern.strip().lower()
    if is_ipv6_address(pattern):
        # A bare IPv6 address, as written in a pattern ("::1"): bracket it as Host headers do.
        return f"[{pattern}]"
    parsed = parse_host(pattern)
    # A pattern that is no host at all is kept as written: no valid Host header matches it.
    return pattern if parsed is None else parsed[0]


class TrustedHostMiddleware:
    """Answer `400 Invalid host header` unless the `Host` header matches `allowed_hosts`.

    Patterns are `"*"` (any host), an exact host, or `"*.example.com"` (any subdomain, not the
    domain itself). Matching ignores case and the port. With `www_redirect`, a request for
    `example.com` is redirected to `www.example.com` when only the latter is listed.
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Sequence[str] | None = None,
        www_redirect: bool = True,
    ) -> None:
        if allowed_hosts is None:
            allowed_hosts = ["*"]
        for pattern in allowed_hosts:
            rest = pattern[2:] if pattern.startswith("*.") else pattern
            if pattern != "*" and "*" in rest:
                raise ValueError(ENFORCE_DOMAIN_WILDCARD)
        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        self.allow_any = "*" in self.allowed_hosts
        self.www_redirect = www_redirect
        self._exact = {_normalize_pattern(p) for p in self.allowed_hosts if not p.startswith("*")}
        self._suffixes = tuple(p[1:].lower() for p in self.allowed_hosts if p.startswith("*."))
        # Host header values, as sent, already found allowed: a site sees few, and each request
        # asks. Bounded: once full, further values are parsed each time.
        self._allowed_values: set[bytes] = set()

    def _is_allowed(self, host: str) -> bool:
        return host in self._exact or host.endswith(self._suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        # A value allowed before is allowed again: the answer depends on the value alone.
        # tests/middleware/test_middleware_trustedhost_known.py pins this to the parser's answer.
        value = find_header(scope.get("headers") or (), b"host")
        if value in self._allowed_values:
            await self.app(scope, receive, send)
            return

        # One parser decides: a malformed Host ("a@evil.com", "host:99999", "[::1]x") has no host
        # and is refused like an unlisted one.
        # (`request_host`, from the value found above rather than by a second search.)
        found = None if value is None else parse_host_header(value)
        host = "" if found is None else found[1]
        if host and self._is_allowed(host):
            if len(self._allowed_values) < _KNOWN_VALUES:
                assert value is not None  # the value that was parsed
                self._allowed_values.add(value)
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._reject_websocket(scope, receive, send)
        elif self._redirects_to_www(host):
            # The Host header is valid, so the URL's netloc is that header, port included.
            url = URL(scope=scope)
            await RedirectResponse(url.replace(netloc="www." + url.netloc))(scope, receive, send)
        else:
            await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)

    def _redirects_to_www(self, host: str) -> bool:
        return (
            self.www_redirect
            and bool(host)
            and not host.startswith("www.")
            and "www." + host in self._exact
        )

    async def _reject_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "websocket.http.response" in scope.get("extensions", {}):
            # The server can send an HTTP response in place of the handshake: a plain 400.
            response = PlainTextResponse("Invalid host header", status_code=400)
            await response(scope, receive, send)
        else:
            # Closing before accepting makes the server refuse the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": 1008, "reason": "Invalid host header"})
