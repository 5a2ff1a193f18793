"""A urlencoded body that arrives in one message is parsed from the bytes in hand
(`FormParser._parse_body`, no stream generator), and when no pair of it can break a limit, in one
pass over its text with no check per pair (`_fields_within_limits`, which `request.form()` calls
without making a parser). These tests pin both to the streaming parser (`FormParser.parse`): the
same fields, the same errors, the same hook calls, for any body, limits and messages."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.datastructures import Headers
from starlette.formparsers import FormParser, MultiPartException, _fields_within_limits
from starlette.requests import Request
from starlette.types import Message, Scope

HEADERS = Headers({"content-type": "application/x-www-form-urlencoded"})

# The bytes that matter to the tokenizer, including escapes and invalid UTF-8.
form_bodies = st.lists(
    st.sampled_from([b"a", b"b", b"=", b"&", b"+", b"%20", b"%", b"%e9", b"\xc3\xa9", b"\xff"]),
    max_size=25,
).map(b"".join)
limits = st.fixed_dictionaries(
    {}, optional={"max_fields": st.integers(0, 6), "max_part_size": st.integers(0, 8)}
)


# What the one-pass path must get right besides: escaped delimiters, incomplete and invalid
# escapes, multi-byte characters raw, escaped and cut, surrogates (which strict UTF-8 refuses).
text_bodies = st.lists(
    st.sampled_from(
        [
            *(b"a", b"b", b"=", b"&", b"+", b"%", b"%20", b"%3D", b"%26", b"%2B", b"%2b"),
            *(b"%e9", b"%C3", b"%A9", b"%zz", b"%4", b"\xc3\xa9", b"\xc3", b"\xa9", b"\xff"),
            *(b"\xe2\x82\xac", b"\xed\xa0\x80", b"\xf0\x9f\x98\x80"),
        ]
    ),
    max_size=25,
).map(b"".join)


class Counting(FormParser):
    starts = 0

    def on_field_start(self) -> None:
        super().on_field_start()
        self.starts += 1


async def once(body: bytes) -> AsyncGenerator[bytes, None]:
    yield body
    yield b""  # as Request.stream() ends


def outcome(parser: Counting, run: Any) -> tuple[Any, int]:
    try:
        result: Any = run().multi_items()
    except MultiPartException as exc:
        result = exc.message
    return result, parser.starts


@settings(max_examples=300, deadline=None)
@given(form_bodies, limits)
def test_whole_body_parses_as_the_stream(body: bytes, options: dict[str, int]) -> None:
    streamed = Counting(HEADERS, once(body), **options)
    whole = Counting(HEADERS, once(b"unused"), **options)
    expected = outcome(streamed, lambda: anyio.run(streamed.parse))
    assert outcome(whole, lambda: whole._parse_body(body)) == expected
    assert whole.messages == streamed.messages


def result(run: Any) -> Any:
    try:
        return run().multi_items()
    except MultiPartException as exc:
        return exc.message


def streamed(body: bytes, options: dict[str, int]) -> Any:
    parser = FormParser(HEADERS, once(body), **options)
    return result(lambda: anyio.run(parser.parse))


@settings(max_examples=500, deadline=None)
@given(text_bodies, limits)
def test_fields_within_limits_are_the_streamed_fields(body: bytes, options: dict[str, int]) -> None:
    max_fields = options.get("max_fields", 1000)
    max_part_size = options.get("max_part_size", 1024 * 1024)
    fields = _fields_within_limits(body, max_fields, max_part_size)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        valid = False
    else:
        valid = True
    # Taken exactly when no pair can break a limit and the body is UTF-8: not a rare case.
    within = len(body) <= max_part_size and body.count(b"&") + 1 <= max_fields
    assert (fields is not None) == (valid and within)
    if fields is not None:
        assert fields == streamed(body, options)


@settings(max_examples=300, deadline=None)
@given(text_bodies, limits)
def test_whole_body_without_hooks_parses_as_the_stream(
    body: bytes, options: dict[str, int]
) -> None:
    # A FormParser as `request.form()` makes one (no subclass hook), for any body.
    whole = FormParser(HEADERS, once(b"unused"), **options)
    stream = FormParser(HEADERS, once(body), **options)
    expected = result(lambda: anyio.run(stream.parse))
    assert result(lambda: whole._parse_body(body)) == expected
    assert whole.messages == stream.messages


def scope() -> Scope:
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    return {"type": "http", "method": "POST", "path": "/", "headers": headers}


def receiving(*messages: Message) -> Any:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


@pytest.mark.anyio
@pytest.mark.parametrize(
    "messages",
    [
        [{"type": "http.request", "body": b"a=1&b=%40", "more_body": False}],
        [{"type": "http.request", "body": bytearray(b"a=1&b=%40")}],
        [
            {"type": "http.request", "body": b"a=1&", "more_body": True},
            {"type": "http.request", "body": b"b=%40", "more_body": False},
        ],
    ],
)
async def test_request_form_in_one_or_several_messages(messages: list[Message]) -> None:
    request = Request(scope(), receiving(*messages))
    form = await request.form()
    assert form.multi_items() == [("a", "1"), ("b", "@")]
    with pytest.raises(RuntimeError, match="Stream consumed"):
        await request.body()  # the form consumed the stream, as the streaming path does


@pytest.mark.anyio
async def test_request_form_after_body() -> None:
    request = Request(scope(), receiving({"type": "http.request", "body": b"a=1"}))
    assert await request.body() == b"a=1"
    assert (await request.form()).multi_items() == [("a", "1")]


@settings(max_examples=300, deadline=None)
@given(text_bodies, limits, st.lists(st.integers(0, 80), max_size=3))
def test_request_form_answers_as_the_stream(
    body: bytes, options: dict[str, int], cuts: list[int]
) -> None:
    # In one message (no cut) or several: the fields, or outside an application the
    # MultiPartException with the parser's text.
    bounds = [0, *sorted(min(cut, len(body)) for cut in cuts), len(body)]
    chunks = [body[start:end] for start, end in itertools.pairwise(bounds)]
    messages: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks[:-1]
    ]
    messages.append({"type": "http.request", "body": chunks[-1], "more_body": False})
    request = Request(scope(), receiving(*messages))

    async def read() -> Any:
        return await request.form(**options)

    assert result(lambda: anyio.run(read)) == streamed(body, options)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "items"),
    [
        ([(b"content-type", b"application/x-www-form-urlencoded")], [("a", "1")]),
        ([(b"content-type", b"Application/X-WWW-Form-Urlencoded ; charset=utf-8")], [("a", "1")]),
        (
            [
                (b"content-type", b"text/plain"),
                (b"content-type", b"application/x-www-form-urlencoded"),
            ],
            [],
        ),
        (
            [(b"x-other", b"1"), (b"content-type", b"application/x-www-form-urlencoded")],
            [("a", "1")],
        ),
        ([(b"Content-Type", b"application/x-www-form-urlencoded")], []),  # names come lower-case
        ([], []),
        ((), []),
    ],
)
async def test_request_form_reads_the_content_type_as_headers_get(
    headers: Any, items: list[tuple[str, str]]
) -> None:
    # The form reads its Content-Type straight from the scope: what `request.headers.get`
    # answers (the first one; none is no form).
    request = Request(
        {**scope(), "headers": headers}, receiving({"type": "http.request", "body": b"a=1"})
    )
    content_type = Headers(scope={"headers": list(headers)}).get("content-type", "")
    assert ("urlencoded" in content_type.lower()) == bool(items)
    assert (await request.form()).multi_items() == items


@pytest.mark.anyio
async def test_request_form_reads_the_content_type_of_overridden_headers() -> None:
    class Relabelled(Request):
        @property
        def headers(self) -> Headers:
            return Headers({"content-type": "application/x-www-form-urlencoded"})

    request = Relabelled(
        {**scope(), "headers": []}, receiving({"type": "http.request", "body": b"a=1"})
    )
    assert (await request.form()).multi_items() == [("a", "1")]
