"""A urlencoded body that arrives in one message is parsed from the bytes in hand
(`FormParser._parse_body`, no stream generator). These tests pin that path to the streaming one
(`FormParser.parse`): the same fields, the same errors, the same hook calls."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.datastructures import Headers
from starlette.formparsers import FormParser, MultiPartException
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
