"""Advisories against HTTP-level attacks: header injection, CORS, sessions, open redirects."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

import anyio
import itsdangerous
import pytest

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message

INJECTIONS = ["a\r\nSet-Cookie: evil=1", "a\nX-Evil: 1", "a\rX-Evil: 1", "a\x00b"]


async def call(app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]], scheme: str = "http"):
    """One GET with `scope["path"]` exactly as given; the response start message."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": scheme,
        "server": ("10.0.0.1", 80),
        "client": ("10.0.0.2", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": b"",
        "headers": headers,
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]


def test_header_injection_through_cr_or_lf_is_refused() -> None:
    """Response splitting: CR/LF (or NUL) in a header value, a media type or any part of a
    cookie would start a header of the attacker's choosing."""
    for value in INJECTIONS:
        with pytest.raises(ValueError, match="must not contain CR, LF"):
            Response(headers={"X-Echo": value})
        with pytest.raises(ValueError, match="must not contain CR, LF"):
            Response(media_type=f"text/{value}")
        for field in ("key", "value", "path", "domain"):
            arguments: dict[str, Any] = {"key": "k", "value": "v", "path": "/", field: value}
            with pytest.raises(ValueError, match="must not contain CR, LF"):
                Response().set_cookie(**arguments)
        # One rule for every entry point: MutableHeaders refuses CR, LF and NUL too.
        with pytest.raises(ValueError, match="must not contain CR, LF"):
            MutableHeaders()["X-Echo"] = value
        with pytest.raises(ValueError, match="must not contain CR, LF"):
            Response().headers.append("X-Echo", value)
        # A redirect target is percent-encoded into a single Location value.
        location = RedirectResponse(f"/next{value}").headers["location"]
        assert not set("\r\n\x00") & set(location)


ORIGIN = "https://evil.example"
CORS_CONFIGS = [
    {"allow_origins": ["*"], "allow_credentials": True},
    {"allow_origins": ["*"], "allow_credentials": True, "allow_headers": ["*"]},
    {"allow_origins": ["*"], "allow_credentials": True, "allow_methods": ["*"]},
    {"allow_origin_regex": ".*", "allow_credentials": True, "allow_headers": ["*"]},
    {"allow_origins": ["*"], "allow_headers": ["*"], "allow_methods": ["*"]},
]


@pytest.mark.anyio
@pytest.mark.parametrize("config", CORS_CONFIGS)
async def test_cors_never_combines_credentials_with_wildcard(config: dict[str, Any]) -> None:
    """Credentialed cross-site reads: `Access-Control-Allow-Credentials: true` must never go
    with a `*` origin, header list or method list (browsers reject it, or worse, honour it)."""
    app = CORSMiddleware(PlainTextResponse("ok"), **config)
    requests = [
        [(b"origin", ORIGIN.encode())],
        [(b"origin", ORIGIN.encode()), (b"cookie", b"sid=1")],
        [(b"origin", ORIGIN.encode()), (b"authorization", b"Bearer x")],
    ]
    preflight = [
        (b"origin", ORIGIN.encode()),
        (b"access-control-request-method", b"DELETE"),
        (b"access-control-request-headers", b"X-Custom"),
    ]
    starts = [await call(app, "/", headers) for headers in requests]
    starts.append(await call(Options(app), "/", preflight))
    for start in starts:
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        if headers.get("access-control-allow-credentials") == "true":
            assert headers["access-control-allow-origin"] == ORIGIN
            assert "origin" in headers.get("vary", "").lower()
            assert headers.get("access-control-allow-headers", "") != "*"
            assert headers.get("access-control-allow-methods", "") != "*"
        elif headers.get("access-control-allow-origin") == "*":
            assert "access-control-allow-credentials" not in headers


