"""`GZipMiddleware.__call__` builds a responder only once the start message shows that it would
hold the response back; until then it passes messages on itself. It must send what running the
responder for the whole request sends."""

from __future__ import annotations

from typing import Any

import pytest

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, IdentityResponder, _accepts_gzip
from starlette.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio

SMALL = b"hello, world"
LARGE = b"x" * 4000


class ResponderPerRequest(GZipMiddleware):
    """`GZipMiddleware` as it was: a responder runs every HTTP request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - HTTP only here
            await self.app(scope, receive, send)
            return
        accept_encoding = Headers(scope=scope).get("accept-encoding")
        encode = accept_encoding is not None and _accepts_gzip(accept_encoding.encode("latin-1"))
        await self._responder(encode)(scope, receive, send)


def app_sending(start: Message, *messages: Message) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(dict(start))
        for message in messages:
            await send(dict(message))

    return app


def start(status: int = 200, **headers: str) -> Message:
    raw = [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "http.response.start", "status": status, "headers": raw}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


TEXT: dict[str, Any] = {"content_type": "text/plain"}
APPS: dict[str, ASGIApp] = {
    "small, declared": app_sending(start(**TEXT, content_length="12"), body(SMALL)),
    "large, declared": app_sending(start(**TEXT, content_length="4000"), body(LARGE)),
    "at the minimum": app_sending(start(content_length="500"), body(b"y" * 500)),
    "small, undeclared": app_sending(start(**TEXT), body(SMALL)),
    "large, undeclared": app_sending(start(**TEXT), body(LARGE)),
    "empty": app_sending(start(content_length="0"), body(b"")),
    "head of a large one": app_sending(start(**TEXT, content_length="4000"), body(b"")),
    "streamed, declared short": app_sending(
        start(**TEXT, content_length="2"), body(b"a", more=True), body(b"b")
    ),
    "streamed, declared long": app_sending(
        start(**TEXT, content_length="8000"), body(LARGE, more=True), body(LARGE)
    ),
    "streamed, undeclared": app_sending(start(**TEXT), body(LARGE, more=True), body(SMALL)),
    "longer than declared": app_sending(start(**TEXT, content_length="12"), body(LARGE)),
    "malformed length": app_sending(start(content_length="1_2"), body(LARGE)),
    "signed length": app_sending(start(content_length="-5"), body(LARGE)),
    "image": app_sending(start(content_type="image/png", content_length="4000"), body(LARGE)),
    "encoded": app_sending(start(content_encoding="br"), body(LARGE)),
    "partial": app_sending(start(206, content_range="bytes 0-3999/8000"), body(LARGE)),
    "not modified": app_sending(start(304), body(b"")),
    "trailers": app_sending(
        {**start(**TEXT), "trailers": True},
        body(LARGE),
        {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]},
    ),
    "pathsend": app_sending(start(**TEXT), {"type": "http.response.pathsend", "path": "/x"}),
    "no headers key": app_sending({"type": "http.response.start", "status": 200}, body(LARGE)),
}


async def run(app: ASGIApp, accept_encoding: str | None) -> list[Message]:
    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding.encode())]
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - nothing here reads
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize("name", list(APPS))
@pytest.mark.parametrize("accept_encoding", ["gzip", "gzip;q=0", None])
@pytest.mark.parametrize("minimum_size", [500, 0])
async def test_call_sends_what_the_responder_sends(
    name: str, accept_encoding: str | None, minimum_size: int
) -> None:
    options: dict[str, Any] = {"minimum_size": minimum_size}
    expected = await run(ResponderPerRequest(APPS[name], **options), accept_encoding)
    assert await run(GZipMiddleware(APPS[name], **options), accept_encoding) == expected


async def test_a_responder_is_built_only_for_what_it_holds() -> None:
    built: list[IdentityResponder] = []

    def counting(middleware: GZipMiddleware) -> GZipMiddleware:
        original = middleware._responder

        def responder(encode: bool) -> IdentityResponder:
            built.append(original(encode))
            return built[-1]

        middleware._responder = responder  # type: ignore[method-assign]
        return middleware

    await run(counting(GZipMiddleware(APPS["small, declared"])), "gzip")
    await run(counting(GZipMiddleware(APPS["image"])), "gzip")
    assert built == []
    await run(counting(GZipMiddleware(APPS["large, declared"])), "gzip")
    await run(counting(GZipMiddleware(APPS["small, declared"])), None)  # to decide on Vary
    assert [responder.content_encoding for responder in built] == ["gzip", "identity"]
