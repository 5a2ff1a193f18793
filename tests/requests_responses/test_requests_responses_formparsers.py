from __future__ import annotations

import functools
import re
import sys
import warnings
from collections.abc import AsyncGenerator, Iterator
from tempfile import SpooledTemporaryFile
from typing import Any
from urllib.parse import parse_qsl

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette import formparsers
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser, MultipartPart

BOUNDARY = "a7f3b9c2e1d4"


async def stream_of(*chunks: bytes) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk


def urlencoded_headers() -> Headers:
    return Headers({"content-type": "application/x-www-form-urlencoded"})


def multipart_headers(boundary: str = BOUNDARY, extra: str = "") -> Headers:
    return Headers({"content-type": f"multipart/form-data; boundary={boundary}{extra}"})


def multipart_body(*parts: tuple[str, bytes], boundary: str = BOUNDARY) -> bytes:
    """`parts` are (raw header lines, content) pairs."""
    body = b""
    for headers, content in parts:
        body += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def field(name: str, value: bytes) -> tuple[str, bytes]:
    return (f'Content-Disposition: form-data; name="{name}"', value)


def file_part(
    name: str, filename: str, content: bytes, content_type: str = "text/plain"
) -> tuple[str, bytes]:
    headers = (
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}"
    )
    return (headers, content)


def splits(data: bytes) -> Iterator[tuple[bytes, ...]]:
    """Every way of cutting `data` in two, and byte by byte."""
    for index in range(len(data) + 1):
        yield (data[:index], data[index:])
    yield tuple(data[i : i + 1] for i in range(len(data)))


async def parse_urlencoded(*chunks: bytes, **kwargs: Any) -> FormData:
    return await FormParser(urlencoded_headers(), stream_of(*chunks), **kwargs).parse()


async def parse_multipart(
    *chunks: bytes, headers: Headers | None = None, **kwargs: Any
) -> FormData:
    if headers is None:
        headers = multipart_headers()
    parser = MultiPartParser(headers, stream_of(*chunks), **kwargs)
    return await parser.parse()


# --- FormParser (application/x-www-form-urlencoded) ---


@pytest.mark.anyio
async def test_urlencoded_fields_in_order_with_repeats() -> None:
    form = await parse_urlencoded(b"a=1&b=2&a=3")
    assert form.multi_items() == [("a", "1"), ("b", "2"), ("a", "3")]
    assert form["a"] == "3"
    assert form.getlist("a") == ["1", "3"]


@pytest.mark.anyio
async def test_urlencoded_plus_and_percent_decoding() -> None:
    form = await parse_urlencoded(b"full+name=Jane+Doe&q=a%2Bb%26c%3D&city=Z%C3%BCrich&x=%E2%82%AC")
    assert form.multi_items() == [
        ("full name", "Jane Doe"),
        ("q", "a+b&c="),
        ("city", "Zürich"),
        ("x", "€"),
    ]


@pytest.mark.anyio
async def test_urlencoded_blank_values_are_kept() -> None:
    form = await parse_urlencoded(b"empty=&bare&=nameless&last=")
    assert form.multi_items() == [("empty", ""), ("bare", ""), ("", "nameless"), ("last", "")]


@pytest.mark.anyio
async def test_urlencoded_empty_pairs_are_skipped() -> None:
    form = await parse_urlencoded(b"&&a=1&&&b=2&")
    assert form.multi_items() == [("a", "1"), ("b", "2")]


@pytest.mark.anyio
async def test_urlencoded_value_may_contain_equals_sign() -> None:
    form = await parse_urlencoded(b"token=abc==&x=1=2")
    assert form.multi_items() == [("token", "abc=="), ("x", "1=2")]


@pytest.mark.anyio
async def test_urlencoded_empty_body() -> None:
    assert (await parse_urlencoded()).multi_items() == []
    assert (await parse_urlencoded(b"", b"")).multi_items() == []


@pytest.mark.anyio
async def test_urlencoded_invalid_bytes_are_replaced_not_fatal() -> None:
    form = await parse_urlencoded(b"bad=%FF%&raw=\xff&pct=%zz")
    assert form.multi_items() == [("bad", "\ufffd%"), ("raw", "\ufffd"), ("pct", "%zz")]


