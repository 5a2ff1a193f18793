"""Regressions found by the fuzz targets of tests/fuzz (see tests/fuzz/README.md)."""

from __future__ import annotations

from typing import Any

import pytest

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("endpoint")(scope, receive, send)


async def call(app: Any, method: str, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


def response_headers(messages: list[Message]) -> dict[bytes, bytes]:
    return dict(messages[0]["headers"])


@pytest.mark.anyio
async def test_preflight_with_nul_in_requested_headers_is_refused_not_a_500():
    # fuzz_request: allow_headers=["*"] echoed a NUL-bearing Access-Control-Request-Headers into
    # the response, and building that response raised ValueError (a 500).
    app = CORSMiddleware(
        endpoint, allow_origins=["https://ok.example"], allow_headers=["*"], allow_methods=["*"]
    )
    headers = [
        (b"origin", b"https://ok.example"),
        (b"access-control-request-method", b"GET"),
        (b"access-control-request-headers", b"x-a\x00b"),
    ]
    messages = await call(app, "OPTIONS", headers)
    assert messages[0]["status"] == 400
    assert messages[1]["body"] == b"Disallowed CORS headers"
    assert b"access-control-allow-headers" not in response_headers(messages)


@pytest.mark.anyio
async def test_preflight_still_echoes_plain_requested_headers():
    app = CORSMiddleware(
        endpoint, allow_origins=["https://ok.example"], allow_headers=["*"], allow_methods=["*"]
    )
    headers = [
        (b"origin", b"https://ok.example"),
        (b"access-control-request-method", b"GET"),
        (b"access-control-request-headers", b"x-a, x-b"),
    ]
    messages = await call(app, "OPTIONS", headers)
    assert messages[0]["status"] == 200
    assert response_headers(messages)[b"access-control-allow-headers"] == b"x-a, x-b"


@pytest.mark.anyio
@pytest.mark.parametrize("origin", [b"https://\x00.ok.example", b"https://a\r\n.ok.example"])
async def test_origin_with_control_characters_is_never_echoed(origin: bytes):
    # A regex like `https://.*\.ok\.example` matches them: echoing would split the response.
    app = CORSMiddleware(
        endpoint, allow_origin_regex=r"https://.*\.ok\.example", allow_credentials=True
    )
    preflight = await call(
        app, "OPTIONS", [(b"origin", origin), (b"access-control-request-method", b"GET")]
    )
    assert preflight[0]["status"] == 400
    assert b"access-control-allow-origin" not in response_headers(preflight)
    simple = await call(app, "GET", [(b"origin", origin)])
    assert simple[0]["status"] == 200
    assert simple[1]["body"] == b"endpoint"
    assert b"access-control-allow-origin" not in response_headers(simple)
    assert response_headers(simple)[b"vary"] == b"Origin"


@pytest.mark.anyio
async def test_credentialed_request_from_any_origin_does_not_echo_a_nul_origin():
    app = CORSMiddleware(endpoint, allow_origins=["*"])
    messages = await call(app, "GET", [(b"origin", b"https://a\x00b"), (b"cookie", b"a=1")])
    assert messages[0]["status"] == 200
    assert response_headers(messages)[b"access-control-allow-origin"] == b"*"
    # Starlette 1.x behaviour: without credentials allowed, a request with cookies gets `*` too.
    plain = await call(app, "GET", [(b"origin", b"https://ab"), (b"cookie", b"a=1")])
    assert response_headers(plain)[b"access-control-allow-origin"] == b"*"
