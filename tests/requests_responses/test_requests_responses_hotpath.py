"""The per-request shortcuts of requests, responses and form parsing behave as the general path."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette._exception_handler import (
    ResponseTracker,
    call_handling_exceptions,
    wrap_app_handling_exceptions,
)
from starlette.datastructures import Headers
from starlette.formparsers import FormParser, MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send


def urlencoded_headers() -> Headers:
    return Headers({"content-type": "application/x-www-form-urlencoded"})


async def chunks_of(*chunks: bytes) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        yield chunk


def parse_in_chunks(body: bytes, cuts: list[int], **limits: Any) -> list[tuple[str, Any]]:
    import anyio

    points = sorted({cut % (len(body) + 1) for cut in cuts})
    pieces = [
        body[start:end] for start, end in zip([0, *points], [*points, len(body)], strict=True)
    ]

    async def parse() -> list[tuple[str, Any]]:
        form = await FormParser(urlencoded_headers(), chunks_of(*pieces), **limits).parse()
        return form.multi_items()

    return anyio.run(parse)


# Bodies made of the bytes that matter to the tokenizer, including escapes and invalid UTF-8.
form_bodies = st.lists(
    st.sampled_from([b"a", b"b", b"=", b"&", b"+", b"%20", b"%", b"%e9", b"\xc3\xa9", b"\xff"]),
    max_size=25,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(form_bodies, st.lists(st.integers(min_value=0, max_value=100), max_size=6))
def test_urlencoded_form_does_not_depend_on_chunking(body: bytes, cuts: list[int]) -> None:
    whole = parse_in_chunks(body, [])
    assert parse_in_chunks(body, cuts) == whole
    text = body.decode("latin-1")
    if "%" not in text and "\xff" not in text and "\xc3" not in text:
        # Plain ASCII: exactly what the standard library's parser reads.
        assert whole == parse_qsl(text, keep_blank_values=True)


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ((b"a=1&b=2",), [("a", "1"), ("b", "2")]),
        ((b"a=1&b", b"=2&c=3"), [("a", "1"), ("b", "2"), ("c", "3")]),
        ((b"na", b"me=va", b"lue"), [("name", "value")]),
        ((b"a=%2", b"0x&b=+"), [("a", " x"), ("b", " ")]),
        ((b"&&", b"&a&&"), [("a", "")]),
        ((b"x=caf\xc3", b"\xa9"), [("x", "café")]),
        ((b"", b"a=1", b""), [("a", "1")]),
    ],
)
@pytest.mark.anyio
async def test_urlencoded_pairs_across_chunks(
    chunks: tuple[bytes, ...], expected: list[tuple[str, str]]
) -> None:
    form = await FormParser(urlencoded_headers(), chunks_of(*chunks)).parse()
    assert form.multi_items() == expected


@pytest.mark.anyio
async def test_urlencoded_part_size_counts_name_and_value_not_the_equals_sign() -> None:
    exact = await FormParser(urlencoded_headers(), chunks_of(b"ab=cd"), max_part_size=4).parse()
    assert exact.multi_items() == [("ab", "cd")]
    spanning = FormParser(urlencoded_headers(), chunks_of(b"ab=c", b"d&x=1"), max_part_size=4)
    assert (await spanning.parse()).multi_items() == [("ab", "cd"), ("x", "1")]
    with pytest.raises(MultiPartException, match="Field exceeded maximum size of 0KB"):
        await FormParser(urlencoded_headers(), chunks_of(b"ab=c", b"de"), max_part_size=4).parse()
    with pytest.raises(MultiPartException, match="Field exceeded maximum size of 0KB"):
        await FormParser(urlencoded_headers(), chunks_of(b"ab=cde&"), max_part_size=4).parse()


@pytest.mark.anyio
async def test_urlencoded_field_limit_counts_a_pair_when_it_starts() -> None:
    parser = FormParser(urlencoded_headers(), chunks_of(b"a=1&b=2&", b"c"), max_fields=2)
    with pytest.raises(MultiPartException, match="Maximum number of fields is 2"):
        await parser.parse()
    trailing = FormParser(urlencoded_headers(), chunks_of(b"a=1&b=2&", b"&"), max_fields=2)
    assert len(await trailing.parse()) == 2


@pytest.mark.anyio
async def test_form_parser_calls_on_field_start_once_per_pair_and_keeps_messages_short() -> None:
    starts: list[int] = []

    class Recording(FormParser):
        def on_field_start(self) -> None:
            starts.append(len(self._items))
            super().on_field_start()

    parser = Recording(urlencoded_headers(), chunks_of(b"a=1&b", b"=2&&c=3"))
    form = await parser.parse()
    assert form.multi_items() == [("a", "1"), ("b", "2"), ("c", "3")]
    assert starts == [0, 1, 2]
    assert parser.messages == []


# --- Request.body() ---------------------------------------------------------------------------


def http_scope() -> Scope:
    return {"type": "http", "method": "POST", "path": "/", "headers": []}


def receiving(*messages: Message) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return receive


@pytest.mark.anyio
async def test_body_in_one_message() -> None:
    request = Request(http_scope(), receiving({"type": "http.request", "body": b"abc"}))
    assert await request.body() == b"abc"
    assert await request.body() == b"abc"
    # The body is kept: streaming it again replays it.
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]


@pytest.mark.anyio
async def test_body_of_a_message_without_body_key() -> None:
    request = Request(http_scope(), receiving({"type": "http.request"}))
    assert await request.body() == b""


@pytest.mark.anyio
async def test_body_as_bytes_when_the_server_sends_a_bytearray() -> None:
    request = Request(http_scope(), receiving({"type": "http.request", "body": bytearray(b"xy")}))
    body = await request.body()
    assert body == b"xy"
    assert type(body) is bytes


@pytest.mark.anyio
async def test_body_in_several_messages() -> None:
    receive = receiving(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    )
    request = Request(http_scope(), receive)
    assert await request.body() == b"abcd"


@pytest.mark.anyio
async def test_body_when_the_client_disconnects_first() -> None:
    request = Request(http_scope(), receiving({"type": "http.disconnect"}))
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected()


@pytest.mark.anyio
async def test_body_after_the_stream_was_consumed_raises() -> None:
    request = Request(http_scope(), receiving({"type": "http.request", "body": b"abc"}))
    assert [chunk async for chunk in request.stream()] == [b"abc", b""]
    with pytest.raises(RuntimeError, match="Stream consumed"):
        await request.body()


@pytest.mark.anyio
async def test_body_keeps_a_message_that_is_disconnected_took_early() -> None:
    receive = receiving(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd"},
    )
    request = Request(http_scope(), receive)
    assert not await request.is_disconnected()
    assert await request.body() == b"abcd"


@pytest.mark.anyio
async def test_body_goes_through_an_overridden_stream() -> None:
    class Upper(Request):
        async def stream(self) -> AsyncGenerator[bytes, None]:
            async for chunk in super().stream():
                yield chunk.upper()

    request = Upper(http_scope(), receiving({"type": "http.request", "body": b"abc"}))
    assert await request.body() == b"ABC"


def test_request_defaults_are_per_instance() -> None:
    first = Request(http_scope())
    second = Request(http_scope())
    first._stream_consumed = True
    first._pending = {"type": "http.request"}
    assert second._stream_consumed is False
    assert second._pending is None
    assert second._form is None
    assert Request._stream_consumed is False


# --- responses ------------------------------------------------------------------------------


def test_content_length_and_type_equal_the_computed_ones() -> None:
    body = "héllo, wörld"
    response = PlainTextResponse(body)
    assert response.raw_headers == [
        (b"content-length", str(len(body.encode())).encode()),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]
    assert Response(b"x" * 12345).raw_headers == [(b"content-length", b"12345")]
    latin = PlainTextResponse("x")
    latin.charset = "latin-1"
    latin.init_headers()
    assert (b"content-type", b"text/plain; charset=latin-1") in latin.raw_headers


class Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)


async def no_receive() -> Message:  # pragma: no cover - the 2.4 path never listens
    raise AssertionError("not listened to")


def scope_24() -> Scope:
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}}


@pytest.mark.anyio
async def test_streaming_closes_iterators_that_are_not_generators() -> None:
    closed: list[bool] = []

    class Chunks:
        def __init__(self) -> None:
            self.items: list[bytes | str] = [b"a", "b"]

        def __aiter__(self) -> AsyncIterator[bytes | str]:
            return self

        async def __anext__(self) -> bytes | str:
            if not self.items:
                raise StopAsyncIteration
            return self.items.pop(0)

        async def aclose(self) -> None:
            closed.append(True)

    send = Collect()
    await StreamingResponse(Chunks())(scope_24(), no_receive, send)
    assert [m.get("body") for m in send.messages[1:]] == [b"a", b"b", b""]
    assert closed == [True]


@pytest.mark.anyio
async def test_streaming_closes_a_generator_stopped_early() -> None:
    cleaned: list[str] = []

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            yield b"a"
            yield b"b"
        finally:
            cleaned.append("closed")

    async def failing_send(message: Message) -> None:
        if message.get("body") == b"a":
            raise OSError("client gone")

    with pytest.raises(ClientDisconnect):
        await StreamingResponse(chunks())(scope_24(), no_receive, failing_send)
    assert cleaned == ["closed"]


@pytest.mark.anyio
async def test_streaming_an_exhausted_generator_runs_its_cleanup_once() -> None:
    cleaned: list[str] = []

    async def chunks() -> AsyncGenerator[bytes, None]:
        try:
            yield b"a"
        finally:
            cleaned.append("closed")

    send = Collect()
    await StreamingResponse(chunks())(scope_24(), no_receive, send)
    assert cleaned == ["closed"]
    assert send.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.anyio
async def test_streaming_iterator_oserror_is_not_taken_for_a_disconnect() -> None:
    async def chunks() -> AsyncGenerator[bytes, None]:
        yield b"a"
        raise OSError("disk")

    with pytest.raises(OSError, match="disk"):
        await StreamingResponse(chunks())(scope_24(), no_receive, Collect())


@pytest.mark.anyio
async def test_streaming_spec_versions_parse_as_before() -> None:
    send = Collect()
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4.1"}}
    await StreamingResponse(chunks_of(b"a"))(scope, no_receive, send)
    assert send.messages[1]["body"] == b"a"
    bad = {"type": "http", "asgi": {"version": "3.0", "spec_version": "two"}}
    with pytest.raises(ValueError):
        await StreamingResponse(chunks_of(b"a"))(bad, no_receive, Collect())


# --- exception handling ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_wrap_app_handling_exceptions_uses_the_given_connection() -> None:
    seen: list[Any] = []

    async def handler(request: Request, exc: Exception) -> Response:
        seen.append(request)
        return PlainTextResponse("handled", status_code=418)

    scope = http_scope()
    scope["starlette.exception_handlers"] = ({ValueError: handler}, {})
    request = Request(scope)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    send = Collect()
    await wrap_app_handling_exceptions(app, request)(scope, no_receive, send)
    assert seen == [request]
    assert send.messages[0]["status"] == 418


@pytest.mark.anyio
async def test_wrap_app_handling_exceptions_without_handlers_reraises() -> None:
    scope = http_scope()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await wrap_app_handling_exceptions(app, Request(scope))(scope, no_receive, Collect())


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["http", "websocket"])
async def test_call_handling_exceptions_builds_the_connection_only_for_a_handler(
    kind: str,
) -> None:
    seen: list[Any] = []

    async def handler(conn: Any, exc: Exception) -> Response:
        seen.append((type(conn).__name__, conn.scope is scope))
        return PlainTextResponse("handled", status_code=418)

    scope = {**http_scope(), "type": kind}
    scope["starlette.exception_handlers"] = ({ValueError: handler}, {})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    send = Collect()
    await call_handling_exceptions(app, scope, no_receive, send)
    expected = "WebSocket" if kind == "websocket" else "Request"
    assert seen == [(expected, True)]
    if kind == "http":
        assert send.messages[0]["status"] == 418


@pytest.mark.anyio
async def test_call_handling_exceptions_shares_an_outer_tracker() -> None:
    # A layer inside another one sees that the response started through the outer tracker.
    scope = http_scope()

    async def handler(request: Request, exc: Exception) -> Response:  # pragma: no cover
        raise AssertionError("a started response cannot be replaced")

    scope["starlette.exception_handlers"] = ({ValueError: handler}, {})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("boom")

    collect = Collect()
    tracker = ResponseTracker(collect)
    with pytest.raises(RuntimeError, match="response already started"):
        await call_handling_exceptions(app, scope, no_receive, tracker)
    assert tracker.started
    assert [message["type"] for message in collect.messages] == ["http.response.start"]


JSON_BODIES = [
    b'{"a": [1, 2.5, null, true], "b": "\xc3\xa9"}',
    b"[1, 2, 3]  \r\n\t",
    b"{}",
    b"[]",
    b" {}",  # leading whitespace: json.loads' own path
    b'"text"',
    b"12",
    b"\xef\xbb\xbf{}",  # UTF-8 byte order mark
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-16-le"),
    '["x"]'.encode("utf-32-le"),
    b"{\x00}",
    b'{"a": 1} x',  # extra data
    b'{"a": 1}{}',
    b"[1,",  # truncated
    b"{",
    b"[\xff]",  # not UTF-8
    b'["\\ud800"]',  # a lone surrogate escape
    b'["\xed\xa0\x80"]',  # a lone surrogate, encoded: json.loads accepts it (surrogatepass)
    b"[NaN]",
    b"",
]


def _outcome(call: Any) -> tuple[str, Any]:
    try:
        return "value", call()
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return type(exc).__name__, str(exc)


@pytest.mark.anyio
@pytest.mark.parametrize("body", JSON_BODIES)
async def test_request_json_answers_like_json_loads(body: bytes) -> None:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def decode() -> Any:
        return await Request({"type": "http", "headers": []}, receive).json()

    try:
        ours: tuple[str, Any] = ("value", await decode())
    except ValueError as exc:
        ours = (type(exc).__name__, str(exc))
    assert ours == _outcome(lambda: json.loads(body))


class NotATracker:
    """Sends through a tracker's own `__call__`: what `Response` did before its shortcut."""

    def __init__(self, tracker: ResponseTracker) -> None:
        self.tracker = tracker

    async def __call__(self, message: Message) -> None:
        await self.tracker(message)