@pytest.mark.anyio
async def test_urlencoded_any_chunking_gives_the_same_form() -> None:
    body = b"a=1&&b=x+y%20z&empty=&bare&c=%C3%A9t%C3%A9&=v&last"
    expected = (await parse_urlencoded(body)).multi_items()
    assert expected == [
        ("a", "1"),
        ("b", "x y z"),
        ("empty", ""),
        ("bare", ""),
        ("c", "été"),
        ("", "v"),
        ("last", ""),
    ]
    for chunks in splits(body):
        assert (await parse_urlencoded(*chunks, b"")).multi_items() == expected, chunks


@settings(max_examples=100, deadline=None)
@given(
    body=st.text(alphabet="ab=&+%C3A9F ", max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=40), max_size=4),
)
def test_urlencoded_matches_parse_qsl_for_any_chunking(body: str, cuts: list[int]) -> None:
    data = body.encode()
    points = sorted({min(cut, len(data)) for cut in cuts})
    chunks = [
        data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)
    ]
    form = anyio.run(functools.partial(parse_urlencoded, *chunks))
    expected = parse_qsl(body, keep_blank_values=True, errors="replace")
    assert form.multi_items() == expected


@pytest.mark.anyio
async def test_urlencoded_too_many_fields() -> None:
    body = b"&".join(b"f%d=v" % index for index in range(4))
    assert len(await parse_urlencoded(body, max_fields=4)) == 4
    with pytest.raises(MultiPartException) as info:
        await parse_urlencoded(body, max_fields=3)
    assert info.value.message == "Too many fields. Maximum number of fields is 3."
    assert str(info.value) == info.value.message


@pytest.mark.anyio
async def test_urlencoded_default_max_fields_is_1000() -> None:
    body = b"&".join(b"f=%d" % index for index in range(1001))
    with pytest.raises(MultiPartException, match=r"Maximum number of fields is 1000\."):
        await parse_urlencoded(body)


@pytest.mark.anyio
async def test_urlencoded_part_size_limit_counts_name_and_value() -> None:
    form = await parse_urlencoded(b"ab=" + b"x" * 2046, max_part_size=2048)
    assert form["ab"] == "x" * 2046
    with pytest.raises(MultiPartException) as info:
        await parse_urlencoded(b"abc=" + b"x" * 2046, max_part_size=2048)
    # Upstream's text: a urlencoded body has fields, not parts.
    assert info.value.message == "Field exceeded maximum size of 2KB."


@pytest.mark.anyio
async def test_urlencoded_default_part_size_is_one_mebibyte() -> None:
    with pytest.raises(MultiPartException, match=r"^Field exceeded maximum size of 1024KB\.$"):
        await parse_urlencoded(b"big=" + b"x" * (1024 * 1024))


@pytest.mark.anyio
async def test_urlencoded_part_size_enforced_while_streaming() -> None:
    read: list[int] = []

    async def endless_field() -> AsyncGenerator[bytes, None]:
        yield b"field="
        for index in range(1000):
            read.append(index)
            yield b"x" * 1024

    parser = FormParser(urlencoded_headers(), endless_field(), max_part_size=4096)
    with pytest.raises(MultiPartException, match=r"Field exceeded maximum size of 4KB\."):
        await parser.parse()
    # The error came as soon as the field outgrew the limit, not after the whole body.
    assert len(read) == 4


@pytest.mark.anyio
async def test_urlencoded_field_count_enforced_while_streaming() -> None:
    read: list[int] = []

    async def endless_fields() -> AsyncGenerator[bytes, None]:
        for index in range(1000):
            read.append(index)
            yield b"a=1&"

    parser = FormParser(urlencoded_headers(), endless_fields(), max_fields=10)
    with pytest.raises(MultiPartException, match=r"Maximum number of fields is 10\."):
        await parser.parse()
    assert len(read) == 11


@pytest.mark.anyio
async def test_urlencoded_field_count_enforced_inside_one_big_chunk() -> None:
    class CountingParser(FormParser):
        started = 0

        def on_field_start(self) -> None:
            self.started += 1
            super().on_field_start()

    parser = CountingParser(urlencoded_headers(), stream_of(b"a=1&" * 100_000), max_fields=5)
    with pytest.raises(MultiPartException, match=r"Maximum number of fields is 5\."):
        await parser.parse()
    # Tokenizing stopped at the first field over the limit, not at the end of the chunk.
    assert parser.started == 6


