"""Redirect every plain `http`/`ws` request to its `https`/`wss` equivalent."""

from __future__ import annotations

from starlette._utils import DEFAULT_PORTS, parse_host
from starlette.datastructures import URL
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HTTPSRedirectMiddleware"]

_SECURE_SCHEMES = {"http": "https", "ws": "wss"}
# The ports a redirect drops: the default port of the old scheme, or of the new one, is implied
# by `https`/`wss` (80 and 443).
_IMPLIED_PORTS = {
    scheme: (DEFAULT_PORTS[scheme], DEFAULT_PORTS[secure])
    for scheme, secure in _SECURE_SCHEMES.items()
}


class HTTPSRedirectMiddleware:
    """Answer insecure requests with a `307` to the same URL over `https` (or `wss`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("scheme") in _SECURE_SCHEMES:
            await _redirect_response(scope)(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _redirect_response(scope: Scope) -> Response:
    # `URL(scope=...)` takes the Host header only when the one Host parser accepts it (else the
    # server address), so neither a malformed host nor an out-of-range port reaches `Location`.
    url = URL(scope=scope)
    netloc = url.netloc
    parsed = parse_host(netloc)
    if parsed is None:
        # Neither a valid Host header nor a usable server address: no host to redirect to.
        return PlainTextResponse("Invalid host header", status_code=400)
    host, port = parsed
    if port in _IMPLIED_PORTS[scope["scheme"]]:
        netloc = host
    secure_url = url.replace(scheme=_SECURE_SCHEMES[scope["scheme"]], netloc=netloc)
    return RedirectResponse(secure_url, status_code=307)
