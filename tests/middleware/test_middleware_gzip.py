from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from starlette.datastructures import Headers
from starlette.middleware.gzip import (
    GZipMiddleware,
    GZipResponder,
    IdentityResponder,
    unattached_send,
)
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY = b"x" * 4000


def response_app(response: Response) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await response(scope, receive, send)

    return app


async def run(app: ASGIApp, accept_encoding: str | None = "gzip") -> list[Message]:
    """Call `app` with one GET request; return the messages it sent."""
    headers = [] if accept_encoding is None else [(b"accept-encoding", accept_encoding.encode())]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""}
    messages: list[Message] = []
    requests = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await anyio.sleep_forever()  # the client stays connected
        raise AssertionError  # pragma: no cover

    async def send(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages


def test_compresses_when_accepted(test_client_factory: Any) -> None:
    app = GZipMiddleware(response_app(PlainTextResponse(BODY)))
    client = test_client_factory(app)
    response = client.get("/", headers={"accept-encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.text == BODY.decode()
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < len(BODY)


def test_not_compressed_when_not_accepted(test_client_factory: Any) -> None:
    app = GZipMiddleware(response_app(PlainTextResponse(BODY)))
    client = test_client_factory(app)
    response = client.get("/", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.text == BODY.decode()
    assert "content-encoding" not in response.headers
    assert response.headers["content-length"] == str(len(BODY))
    # The response could have been compressed: caches must key on Accept-Encoding.
    assert response.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "accept_encoding", ["gzip;q=0", "gzip; Q=0.000, br", "br", "xgzip", "gzip;q=bad", ""]
)
@pytest.mark.anyio
async def test_accept_encoding_refusing_gzip(accept_encoding: str) -> None:
    messages = await run(GZipMiddleware(response_app(PlainTextResponse(BODY))), accept_encoding)
    assert "content-encoding" not in Headers(raw=messages[0]["headers"])
    assert messages[1]["body"] == BODY


@pytest.mark.parametrize(
    "accept_encoding", ["GZIP", "br, gzip;q=0.5", "deflate, gzip; level=1; q=1", "gzip;x=y"]
)
@pytest.mark.anyio
async def test_accept_encoding_with_gzip(accept_encoding: str) -> None:
    messages = await run(GZipMiddleware(response_app(PlainTextResponse(BODY))), accept_encoding)
    assert Headers(raw=messages[0]["headers"])["content-encoding"] == "gzip"
    assert gzip.decompress(messages[1]["body"]) == BODY


def test_small_response_not_compressed(test_client_factory: Any) -> None:
    app = GZipMiddleware(response_app(PlainTextResponse("x" * 499)), minimum_size=500)
    client = test_client_factory(app)
    response = client.get("/", headers={"accept-encoding": "gzip"})
    assert response.text == "x" * 499
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers
    assert response.headers["content-length"] == "499"


@pytest.mark.anyio
async def test_empty_body_never_compressed_even_with_minimum_size_zero() -> None:
    messages = await run(GZipMiddleware(response_app(PlainTextResponse("")), minimum_size=0))
    assert "content-encoding" not in Headers(raw=messages[0]["headers"])
    assert messages[1]["body"] == b""


@pytest.mark.anyio
async def test_streaming_response_flushes_every_chunk() -> None:
    chunks = [b"first chunk " * 10, b"second " * 20, b"", b"third"]

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    response = StreamingResponse(stream(), headers={"Content-Length": "1000", "Vary": "Cookie"})
    messages = await run(GZipMiddleware(response_app(response), minimum_size=1))

    headers = Headers(raw=messages[0]["headers"])
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert headers["vary"] == "Cookie, Accept-Encoding"

    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    bodies = [message for message in messages[1:] if message["type"] == "http.response.body"]
    # Each chunk decompresses completely as soon as it arrives.
    for message, chunk in zip(bodies, [*chunks, b""], strict=False):
        assert decompressor.decompress(message["body"]) == chunk
    assert bodies[-1]["more_body"] is False
    assert decompressor.eof


def test_streaming_response_through_test_client(test_client_factory: Any) -> None:
    async def stream() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"hello world " * 10

    app = GZipMiddleware(response_app(StreamingResponse(stream(), media_type="text/plain")))
    client = test_client_factory(app)
    response = client.get("/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.text == "hello world " * 100
    assert response.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    "content_type",
    [
        "image/png",
        "IMAGE/JPEG",
        "audio/ogg",
        "video/mp4; codecs=avc1",
        "text/event-stream",
        "application/grpc+proto",
        "application/zip",
    ],
)
@pytest.mark.anyio
async def test_excluded_content_types(content_type: str) -> None:
    app = GZipMiddleware(response_app(Response(BODY, media_type=content_type)))
    messages = await run(app)
    headers = Headers(raw=messages[0]["headers"])
    assert "content-encoding" not in headers
    assert "vary" not in headers
    assert messages[1]["body"] == BODY


@pytest.mark.anyio
async def test_custom_exclusions_replace_the_defaults() -> None:
    app = GZipMiddleware(
        response_app(Response(BODY, media_type="image/png")), exclude_content_types=("text/*",)
    )
    assert Headers(raw=(await run(app))[0]["headers"])["content-encoding"] == "gzip"
    app = GZipMiddleware(
        response_app(Response(BODY, media_type="text/csv")), exclude_content_types=("text/*",)
    )
    assert "content-encoding" not in Headers(raw=(await run(app))[0]["headers"])


@pytest.mark.anyio
async def test_response_without_content_type_is_compressed() -> None:
    app = GZipMiddleware(response_app(Response(BODY)))
    messages = await run(app)
    assert gzip.decompress(messages[1]["body"]) == BODY


@pytest.mark.anyio
async def test_already_encoded_response_untouched() -> None:
    body = gzip.compress(BODY)
    response = Response(body, headers={"Content-Encoding": "br"}, media_type="text/plain")
    messages = await run(GZipMiddleware(response_app(response)))
    headers = Headers(raw=messages[0]["headers"])
    assert headers["content-encoding"] == "br"
    assert "vary" not in headers
    assert messages[1]["body"] == body


@pytest.mark.parametrize("status", [206, 204, 304])
@pytest.mark.anyio
async def test_statuses_left_alone(status: int) -> None:
    response = Response(BODY if status == 206 else b"", status_code=status)
    messages = await run(GZipMiddleware(response_app(response), minimum_size=0))
    assert "content-encoding" not in Headers(raw=messages[0]["headers"])


@pytest.mark.anyio
async def test_start_sent_at_once_when_not_compressing() -> None:
    sent_before_body: list[bool] = []
    messages: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"image/png")],
            }
        )
        sent_before_body.append(len(messages) == 1)
        await send({"type": "http.response.body", "body": BODY})

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}

    async def receive() -> Message:  # pragma: no cover - never called
        return {}

    async def send(message: Message) -> None:
        messages.append(message)

    await GZipMiddleware(app)(scope, receive, send)
    assert sent_before_body == [True]
    assert len(messages) == 2


