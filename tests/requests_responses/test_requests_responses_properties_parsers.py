"""Properties of the parsers of untrusted input in starlette-requests-responses: the Cookie
header, the Range header, urlencoded and multipart forms.

Each test states what must hold for every input; only the declared exceptions may escape.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from urllib.parse import urlencode

import anyio
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import cookie_parser
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# RFC 6265 cookie-name (a token) and cookie-octets: what a server may send in Set-Cookie.
cookie_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~",
    min_size=1,
    max_size=10,
)
cookie_values = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='",;\\'),
    max_size=12,
)


@SETTINGS
@given(header=st.text(max_size=80))
def test_cookie_parser_accepts_any_header(header: str) -> None:
    cookies = cookie_parser(header)
    for name, value in cookies.items():
        assert ";" not in name
        assert name == name.strip()
        assert name or value
    # Every name comes from the header.
    chunks = header.split(";")
    assert set(cookies) <= {
        chunk.partition("=")[0].strip() if "=" in chunk else "" for chunk in chunks
    }


@SETTINGS
@given(
    pairs=st.lists(st.tuples(cookie_names, cookie_values), max_size=8),
    separator=st.sampled_from(["; ", ";", " ; "]),
)
def test_cookie_parser_reads_what_servers_set(pairs: list[tuple[str, str]], separator: str) -> None:
    header = separator.join(f"{name}={value}" for name, value in pairs)
    assert cookie_parser(header) == dict(pairs)


def range_model(specs: list[tuple[int | None, int | None]], size: int) -> set[int]:
    """The byte positions RFC 9110 says a list of byte-range specs selects."""
    selected: set[int] = set()
    for first, last in specs:
        if first is None:
            assert last is not None
            selected.update(range(max(size - last, 0), size))
        else:
            end = size if last is None else min(last + 1, size)
            selected.update(range(first, end))
    return selected


spec = st.tuples(
    st.none() | st.integers(min_value=0, max_value=60),
    st.none() | st.integers(min_value=0, max_value=60),
).filter(lambda s: s != (None, None))


@SETTINGS
@given(specs=st.lists(spec, min_size=1, max_size=12), size=st.integers(min_value=0, max_value=50))
def test_range_header_selects_exactly_the_requested_bytes(
    specs: list[tuple[int | None, int | None]], size: int
) -> None:
    header = "bytes=" + ",".join(
        f"{'' if first is None else first}-{'' if last is None else last}" for first, last in specs
    )
    response = FileResponse("unused", stat_result=None)
    backwards = any(a is not None and b is not None and b < a for a, b in specs)
    try:
        ranges = response._parse_range_header(header, size)
    except MalformedRangeHeader:
        assert backwards
        return
    except RangeNotSatisfiable as exc:
        assert not backwards
        assert exc.max_size == size  # noqa: PT017 - a property, not one expected exception
        assert range_model(specs, size) == set()
        return
    assert not backwards
    # Sorted, disjoint, not even adjacent, inside the file, and bounded in number.
    assert all(0 <= start < end <= size for start, end in ranges)
    assert all(a_end < b_start for (_, a_end), (b_start, _) in itertools.pairwise(ranges))
    assert len(ranges) <= FileResponse.max_ranges
    assert set().union(*(range(start, end) for start, end in ranges)) == range_model(specs, size)


@SETTINGS
@given(header=st.text(max_size=40), size=st.integers(min_value=0, max_value=10**20))
def test_range_header_from_any_text_raises_only_declared_errors(header: str, size: int) -> None:
    response = FileResponse("unused")
    try:
        ranges = response._parse_range_header(header, size)
    except (MalformedRangeHeader, RangeNotSatisfiable):
        return
    assert ranges
    assert all(0 <= start < end <= size for start, end in ranges)


def chunked(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(body), *(min(cut, len(body)) for cut in cuts)})
    return [body[a:b] for a, b in itertools.pairwise(points)]


async def stream_of(chunks: list[bytes]) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk


async def snapshot(form: FormData) -> list[tuple[str, object]]:
    """The form as plain data: files become (filename, content type, bytes)."""
    items: list[tuple[str, object]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            items.append((key, (value.filename, value.content_type, await value.read())))
        else:
            items.append((key, value))
    await form.close()
    return items


form_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
cuts = st.lists(st.integers(min_value=0, max_value=400), max_size=6)


@SETTINGS
@given(fields=st.lists(st.tuples(form_text, form_text), max_size=6), cuts=cuts)
def test_urlencoded_form_round_trips_for_any_chunking(
    anyio_backend_name: str, fields: list[tuple[str, str]], cuts: list[int]
) -> None:
    body = urlencode(fields).encode()
    headers = Headers({"content-type": "application/x-www-form-urlencoded"})

    async def parse() -> list[tuple[str, object]]:
        return await snapshot(await FormParser(headers, stream_of(chunked(body, cuts))).parse())

    assert anyio.run(parse, backend=anyio_backend_name) == fields


# RFC 2046 boundary characters; a space may not end a boundary.
boundaries = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=? ",
    min_size=1,
    max_size=70,
).filter(lambda b: not b.endswith(" "))
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=8)
parts = st.lists(
    st.tuples(names, st.none() | names.map(lambda n: n + ".txt"), st.binary(max_size=40)),
    max_size=5,
)


def multipart_body(boundary: str, form: list[tuple[str, str | None, bytes]]) -> bytes:
    body = b""
    for name, filename, data in form:
        disposition = f'form-data; name="{name}"'
        extra = ""
        if filename is not None:
            disposition += f'; filename="{filename}"'
            extra = "Content-Type: application/octet-stream\r\n"
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n".encode()
        body += data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def text(data: bytes) -> str:
    """A field's value: UTF-8 (the default charset), or Latin-1 when it is not valid UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@SETTINGS
@given(boundary=boundaries, form=parts, cuts=cuts)
def test_multipart_form_is_the_same_for_any_boundary_and_chunking(
    anyio_backend_name: str,
    boundary: str,
    form: list[tuple[str, str | None, bytes]],
    cuts: list[int],
) -> None:
    assume(all(f"\r\n--{boundary}".encode() not in data for _, _, data in form))
    body = multipart_body(boundary, form)
    headers = Headers({"content-type": f'multipart/form-data; boundary="{boundary}"'})

    async def parse(chunks: list[bytes]) -> list[tuple[str, object]]:
        return await snapshot(await MultiPartParser(headers, stream_of(chunks)).parse())

    whole = anyio.run(parse, [body], backend=anyio_backend_name)
    pieces = anyio.run(parse, chunked(body, cuts), backend=anyio_backend_name)
    expected = [
        (name, text(data) if filename is None else (filename, "application/octet-stream", data))
        for name, filename, data in form
    ]
    assert whole == pieces == expected


@SETTINGS
@given(body=st.binary(max_size=200), boundary=boundaries, cuts=cuts)
def test_multipart_garbage_raises_only_multipart_exception(
    anyio_backend_name: str, body: bytes, boundary: str, cuts: list[int]
) -> None:
    headers = Headers({"content-type": f'multipart/form-data; boundary="{boundary}"'})

    async def parse() -> None:
        try:
            form = await MultiPartParser(headers, stream_of(chunked(body, cuts))).parse()
        except MultiPartException:
            return
        await form.close()

    anyio.run(parse, backend=anyio_backend_name)
