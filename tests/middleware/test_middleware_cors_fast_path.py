"""CORSMiddleware's two shortcuts, pinned to the general code they stand for.

`send` appends its headers directly when the response has neither `Vary` nor
`Access-Control-Allow-Origin` and the policy adds no others: it must answer what the general
path (`_add_cors_headers` on MutableHeaders) answers for the same response. And `__call__`
answers a simple request without `simple_response`: it must send what that sends."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


# `CORSMiddleware.__call__` answers a simple request without `simple_response` (no Headers, no
# partial of `send`): it must send what `simple_response` sends, which it still takes when a
# subclass overrides `simple_response` or `send`.


class GeneralPath(CORSMiddleware):
    """`CORSMiddleware` that always answers through `simple_response` and `send`."""

    async def simple_response(
        self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
    ) -> None:
        await super().simple_response(scope, receive, send, request_headers)


def response_app(response: list[Any], sends: list[Send]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        sends.append(send)
        start: Message = {"type": "http.response.start", "status": 200}
        if response is not NO_HEADERS_KEY:
            start["headers"] = list(response)
        await send(start)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})

    return app


NO_HEADERS_KEY: list[Any] = []  # a start message without its "headers" key


async def call(middleware: CORSMiddleware, method: str, request: list[Any]) -> list[Message]:
    scope: Scope = {"type": "http", "method": method, "path": "/", "headers": request}
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - nothing here reads
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(scope, receive, send)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("origin", [*ORIGINS, "https://a.example.org\r\nx: y", ""])
@pytest.mark.parametrize("response", [*RESPONSES, NO_HEADERS_KEY])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])  # OPTIONS without a requested method
async def test_call_answers_as_simple_response(
    policy: dict[str, Any], origin: str | None, response: list[Any], method: str
) -> None:
    request = [(b"host", b"example.com")]
    if origin is not None:
        request.append((b"origin", origin.encode()))
    fast_sends: list[Send] = []
    general_sends: list[Send] = []
    fast = CORSMiddleware(response_app(response, fast_sends), **policy)
    general = GeneralPath(response_app(response, general_sends), **policy)
    assert await call(fast, method, list(request)) == await call(general, method, request)
    # Both paths ran: the general one sends through a partial of `CORSMiddleware.send`.
    assert isinstance(general_sends[0], functools.partial)
    assert isinstance(fast_sends[0], functools.partial) is (method == "OPTIONS")


@pytest.mark.anyio
async def test_overrides_are_honoured() -> None:
    calls: list[str] = []

    class NetOrigins(CORSMiddleware):
        def is_allowed_origin(self, origin: str) -> bool:
            calls.append(origin)
            return origin.endswith(".example.net")

    class CountingSend(CORSMiddleware):
        async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
            calls.append(message["type"])
            await super().send(message, send, request_headers)

    class CountingResponse(CORSMiddleware):
        async def simple_response(
            self, scope: Scope, receive: Receive, send: Send, request_headers: Headers
        ) -> None:
            calls.append(request_headers["origin"])
            await super().simple_response(scope, receive, send, request_headers)

    request = [(b"origin", b"https://a.example.net")]
    app = response_app([], [])
    sent = await call(NetOrigins(app, allow_origins=[ORIGIN]), "GET", list(request))
    assert (b"access-control-allow-origin", b"https://a.example.net") in sent[0]["headers"]
    assert calls == ["https://a.example.net"]

    calls.clear()
    await call(CountingSend(app, allow_origins=[ORIGIN]), "GET", list(request))
    assert calls == ["http.response.start", "http.response.body", "http.response.body"]

    calls.clear()
    await call(CountingResponse(app, allow_origins=[ORIGIN]), "GET", list(request))
    assert calls == ["https://a.example.net"]