def test_form_message_warns_when_called_as_upstream_1x() -> None:
    from starlette.exceptions import StarletteDeprecationWarning
    from starlette.formparsers import FormMessage

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Importing, members, iteration and lookups by name stay silent.
        assert [member.name for member in FormMessage] == [
            "FIELD_START",
            "FIELD_NAME",
            "FIELD_DATA",
            "FIELD_END",
            "END",
        ]
        assert FormMessage["END"] is FormMessage.END
        assert repr(FormMessage.END) == "<FormMessage.END: 5>"
    message = "`FormMessage` is deprecated and will be removed in a future version."
    with pytest.warns(StarletteDeprecationWarning, match=re.escape(message)) as record:
        assert FormMessage(5) is FormMessage.END
    assert record[0].filename == __file__  # the warning names the calling line
    assert not issubclass(record[0].category, DeprecationWarning)
    # An invalid value warns before it fails, as upstream.
    with pytest.warns(StarletteDeprecationWarning), pytest.raises(ValueError, match="99"):
        FormMessage(99)
    assert "FormMessage" not in formparsers.__all__


def test_form_parser_callbacks_record_messages() -> None:
    form_message = formparsers.FormMessage
    parser = FormParser(urlencoded_headers(), stream_of())
    parser.on_field_start()
    parser.on_field_name(b"xnamex", 1, 5)
    parser.on_field_data(b"--value", 2, 7)
    parser.on_field_end()
    parser.on_end()
    assert parser.messages == [
        (form_message.FIELD_START, b""),
        (form_message.FIELD_NAME, b"name"),
        (form_message.FIELD_DATA, b"value"),
        (form_message.FIELD_END, b""),
        (form_message.END, b""),
    ]


# --- MultiPartParser (multipart/form-data) ---


@pytest.mark.anyio
async def test_multipart_fields_and_files() -> None:
    body = multipart_body(
        field("name", "Zoë".encode()),
        file_part("doc", "notes.txt", b"line 1\r\nline 2\r\n"),
        field("name", b"second"),
        file_part("image", "pixel.png", b"\x89PNG\r\n\x1a\n\x00", "image/png"),
    )
    form = await parse_multipart(body)
    assert form.getlist("name") == ["Zoë", "second"]
    doc = form["doc"]
    assert isinstance(doc, UploadFile)
    assert doc.filename == "notes.txt"
    assert doc.content_type == "text/plain"
    assert doc.size == len(b"line 1\r\nline 2\r\n")
    assert await doc.read() == b"line 1\r\nline 2\r\n"
    assert doc.headers["content-disposition"] == ('form-data; name="doc"; filename="notes.txt"')
    image = form["image"]
    assert isinstance(image, UploadFile)
    assert image.content_type == "image/png"
    assert await image.read() == b"\x89PNG\r\n\x1a\n\x00"
    assert [key for key, _ in form.multi_items()] == ["name", "doc", "name", "image"]
    await form.close()


@pytest.mark.anyio
async def test_multipart_empty_file_and_empty_field() -> None:
    form = await parse_multipart(multipart_body(field("blank", b""), file_part("f", "", b"")))
    assert form["blank"] == ""
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == ""
    assert upload.size == 0
    assert await upload.read() == b""
    await form.close()


@pytest.mark.anyio
async def test_multipart_empty_body_is_an_empty_form() -> None:
    assert (await parse_multipart()).multi_items() == []
    assert (await parse_multipart(b"")).multi_items() == []


@pytest.mark.anyio
async def test_multipart_only_closing_boundary_is_an_empty_form() -> None:
    assert (await parse_multipart(f"--{BOUNDARY}--\r\n".encode())).multi_items() == []


@pytest.mark.anyio
async def test_multipart_utf8_filename_is_kept() -> None:
    headers = 'Content-Disposition: form-data; name="f"; filename="résumé ✓.txt"'
    form = await parse_multipart(multipart_body((headers, b"cv")))
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "résumé ✓.txt"
    await form.close()


