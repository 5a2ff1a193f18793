"""Response and its plain subclasses, cookies, redirects and StreamingResponse, over raw ASGI."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from array import array
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from starlette.background import BackgroundTask
from starlette.datastructures import URL, MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.types import ASGIApp, Message

pytestmark = pytest.mark.anyio


def make_scope(type_: str = "http", spec_version: str = "2.4", **extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": type_,
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "path": "/",
        "headers": [],
    }
    if type_ == "http":
        scope["method"] = "GET"
    scope.update(extra)
    return scope


async def call(app: ASGIApp, scope: dict[str, Any] | None = None) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("these responses never read the request")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    await app(make_scope() if scope is None else scope, receive, send)
    return sent


def body_of(messages: list[Message]) -> bytes:
    return b"".join(bytes(m.get("body", b"")) for m in messages if m["type"].endswith("body"))


# --- Response -------------------------------------------------------------------------------


async def test_response_sends_start_then_body() -> None:
    response = Response(b"hello", media_type="application/octet-stream")
    messages = await call(response)
    assert messages == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", b"5"),
                (b"content-type", b"application/octet-stream"),
            ],
        },
        {"type": "http.response.body", "body": b"hello"},
    ]


def test_render_none_bytes_memoryview_and_str() -> None:
    assert Response().body == b""
    view = memoryview(b"abc")
    assert Response(view).body is view
    assert Response("héllo").body == "héllo".encode()


def test_render_uses_the_class_charset() -> None:
    class Latin1Response(PlainTextResponse):
        charset = "latin-1"

    response = Latin1Response("é")
    assert response.body == b"\xe9"
    assert response.headers["content-type"] == "text/plain; charset=latin-1"


def test_empty_response_without_media_type_has_only_content_length() -> None:
    assert Response().raw_headers == [(b"content-length", b"0")]


def test_user_headers_come_first_lowercased() -> None:
    response = Response(b"x", headers={"X-Custom": "Value"}, media_type="text/plain")
    assert response.raw_headers == [
        (b"x-custom", b"Value"),
        (b"content-length", b"1"),
        (b"content-type", b"text/plain; charset=utf-8"),
    ]


def test_user_content_length_and_content_type_are_kept() -> None:
    response = Response(
        b"abc", headers={"Content-Length": "3", "Content-Type": "text/x"}, media_type="text/plain"
    )
    assert response.raw_headers == [(b"content-length", b"3"), (b"content-type", b"text/x")]


def test_content_type_header_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette import responses

    monkeypatch.setattr(responses, "_CONTENT_TYPE_CACHE", {})
    monkeypatch.setattr(responses, "_CONTENT_TYPE_CACHE_SIZE", 1)
    for number in range(3):
        media_type = f"text/x-{number}"
        assert Response("", media_type=media_type).headers["content-type"] == (
            f"{media_type}; charset=utf-8"
        )
    # utf-8 entries are keyed by the media type alone.
    assert list(responses._CONTENT_TYPE_CACHE) == ["text/x-0"]


def test_content_type_cache_keeps_charsets_apart() -> None:
    from starlette import responses

    class Latin1(Response):
        charset = "latin-1"

    assert Latin1("", media_type="text/x-ct").headers["content-type"] == (
        "text/x-ct; charset=latin-1"
    )
    assert Response("", media_type="text/x-ct").headers["content-type"] == (
        "text/x-ct; charset=utf-8"
    )
    assert responses._CONTENT_TYPE_CACHE[("text/x-ct", "latin-1")] == b"text/x-ct; charset=latin-1"
    assert responses._CONTENT_TYPE_CACHE["text/x-ct"] == b"text/x-ct; charset=utf-8"


def test_text_media_type_gets_charset_unless_it_has_one() -> None:
    assert HTMLResponse("x").headers["content-type"] == "text/html; charset=utf-8"
    response = Response("x", media_type="text/csv; Charset=ascii")
    assert response.headers["content-type"] == "text/csv; Charset=ascii"
    assert Response("x", media_type="image/png").headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("view", "length"),
    [
        (memoryview(array("i", [1, 2])), 2 * array("i").itemsize),
        (memoryview(bytes(range(12))).cast("B", (3, 4)), 12),
        (memoryview(array("d", [1.0, 2.0, 3.0])), 3 * array("d").itemsize),
    ],
    ids=["int-array", "two-dimensional", "double-array"],
)
def test_content_length_of_memoryview_counts_bytes(view: memoryview, length: int) -> None:
    assert len(view) != length  # the trap: len() counts items, not bytes
    response = Response(view)
    assert response.headers["content-length"] == str(length)


@pytest.mark.parametrize("status_code", [100, 101, 199, 204, 304])
def test_no_content_length_for_bodiless_statuses(status_code: int) -> None:
    response = Response(status_code=status_code)
    assert "content-length" not in response.headers


@pytest.mark.parametrize("status_code", [200, 201, 205, 404, 500])
def test_content_length_for_other_statuses(status_code: int) -> None:
    assert Response(status_code=status_code).headers["content-length"] == "0"


@pytest.mark.parametrize(
    "headers",
    [{"X-Evil": "a\r\nSet-Cookie: x=1"}, {"X-Evil": "a\nb"}, {"X-Evil\r\nA": "b"}, {"X": "a\0"}],
)
def test_header_injection_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL"):
        Response(b"", headers=headers)


@pytest.mark.parametrize("name", ["x:y", "x\r\ny", "x\x00y"])
def test_header_names_follow_the_one_name_rule(name: str) -> None:
    # What a Response accepts as a header name, its MutableHeaders accepts too, and no more.
    with pytest.raises(ValueError, match="is not a valid field name") as at_construction:
        Response(b"", headers={name: "v"})
    with pytest.raises(ValueError, match="is not a valid field name") as afterwards:
        Response(b"").headers[name] = "v"
    assert str(at_construction.value) == str(afterwards.value)


def test_non_latin1_header_value_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        Response(b"", headers={"x-name": "日本"})


def test_headers_property_is_cached_and_writes_through() -> None:
    response = Response(b"abc")
    headers = response.headers
    assert isinstance(headers, MutableHeaders)
    assert response.headers is headers
    headers["x-added"] = "1"
    assert (b"x-added", b"1") in response.raw_headers


def test_render_can_be_overridden() -> None:
    class UpperResponse(Response):
        def render(self, content: Any) -> bytes:
            return str(content).upper().encode()

    response = UpperResponse("abc")
    assert response.body == b"ABC"
    assert response.headers["content-length"] == "3"


def test_media_type_argument_overrides_the_class_attribute() -> None:
    response = HTMLResponse("x", media_type="text/plain")
    assert response.media_type == "text/plain"
    assert HTMLResponse.media_type == "text/html"


async def test_background_task_runs_after_the_body() -> None:
    events: list[str] = []

    async def send(message: Message) -> None:
        events.append(message["type"])

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    async def task(value: str) -> None:
        events.append(value)

    response = Response(b"x", background=BackgroundTask(task, "background"))
    await response(make_scope(), receive, send)
    assert events == ["http.response.start", "http.response.body", "background"]


async def test_websocket_denial_response_prefixes_message_types() -> None:
    response = PlainTextResponse("denied", status_code=403)
    messages = await call(response, make_scope("websocket"))
    assert [m["type"] for m in messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert messages[0]["status"] == 403
    assert messages[1]["body"] == b"denied"


def test_plain_text_and_html_media_types() -> None:
    assert PlainTextResponse("x").headers["content-type"] == "text/plain; charset=utf-8"
    assert HTMLResponse("<b>x</b>").body == b"<b>x</b>"


# --- JSONResponse ---------------------------------------------------------------------------


def test_json_is_compact_and_keeps_unicode() -> None:
    response = JSONResponse({"a": [1, 2], "name": "café ☕"})
    assert response.body == '{"a":[1,2],"name":"café ☕"}'.encode()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(response.body))


def test_json_none_renders_null() -> None:
    assert JSONResponse(None).body == b"null"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_json_refuses_nan_and_infinity(value: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        JSONResponse({"value": value})


def test_json_refuses_circular_content() -> None:
    content: dict[str, Any] = {"a": []}
    content["a"].append(content)
    with pytest.raises(ValueError, match="Circular reference detected"):
        JSONResponse(content)


@pytest.mark.parametrize("bad", [object(), float("nan")])
def test_json_encodes_content_again_after_a_failure(bad: object) -> None:
    # The encoder is reused: a failure must not leave these containers marked as being encoded
    # (which would report a circular reference the next time they are encoded).
    inner: list[Any] = [1, bad]
    content = {"inner": inner, "twice": [inner]}
    with pytest.raises((TypeError, ValueError)):
        JSONResponse(content)
    inner.pop()
    assert JSONResponse(content).body == b'{"inner":[1],"twice":[[1]]}'


def test_json_encodes_in_threads_at_once() -> None:
    import threading

    shared = {"rows": [{"n": i} for i in range(200)]}
    expected = JSONResponse(shared).body
    bodies: list[bytes | memoryview] = []
    barrier = threading.Barrier(4)

    def encode() -> None:
        barrier.wait()
        bodies.extend(JSONResponse(shared).body for _ in range(50))

    threads = [threading.Thread(target=encode) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bodies == [expected] * 200


def test_json_status_headers_media_type_and_background() -> None:
    task = BackgroundTask(lambda: None)
    response = JSONResponse(
        [1], status_code=201, headers={"x-a": "b"}, media_type="application/vnd.api+json"
    )
    assert response.status_code == 201
    assert response.headers["x-a"] == "b"
    assert response.headers["content-type"] == "application/vnd.api+json"
    assert JSONResponse([], background=task).background is task


# --- RedirectResponse -----------------------------------------------------------------------


def test_redirect_defaults_to_307_with_empty_body() -> None:
    response = RedirectResponse("/next")
    assert response.status_code == 307
    assert response.body == b""
    assert response.headers["location"] == "/next"
    assert response.headers["content-length"] == "0"


def test_redirect_quotes_unsafe_characters_but_keeps_url_syntax() -> None:
    response = RedirectResponse("https://example.org/a b/ü?x=1&y=[2]#frag")
    assert response.headers["location"] == "https://example.org/a%20b/%C3%BC?x=1&y=[2]#frag"


def test_redirect_keeps_existing_percent_escapes() -> None:
    response = RedirectResponse("/caf%C3%A9?q=%20")
    assert response.headers["location"] == "/caf%C3%A9?q=%20"


def test_redirect_cannot_inject_headers() -> None:
    response = RedirectResponse("/a\r\nSet-Cookie: evil=1")
    assert response.raw_headers[-1] == (b"location", b"/a%0D%0ASet-Cookie:%20evil=1")
    assert not any(key == b"set-cookie" for key, _ in response.raw_headers)


def test_redirect_accepts_url_object_status_and_headers() -> None:
    response = RedirectResponse(
        URL("http://example.org/path"),
        status_code=301,
        headers={"Location": "/ignored", "x-extra": "1"},
    )
    assert response.status_code == 301
    assert response.headers.getlist("location") == ["http://example.org/path"]
    assert response.headers["x-extra"] == "1"


# --- cookies --------------------------------------------------------------------------------


def set_cookie_headers(response: Response) -> list[str]:
    return [value.decode("latin-1") for key, value in response.raw_headers if key == b"set-cookie"]


def test_set_cookie_defaults() -> None:
    response = Response()
    response.set_cookie("session", "abc")
    assert set_cookie_headers(response) == ["session=abc; Path=/; SameSite=lax"]


def test_set_cookie_with_every_attribute() -> None:
    response = Response()
    response.set_cookie(
        "mycookie",
        "myvalue",
        max_age=10,
        expires=10,
        path="/given/path",
        domain="localhost",
        secure=True,
        httponly=True,
        samesite="none",
        partitioned=True,
    )
    (header,) = set_cookie_headers(response)
    expected_expires = email.utils.formatdate(time.time() + 10, usegmt=True)
    prefix = "mycookie=myvalue; Domain=localhost; expires="
    assert header.startswith(prefix)
    expires = header[len(prefix) :].split(";")[0]
    # An int means "seconds from now"; allow the clock to tick between the two readings.
    parsed = email.utils.parsedate_to_datetime(expires)
    wanted = email.utils.parsedate_to_datetime(expected_expires)
    assert abs((parsed - wanted).total_seconds()) <= 2
    assert header.endswith(
        "; HttpOnly; Max-Age=10; Path=/given/path; SameSite=none; Secure; Partitioned"
    )


def test_set_cookie_with_datetime_expires() -> None:
    response = Response()
    expires = dt.datetime(2037, 1, 22, 12, 0, 10, tzinfo=dt.timezone.utc)
    response.set_cookie("a", "b", expires=expires, path=None, samesite=None)
    assert set_cookie_headers(response) == ["a=b; expires=Thu, 22 Jan 2037 12:00:10 GMT"]


def test_set_cookie_with_string_expires() -> None:
    response = Response()
    response.set_cookie("a", "b", expires="Thu, 22 Jan 2037 12:00:10 GMT")
    assert set_cookie_headers(response) == [
        "a=b; expires=Thu, 22 Jan 2037 12:00:10 GMT; Path=/; SameSite=lax"
    ]


@pytest.mark.parametrize("samesite", ["strict", "lax", "none", "Strict"])
def test_set_cookie_samesite_values(samesite: Any) -> None:
    response = Response()
    response.set_cookie("a", "b", samesite=samesite)
    assert set_cookie_headers(response) == [f"a=b; Path=/; SameSite={samesite}"]


def test_set_cookie_invalid_samesite() -> None:
    response = Response()
    with pytest.raises(AssertionError, match="samesite must be either 'strict', 'lax' or 'none'"):
        response.set_cookie("a", "b", samesite="invalid")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "a\r\nSet-Cookie: x", "value": "b"},
        {"key": "a", "value": "b\r\nX-Evil: 1"},
        {"key": "a", "value": "b; Domain=evil.example"},
        {"key": "a", "value": "b\nc"},
        {"key": "a", "value": "b", "path": "/\r\nX-Evil: 1"},
        {"key": "a", "value": "b", "domain": "x; Secure"},
    ],
)
def test_set_cookie_refuses_injection(kwargs: dict[str, Any]) -> None:
    response = Response()
    with pytest.raises(ValueError, match="must not contain CR, LF, NUL or ';'"):
        response.set_cookie(**kwargs)
    assert set_cookie_headers(response) == []


def test_set_cookie_refuses_injection_through_expires() -> None:
    response = Response()
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL"):
        response.set_cookie("a", "b", expires="never\r\nX-Evil: 1")


def test_set_cookie_quotes_values_with_special_characters() -> None:
    response = Response()
    response.set_cookie("a", "b c,d", samesite=None, path=None)
    assert set_cookie_headers(response) == ['a="b c\\054d"']


def test_several_cookies_give_several_headers() -> None:
    response = Response()
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    assert [h.split(";")[0] for h in set_cookie_headers(response)] == ["a=1", "b=2"]


def test_delete_cookie() -> None:
    response = Response()
    response.delete_cookie("session", path="/p", domain="example.org", secure=True, httponly=True)
    (header,) = set_cookie_headers(response)
    assert header.startswith('session=""; Domain=example.org; expires=')
    expires = header.split("expires=")[1].split(";")[0]
    expired_at = email.utils.parsedate_to_datetime(expires)
    assert expired_at <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    assert header.endswith("; HttpOnly; Max-Age=0; Path=/p; SameSite=lax; Secure")


def test_delete_partitioned_cookie() -> None:
    response = Response()
    response.delete_cookie("a", samesite="none", secure=True, partitioned=True)
    (header,) = set_cookie_headers(response)
    assert "Max-Age=0" in header
    assert header.endswith("; Partitioned")


# --- StreamingResponse ----------------------------------------------------------------------


async def test_streaming_async_iterator() -> None:
    async def numbers() -> AsyncIterator[str]:
        for number in range(3):
            yield str(number)

    response = StreamingResponse(numbers(), media_type="text/plain")
    messages = await call(response)
    assert messages[0] == {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8")],
    }
    assert messages[1:] == [
        {"type": "http.response.body", "body": b"0", "more_body": True},
        {"type": "http.response.body", "body": b"1", "more_body": True},
        {"type": "http.response.body", "body": b"2", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]


async def test_streaming_sync_iterator_runs_in_a_worker_thread() -> None:
    import threading

    threads: list[int] = []

    def chunks() -> Iterator[bytes | str | memoryview]:
        threads.append(threading.get_ident())
        yield b"a"
        yield "b"
        yield memoryview(b"c")

    response = StreamingResponse(chunks())
    messages = await call(response)
    assert body_of(messages) == b"abc"
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


async def test_streaming_has_no_content_length_and_keeps_headers() -> None:
    response = StreamingResponse(iter([b"x"]), status_code=201, headers={"x-a": "1"})
    messages = await call(response)
    assert messages[0]["status"] == 201
    assert messages[0]["headers"] == [(b"x-a", b"1")]


async def test_streaming_background_runs_after_the_last_chunk() -> None:
    events: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"

    def task() -> None:
        events.append("background")

    async def send(message: Message) -> None:
        events.append(f"{message['type']}:{message.get('more_body')}")

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    response = StreamingResponse(chunks(), background=BackgroundTask(task))
    await response(make_scope(), receive, send)
    assert events == [
        "http.response.start:None",
        "http.response.body:True",
        "http.response.body:False",
        "background",
    ]


async def test_streaming_stops_when_client_disconnects_before_spec_2_4() -> None:
    produced: list[int] = []
    first_chunk_sent = anyio.Event()

    async def endless() -> AsyncIterator[bytes]:
        number = 0
        while True:
            produced.append(number)
            yield str(number).encode()
            number += 1
            await anyio.lowlevel.checkpoint()

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk_sent.set()

    received = ["http.request"]

    async def receive() -> Message:
        if received:
            # A request body message first: the listener must skip it.
            return {"type": received.pop(), "body": b"", "more_body": False}
        await first_chunk_sent.wait()
        return {"type": "http.disconnect"}

    background_ran: list[bool] = []
    response = StreamingResponse(
        endless(), background=BackgroundTask(lambda: background_ran.append(True))
    )
    await response(make_scope(spec_version="2.3"), receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert len(produced) < 50
    assert not any(m.get("more_body") is False for m in sent)
    assert background_ran == [True]


async def test_streaming_listens_with_default_spec_version() -> None:
    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = make_scope()
    del scope["asgi"]  # no spec version: 2.0, the listener runs and is cancelled at the end
    await StreamingResponse(iter([b"a", b"b"]))(scope, receive, send)
    assert body_of(sent) == b"ab"
    assert sent[-1]["more_body"] is False


@pytest.mark.parametrize("spec_version", ["2.4", "2.3"])
async def test_streaming_raises_client_disconnect_when_send_raises_oserror(
    spec_version: str,
) -> None:
    produced: list[int] = []
    ran: list[str] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            produced.append(1)
            yield b"x"

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError("client gone")

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    response = StreamingResponse(endless(), background=BackgroundTask(ran.append, "background"))
    with pytest.raises(ClientDisconnect) as info:
        await response(make_scope(spec_version=spec_version), receive, send)
    assert isinstance(info.value.__cause__, OSError)
    assert produced == [1]
    assert ran == []  # the response was never delivered: no background tasks


async def test_streaming_oserror_from_the_iterator_is_not_swallowed() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a"
        raise OSError("disk failure")

    with pytest.raises(OSError, match="disk failure"):
        await call(StreamingResponse(broken()))


async def test_streaming_websocket_denial_response() -> None:
    response = StreamingResponse(iter([b"no"]), status_code=401)
    messages = await call(response, make_scope("websocket"))
    assert [m["type"] for m in messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
        "websocket.http.response.body",
    ]
    assert body_of(messages) == b"no"


async def test_streaming_websocket_denial_stops_on_websocket_disconnect() -> None:
    gate = anyio.Event()

    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"x"
            gate.set()
            await anyio.lowlevel.checkpoint()

    async def receive() -> Message:
        await gate.wait()
        return {"type": "websocket.disconnect", "code": 1006}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await StreamingResponse(endless())(make_scope("websocket", spec_version="2.3"), receive, send)
    assert sent[0]["type"] == "websocket.http.response.start"
    assert all(m["type"].startswith("websocket.") for m in sent)


async def test_listen_for_disconnect_returns_on_disconnect() -> None:
    messages: list[Message] = [{"type": "http.disconnect"}, {"type": "http.request", "body": b""}]

    async def receive() -> Message:
        return messages.pop()

    await StreamingResponse(iter([]), media_type="text/plain").listen_for_disconnect(receive)
    assert messages == []


async def test_streaming_plain_async_iterator_without_aclose() -> None:
    class Countdown:
        def __init__(self) -> None:
            self.left = 3

        def __aiter__(self) -> Countdown:
            return self

        async def __anext__(self) -> bytes:
            if not self.left:
                raise StopAsyncIteration
            self.left -= 1
            return str(self.left).encode()

    assert body_of(await call(StreamingResponse(Countdown()))) == b"210"


async def test_streaming_generator_cleanup_runs_when_client_goes_away() -> None:
    cleaned: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"x"
        finally:
            cleaned.append(True)

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    with pytest.raises(ClientDisconnect):
        await StreamingResponse(chunks())(make_scope(), receive, send)
    assert cleaned == [True]


async def test_streaming_error_surfaces_unwrapped_before_spec_2_4() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"a"
        raise KeyError("boom")

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    async def send(message: Message) -> None:
        pass

    with pytest.raises(KeyError, match="boom"):
        await StreamingResponse(broken())(make_scope(spec_version="2.3"), receive, send)