@pytest.mark.anyio
async def test_trailers_are_forwarded_after_the_body() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True, "headers": []})
        await send({"type": "http.response.body", "body": BODY, "more_body": True})
        await send({"type": "http.response.body", "body": BODY, "more_body": False})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})

    messages = await run(GZipMiddleware(app))
    assert [m["type"] for m in messages] == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
        "http.response.trailers",
    ]
    assert messages[0]["trailers"] is True
    assert messages[3]["headers"] == [(b"x-checksum", b"abc")]
    assert gzip.decompress(messages[1]["body"] + messages[2]["body"]) == BODY * 2


@pytest.mark.anyio
async def test_pathsend_is_passed_through() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.pathsend", "path": "/tmp/file"})

    messages = await run(GZipMiddleware(app))
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.pathsend"]
    assert messages[0]["headers"] == []


@pytest.mark.anyio
async def test_start_without_headers_key() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": BODY})

    messages = await run(GZipMiddleware(app))
    headers = Headers(raw=messages[0]["headers"])
    assert headers["content-encoding"] == "gzip"
    assert headers["content-length"] == str(len(messages[1]["body"]))
    assert gzip.decompress(messages[1]["body"]) == BODY


@pytest.mark.anyio
async def test_large_chunks_compressed_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[bool] = []
    original = GZipResponder.apply_compression

    def spy(self: GZipResponder, body: bytes, *, more_body: bool) -> bytes:
        threads.append(threading.current_thread() is threading.main_thread())
        return original(self, body, more_body=more_body)

    monkeypatch.setattr(GZipResponder, "apply_compression", spy)

    async def stream() -> AsyncIterator[bytes]:
        yield b"a" * 100
        yield b"b" * 10

    app = GZipMiddleware(
        response_app(StreamingResponse(stream())), minimum_size=1, thread_minimum_size=50
    )
    messages = await run(app)
    body = b"".join(m["body"] for m in messages[1:])
    assert gzip.decompress(body) == b"a" * 100 + b"b" * 10
    # 100 bytes: a worker thread; 10 bytes and the empty last chunk: the event loop's thread.
    assert threads == [False, True, True]