@pytest.mark.anyio
async def test_multipart_undecodable_names_fall_back_to_latin1() -> None:
    disposition = b'Content-Disposition: form-data; name="caf\xe9"; filename="\xe9t\xe9.txt"'
    body = (
        f"--{BOUNDARY}\r\n".encode()
        + disposition
        + b"\r\n\r\ndata\r\n"
        + f"--{BOUNDARY}--".encode()
    )
    form = await parse_multipart(body)
    upload = form["café"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "été.txt"
    await form.close()


@pytest.mark.anyio
async def test_multipart_charset_parameter_decodes_fields() -> None:
    body = multipart_body(field("city", "Zürich".encode("latin-1")))
    form = await parse_multipart(body, headers=multipart_headers(extra="; charset=iso-8859-1"))
    assert form["city"] == "Zürich"


@pytest.mark.anyio
async def test_multipart_unknown_charset_falls_back_to_latin1() -> None:
    body = multipart_body(field("city", "Zürich".encode()))
    form = await parse_multipart(body, headers=multipart_headers(extra="; charset=no-such-codec"))
    assert form["city"] == "Zürich".encode().decode("latin-1")


@pytest.mark.anyio
async def test_multipart_quoted_boundary() -> None:
    headers = Headers({"content-type": f'multipart/form-data; boundary="{BOUNDARY}"'})
    form = await parse_multipart(multipart_body(field("a", b"1")), headers=headers)
    assert form["a"] == "1"


@pytest.mark.anyio
async def test_multipart_any_chunking_gives_the_same_form() -> None:
    body = multipart_body(
        field("a", b"alpha"),
        file_part("f", "f.bin", b"\r\n--not-the-boundary\r\n\x00\xff"),
        field("b", b""),
    )
    for chunks in splits(body):
        form = await parse_multipart(*chunks, b"")
        assert form["a"] == "alpha"
        assert form["b"] == ""
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        assert await upload.read() == b"\r\n--not-the-boundary\r\n\x00\xff", chunks
        assert upload.size == 24
        await form.close()


@pytest.mark.anyio
async def test_multipart_missing_boundary() -> None:
    headers = Headers({"content-type": "multipart/form-data"})
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(multipart_body(field("a", b"1")), headers=headers)
    assert info.value.message == "Missing boundary in multipart."


@pytest.mark.anyio
async def test_multipart_empty_boundary_is_missing() -> None:
    headers = Headers({"content-type": 'multipart/form-data; boundary=""'})
    with pytest.raises(MultiPartException, match=r"Missing boundary in multipart\."):
        await parse_multipart(multipart_body(field("a", b"1"), boundary=""), headers=headers)


@pytest.mark.anyio
async def test_multipart_over_long_boundary() -> None:
    headers = multipart_headers(boundary="b" * 5000)
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(
            multipart_body(field("a", b"1"), boundary="b" * 5000), headers=headers
        )
    assert info.value.message == "Invalid multipart data."


@pytest.mark.anyio
async def test_multipart_missing_content_type_header() -> None:
    with pytest.raises(MultiPartException, match=r"Missing boundary in multipart\."):
        await parse_multipart(b"--x--", headers=Headers())


@pytest.mark.anyio
async def test_multipart_garbage_body() -> None:
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(b"this is not a multipart body at all")
    assert info.value.message == "Invalid multipart data."
    assert "Expected boundary character" in str(info.value.__cause__)  # the parser's words


@pytest.mark.anyio
async def test_multipart_invalid_header_line() -> None:
    body = f"--{BOUNDARY}\r\nContent-Disposition form-data\r\n\r\nx\r\n--{BOUNDARY}--".encode()
    with pytest.raises(MultiPartException, match=r"^Invalid multipart data\.$"):
        await parse_multipart(body)


@pytest.mark.anyio
async def test_multipart_truncated_body_is_not_silently_accepted() -> None:
    body = multipart_body(field("a", b"1"), field("b", b"2"))
    truncated = body[: body.index(b"2") + 1]
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(truncated)
    assert info.value.message == "Invalid multipart data."


@pytest.mark.anyio
async def test_multipart_missing_content_disposition() -> None:
    body = multipart_body(("Content-Type: text/plain", b"x"))
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(body)
    # Upstream's text, the same as for a Content-Disposition without a name.
    assert info.value.message == 'The Content-Disposition header field "name" must be provided.'


@pytest.mark.anyio
async def test_multipart_content_disposition_without_name() -> None:
    body = multipart_body(('Content-Disposition: form-data; filename="a.txt"', b"x"))
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(body)
    assert info.value.message == 'The Content-Disposition header field "name" must be provided.'


@pytest.mark.anyio
async def test_multipart_too_many_files() -> None:
    body = multipart_body(*(file_part(f"f{i}", f"{i}.txt", b"x") for i in range(3)))
    form = await parse_multipart(body, max_files=3)
    assert len(form) == 3
    await form.close()
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(body, max_files=2)
    assert info.value.message == "Too many files. Maximum number of files is 2."


@pytest.mark.anyio
async def test_multipart_too_many_fields() -> None:
    body = multipart_body(*(field(f"f{i}", b"x") for i in range(3)))
    assert len(await parse_multipart(body, max_fields=3)) == 3
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(body, max_fields=2)
    assert info.value.message == "Too many fields. Maximum number of fields is 2."


@pytest.mark.anyio
async def test_multipart_files_and_fields_are_counted_separately() -> None:
    body = multipart_body(field("a", b"1"), file_part("f", "f.txt", b"x"), field("b", b"2"))
    form = await parse_multipart(body, max_files=1, max_fields=2)
    assert form["a"] == "1"
    assert form["b"] == "2"
    await form.close()


@pytest.mark.anyio
async def test_multipart_default_limits_are_1000() -> None:
    body = multipart_body(*(field("f", b"") for _ in range(1001)))
    with pytest.raises(MultiPartException, match=r"Maximum number of fields is 1000\."):
        await parse_multipart(body)
    files = multipart_body(*(file_part("f", "a", b"") for _ in range(1001)))
    with pytest.raises(MultiPartException, match=r"Maximum number of files is 1000\."):
        await parse_multipart(files)


@pytest.mark.anyio
async def test_multipart_field_part_size_limit() -> None:
    body = multipart_body(field("a", b"x" * 2048))
    assert await parse_multipart(body, max_part_size=2048) == FormData([("a", "x" * 2048)])
    with pytest.raises(MultiPartException) as info:
        await parse_multipart(body, max_part_size=2047)
    assert info.value.message == "Part exceeded maximum size of 1KB."


@pytest.mark.anyio
async def test_multipart_default_part_size_limit() -> None:
    parser = MultiPartParser(multipart_headers(), stream_of())
    assert parser.max_part_size == 1024 * 1024
    body = multipart_body(field("a", b"x" * (1024 * 1024 + 1)))
    with pytest.raises(MultiPartException, match=r"^Part exceeded maximum size of 1024KB\.$"):
        await parse_multipart(body)


@pytest.mark.anyio
async def test_multipart_part_size_limit_does_not_apply_to_files() -> None:
    body = multipart_body(file_part("f", "big.bin", b"y" * 5000))
    form = await parse_multipart(body, max_part_size=1024)
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.size == 5000
    await form.close()


class RecordingSpool(SpooledTemporaryFile):  # type: ignore[type-arg]
    instances: list[RecordingSpool] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        RecordingSpool.instances.append(self)


@pytest.fixture
def recorded_spools(monkeypatch: pytest.MonkeyPatch) -> list[RecordingSpool]:
    RecordingSpool.instances = []
    monkeypatch.setattr("starlette.formparsers.SpooledTemporaryFile", RecordingSpool)
    return RecordingSpool.instances


@pytest.mark.anyio
async def test_multipart_error_closes_files_opened_so_far(
    recorded_spools: list[RecordingSpool],
) -> None:
    body = multipart_body(
        file_part("f1", "1.txt", b"one"),
        file_part("f2", "2.txt", b"two"),
        field("a", b"x" * 100),
    )
    with pytest.raises(MultiPartException, match=r"Part exceeded"):
        await parse_multipart(body, max_part_size=10)
    assert len(recorded_spools) == 2
    assert all(spool.closed for spool in recorded_spools)


@pytest.mark.anyio
async def test_multipart_malformed_tail_closes_files(recorded_spools: list[RecordingSpool]) -> None:
    body = multipart_body(file_part("f1", "1.txt", b"one"))
    with pytest.raises(MultiPartException, match=r"^Invalid multipart data\.$"):
        await parse_multipart(body[:-10])
    assert len(recorded_spools) == 1
    assert recorded_spools[0].closed


@pytest.mark.anyio
async def test_multipart_stream_failure_closes_files(recorded_spools: list[RecordingSpool]) -> None:
    body = multipart_body(file_part("f1", "1.txt", b"one"), field("a", b"1"))

    async def broken_stream() -> AsyncGenerator[bytes, None]:
        yield body[: body.index(b'name="a"')]
        raise ConnectionResetError("client went away")

    parser = MultiPartParser(multipart_headers(), broken_stream())
    with pytest.raises(ConnectionResetError):
        await parser.parse()
    assert len(recorded_spools) == 1
    assert recorded_spools[0].closed


@pytest.mark.anyio
async def test_multipart_cancelled_parse_closes_files(
    recorded_spools: list[RecordingSpool],
) -> None:
    body = multipart_body(file_part("f1", "1.txt", b"one"))
    wait_forever = anyio.Event()

    async def stalled_stream() -> AsyncGenerator[bytes, None]:
        yield body[:-20]
        await wait_forever.wait()
        yield body[-20:]  # pragma: no cover

    parser = MultiPartParser(multipart_headers(), stalled_stream())
    with anyio.move_on_after(0) as scope:
        # Cancelled at its first blocking wait: after the file part has started.
        await parser.parse()
    assert scope.cancelled_caught
    assert len(recorded_spools) == 1
    assert recorded_spools[0].closed


@pytest.mark.anyio
async def test_multipart_upload_rolls_over_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1024)
    content = bytes(range(256)) * 20  # 5120 bytes, past the 1024-byte spool
    body = multipart_body(file_part("f", "big.bin", content), file_part("g", "small.bin", b"tiny"))
    chunks = [body[i : i + 700] for i in range(0, len(body), 700)]
    form = await parse_multipart(*chunks)
    big = form["f"]
    small = form["g"]
    assert isinstance(big, UploadFile)
    assert isinstance(small, UploadFile)
    assert isinstance(big.file, SpooledTemporaryFile)
    assert isinstance(small.file, SpooledTemporaryFile)
    assert big.file._rolled  # type: ignore[attr-defined]
    assert not small.file._rolled  # type: ignore[attr-defined]
    assert big.file.fileno() >= 0  # a real file on disk
    assert big.size == len(content)
    assert await big.read() == content
    assert await small.read() == b"tiny"
    await form.close()
    assert big.file.closed


