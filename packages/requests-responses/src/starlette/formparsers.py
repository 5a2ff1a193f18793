"""Parsers for form bodies: `application/x-www-form-urlencoded` and `multipart/form-data`.

Both parsers read the body as a stream and enforce their limits while parsing, so an oversized
or hostile body fails early with a `MultiPartException` instead of being buffered first.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from enum import Enum, EnumMeta
from tempfile import SpooledTemporaryFile
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

import anyio

from starlette._utils import warn_deprecated
from starlette.datastructures import FormData, Headers, UploadFile

__all__ = ["FormParser", "MultiPartException", "MultiPartParser", "MultipartPart"]

_MULTIPART_MISSING = (
    "The `python-multipart` library must be installed to parse multipart forms: "
    'pip install "starlette-requests-responses[multipart]"'
)


class _Multipart(NamedTuple):
    MultipartParser: Any
    MultipartState: Any
    FormParserError: type[Exception]
    parse_options_header: Callable[[str | bytes | None], tuple[bytes, dict[bytes, bytes]]]


def _import_multipart() -> _Multipart:
    """python-multipart, imported only when a multipart body is actually parsed."""
    try:
        from python_multipart import exceptions, multipart
    except ModuleNotFoundError:
        try:
            # Releases before 0.0.13 only had the old import name.
            from multipart import exceptions, multipart  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ImportError(_MULTIPART_MISSING) from None
    return _Multipart(
        multipart.MultipartParser,
        multipart.MultipartState,
        exceptions.FormParserError,
        multipart.parse_options_header,
    )


class _WarnOnCall(EnumMeta):
    """`FormMessage(value)` warns, as upstream 1.x; members, iteration and lookups do not."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        warn_deprecated(
            "`FormMessage` is deprecated and will be removed in a future version.", stacklevel=2
        )
        return super().__call__(*args, **kwargs)


class FormMessage(Enum, metaclass=_WarnOnCall):
    """The messages of the 0.x parser's callbacks; kept for code that still names them."""

    FIELD_START = 1
    FIELD_NAME = 2
    FIELD_DATA = 3
    FIELD_END = 4
    END = 5