@pytest.mark.anyio
async def test_large_single_body_compressed_in_a_worker_thread() -> None:
    app = GZipMiddleware(response_app(PlainTextResponse(BODY)), thread_minimum_size=1000)
    messages = await run(app)
    assert gzip.decompress(messages[1]["body"]) == BODY


@pytest.mark.anyio
async def test_identity_streaming_adds_vary_only() -> None:
    async def stream() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"b"

    app = GZipMiddleware(response_app(StreamingResponse(stream(), headers={"content-length": "2"})))
    messages = await run(app, accept_encoding=None)
    headers = Headers(raw=messages[0]["headers"])
    assert headers["vary"] == "Accept-Encoding"
    assert headers["content-length"] == "2"
    assert b"".join(m["body"] for m in messages[1:]) == b"ab"


@pytest.mark.anyio
async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:  # pragma: no cover - never called
        return {}

    async def send(message: Message) -> None:  # pragma: no cover - never called
        pass

    await GZipMiddleware(inner)({"type": "websocket"}, receive, send)
    assert seen == ["websocket"]


@pytest.mark.anyio
async def test_unattached_send() -> None:
    with pytest.raises(RuntimeError, match="send awaitable not set"):
        await unattached_send({"type": "http.response.start"})


def test_responders_are_importable_and_lazy() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        pass

    identity = IdentityResponder(app, 500)
    assert identity.apply_compression(b"abc", more_body=False) == b"abc"
    responder = GZipResponder(app, 500, 6)
    assert responder.content_encoding == "gzip"
    # Nothing is allocated until something is compressed.
    assert responder._compressor is None
    assert responder.compressor is responder.compressor


# `exclude_content_types` compared as media types, on both sides (as upstream 1.x).
@pytest.mark.parametrize(
    ("excluded", "content_type", "compressed"),
    [
        (("Application/JSON",), "application/json", False),
        (("Application/JSON",), "Application/Json; charset=utf-8", False),
        (("application/json; charset=utf-8",), "application/json", False),
        (("application/json; charset=utf-8",), "APPLICATION/JSON; charset=latin-1", False),
        ((" application/json ",), "application/json", False),
        (("application/json",), "application/problem+json", True),
        # Only gRPC's `+format` suffix extends an entry (as upstream).
        (("application/json",), "application/json+ld", True),
        (("application/grpc",), "application/grpc+proto", False),
        (("application/grpc",), "application/grpc-web", True),
        (("TEXT/*",), "text/plain; charset=utf-8", False),
        (("TEXT/*",), "Text/CSV", False),
        (("text/*",), "application/json", True),
        (("", "; charset=utf-8"), "text/plain", True),  # empty entries exclude nothing
        (("text/event-stream",), "TEXT/EVENT-STREAM; charset=utf-8", False),
    ],
)
@pytest.mark.anyio
async def test_exclusions_are_normalised(
    excluded: tuple[str, ...], content_type: str, compressed: bool
) -> None:
    assert await is_compressed(excluded, content_type) is compressed


