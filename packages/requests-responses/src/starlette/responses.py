"""HTTP responses: ASGI apps that send one status, its headers and a body."""

from __future__ import annotations

import hashlib
import http.cookies
import io
import json
import mimetypes
import os
import stat
import threading
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from datetime import datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from functools import lru_cache, partial
from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring as _encode_str
from secrets import token_hex
from types import AsyncGeneratorType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import anyio
import anyio.to_thread

from starlette._exception_handler import ResponseTracker
from starlette._utils import (
    check_header_name,
    check_header_value,
    collapse_excgroups,
    find_header,
    has_unsafe_header_chars,
    warn_deprecated,
)
from starlette.concurrency import iterate_in_threadpool
from starlette.datastructures import URL, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

# The first `guess_type` reads the system's mime.types files (once): do it at import, not on the
# event loop inside the first `FileResponse(...)`.
mimetypes.guess_type("index.html")

if TYPE_CHECKING:
    from starlette.background import BackgroundTask

__all__ = [
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "MalformedRangeHeader",
    "PlainTextResponse",
    "RangeNotSatisfiable",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
]

# Header values are built once per (media type, charset), not once per response.
# Keyed by the media type for utf-8, else by (media type, charset).
_CONTENT_TYPE_CACHE: dict[str | tuple[str, str], bytes] = {}
_CONTENT_TYPE_CACHE_SIZE = 256


def _body_length(body: bytes | memoryview) -> int:
    """The length in bytes of a body that is not `bytes`."""
    return body.nbytes if isinstance(body, memoryview) else len(body)


def _content_type(key: str | tuple[str, str], media_type: str, charset: str) -> bytes:
    """Build the header value and cache it under `key`; callers look in the cache first."""
    if media_type.startswith("text/") and "charset=" not in media_type.lower():
        media_type = f"{media_type}; charset={charset}"
    value = check_header_value(media_type, "Content type").encode("latin-1")
    if len(_CONTENT_TYPE_CACHE) < _CONTENT_TYPE_CACHE_SIZE:
        _CONTENT_TYPE_CACHE[key] = value
    return value


def _setdefault_header(raw_headers: list[tuple[bytes, bytes]], name: bytes, value: str) -> None:
    if find_header(raw_headers, name) is None:
        raw_headers.append((name, value.encode("latin-1")))