@pytest.mark.anyio
async def test_multipart_default_spool_size() -> None:
    assert MultiPartParser.spool_max_size == 1024 * 1024
    content = b"z" * (1024 * 1024 + 1)
    form = await parse_multipart(multipart_body(file_part("f", "f.bin", content)))
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.file._rolled  # type: ignore[attr-defined]
    assert await upload.read() == content
    await form.close()


@pytest.mark.anyio
async def test_multipart_files_are_rewound_after_parsing() -> None:
    form = await parse_multipart(multipart_body(file_part("f", "f.txt", b"abc")))
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.file.tell() == 0
    await form.close()


@pytest.mark.anyio
async def test_multipart_part_headers_are_kept() -> None:
    headers = (
        'Content-Disposition: form-data; name="f"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n"
        "X-Custom: yes"
    )
    form = await parse_multipart(multipart_body((headers, b"1,2")))
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert upload.headers.items() == [
        ("content-disposition", 'form-data; name="f"; filename="a.csv"'),
        ("content-type", "text/csv"),
        ("x-custom", "yes"),
    ]
    await form.close()


@pytest.fixture
def no_python_multipart(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "python_multipart",
        "python_multipart.multipart",
        "multipart",
        "multipart.multipart",
    ):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.usefixtures("no_python_multipart")