@pytest.mark.anyio
@pytest.mark.parametrize("scope_type", ["http", "websocket"])
@pytest.mark.parametrize("fails", [False, True])
async def test_a_response_sends_through_a_tracker_as_the_tracker_would(
    scope_type: str, fails: bool
) -> None:
    # `Response.__call__` notes the start on a tracker it is given and sends to what the
    # tracker wraps: the same messages, the same `started`, as sending through the tracker.
    async def outcome(wrap: bool) -> tuple[list[Message], bool, str | None]:
        sent: list[Message] = []

        async def server_send(message: Message) -> None:
            sent.append(message)
            if fails:
                raise OSError("the client went away")

        tracker = ResponseTracker(server_send)
        send: Send = NotATracker(tracker) if wrap else tracker
        scope: Scope = {"type": scope_type}
        raised = None
        try:
            await PlainTextResponse("hi", status_code=201)(scope, None, send)  # type: ignore[arg-type]
        except OSError as exc:
            raised = str(exc)
        return sent, tracker.started, raised

    shortcut = await outcome(wrap=False)
    assert shortcut == await outcome(wrap=True)
    assert shortcut[0][0]["status"] == 201
    # A tracker notes HTTP starts only: a WebSocket denial's messages have other types.
    assert shortcut[1] is (scope_type == "http")