class Response:
    """A complete response: `content` is rendered to bytes once, at construction."""

    media_type: str | None = None
    charset = "utf-8"
    # Made on first access (a class-level None: cheaper to test than an unset attribute).
    _headers: MutableHeaders | None = None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes | memoryview:
        """Turn `content` into the body bytes."""
        if content is None:
            return b""
        if isinstance(content, (bytes, memoryview)):
            return content
        return content.encode(self.charset)  # type: ignore[no-any-return]

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Build `raw_headers`: the user's headers, then `content-length` and `content-type`."""
        if headers is None:
            raw_headers: list[tuple[bytes, bytes]] = []
            populate_content_length = populate_content_type = True
        else:
            raw_headers = [
                (
                    check_header_name(key).lower().encode("latin-1"),
                    check_header_value(value, "Header value").encode("latin-1"),
                )
                for key, value in headers.items()
            ]
            keys = {key for key, _ in raw_headers}
            populate_content_length = b"content-length" not in keys
            populate_content_type = b"content-type" not in keys

        body = getattr(self, "body", None)
        status_code = self.status_code
        if (
            body is not None
            and populate_content_length
            and status_code >= 200
            and status_code != 204
            and status_code != 304
        ):
            # memoryview: len() counts items of the first dimension, nbytes counts bytes.
            length = len(body) if type(body) is bytes else _body_length(body)
            raw_headers.append((b"content-length", b"%d" % length))

        media_type = self.media_type
        if media_type is not None and populate_content_type:
            charset = self.charset
            # Most responses are utf-8: their key is the media type alone, no tuple to build.
            key = media_type if charset == "utf-8" else (media_type, charset)
            content_type = _CONTENT_TYPE_CACHE.get(key)
            if content_type is None:
                content_type = _content_type(key, media_type, charset)
            raw_headers.append((b"content-type", content_type))

        self.raw_headers = raw_headers

    @property
    def headers(self) -> MutableHeaders:
        """The response headers, editable; changes write through to `raw_headers`."""
        headers = self._headers
        if headers is None:
            headers = self._headers = MutableHeaders(raw=self.raw_headers)
        return headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a `Set-Cookie` header."""
        for what, text in (("key", key), ("value", value), ("path", path), ("domain", domain)):
            # The header rule, plus `;`: it would start an attribute of the cookie's choosing.
            if text is not None and (has_unsafe_header_chars(text) or ";" in text):
                raise ValueError(f"Cookie {what} must not contain CR, LF, NUL or ';': {text!r}")
        cookie: http.cookies.BaseCookie[str] = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        if expires is not None:
            if isinstance(expires, datetime):
                morsel["expires"] = format_datetime(expires, usegmt=True)
            elif isinstance(expires, str):
                morsel["expires"] = check_header_value(expires, "Cookie expires")
            else:
                # An int is "seconds from now": SimpleCookie turns it into an HTTP date.
                morsel["expires"] = expires
        if path is not None:
            morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            assert samesite.lower() in ("strict", "lax", "none"), (
                "samesite must be either 'strict', 'lax' or 'none'"
            )
            morsel["samesite"] = samesite
        cookie_value = cookie.output(header="").strip()
        if partitioned:
            # http.cookies knows `Partitioned` only from Python 3.14 on.
            cookie_value += "; Partitioned"
        self.raw_headers.append((b"set-cookie", cookie_value.encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Tell the client to drop a cookie: an expired, empty `Set-Cookie`."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # A WebSocket denial response (the "websocket.http.response" extension).
            start_type, body_type = "websocket.http.response.start", "websocket.http.response.body"
        else:
            start_type, body_type = "http.response.start", "http.response.body"
            if type(send) is ResponseTracker:
                # Both messages straight to the send the tracker wraps (see `start`).
                # tests/requests_responses/test_requests_responses_hotpath.py pins this.
                send = send.start()
        await send({"type": start_type, "status": self.status_code, "headers": self.raw_headers})
        await send({"type": body_type, "body": self.body})
        if self.background is not None:
            await self.background()


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


# What json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None,
# separators=(",", ":")) does, without building a new encoder on every call.
_json_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
)


class _JSONEncoders(threading.local):
    """The C encoder `JSONEncoder.encode` would build, made once per thread, with its `markers`
    (the containers being encoded, for the circular-reference check)."""

    def __init__(self) -> None:
        self.markers: dict[int, Any] = {}
        self.encode = _c_make_encoder(
            self.markers, _json_encoder.default, _encode_str, None, ":", ",", False, False, False
        )


_encoders = _JSONEncoders()


def _json_encode(content: Any) -> str:
    if _c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return _json_encoder.encode(content)
    # Building the encoder cost a quarter of a small JSON response. Reused within a thread only:
    # encoding runs no Python code (the default `default` raises), so a call cannot be entered
    # again while it runs, and other threads have encoders of their own.
    encoders = _encoders
    try:
        return "".join(encoders.encode(content, 0))
    except BaseException:
        # A failed call leaves its containers in `markers`: encoding them again would report a
        # circular reference that is not there.
        encoders.markers.clear()
        raise


class JSONResponse(Response):
    """Compact UTF-8 JSON; NaN and infinities are refused (they are not JSON)."""

    media_type = "application/json"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)

    def render(self, content: Any) -> bytes:
        return _json_encode(content).encode("utf-8")


class RedirectResponse(Response):
    """An empty response whose `location` header is `url`, percent-encoded where needed."""

    def __init__(
        self,
        url: str | URL,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(b"", status_code, headers, None, background)
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;").encode("latin-1")
        if headers is not None:
            self.raw_headers[:] = [item for item in self.raw_headers if item[0] != b"location"]
        self.raw_headers.append((b"location", location))


Content = str | bytes | memoryview
SyncContentStream = Iterable[Content]
AsyncContentStream = AsyncIterable[Content]
ContentStream = AsyncContentStream | SyncContentStream


def _disconnect_on_oserror(send: Send) -> Send:
    """`send`, raising `ClientDisconnect` where the server's raises `OSError` (client gone)."""

    async def guarded(message: Message) -> None:
        try:
            await send(message)
        except OSError as exc:
            raise ClientDisconnect() from exc

    return guarded