def test_multipart_without_python_multipart_names_the_extra() -> None:
    with pytest.raises(ImportError) as info:
        MultiPartParser(multipart_headers(), stream_of())
    assert 'pip install "starlette-requests-responses[multipart]"' in str(info.value)


@pytest.mark.anyio
@pytest.mark.usefixtures("no_python_multipart")
async def test_urlencoded_parsing_needs_no_python_multipart() -> None:
    assert (await parse_urlencoded(b"a=1"))["a"] == "1"


@pytest.mark.anyio
async def test_multipart_old_import_name_is_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    import python_multipart
    import python_multipart.exceptions
    import python_multipart.multipart

    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "multipart", python_multipart)
    monkeypatch.setitem(sys.modules, "multipart.multipart", python_multipart.multipart)
    monkeypatch.setitem(sys.modules, "multipart.exceptions", python_multipart.exceptions)
    form = await parse_multipart(multipart_body(field("a", b"1")))
    assert form["a"] == "1"


def test_multipart_part_defaults() -> None:
    part = MultipartPart()
    assert part.content_disposition is None
    assert part.field_name == ""
    assert part.data == bytearray()
    assert part.file is None
    assert part.item_headers == []
    assert MultipartPart().data is not part.data


def test_multipart_exception_carries_its_message() -> None:
    exc = MultiPartException("boom")
    assert exc.message == "boom"
    assert str(exc) == "boom"
