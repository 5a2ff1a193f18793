"""CORSMiddleware.send appends its headers directly when the response has neither `Vary` nor
`Access-Control-Allow-Origin` and the policy adds no others: it must answer what the general
path (`_add_cors_headers` on MutableHeaders) answers for the same response."""

from __future__ import annotations

from typing import Any

import pytest

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message

ORIGIN = "https://example.org"

POLICIES: list[dict[str, Any]] = [
    {"allow_origins": [ORIGIN]},
    {"allow_origin_regex": r"https://.*\.example\.org"},
    {"allow_origins": [ORIGIN], "allow_credentials": True},  # general path: headers to add
    {"allow_origins": ["*"]},
]
ORIGINS = [ORIGIN, "https://a.example.org", "https://evil.example", None]
RESPONSES: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"content-type", b"text/plain"), (b"content-length", b"2")],
    [(b"vary", b"Accept-Encoding")],
    [(b"access-control-allow-origin", b"https://other.example")],
    [(b"Vary", b"Cookie")],  # names are compared lower-case, as MutableHeaders does
]


async def start_headers(
    middleware: CORSMiddleware, request: list[tuple[bytes, bytes]], response: list[Any]
) -> list[tuple[bytes, bytes]]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    start = {"type": "http.response.start", "status": 200, "headers": list(response)}
    await middleware.send(start, send, Headers(raw=request))
    assert start["headers"] == response  # the app's message is left as it was
    return list(sent[0]["headers"])


@pytest.mark.anyio
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("response", RESPONSES)
async def test_fast_path_matches_the_general_path(
    policy: dict[str, Any], origin: str | None, response: list[tuple[bytes, bytes]]
) -> None:
    middleware = CORSMiddleware(None, **policy)  # type: ignore[arg-type]
    request = [(b"host", b"example.com")]
    if origin is not None:
        request.append((b"origin", origin.encode()))
    expected = MutableHeaders(raw=list(response))
    middleware._add_cors_headers(expected, origin)
    assert await start_headers(middleware, request, response) == expected.raw