def _websocket_denial_send(send: Send) -> Send:
    async def prefixed(message: Message) -> None:
        await send({**message, "type": "websocket." + message["type"]})

    return prefixed


def _spec_version(scope: Scope) -> tuple[int, ...]:
    version: str = scope.get("asgi", {}).get("spec_version", "2.0")
    return _parse_version(version)


@lru_cache(maxsize=16)
def _parse_version(version: str) -> tuple[int, ...]:
    # A server sends the same one or two versions all its life: parse each once.
    return tuple(map(int, version.split(".")))


async def _listen_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] in ("http.disconnect", "websocket.disconnect"):
            break


async def _until_disconnect(
    stream: Callable[[], Awaitable[None]], listen: Callable[[], Awaitable[None]]
) -> None:
    """Run `stream`; stop it early when `listen` returns (the client disconnected).

    Only for servers older than ASGI 2.4: from 2.4 on, `send` raises `OSError` once the client
    is gone, so there is nothing to listen for and callers just run `stream`.
    """
    with collapse_excgroups():
        async with anyio.create_task_group() as task_group:

            async def run_then_cancel(func: Callable[[], Awaitable[None]]) -> None:
                await func()
                task_group.cancel_scope.cancel()

            task_group.start_soon(run_then_cancel, stream)
            await run_then_cancel(listen)


class StreamingResponse(Response):
    """A response whose body comes from an (async or sync) iterator, chunk by chunk."""

    body_iterator: AsyncContentStream

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        if isinstance(content, AsyncIterable):
            self.body_iterator = content
        else:
            # A blocking iterator must not block the event loop: fetch each item in a thread.
            self.body_iterator = iterate_in_threadpool(content)
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.init_headers(headers)

    async def listen_for_disconnect(self, receive: Receive) -> None:
        """Return once the client disconnects."""
        await _listen_for_disconnect(receive)

    async def stream_response(self, send: Send) -> None:
        """Send the start message, then every chunk of the body iterator."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        charset = self.charset
        iterator = aiter(self.body_iterator)
        exhausted = False
        try:
            async for chunk in iterator:
                if not isinstance(chunk, (bytes, memoryview)):
                    chunk = chunk.encode(charset)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            exhausted = True
        finally:
            # Stopped early (disconnect, error): let the generator's own cleanup run now rather
            # than whenever, and wherever, it is garbage-collected. An exhausted generator has
            # nothing left to clean up; other iterators are always closed.
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None and not (exhausted and type(iterator) is AsyncGeneratorType):
                await aclose()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            send = _websocket_denial_send(send)
        # A response that was never delivered must not run its background tasks: a failed
        # `send` raises out of here, before them.
        send = _disconnect_on_oserror(send)
        if _spec_version(scope) >= (2, 4):
            await self.stream_response(send)
        else:
            await _until_disconnect(
                partial(self.stream_response, send), partial(self.listen_for_disconnect, receive)
            )
        if self.background is not None:
            await self.background()


class MalformedRangeHeader(Exception):
    """The `Range` header cannot be served: answered with 400 and `content` as the body."""

    def __init__(self, content: str = "Malformed range header.") -> None:
        self.content = content


class RangeNotSatisfiable(Exception):
    """No requested range overlaps the file: answered with 416."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size


# Positions longer than this cannot be real offsets; parsing them in full would let a huge
# number cost CPU (or hit int's digit limit), so they are capped.
_MAX_POSITION_DIGITS = 18
_HUGE_POSITION = 10**_MAX_POSITION_DIGITS


# The 400 texts of upstream Starlette 1.x, one per way a header can be wrong.
_NOT_BYTES = "Only support bytes range"
_NO_RANGE = "Range header: range must be requested"
_INVERTED = "Range header: start must be less than end"


def _parse_position(text: str) -> int | None:
    """A byte position, or None when `text` is not one (digits only)."""
    if not (text.isascii() and text.isdigit()):
        return None
    text = text.lstrip("0") or "0"
    return _HUGE_POSITION if len(text) > _MAX_POSITION_DIGITS else int(text)


