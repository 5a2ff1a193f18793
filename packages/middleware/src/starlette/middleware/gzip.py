"""Compress responses with gzip for clients that accept it."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Awaitable
from typing import NoReturn

import anyio.to_thread

from starlette._utils import find_header, media_type
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_EXCLUDED_CONTENT_TYPES",
    "GZipMiddleware",
    "GZipResponder",
    "IdentityResponder",
    "unattached_send",
]

DEFAULT_EXCLUDED_CONTENT_TYPES: tuple[str, ...] = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)

# Statuses whose body is empty or partial: compressing them is wrong or pointless.
_UNCOMPRESSED_STATUSES = frozenset({204, 205, 206, 304})


@functools.lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether `Accept-Encoding` lists gzip with a non-zero quality (`gzip;q=0` refuses it).

    Cached by the raw value: clients send one of a few values, and every request asks.
    """
    for item in accept_encoding.decode("latin-1").split(","):
        coding, *params = item.split(";")
        if coding.strip().lower() != "gzip":
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    return float(value) > 0
                except ValueError:
                    return False
        return True
    return False


@functools.lru_cache(maxsize=32)
def _exclusions(excluded: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The exact media types, and the prefixes (`image/`, `application/grpc+`) that exclude."""
    wildcards = tuple(pattern[:-1] for pattern in excluded if pattern.endswith("/*"))
    # `type/*` excludes the bare type too: a content type without a subtype (`text`,
    # `text; charset=x`) is of that type, as upstream 1.x reads it.
    bare_types = [prefix[:-1] for prefix in wildcards]
    exact = frozenset(
        pattern for pattern in (*excluded, *bare_types) if pattern and not pattern.endswith("/*")
    )
    # gRPC names its message format after a `+` (`application/grpc+proto`): still gRPC. Other
    # types are matched exactly, as upstream: `application/ld+json` is not `application/json`.
    grpc = ("application/grpc+",) if "application/grpc" in exact else ()
    return exact, wildcards + grpc


@functools.lru_cache(maxsize=32)
def _normalized(content_types: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: responders are built per request from the middleware's (normalised) tuple.
    return tuple(map(media_type, content_types))


def _is_excluded(content_type: str, excluded: tuple[str, ...]) -> bool:
    response_type = media_type(content_type)
    if not response_type:
        return False
    # Matched against sets and prefix tuples built once per pattern list, not pattern by pattern.
    exact, prefixes = _exclusions(tuple(excluded))
    return response_type in exact or response_type.startswith(prefixes)


@functools.lru_cache(maxsize=256)
def _excluded_type(content_type: str, excluded: tuple[str, ...]) -> bool:
    # `_is_excluded`, cached: an app sends few distinct content types, each response asks.
    return _is_excluded(content_type, excluded)


class GZipMiddleware:
    """Compress response bodies of at least `minimum_size` bytes when the client accepts gzip.

    Responses that are already encoded, partial (`206`), of an excluded content type, or that
    declare a `Content-Length` below `minimum_size` (streamed or not) are sent as they are.
    Streaming responses are compressed chunk by chunk, each chunk flushed so the client can
    decompress it at once.
    """

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 131072,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        # Compared as media types: `Application/JSON; charset=utf-8` means `application/json`.
        self.exclude_content_types = _normalized(tuple(exclude_content_types))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        accept_encoding = find_header(scope.get("headers") or (), b"accept-encoding")
        encode = accept_encoding is not None and _accepts_gzip(accept_encoding)
        # What running a responder does, without building one for a response that it would
        # pass through (most are short, with a Content-Length that says so): the responder is
        # built when the start message shows that it would hold it back.
        # tests/middleware/test_middleware_gzip_responder.py pins this to the responders.
        responder: IdentityResponder | None = None

        def send_with_compression(message: Message) -> Awaitable[None]:
            nonlocal responder
            if responder is not None:
                return responder.send_with_compression(message)
            if message["type"] == "http.response.start" and _holds(
                message, self.minimum_size if encode else 0, self.exclude_content_types
            ):
                responder = self._responder(encode)
                responder.send = send
                return responder.send_with_compression(message)
            return send(message)

        await self.app(scope, receive, send_with_compression)

    def _responder(self, encode: bool) -> IdentityResponder:
        if encode:
            return GZipResponder(
                self.app,
                self.minimum_size,
                self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        return IdentityResponder(
            self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
        )


def _holds(start: Message, minimum_length: int, excluded: tuple[str, ...]) -> bool:
    """Whether a responder holds the `http.response.start` message `start` back until the first
    body chunk: when the response may be encoded, as far as the start message tells.

    A declared Content-Length below `minimum_length` rules encoding out: the encoding responders
    pass it; the identity responder passes 0, since it must still see a streamed body (which
    could have been encoded, so it adds `Vary`).
    """
    status = start["status"]
    if status in _UNCOMPRESSED_STATUSES or status < 200:
        return False
    # One pass over the headers: an encoding or a short length rules it out, else the first
    # content type decides.
    content_type: bytes | None = None
    for key, value in start.get("headers", ()):
        if key == b"content-length":
            if value.isdigit() and int(value) < minimum_length:
                return False
        elif key == b"content-type" and content_type is None:
            content_type = value
        elif key == b"content-encoding":
            return False
    if content_type is None:
        return True
    return not _excluded_type(content_type.decode("latin-1"), tuple(excluded))


class IdentityResponder:
    """Sends the response unencoded, adding `Vary: Accept-Encoding` where it could have been.

    The base of the encoding responders: it holds `http.response.start` back until the first
    body chunk shows whether the response is worth encoding.
    """

    content_encoding = "identity"
    # Chunks at least this big are encoded in a worker thread.
    thread_minimum_size = 131072
    # The state of one response, read from the class until the response sets its own.
    initial_message: Message | None = None
    encoding = False

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.exclude_content_types = _normalized(tuple(exclude_content_types))
        self.send: Send = unattached_send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.send = send
        await self.app(scope, receive, self.send_with_compression)

    def send_with_compression(self, message: Message) -> Awaitable[None]:
        """Send `message`, encoding the body when the response qualifies.

        A plain function returning what to await: a message that passes through costs no
        coroutine of its own.
        """
        message_type = message["type"]
        if message_type == "http.response.start":
            if self._may_encode(message):
                self.initial_message = message
                return _held()
            return self.send(message)
        if self.initial_message is None:
            # Passing through, or encoding the later chunks of a streamed body.
            if self.encoding and message_type == "http.response.body":
                return self._send_encoded(message)
            return self.send(message)
        if message_type == "http.response.body":
            return self._send_first_body(self.initial_message, message)
        # `http.response.pathsend` and other extensions: sent as they are.
        return self._send_after_start(message)

    def _may_encode(self, start: Message) -> bool:
        minimum_length = 0 if self.content_encoding == "identity" else self.minimum_size
        return _holds(start, minimum_length, self.exclude_content_types)

    async def _send_first_body(self, start: Message, message: Message) -> None:
        self.initial_message = None
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if not more_body and (not body or len(body) < self.minimum_size):
            await self.send(start)
            await self.send(message)
            return

        headers = MutableHeaders(raw=list(start.get("headers", ())))
        headers.add_vary_header("Accept-Encoding")
        if self.content_encoding != "identity":
            self.encoding = True
            headers["Content-Encoding"] = self.content_encoding
            body = await self._compress(body, more_body=more_body)
            if more_body or start.get("trailers", False):
                # The length is unknown yet, or the server will send the body chunked to make
                # room for the trailers: a Content-Length would contradict either.
                del headers["Content-Length"]
            else:
                headers["Content-Length"] = str(len(body))
            message = {**message, "body": body}
        await self.send({**start, "headers": headers.raw})
        await self.send(message)

    async def _send_encoded(self, message: Message) -> None:
        more_body = message.get("more_body", False)
        body = await self._compress(message.get("body", b""), more_body=more_body)
        await self.send({**message, "body": body})

    async def _send_after_start(self, message: Message) -> None:
        initial_message, self.initial_message = self.initial_message, None
        assert initial_message is not None  # what `send_with_compression` checked
        await self.send(initial_message)
        await self.send(message)

    async def _compress(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= self.thread_minimum_size:
            # Compressing a big chunk takes long enough to stall the event loop.
            compress = functools.partial(self.apply_compression, body, more_body=more_body)
            return await anyio.to_thread.run_sync(compress)
        return self.apply_compression(body, more_body=more_body)

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """Encode one chunk of the body; the identity encoding returns it unchanged."""
        return body


class GZipResponder(IdentityResponder):
    """Compresses the response with gzip."""

    content_encoding = "gzip"
    _compressor: zlib._Compress | None = None

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int,
        compresslevel: int = 9,
        *,
        thread_minimum_size: int = 131072,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        super().__init__(app, minimum_size, exclude_content_types=exclude_content_types)
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size

    @property
    def compressor(self) -> zlib._Compress:
        """The zlib compressor, created on first use: responses left alone never allocate one."""
        if self._compressor is None:
            self._compressor = zlib.compressobj(
                self.compresslevel, zlib.DEFLATED, 16 + zlib.MAX_WBITS
            )
        return self._compressor

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        """Compress one chunk; a sync flush ends every chunk but the last, which ends the stream."""
        compressor = self.compressor
        if more_body:
            return compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH)
        return compressor.compress(body) + compressor.flush()


async def unattached_send(message: Message) -> NoReturn:
    """The `send` of a responder that has not been called yet."""
    raise RuntimeError("send awaitable not set")


async def _held() -> None:
    """What sending `http.response.start` awaits while the responder holds it back."""