class MultiPartException(Exception):
    """A form body that breaks a limit or cannot be parsed; `request.form()` answers it with 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _part_too_large(max_part_size: int) -> MultiPartException:
    return MultiPartException(f"Part exceeded maximum size of {max_part_size // 1024}KB.")


def _field_too_large(max_part_size: int) -> MultiPartException:
    # A urlencoded body has fields, not parts (upstream 1.x's text).
    return MultiPartException(f"Field exceeded maximum size of {max_part_size // 1024}KB.")


# What any multipart body the parser cannot read gets (upstream 1.x's text): the parser's own
# diagnostics describe its internals, not the request, and stay in the exception's cause.
_INVALID_MULTIPART = "Invalid multipart data."


def _too_many_fields(max_fields: int | float) -> MultiPartException:
    return MultiPartException(f"Too many fields. Maximum number of fields is {max_fields}.")


def _decode_plain(data: bytes | bytearray) -> str:
    return data.decode("utf-8", "replace")


def _decode_form_bytes(data: bytes | bytearray) -> str:
    # `+` is a space and %XX an escaped byte; the result is UTF-8 (what browsers send).
    text = data.decode("utf-8", "replace")
    # Looked for in the text, where it costs less than in bytes (`b"%" in data` first tries to
    # read b"%" as an int, and raises and swallows a TypeError), and is there just as well.
    if "%" not in text and "+" not in text:
        return text
    return unquote_to_bytes(bytes(data).replace(b"+", b" ")).decode("utf-8", "replace")


def _unquote_text(text: str) -> str:
    # `_decode_form_bytes` of the UTF-8 bytes of `text` (`unquote_to_bytes` encodes a str so).
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "replace")


class FormParser:
    """Parses an `application/x-www-form-urlencoded` body, chunk by chunk.

    Whole `name=value` pairs are split off each chunk at once; only the pair that runs past the
    end of a chunk is buffered. Limits are checked per pair, and on the buffered partial pair.
    """

    def __init__(
        self,
        headers: Headers,
        stream: AsyncGenerator[bytes, None],
        *,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> None:
        self.headers = headers
        self.stream = stream
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        # Filled by the `on_*` callbacks, kept for API compatibility. Parsing calls only
        # `on_field_start` (a hook for subclasses): pairs go straight to the items.
        self.messages: list[tuple[FormMessage, bytes]] = []
        # The start of a pair whose end is in a later chunk.
        self._pending = bytearray()
        self._items: list[tuple[str, str | UploadFile]] = []

    def on_field_start(self) -> None:
        self.messages.append((FormMessage.FIELD_START, b""))

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self.messages.append((FormMessage.FIELD_NAME, data[start:end]))

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self.messages.append((FormMessage.FIELD_DATA, data[start:end]))

    def on_field_end(self) -> None:
        self.messages.append((FormMessage.FIELD_END, b""))

    def on_end(self) -> None:
        self.messages.append((FormMessage.END, b""))

    def _check_size(self, pair: bytes | bytearray) -> None:
        # The size of a part is that of its name and value: the `=` between them does not count
        # (looked for only in a pair long enough for it to matter).
        size = len(pair)
        if size > self.max_part_size and size - (b"=" in pair) > self.max_part_size:
            raise _field_too_large(self.max_part_size)

    def _start_pair(self) -> None:
        self.on_field_start()
        if len(self._items) >= self.max_fields:
            raise _too_many_fields(self.max_fields)

    def _end_pending(self) -> None:
        """Add the pair that spanned chunks; it was counted when it started."""
        pending, self._pending = self._pending, bytearray()
        self._check_size(pending)
        name, _, value = pending.partition(b"=")
        self._items.append((_decode_form_bytes(name), _decode_form_bytes(value)))

    def _add_pairs(self, pairs: list[bytes] | list[bytearray], plain: bool) -> None:
        """Add complete pairs; with `plain`, none has a `%` or `+`, so UTF-8 decoding is all."""
        decode = _decode_plain if plain else _decode_form_bytes
        items = self._items
        # Each pair goes through `_start_pair` and `_check_size`, the limit checks of every
        # other pair: one implementation of them. (Inlining them here would save about 0.2 us a
        # field, nothing for a small form: not worth a copy.)
        for pair in pairs:
            if not pair:
                continue  # `&&`: an empty pair, skipped like parse_qsl does
            self._start_pair()
            self._check_size(pair)
            name, _, value = pair.partition(b"=")
            items.append((decode(name), decode(value)))

    def _write(self, data: bytes) -> None:
        """Add the pairs that `data` completes; buffer the one it leaves open."""
        pending = self._pending
        ampersand = data.find(b"&")
        if ampersand == -1:
            if data and not pending:
                self._start_pair()
            pending += data
            self._check_size(pending)
        else:
            start = 0
            if pending:
                pending += data[:ampersand]
                self._end_pending()
                start = ampersand + 1
            pairs = data[start:].split(b"&")
            self._add_pairs(pairs[:-1], b"%" not in data and b"+" not in data)
            self._write(pairs[-1])
        self.messages.clear()

    async def parse(self) -> FormData:
        """Read the whole stream and return its fields, in order; blank values are kept."""
        # Closing the stream when a limit stops the parse early: no generator is left suspended.
        async with aclosing(self.stream) as stream:
            async for chunk in stream:
                self._write(chunk)
        if self._pending:
            self._end_pending()
        return FormData(self._items)

    def _parse_body(self, body: bytes) -> FormData:
        """The fields of a whole body in hand: what `parse` returns for a stream of `body`.

        Every pair is complete, the last one too: none is buffered (a stream ends with `b""`,
        which adds nothing). `request.form()` calls it for a body that `_fields_within_limits`
        could not take. Pinned to `parse` by
        tests/requests_responses/test_requests_responses_form_whole_body.py.
        """
        self._add_pairs(body.split(b"&"), b"%" not in body and b"+" not in body)
        self.messages.clear()
        return FormData(self._items)


def _fields_within_limits(
    body: bytes, max_fields: int | float, max_part_size: int
) -> list[tuple[str, str | UploadFile]] | None:
    """The fields of a whole urlencoded body in one pass over its text, when no pair of it can
    break a limit; else None, and `FormParser` checks the pairs one by one.

    No pair is longer than the body, and there are no more pairs than `&`-separated pieces: a
    body within `max_part_size` with at most `max_fields` pieces breaks neither limit, and
    nothing is checked per pair. The body must be valid UTF-8: then it decodes once, `&` and
    `=` split the text where they split the bytes, and only a name or value with a `%` or `+`
    needs unquoting, from its UTF-8 bytes, which are its bytes in the body. What
    `FormParser.parse` gives (`request.form()` tries this first), pinned by
    tests/requests_responses/test_requests_responses_form_whole_body.py.
    """
    if len(body) > max_part_size:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    pairs = text.split("&")
    if len(pairs) > max_fields:
        return None
    if "%" not in text and "+" not in text:
        return [pair.partition("=")[::2] for pair in pairs if pair]
    items: list[tuple[str, str | UploadFile]] = []
    for pair in pairs:
        if pair:
            name, _, value = pair.partition("=")
            if "%" in name or "+" in name:
                name = _unquote_text(name)
            if "%" in value or "+" in value:
                value = _unquote_text(value)
            items.append((name, value))
    return items


@dataclass
class MultipartPart:
    """The part of a multipart body being parsed."""

    content_disposition: bytes | None = None
    field_name: str = ""
    data: bytearray = field(default_factory=bytearray)
    file: UploadFile | None = None
    item_headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def _user_safe_decode(src: bytes | bytearray, codec: str) -> str:
    try:
        return src.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return src.decode("latin-1")


class MultiPartParser:
    """Parses a `multipart/form-data` body; file parts spool to disk past `spool_max_size`."""

    spool_max_size = 1024 * 1024
    max_part_size = 1024 * 1024

    def __init__(
        self,
        headers: Headers,
        stream: AsyncGenerator[bytes, None],
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> None:
        self._multipart = _import_multipart()
        self.headers = headers
        self.stream = stream
        self.max_files = max_files
        self.max_fields = max_fields
        self.max_part_size = max_part_size
        self.items: list[tuple[str, str | UploadFile]] = []
        self._current_files = 0
        self._current_fields = 0
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""
        self._current_part = MultipartPart()
        self._charset = "utf-8"
        # The callbacks are synchronous: file writes are queued here and awaited after each chunk,
        # so that `UploadFile.write` can move the rollover to disk into a worker thread.
        self._file_parts_to_write: list[tuple[MultipartPart, bytes]] = []
        self._file_parts_to_finish: list[MultipartPart] = []
        self._files_to_close_on_error: list[UploadFile] = []

    def on_part_begin(self) -> None:
        self._current_part = MultipartPart()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        message_bytes = data[start:end]
        if self._current_part.file is None:
            if len(self._current_part.data) + len(message_bytes) > self.max_part_size:
                raise _part_too_large(self.max_part_size)
            self._current_part.data.extend(message_bytes)
        else:
            self._file_parts_to_write.append((self._current_part, message_bytes))

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            self.items.append((part.field_name, _user_safe_decode(part.data, self._charset)))
        else:
            self._file_parts_to_finish.append(part)
            self.items.append((part.field_name, part.file))

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._current_partial_header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._current_partial_header_name.lower()
        value = self._current_partial_header_value
        if name == b"content-disposition":
            self._current_part.content_disposition = value
        self._current_part.item_headers.append((name, value))
        self._current_partial_header_name = b""
        self._current_partial_header_value = b""

    def on_headers_finished(self) -> None:
        part = self._current_part
        # No Content-Disposition at all, or one without a name: the same text, as upstream's.
        _, options = self._multipart.parse_options_header(part.content_disposition or b"")
        try:
            part.field_name = _user_safe_decode(options[b"name"], self._charset)
        except KeyError:
            raise MultiPartException(
                'The Content-Disposition header field "name" must be provided.'
            ) from None
        if b"filename" in options:
            self._current_files += 1
            if self._current_files > self.max_files:
                raise MultiPartException(
                    f"Too many files. Maximum number of files is {self.max_files}."
                )
            filename = _user_safe_decode(options[b"filename"], self._charset)
            # Closed by `FormData.close()`, or by `parse()` when parsing fails.
            tempfile = SpooledTemporaryFile(max_size=self.spool_max_size)  # noqa: SIM115
            part.file = UploadFile(
                file=tempfile,  # type: ignore[arg-type]
                size=0,
                filename=filename,
                headers=Headers(raw=part.item_headers),
            )
            self._files_to_close_on_error.append(part.file)
        else:
            self._current_fields += 1
            if self._current_fields > self.max_fields:
                raise _too_many_fields(self.max_fields)

    def on_end(self) -> None:
        pass

    async def _write_file_parts(self) -> None:
        for part, data in self._file_parts_to_write:
            assert part.file is not None
            await part.file.write(data)
        for part in self._file_parts_to_finish:
            assert part.file is not None
            await part.file.seek(0)
        self._file_parts_to_write.clear()
        self._file_parts_to_finish.clear()

    def _parse_content_type(self) -> bytes:
        _, params = self._multipart.parse_options_header(self.headers.get("Content-Type", ""))
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        self._charset = charset
        boundary: bytes = params.get(b"boundary", b"")
        if not boundary:
            raise MultiPartException("Missing boundary in multipart.")
        return boundary

    async def parse(self) -> FormData:
        """Read the whole stream; any error closes the files opened so far."""
        boundary = self._parse_content_type()
        callbacks = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }
        multipart = self._multipart
        try:
            parser = multipart.MultipartParser(boundary, callbacks)
        except multipart.FormParserError as exc:  # an over-long boundary, for one
            raise MultiPartException(_INVALID_MULTIPART) from exc
        received = False
        try:
            async with aclosing(self.stream) as stream:
                async for chunk in stream:
                    if chunk:
                        received = True
                        try:
                            parser.write(chunk)
                        except multipart.FormParserError as exc:
                            raise MultiPartException(_INVALID_MULTIPART) from exc
                    await self._write_file_parts()
            parser.finalize()
            if received and parser.state != multipart.MultipartState.END:
                raise MultiPartException(_INVALID_MULTIPART)  # the body ended mid-part
        except BaseException:
            # Shielded: cleanup must also happen when the parse is being cancelled.
            with anyio.CancelScope(shield=True):
                for file in self._files_to_close_on_error:
                    await file.close()
            raise
        return FormData(self.items)
