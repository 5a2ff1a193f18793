"""Fuzz target: the request line and headers an app receives from a server.

Any bytes in `path` / `raw_path`, `query_string`, header names and values go through two full
apps (sessions, authentication, CORS, GZip, routing with convertors, mounts, host routes, static
files; trusted hosts with an HTTPS redirect) whose endpoints read every part of the request.
Check: each answer is below 500, with a complete body, and nothing escapes the app.
"""

from __future__ import annotations

import base64
import binascii
import os
import sys
import tempfile
from urllib.parse import unquote_to_bytes

import atheris

with atheris.instrument_imports(include=["starlette"]):
    from starlette.applications import Starlette
    from starlette.authentication import (
        AuthCredentials,
        AuthenticationBackend,
        AuthenticationError,
        SimpleUser,
    )
    from starlette.middleware import Middleware
    from starlette.middleware.authentication import AuthenticationMiddleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import HTTPConnection, Request
    from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
    from starlette.routing import Host, Mount, Route, Router
    from starlette.staticfiles import StaticFiles

from tests.fuzz._asgi import call, http_scope

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "QUERY"]
HEADER_NAMES = [
    b"host",
    b"cookie",
    b"origin",
    b"access-control-request-method",
    b"access-control-request-headers",
    b"access-control-request-private-network",
    b"accept-encoding",
    b"authorization",
    b"content-type",
    b"content-length",
    b"range",
    b"if-none-match",
    b"if-modified-since",
    b"x-forwarded-for",
]
SEEDS = [
    b"\x00\x00\x05/echo\x07a=1&b=2\x02\x00\x00\x0bexample.com\x06\x02\x05x=1;y",
    b"\x00\x01\x0f/users/42/../%2e\x00\x01\x02\x10https://ok.example",
    b"\x01\x00\x0b/static/a.t\x00\x01\x0a\x0bbytes=0-1,-2",
    b"\x00\x05\x0c/files/a%2fb\x00\x02\x03\x07gzip, *\x07\x0eBasic Zm9vOmJhcg==",
    b"\x01\x00\x01/\x00\x01\x00\x0a[::1]:8000",
]
DICTIONARY = [
    b"/echo",
    b"/users/",
    b"/files/",
    b"/float/",
    b"/slash",
    b"/static/",
    b"/sub/",
    b"%2F",
    b"%00",
    b"//",
    b"..",
    b"example.com",
    b".example.org",
    b"[::1]",
    b"Basic ",
    b"session=",
    b"https://ok.example",
    b"gzip",
    b"bytes=",
]


class BasicAuthBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        scheme, _, credentials = conn.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            username, _, _password = base64.b64decode(credentials).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Invalid basic auth credentials") from exc
        return AuthCredentials(["authenticated"]), SimpleUser(username)


async def echo(request: Request) -> JSONResponse:
    request.session["visits"] = request.session.get("visits", 0) + 1
    url = request.url
    return JSONResponse(
        {
            "url": str(url),
            "parts": [url.scheme, url.netloc, url.hostname, url.port, url.path, url.query],
            "base_url": str(request.base_url),
            "replaced": str(url.replace(path="/other", query="")),
            "query": request.query_params.multi_items(),
            "headers": request.headers.items(),
            "cookies": request.cookies,
            "client": list(request.client or ()),
            "user": request.user.display_name if request.user.is_authenticated else None,
            "scopes": request.auth.scopes,
            "url_for": str(request.url_for("files", path="a/b c")),
            "path_params": request.path_params,
            "body": len(await request.body()),
        }
    )


async def path_param(request: Request) -> PlainTextResponse:
    return PlainTextResponse(repr(request.path_params))


async def to_home(request: Request) -> RedirectResponse:
    return RedirectResponse(request.url_for("home"))


_directory = tempfile.mkdtemp(prefix="fuzz-request-")
with open(os.path.join(_directory, "a.txt"), "w") as _file:
    _file.write("static text\n")
with open(os.path.join(_directory, "index.html"), "w") as _file:
    _file.write("<p>index</p>\n")

routes = [
    Route("/", lambda request: PlainTextResponse("home"), name="home"),
    Route("/echo", echo, methods=["GET", "POST", "PUT", "QUERY"]),
    Route("/users/{user_id:int}", path_param),
    Route("/float/{x:float}", path_param),
    Route("/uuid/{u:uuid}", path_param),
    Route("/files/{path:path}", path_param, name="files"),
    Route("/slash/", to_home),
    Mount("/static", StaticFiles(directory=_directory, html=True)),
    Mount("/sub", routes=[Route("/{name}", path_param)]),
    Host("{sub}.example.org", Router([Route("/", path_param)])),
]
full_app = Starlette(
    routes=routes,
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=["https://ok.example"],
            allow_origin_regex=r"https://.*\.ok\.example",
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=True,
            allow_private_network=True,
        ),
        Middleware(GZipMiddleware, minimum_size=10),
        Middleware(SessionMiddleware, secret_key="fuzz-secret"),
        Middleware(AuthenticationMiddleware, backend=BasicAuthBackend()),
    ],
)
guarded_app = Starlette(
    routes=routes,
    middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=["example.com", "*.example.org", "[::1]"]),
        Middleware(HTTPSRedirectMiddleware),
    ],
)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    app = full_app if fdp.ConsumeBool() else guarded_app
    method = METHODS[fdp.ConsumeIntInRange(0, len(METHODS) - 1)]
    raw_path = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    # A server percent-decodes the path as UTF-8; a careless one may hand over anything at all.
    if fdp.ConsumeBool():
        path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
    else:
        path = raw_path.decode("latin-1")
    query_string = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    headers = []
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        pick = fdp.ConsumeIntInRange(0, len(HEADER_NAMES))
        if pick < len(HEADER_NAMES):
            name = HEADER_NAMES[pick]
        else:
            name = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 16)).lower()
        headers.append((name, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))))
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    scope = http_scope(method, path, raw_path, query_string, headers)
    call(app, scope, [body])


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