async def is_compressed(excluded: tuple[str, ...], content_type: str) -> bool:
    response = Response(BODY, headers={"content-type": content_type})
    app = GZipMiddleware(response_app(response), exclude_content_types=excluded)
    return "content-encoding" in Headers(raw=(await run(app))[0]["headers"])


@pytest.mark.parametrize(
    ("excluded", "content_type", "compressed"),
    [
        (("text/*",), "text", False),
        (("text/*",), "TEXT", False),
        (("text/*",), "text; charset=x", False),
        (("Text/*",), " Text ;charset=x", False),
        (("text/*",), "text/", False),
        (("text/*",), "texts", True),
        (("text/*",), "textual/x", True),
        (("text",), "text; charset=x", False),
        (("text",), "text/plain", True),  # a bare type excludes only itself
        (("*/*",), "text", True),  # not a wildcard of every type
    ],
)
@pytest.mark.anyio
async def test_a_wildcard_excludes_its_type_without_a_subtype(
    excluded: tuple[str, ...], content_type: str, compressed: bool
) -> None:
    # Starlette 1.x behaviour: `type/*` excludes a content type that names the type alone.
    assert await is_compressed(excluded, content_type) is compressed


def test_exclusions_attribute_is_normalised() -> None:
    excluded = ("Application/JSON; charset=utf-8", " TEXT/* ", "image/png")
    middleware = GZipMiddleware(response_app(Response(BODY)), exclude_content_types=excluded)
    assert middleware.exclude_content_types == ("application/json", "text/*", "image/png")
    responder = GZipResponder(middleware.app, 500, exclude_content_types=excluded)
    assert responder.exclude_content_types == ("application/json", "text/*", "image/png")
    assert IdentityResponder(middleware.app, 500).exclude_content_types == (
        GZipMiddleware(middleware.app).exclude_content_types
    )


@pytest.mark.parametrize("content_length", [True, False])
@pytest.mark.anyio
async def test_compressed_response_with_trailers_has_no_content_length(
    content_length: bool,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain")]
        if content_length:
            headers.append((b"content-length", str(len(BODY)).encode()))
        await send(
            {"type": "http.response.start", "status": 200, "trailers": True, "headers": headers}
        )
        await send({"type": "http.response.body", "body": BODY})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})

    messages = await run(GZipMiddleware(app))
    headers = Headers(raw=messages[0]["headers"])
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert gzip.decompress(messages[1]["body"]) == BODY
    assert messages[2]["type"] == "http.response.trailers"


@pytest.mark.anyio
async def test_uncompressed_response_with_trailers_keeps_its_content_length() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"5")]
        await send(
            {"type": "http.response.start", "status": 200, "trailers": True, "headers": headers}
        )
        await send({"type": "http.response.body", "body": b"small"})
        await send({"type": "http.response.trailers", "headers": []})

    messages = await run(GZipMiddleware(app))
    assert Headers(raw=messages[0]["headers"])["content-length"] == "5"


@pytest.mark.parametrize("chunks", [[b"x" * 100], [b"x" * 50, b"x" * 50], [b"x" * 4000]])
@pytest.mark.anyio
async def test_declared_short_response_is_sent_as_it_is_at_once(chunks: list[bytes]) -> None:
    # A Content-Length below minimum_size says the response is not worth compressing: its start
    # message goes out before the app sends its body, and nothing is changed, even when the body
    # is streamed or (wrongly) longer than declared, as without the middleware.
    messages: list[Message] = []
    sent_before_body: list[bool] = []
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"100")],
    }

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(start)
        sent_before_body.append(len(messages) == 1)
        for index, chunk in enumerate(chunks, start=1):
            more_body = index < len(chunks)
            await send({"type": "http.response.body", "body": chunk, "more_body": more_body})

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}

    async def receive() -> Message:  # pragma: no cover - never called
        return {}

    async def send(message: Message) -> None:
        messages.append(message)

    await GZipMiddleware(app, minimum_size=500)(scope, receive, send)
    assert sent_before_body == [True]
    assert messages[0] is start
    assert b"".join(message["body"] for message in messages[1:]) == b"".join(chunks)
