"""`RequestBodyLimitMiddleware`: 413 past the limit, checked lazily, innermost limit wins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import (
    MAX_BODY_SIZE_SCOPE_KEY,
    SCOPE_KEY,
    RequestBodyLimitMiddleware,
    RequestBodyLimitResponder,
    _RequestBodyLimitResponseSent,
    _RequestBodyTooLarge,
)
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., Any]


def http_scope(headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": headers or [],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


def chunked_receive(*chunks: bytes) -> Receive:
    """A `receive` streaming `chunks` without any Content-Length, then disconnecting."""
    messages: Iterator[Message] = iter(
        [
            *(
                {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
                for index, chunk in enumerate(chunks)
            ),
        ]
    )

    async def receive() -> Message:
        return next(messages, {"type": "http.disconnect"})

    return receive


class Recorder:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"
        )


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await PlainTextResponse(f"received {len(body)} bytes")(scope, receive, send)


async def ignore_body(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("did not read")(scope, receive, send)


def test_content_length_over_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(RequestBodyLimitMiddleware(echo_length, max_body_size=10))
    response = client.post("/", content=b"x" * 11)
    assert response.status_code == 413
    assert response.text == "Content Too Large"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_exactly_at_limit_is_accepted(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(RequestBodyLimitMiddleware(echo_length, max_body_size=10))
    response = client.post("/", content=b"x" * 10)
    assert response.status_code == 200
    assert response.text == "received 10 bytes"


def test_under_limit_and_empty_bodies(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(RequestBodyLimitMiddleware(echo_length, max_body_size=10))
    assert client.post("/", content=b"abc").text == "received 3 bytes"
    assert client.get("/").text == "received 0 bytes"


def test_zero_limit(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(RequestBodyLimitMiddleware(echo_length, max_body_size=0))
    assert client.get("/").status_code == 200
    assert client.post("/", content=b"x").status_code == 413


def test_streamed_body_over_limit(test_client_factory: TestClientFactory) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"x" * 6
        yield b"x" * 6

    client = test_client_factory(RequestBodyLimitMiddleware(echo_length, max_body_size=10))
    response = client.post("/", content=chunks())
    assert response.status_code == 413
    assert response.text == "Content Too Large"


@pytest.mark.anyio
async def test_streamed_chunks_are_counted_without_content_length() -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    await app(http_scope(), chunked_receive(b"12345", b"67890", b"1"), send)
    assert send.status == 413
    assert send.body == b"Content Too Large"


@pytest.mark.anyio
async def test_streamed_chunks_at_limit_are_accepted() -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    await app(http_scope(), chunked_receive(b"12345", b"67890"), send)
    assert send.status == 200
    assert send.body == b"received 10 bytes"


@pytest.mark.anyio
async def test_lying_small_content_length_is_still_caught() -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    scope = http_scope([(b"content-type", b"text/plain"), (b"content-length", b"2")])
    await app(scope, chunked_receive(b"x" * 8, b"x" * 8), send)
    assert send.status == 413


@pytest.mark.anyio
async def test_malformed_content_length_falls_back_to_counting() -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    scope = http_scope([(b"content-length", b"lots")])
    await app(scope, chunked_receive(b"abc"), send)
    assert send.status == 200
    assert send.body == b"received 3 bytes"


@pytest.mark.anyio
async def test_streamed_body_never_read_is_never_rejected() -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(ignore_body, max_body_size=1)
    await app(http_scope(), chunked_receive(b"x" * 100), send)
    assert send.status == 200
    assert send.body == b"did not read"


def test_declared_length_over_limit_is_answered_even_unread(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(RequestBodyLimitMiddleware(ignore_body, max_body_size=1))
    response = client.post("/", content=b"x" * 100)
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_limit_is_published_in_the_scope(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(str(scope["starlette.max_body_size"]))(scope, receive, send)

    client = test_client_factory(RequestBodyLimitMiddleware(app, max_body_size=1234))
    assert client.get("/").text == "1234"


def test_innermost_limit_wins_when_larger(test_client_factory: TestClientFactory) -> None:
    inner = RequestBodyLimitMiddleware(echo_length, max_body_size=100)
    client = test_client_factory(RequestBodyLimitMiddleware(inner, max_body_size=10))
    response = client.post("/", content=b"x" * 50)
    assert response.status_code == 200
    assert response.text == "received 50 bytes"
    assert client.post("/", content=b"x" * 101).status_code == 413


def test_innermost_limit_wins_when_smaller(test_client_factory: TestClientFactory) -> None:
    inner = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    client = test_client_factory(RequestBodyLimitMiddleware(inner, max_body_size=100))
    response = client.post("/", content=b"x" * 50)
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_exception_middleware_answers_the_413(test_client_factory: TestClientFactory) -> None:
    app = RequestBodyLimitMiddleware(ExceptionMiddleware(echo_length), max_body_size=4)
    response = test_client_factory(app).post("/", content=b"too long")
    assert response.status_code == 413
    assert response.text == "Content Too Large"


def test_app_may_catch_the_413_itself(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await Request(scope, receive).body()
        except HTTPException as exc:
            response = PlainTextResponse(f"caught {exc.status_code}: {exc.detail}", status_code=400)
        else:  # pragma: no cover
            response = PlainTextResponse("unexpected")
        await response(scope, receive, send)

    client = test_client_factory(RequestBodyLimitMiddleware(app, max_body_size=4))
    # Streamed: a body declared too large is answered 413 whatever the app sends.
    response = client.post("/", content=iter([b"too ", b"long"]))
    assert response.status_code == 400
    assert response.text == "caught 413: Content Too Large"


@pytest.mark.anyio
async def test_receive_keeps_failing_after_the_limit() -> None:
    errors: list[HTTPException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for _ in range(2):
            try:
                await receive()
            except HTTPException as exc:
                errors.append(exc)
        await PlainTextResponse("done")(scope, receive, send)

    send = Recorder()
    await RequestBodyLimitMiddleware(app, max_body_size=10)(
        http_scope(), chunked_receive(b"x" * 11, b"x"), send
    )
    assert len(errors) == 2
    assert all(error.status_code == 413 for error in errors)
    assert send.body == b"done"


@pytest.mark.anyio
async def test_413_after_response_started_is_reraised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await receive()

    send = Recorder()
    app_with_limit = RequestBodyLimitMiddleware(app, max_body_size=2)
    with pytest.raises(HTTPException) as info:
        await app_with_limit(http_scope(), chunked_receive(b"abc"), send)
    assert info.value.status_code == 413
    assert [m["type"] for m in send.messages] == ["http.response.start"]


@pytest.mark.anyio
async def test_other_http_exceptions_propagate() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(413, detail="the app's own")

    send = Recorder()
    with pytest.raises(HTTPException, match="the app's own"):
        await RequestBodyLimitMiddleware(app, max_body_size=2)(
            http_scope(), chunked_receive(), send
        )
    assert send.messages == []


@pytest.mark.anyio
async def test_disconnect_is_passed_through_uncounted() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        await PlainTextResponse("ok")(scope, receive, send)

    send = Recorder()
    await RequestBodyLimitMiddleware(app, max_body_size=3)(
        http_scope(), chunked_receive(b"abc"), send
    )
    assert received == [
        {"type": "http.request", "body": b"abc", "more_body": False},
        {"type": "http.disconnect"},
    ]
    assert send.status == 200


@pytest.mark.anyio
@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
async def test_non_http_scopes_pass_through(scope_type: str) -> None:
    seen: list[tuple[Scope, Receive, Send]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))

    receive = chunked_receive(b"x" * 100)
    send = Recorder()
    scope: Scope = {"type": scope_type}
    await RequestBodyLimitMiddleware(app, max_body_size=1)(scope, receive, send)
    assert seen == [(scope, receive, send)]
    assert "starlette.max_body_size" not in scope


@pytest.mark.anyio
async def test_responder_exposes_scope_receive_send() -> None:
    captured: list[RequestBodyLimitResponder] = []
    responder: RequestBodyLimitResponder

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert receive == responder.receive_with_limit
        assert send == responder.send_with_limit
        captured.append(responder)
        await PlainTextResponse("ok")(scope, receive, send)

    responder = RequestBodyLimitResponder(app, max_body_size=5)
    scope = http_scope()
    receive = chunked_receive(b"")
    send = Recorder()
    await responder(scope, receive, send)
    assert captured == [responder]
    assert responder.scope is scope
    assert responder.receive is receive
    assert responder.send is send
    assert responder.response_started is True
    assert send.body == b"ok"


def test_negative_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_body_size must be >= 0"):
        RequestBodyLimitMiddleware(echo_length, max_body_size=-1)


def test_1x_names() -> None:
    assert MAX_BODY_SIZE_SCOPE_KEY == "starlette.max_body_size"
    assert SCOPE_KEY is MAX_BODY_SIZE_SCOPE_KEY
    error = _RequestBodyTooLarge()
    assert isinstance(error, HTTPException)
    assert (error.status_code, error.detail) == (413, "Content Too Large")
    assert repr(error) == "_RequestBodyTooLarge(status_code=413, detail='Content Too Large')"
    assert issubclass(_RequestBodyLimitResponseSent, Exception)
    assert not issubclass(_RequestBodyLimitResponseSent, HTTPException)


@pytest.mark.anyio
async def test_receive_raises_the_1x_class() -> None:
    errors: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await receive()
        except _RequestBodyTooLarge as exc:
            errors.append(exc)
            raise

    send = Recorder()
    await RequestBodyLimitMiddleware(app, max_body_size=2)(
        http_scope(), chunked_receive(b"abc"), send
    )
    assert [type(e) for e in errors] == [_RequestBodyTooLarge]
    assert (send.status, send.body) == (413, b"Content Too Large")


@pytest.mark.anyio
async def test_app_raising_its_own_too_large_is_answered() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise _RequestBodyTooLarge()

    send = Recorder()
    await RequestBodyLimitMiddleware(app, max_body_size=2)(http_scope(), chunked_receive(), send)
    assert (send.status, send.body) == (413, b"Content Too Large")


@pytest.mark.anyio
async def test_declared_length_replaces_whatever_the_app_answers() -> None:
    seen: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await PlainTextResponse("custom", status_code=400)(scope, receive, send)
        except _RequestBodyLimitResponseSent as exc:
            seen.append(exc)
            raise

    send = Recorder()
    scope = http_scope([(b"content-length", b"20")])
    await RequestBodyLimitMiddleware(app, max_body_size=10)(scope, chunked_receive(b"x" * 20), send)
    assert [type(e) for e in seen] == [_RequestBodyLimitResponseSent]
    assert (send.status, send.body) == (413, b"Content Too Large")
    assert [m["type"] for m in send.messages] == ["http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_nothing_reaches_the_client_after_the_limiters_413() -> None:
    attempts: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        messages: list[Message] = [
            {"type": "http.response.start", "status": 200, "headers": []},
            {"type": "http.response.body", "body": b"more"},
        ]
        for message in messages:
            try:
                await send(message)
            except _RequestBodyLimitResponseSent:
                attempts.append(message["type"])

    send = Recorder()
    scope = http_scope([(b"content-length", b"20")])
    await RequestBodyLimitMiddleware(app, max_body_size=10)(scope, chunked_receive(), send)
    assert attempts == ["http.response.start", "http.response.body"]
    assert send.body == b"Content Too Large"


@pytest.mark.anyio
async def test_response_sent_raised_by_the_app_itself_propagates() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise _RequestBodyLimitResponseSent()

    send = Recorder()
    with pytest.raises(_RequestBodyLimitResponseSent):
        await RequestBodyLimitMiddleware(app, max_body_size=2)(
            http_scope(), chunked_receive(), send
        )
    assert send.messages == []


@pytest.mark.anyio
async def test_declared_length_at_limit_is_answered_by_the_app() -> None:
    send = Recorder()
    scope = http_scope([(b"content-length", b"10")])
    app = RequestBodyLimitMiddleware(ignore_body, max_body_size=10)
    await app(scope, chunked_receive(b"x" * 10), send)
    assert (send.status, send.body) == (200, b"did not read")


@pytest.mark.anyio
@pytest.mark.parametrize(("outer", "inner", "status"), [(100, 10, 413), (10, 100, 200)])
async def test_nested_declared_length_uses_the_innermost_limit(
    outer: int, inner: int, status: int
) -> None:
    send = Recorder()
    app = RequestBodyLimitMiddleware(RequestBodyLimitMiddleware(ignore_body, inner), outer)
    scope = http_scope([(b"content-length", b"50")])
    await app(scope, chunked_receive(b"x" * 50), send)
    assert send.status == status


@pytest.mark.anyio
async def test_nested_limiters_share_one_responder_and_restore_the_scope() -> None:
    inside: list[tuple[Any, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        inside.append((scope[MAX_BODY_SIZE_SCOPE_KEY], scope["starlette._body_limit_responder"]))
        await echo_length(scope, receive, send)

    middle_seen: list[tuple[Any, Any]] = []

    async def middle(scope: Scope, receive: Receive, send: Send) -> None:
        middle_seen.append((scope[MAX_BODY_SIZE_SCOPE_KEY], receive))
        await RequestBodyLimitMiddleware(app, max_body_size=10)(scope, receive, send)
        middle_seen.append((scope[MAX_BODY_SIZE_SCOPE_KEY], receive))

    send = Recorder()
    scope = http_scope()
    await RequestBodyLimitMiddleware(middle, max_body_size=100)(
        scope, chunked_receive(b"x" * 5), send
    )
    assert send.body == b"received 5 bytes"
    ((limit, responder),) = inside
    assert limit == 10
    assert isinstance(responder, RequestBodyLimitResponder)
    assert [m[0] for m in middle_seen] == [100, 100]
    assert middle_seen[0][1] == responder.receive_with_limit
    assert responder.bytes_received == 5
    assert MAX_BODY_SIZE_SCOPE_KEY not in scope
    assert "starlette._body_limit_responder" not in scope


@pytest.mark.anyio
async def test_a_limit_already_in_the_scope_is_put_back() -> None:
    send = Recorder()
    scope = http_scope()
    scope[MAX_BODY_SIZE_SCOPE_KEY] = 7
    await RequestBodyLimitMiddleware(echo_length, max_body_size=100)(
        scope, chunked_receive(b"x" * 50), send
    )
    assert send.body == b"received 50 bytes"
    assert scope[MAX_BODY_SIZE_SCOPE_KEY] == 7


@pytest.mark.anyio
async def test_inner_limit_applies_through_a_copied_scope() -> None:
    # A layer between two limiters may hand a copy of the scope down; the inner limit still
    # reaches the responder that counts.
    async def copying(scope: Scope, receive: Receive, send: Send) -> None:
        inner = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
        await inner(dict(scope), receive, send)

    send = Recorder()
    await RequestBodyLimitMiddleware(copying, max_body_size=100)(
        http_scope(), chunked_receive(b"x" * 50), send
    )
    assert (send.status, send.body) == (413, b"Content Too Large")


def replaying(app: Any) -> Any:
    """A layer that reads the whole body, then hands the app a receive replaying it."""

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        body = await Request(scope, receive).body()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await app(scope, replay, send)

    return layer


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("outer", "inner", "status", "body"),
    [(100, 10, 413, b"Content Too Large"), (100, 60, 200, b"received 50 bytes")],
)
async def test_inner_limit_counts_a_body_replayed_between_the_limiters(
    outer: int, inner: int, status: int, body: bytes
) -> None:
    # The outer limiter counted the body under its own limit while the layer read it; the
    # replayed copy reaching the inner limiter is counted against the inner one.
    send = Recorder()
    app = RequestBodyLimitMiddleware(
        replaying(RequestBodyLimitMiddleware(echo_length, inner)), outer
    )
    await app(http_scope(), chunked_receive(b"x" * 25, b"x" * 25), send)
    assert (send.status, send.body) == (status, body)


@pytest.mark.anyio
async def test_a_receive_proxied_between_the_limiters_follows_the_innermost_limit() -> None:
    async def proxying(scope: Scope, receive: Receive, send: Send) -> None:
        async def proxy() -> Message:
            return await receive()

        await RequestBodyLimitMiddleware(echo_length, max_body_size=100)(scope, proxy, send)

    send = Recorder()
    await RequestBodyLimitMiddleware(proxying, max_body_size=10)(
        http_scope(), chunked_receive(b"x" * 25, b"x" * 25), send
    )
    assert (send.status, send.body) == (200, b"received 50 bytes")


def test_body_read_by_base_http_middleware_in_a_mount_keeps_the_route_limit(
    test_client_factory: TestClientFactory,
) -> None:
    from starlette.middleware.base import BaseHTTPMiddleware

    async def dispatch(request: Request, call_next: Any) -> Any:
        await request.body()
        return await call_next(request)

    inner = RequestBodyLimitMiddleware(echo_length, max_body_size=10)
    app = RequestBodyLimitMiddleware(BaseHTTPMiddleware(inner, dispatch), max_body_size=100)
    client = test_client_factory(app)

    def chunks() -> Iterator[bytes]:
        yield b"x" * 25
        yield b"x" * 25

    response = client.post("/", content=chunks())
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert client.post("/", content=b"x" * 5).text == "received 5 bytes"


@pytest.mark.anyio
async def test_a_replayed_disconnect_passes_the_inner_count_uncounted() -> None:
    messages: list[Message] = []

    async def read_to_disconnect(scope: Scope, receive: Receive, send: Send) -> None:
        while not messages or messages[-1]["type"] != "http.disconnect":
            messages.append(await receive())
        await PlainTextResponse("read")(scope, receive, send)

    send = Recorder()
    inner = RequestBodyLimitMiddleware(read_to_disconnect, max_body_size=10)
    await RequestBodyLimitMiddleware(replaying(inner), max_body_size=100)(
        http_scope(), chunked_receive(b"x" * 5), send
    )
    assert (send.status, send.body) == (200, b"read")
    assert [m["type"] for m in messages] == ["http.request", "http.disconnect"]