def _start_message(status_code: int, raw_headers: list[tuple[bytes, bytes]]) -> Message:
    return {"type": "http.response.start", "status": status_code, "headers": raw_headers}


# One part of a response body: literal bytes, or a (start, end) slice of the file.
_Segment = bytes | tuple[int, int]


class FileResponse(Response):
    """Sends a file from disk, read in a worker thread, with HEAD and `Range` support."""

    chunk_size = 64 * 1024
    max_ranges = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        method: str | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        if method is not None:
            # Upstream's text and category (0.52, the last release with the parameter), attributed
            # to this module as upstream's is. Unlike upstream it still works: "HEAD" sends no body.
            warn_deprecated(
                "The 'method' parameter is not used, and it will be removed.", DeprecationWarning
            )
        self.method = method
        if media_type is None:
            media_type = mimetypes.guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.init_headers(headers)
        _setdefault_header(self.raw_headers, b"accept-ranges", "bytes")
        if filename is not None:
            quoted = quote(filename)
            if quoted != filename:
                # RFC 6266 / RFC 5987: non-ASCII or special names travel percent-encoded.
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            _setdefault_header(self.raw_headers, b"content-disposition", disposition)
        self.stat_result = stat_result
        self._content: bytes | None = None
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def preload(self, content: bytes) -> None:
        """Serve `content` as the file's bytes, without reading the file again.

        For a caller that read a small file along with its stat, in the same worker-thread
        call (StaticFiles does): the body then goes out without another hop to a thread.
        `content` must be the bytes the stat announced, at most `stat_result.st_size` of them.
        """
        self._content = content

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        """Set `content-length`, `last-modified` and `etag` from the file's stat."""
        etag_base = f"{stat_result.st_mtime}-{stat_result.st_size}".encode()
        etag = f'"{hashlib.md5(etag_base, usedforsecurity=False).hexdigest()}"'
        raw_headers = self.raw_headers
        _setdefault_header(raw_headers, b"content-length", str(stat_result.st_size))
        _setdefault_header(
            raw_headers, b"last-modified", formatdate(stat_result.st_mtime, usegmt=True)
        )
        _setdefault_header(raw_headers, b"etag", etag)

    def generate_multipart(
        self,
        ranges: Sequence[tuple[int, int]],
        boundary: str,
        max_size: int,
        content_type: str,
    ) -> tuple[int, Callable[[int, int], bytes]]:
        """The `multipart/byteranges` body length, and the part-header builder.

        `ranges` hold `(start, end)` with `end` exclusive. The body is, per range, the part
        header, the bytes and CRLF; then `--boundary--` CRLF.
        """

        def part_header(start: int, end: int) -> bytes:
            return (
                f"--{boundary}\r\n"
                f"Content-Type: {content_type}\r\n"
                f"Content-Range: bytes {start}-{end - 1}/{max_size}\r\n"
                "\r\n"
            ).encode("latin-1")

        content_length = sum(
            len(part_header(start, end)) + end - start + 2 for start, end in ranges
        )
        content_length += len(boundary) + 6  # --boundary--\r\n
        return content_length, part_header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET").upper()
        header_only = method == "HEAD" or (
            self.method is not None and self.method.upper() == "HEAD"
        )
        stat_result = self.stat_result
        if stat_result is None:
            stat_result = await self._stat()
            self.set_stat_headers(stat_result)

        ranges = None
        if self.status_code == 200 and method in ("GET", "HEAD"):
            http_range = if_range = None
            for key, value in scope.get("headers", ()):
                if key == b"range":
                    http_range = value.decode("latin-1")
                elif key == b"if-range":
                    if_range = value.decode("latin-1")
            if (
                http_range is not None
                # Counted before anything is parsed: a header of thousands of ranges is ignored
                # (the whole file is sent, as upstream 1.x does) at the cost of one scan.
                and http_range.count(",") < self.max_ranges
                and (if_range is None or self._if_range_matches(if_range))
            ):
                try:
                    ranges = self._parse_range_header(http_range, stat_result.st_size)
                except MalformedRangeHeader as exc:
                    await PlainTextResponse(exc.content, status_code=400)(scope, receive, send)
                    return
                except RangeNotSatisfiable as exc:
                    response = PlainTextResponse(
                        status_code=416, headers={"content-range": f"bytes */{exc.max_size}"}
                    )
                    await response(scope, receive, send)
                    return

        status_code, raw_headers, segments = self._plan(ranges, stat_result.st_size)
        if scope["type"] == "websocket":
            send = _websocket_denial_send(send)
        if header_only:
            await send(_start_message(status_code, raw_headers))
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif ranges is None and "http.response.pathsend" in scope.get("extensions", {}):
            # The server sends the file itself (zero-copy where it can).
            await send(_start_message(status_code, raw_headers))
            await send({"type": "http.response.pathsend", "path": os.fspath(self.path)})
        else:
            await self._send_file(scope, receive, send, status_code, raw_headers, segments)
        if self.background is not None:
            await self.background()

    async def _stat(self) -> os.stat_result:
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
        except (FileNotFoundError, NotADirectoryError):
            raise RuntimeError(f"File at path {self.path} does not exist.") from None
        if not stat.S_ISREG(stat_result.st_mode):
            raise RuntimeError(f"File at path {self.path} is not a file.")
        return stat_result

    def _if_range_matches(self, if_range: str) -> bool:
        # RFC 9110 13.1.5: an entity tag must match strongly (weak tags never do); a date must
        # equal Last-Modified exactly.
        if_range = if_range.strip()
        if if_range.startswith('"'):
            etag = find_header(self.raw_headers, b"etag")
            return etag is not None and etag.decode("latin-1") == if_range
        last_modified = find_header(self.raw_headers, b"last-modified")
        if if_range.startswith("W/") or last_modified is None:
            return False
        try:
            return parsedate_to_datetime(if_range) == parsedate_to_datetime(
                last_modified.decode("latin-1")
            )
        except (TypeError, ValueError):
            return False

    def _parse_range_header(self, http_range: str, file_size: int) -> list[tuple[int, int]]:
        """Satisfiable ranges as sorted, merged `(start, end)` pairs (`end` exclusive).

        Lenient as upstream 1.x: a member that is not a range is skipped. An inverted range, a
        unit other than `bytes` or no range at all is a 400; nothing satisfiable is a 416.
        """
        units, equals, specs = http_range.partition("=")
        if not equals:
            raise MalformedRangeHeader()
        if units.strip().lower() != "bytes":
            raise MalformedRangeHeader(_NOT_BYTES)
        ranges: list[tuple[int, int]] = []
        requested = False
        for spec in specs.split(","):
            first, dash, last = spec.partition("-")
            first, last = first.strip(), last.strip()
            if not dash or not (first or last):
                continue  # not a range (an empty list element, for one): skipped
            if not first:
                suffix_length = _parse_position(last)
                if suffix_length is None:
                    continue
                requested = True
                if suffix_length > 0 and file_size > 0:
                    # The last bytes; an oversized suffix means "the whole file".
                    ranges.append((max(file_size - suffix_length, 0), file_size))
                continue
            start = _parse_position(first)
            # An open end ("5-") runs to the end of the file, like an oversized one.
            last_position = _parse_position(last) if last else _HUGE_POSITION
            if start is None or last_position is None:
                continue
            requested = True
            if last_position < start:
                raise MalformedRangeHeader(_INVERTED)
            if start < file_size:
                ranges.append((start, min(last_position + 1, file_size)))
        if not requested:
            raise MalformedRangeHeader(_NO_RANGE)
        if not ranges:
            raise RangeNotSatisfiable(file_size)

        # Sort then merge overlapping and adjacent ranges.
        ranges.sort()
        merged = [ranges[0]]
        for start, end in ranges[1:]:
            last_start, last_end = merged[-1]
            if start <= last_end:
                if end > last_end:
                    merged[-1] = (last_start, end)
            else:
                merged.append((start, end))
        return merged

    def _plan(
        self, ranges: list[tuple[int, int]] | None, file_size: int
    ) -> tuple[int, list[tuple[bytes, bytes]], list[_Segment]]:
        """Status, headers and body segments; a 206 works on a copy of the headers."""
        if ranges is None:
            return self.status_code, self.raw_headers, [(0, file_size)]
        if len(ranges) == 1:
            start, end = ranges[0]
            raw_headers = [item for item in self.raw_headers if item[0] != b"content-length"]
            raw_headers.append((b"content-length", str(end - start).encode("latin-1")))
            raw_headers.append(
                (b"content-range", f"bytes {start}-{end - 1}/{file_size}".encode("latin-1"))
            )
            return 206, raw_headers, [(start, end)]

        content_type = find_header(self.raw_headers, b"content-type")
        boundary = token_hex(13)
        content_length, part_header = self.generate_multipart(
            ranges,
            boundary,
            file_size,
            "" if content_type is None else content_type.decode("latin-1"),
        )
        raw_headers = [
            item for item in self.raw_headers if item[0] not in (b"content-length", b"content-type")
        ]
        raw_headers.append((b"content-length", str(content_length).encode("latin-1")))
        raw_headers.append(
            (b"content-type", f"multipart/byteranges; boundary={boundary}".encode("latin-1"))
        )
        segments: list[_Segment] = []
        for start, end in ranges:
            segments += (part_header(start, end), (start, end), b"\r\n")
        segments.append(f"--{boundary}--\r\n".encode("latin-1"))
        return 206, raw_headers, segments

    async def _send_file(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status_code: int,
        raw_headers: list[tuple[bytes, bytes]],
        segments: list[_Segment],
    ) -> None:
        # Under load each hop to a worker thread waits for turns of a busy event loop: the hops,
        # not the reads, make a file slow. So the file opens with the first read and closes with
        # the last, and a body that fits in one chunk is one hop and one message.
        in_memory = self._content is not None
        chunks = self._read_chunks(segments, exact=status_code == 206)
        try:
            first = next(chunks) if in_memory else await anyio.to_thread.run_sync(next, chunks)
        except (FileNotFoundError, NotADirectoryError):
            raise RuntimeError(f"File at path {self.path} does not exist.") from None
        finished = not first[1]

        async def stream() -> None:
            nonlocal finished
            await send(_start_message(status_code, raw_headers))
            body, more_body = first
            while more_body:
                await send({"type": "http.response.body", "body": body, "more_body": True})
                if in_memory:
                    body, more_body = next(chunks)
                else:
                    body, more_body = await anyio.to_thread.run_sync(next, chunks)
            finished = True
            await send({"type": "http.response.body", "body": body, "more_body": False})

        # A `send` that raises OSError (an ASGI 2.4 server whose client is gone) raises out of
        # here, as upstream's does: the response was not delivered.
        if finished:
            # Nothing left to read: no reason to watch for a disconnect while sending.
            await stream()
            return
        try:
            if _spec_version(scope) >= (2, 4):
                await stream()
            else:
                await _until_disconnect(stream, partial(_listen_for_disconnect, receive))
        finally:
            if not finished:
                # Closing the generator closes the file: blocking, and due even when cancelled.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(chunks.close)

    def _read_chunks(
        self, segments: list[_Segment], exact: bool = False
    ) -> Generator[tuple[bytes, bool], None, None]:
        """The body in pieces of at most `chunk_size` file bytes, each with "more follows".

        Blocking unless the bytes are in `_content`: every `next` belongs in a worker thread.
        The file opens on the first and is closed before the last piece is yielded; literal
        segments ride along with file bytes. A file that shrank since its stat ends the body
        early, or, when `exact` (ranges, whose framing names every byte), raises.
        """
        parts: list[bytes] = []
        budget = self.chunk_size
        content = self._content
        with open(self.path, "rb") if content is None else io.BytesIO(content) as file:
            for segment in segments:
                if isinstance(segment, bytes):
                    parts.append(segment)
                    continue
                start, end = segment
                file.seek(start)
                while start < end:
                    if not budget:
                        yield b"".join(parts), True
                        parts, budget = [], self.chunk_size
                    data = file.read(min(budget, end - start))
                    if not data:
                        break
                    parts.append(data)
                    start += len(data)
                    budget -= len(data)
                if start < end:
                    # The file shrank since it was stat'ed: end the body here rather than wait.
                    if exact:
                        raise RuntimeError(f"File at path {self.path} is shorter than expected.")
                    break
        yield b"".join(parts), False