class Options:
    """Turns the GET of `call` into an OPTIONS preflight."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        await self.app({**scope, "method": "OPTIONS"}, receive, send)


def session_app(**options) -> Starlette:
    async def read(request: Request) -> JSONResponse:
        return JSONResponse(dict(request.session))

    async def login(request: Request) -> JSONResponse:
        request.session["user"] = "ada"
        return JSONResponse(dict(request.session))

    return Starlette(
        routes=[Route("/", read), Route("/login", login)],
        middleware=[Middleware(SessionMiddleware, secret_key="s3cret", **options)],
    )


def test_session_cookie_tampering_is_ignored(test_client_factory) -> None:
    """Session forgery: a client that edits its signed cookie (payload, signature or key)
    gets an empty session, never the edited one and never an error."""
    client = test_client_factory(session_app())
    cookie = client.get("/login").cookies["session"]
    client.cookies.clear()
    assert client.get("/", headers={"Cookie": f"session={cookie}"}).json() == {"user": "ada"}
    payload, timestamp, signature = cookie.rsplit(".", 2)
    admin = base64.b64encode(json.dumps({"user": "admin"}).encode()).decode()
    forged = [
        f"{admin}.{timestamp}.{signature}",
        f"{payload}.{timestamp}.{signature[:-2]}AA",
        f"{payload}.{timestamp}.",
        payload,
        itsdangerous.TimestampSigner("guessed").sign(admin).decode(),
        "x" * 10_000,
    ]
    for value in forged:
        response = client.get("/", headers={"Cookie": f"session={value}"})
        assert response.status_code == 200
        assert response.json() == {}


class _SignedAnHourAgo(itsdangerous.TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


def test_session_cookie_expires_after_max_age(test_client_factory) -> None:
    """Session replay: a stolen cookie stops working after `max_age`, whatever the client's
    cookie jar says (the signature carries the timestamp)."""
    client = test_client_factory(session_app(max_age=60))
    payload = base64.b64encode(json.dumps({"user": "ada"}).encode())
    expired = _SignedAnHourAgo("s3cret").sign(payload).decode()
    fresh = itsdangerous.TimestampSigner("s3cret").sign(payload).decode()
    assert client.get("/", headers={"Cookie": f"session={expired}"}).json() == {}
    assert client.get("/", headers={"Cookie": f"session={fresh}"}).json() == {"user": "ada"}
    set_cookie = client.get("/login").headers["set-cookie"].lower()
    assert "max-age=60" in set_cookie
    assert "httponly" in set_cookie


HOSTILE_PATHS = ["//evil.example", "//evil.example/", "///evil.example/x", "/\\evil.example/"]
HOSTILE_HOSTS = [
    b"evil.example/..",
    b"good.example@evil.example",
    b"good.example/@evil.example",
    b"good.example\\@evil.example",
    b"good.example#@evil.example",
    b"good.example?@evil.example",
    b"good.example:80@evil.example",
    b"good.example\r\nX: y",
    b"",
]


def _location(start: Message) -> str:
    location: bytes = dict(start["headers"])[b"location"]
    return location.decode("latin-1")


@pytest.mark.anyio
async def test_https_redirect_cannot_be_steered_off_host() -> None:
    """Open redirect: a crafted Host header or a path starting with `//` must not turn the
    HTTPS redirect into a redirect to another site."""
    app = HTTPSRedirectMiddleware(PlainTextResponse("ok"))
    for path in HOSTILE_PATHS:
        start = await call(app, path, [(b"host", b"good.example")])
        assert start["status"] == 307
        location = urlsplit(_location(start))
        assert (location.scheme, location.netloc) == ("https", "good.example")
    for host in HOSTILE_HOSTS:
        start = await call(app, "/x", [(b"host", host)])
        if start["status"] == 400:
            continue
        assert start["status"] == 307
        location = urlsplit(_location(start))
        assert location.scheme == "https"
        assert location.netloc in ("good.example", "10.0.0.1"), host
        assert location.path == "/x"


@pytest.mark.anyio
async def test_redirect_slashes_cannot_redirect_off_site() -> None:
    """Open redirect: `redirect_slashes` must keep a crafted path (`//evil.example/`) or Host
    on the request's own site."""

    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")  # pragma: no cover

    # Each hostile path below, without its trailing slash, matches a route: a redirect follows.
    routes = [Route("/{p:path}.example", endpoint), Route("/{p:path}/x", endpoint)]
    router = Router(routes=[*routes, Route("/x", endpoint)])
    for path in ["//evil.example/", "///evil.example/x/", "/\\evil.example/", "//evil.example/x/"]:
        start = await call(router, path, [(b"host", b"good.example")])
        assert start["status"] == 307
        location = urlsplit(_location(start))
        assert (location.scheme, location.netloc) == ("http", "good.example"), path
    for host in HOSTILE_HOSTS:
        start = await call(router, "/x/", [(b"host", host)])
        assert start["status"] == 307
        location = urlsplit(_location(start))
        assert location.netloc in ("good.example", "10.0.0.1"), host
        assert location.path == "/x"
