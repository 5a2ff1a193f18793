from __future__ import annotations

import contextlib
import contextvars
import gc
import sys
import weakref
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from starlette.background import BackgroundTask
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup

ctxvar: contextvars.ContextVar[str] = contextvars.ContextVar("ctxvar", default="unset")


class CustomHeader(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Custom-Header"] = "Example"
        return response


async def homepage(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("Homepage")(scope, receive, send)


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await Response(body, media_type="application/octet-stream")(scope, receive, send)


async def failing(scope: Scope, receive: Receive, send: Send) -> None:
    raise ValueError("endpoint failed")


def http_scope(method: str = "GET") -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
    }


class Client:
    """A raw ASGI client: `messages` to receive, then the client stays connected (or leaves)."""

    def __init__(self, *messages: Message, disconnect_after: bool = False) -> None:
        self.incoming = list(messages)
        self.disconnect_after = disconnect_after
        self.sent: list[Message] = []

    async def receive(self) -> Message:
        if self.incoming:
            return self.incoming.pop(0)
        if self.disconnect_after:
            return {"type": "http.disconnect"}
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    async def send(self, message: Message) -> None:
        self.sent.append(message)

    async def run(self, app: ASGIApp, scope: Scope | None = None) -> None:
        with anyio.fail_after(10):  # a guard against hangs, not a timing assumption
            await app(scope or http_scope(), self.receive, self.send)

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


def test_custom_header(test_client_factory: Any) -> None:
    client = test_client_factory(CustomHeader(homepage))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert response.headers["custom-header"] == "Example"
    assert response.headers["content-length"] == "8"


def test_dispatch_argument(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Method"] = request.method
        return response

    client = test_client_factory(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    assert client.post("/").headers["x-method"] == "POST"


def test_dispatch_answers_without_calling_the_app(test_client_factory: Any) -> None:
    called: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        called.append(True)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        return PlainTextResponse("Denied", status_code=403)

    client = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch))
    response = client.get("/")
    assert (response.status_code, response.text) == (403, "Denied")
    assert called == []


def test_streaming_body_passes_through(test_client_factory: Any) -> None:
    async def stream() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"chunk {i};".encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(stream(), media_type="text/plain")(scope, receive, send)

    client = test_client_factory(CustomHeader(app))
    response = client.get("/")
    assert response.text == "chunk 0;chunk 1;chunk 2;"
    assert response.headers["custom-header"] == "Example"


def test_dispatch_can_read_the_response_body(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        return PlainTextResponse(body.decode().upper(), status_code=response.status_code)

    client = test_client_factory(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    assert client.get("/").text == "HOMEPAGE"


# The request body is shared between dispatch and the application.


def test_body_read_in_dispatch_and_in_the_app(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.body() == b"payload"
        response = await call_next(request)
        response.headers["X-Seen"] = (await request.body()).decode()
        return response

    client = test_client_factory(BaseHTTPMiddleware(echo, dispatch=dispatch))
    response = client.post("/", content=b"payload")
    assert response.content == b"payload"
    assert response.headers["x-seen"] == "payload"


def test_body_streamed_in_dispatch_is_not_replayed(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        chunks = [chunk async for chunk in request.stream()]
        assert b"".join(chunks) == b"abcdef"
        return await call_next(request)

    def body() -> Any:
        yield b"abc"
        yield b"def"

    client = test_client_factory(BaseHTTPMiddleware(echo, dispatch=dispatch))
    # Streamed chunks are not kept: the application finds the body at its end, empty.
    assert client.post("/", content=body()).content == b""


@pytest.mark.anyio
async def test_app_reads_on_where_dispatch_stopped_streaming() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        async with contextlib.aclosing(request.stream()) as stream:
            async for chunk in stream:
                assert chunk == b"first"
                break
        return await call_next(request)

    client = Client(
        {"type": "http.request", "body": b"first", "more_body": True},
        {"type": "http.request", "body": b"second", "more_body": False},
    )
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    assert client.body == b"second"


class Chunk(bytearray):
    """A body chunk that can be watched with a weak reference (bytes cannot)."""


@pytest.mark.anyio
async def test_chunks_streamed_in_dispatch_are_not_kept_in_memory() -> None:
    refs: list[weakref.ref[Chunk]] = []
    alive_before_call_next: list[int] = []

    def make_chunk(index: int) -> Chunk:
        chunk = Chunk(b"%d" % index * 1000)
        refs.append(weakref.ref(chunk))
        return chunk

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
        assert size == 10 * 1000
        del chunk
        gc.collect()
        alive_before_call_next.append(sum(ref() is not None for ref in refs))
        return await call_next(request)

    messages: list[Message] = [
        {"type": "http.request", "body": make_chunk(index), "more_body": True}
        for index in range(10)
    ]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    client = Client(*messages)
    messages.clear()
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    # Every streamed chunk was freed once read: nothing is held for a replay, and the
    # application sees the body already at its end.
    assert alive_before_call_next == [0]
    assert client.body == b""


@pytest.mark.anyio
async def test_chunk_taken_early_by_is_disconnected_reaches_the_app() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert not await request.is_disconnected()
        return await call_next(request)

    client = Client({"type": "http.request", "body": b"early", "more_body": False})
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    assert client.body == b"early"


@pytest.mark.anyio
@pytest.mark.parametrize("read", ["stream", "body"])
async def test_reading_the_body_in_dispatch_after_the_app_fails_at_once(read: str) -> None:
    errors: list[str] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        try:
            if read == "stream":
                async for _ in request.stream():
                    pass  # pragma: no cover
            else:
                await request.body()
        except RuntimeError as exc:
            errors.append(str(exc))
        return response

    # The client then stays connected and silent: waiting on it would hang.
    client = Client(
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": False},
    )
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    assert errors == ["Stream consumed"]
    assert client.body == b"ab"


@pytest.mark.anyio
async def test_body_read_in_dispatch_is_read_again_after_the_app() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.body() == b"kept"
        response = await call_next(request)
        assert [chunk async for chunk in request.stream()] == [b"kept", b""]
        return response

    client = Client({"type": "http.request", "body": b"kept", "more_body": False})
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    assert client.body == b"kept"


def test_body_only_read_by_the_app(test_client_factory: Any) -> None:
    client = test_client_factory(CustomHeader(echo))
    response = client.post("/", content=b"x" * 100_000)
    assert response.content == b"x" * 100_000


@pytest.mark.anyio
async def test_disconnect_seen_in_dispatch_is_replayed_to_the_app() -> None:
    results: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        results.append(await request.is_disconnected())
        assert (await receive())["type"] == "http.disconnect"
        await PlainTextResponse("late")(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert (await request.receive())["type"] == "http.disconnect"
        return await call_next(request)

    client = Client({"type": "http.disconnect"})
    await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert results == [True]


@pytest.mark.anyio
async def test_dispatch_receive_after_the_app_took_over() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        # The application read the whole body; what is left for dispatch is the disconnect.
        assert await request.receive() == {"type": "http.disconnect"}
        return response

    client = Client({"type": "http.request", "body": b"data"}, disconnect_after=True)
    await client.run(BaseHTTPMiddleware(echo, dispatch=dispatch), http_scope("POST"))
    assert client.body == b"data"


# Exceptions.


def test_app_exception_raised_from_call_next(test_client_factory: Any) -> None:
    client = test_client_factory(CustomHeader(failing))
    with pytest.raises(ValueError, match="endpoint failed") as info:
        client.get("/")
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


@pytest.mark.anyio
async def test_exception_context_is_not_polluted() -> None:
    caught: list[BaseException] = []

    async def outer(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await CustomHeader(failing)(scope, receive, send)
        except ValueError as exc:
            caught.append(exc)

    await Client().run(outer)
    (exc,) = caught
    assert exc.__context__ is None
    assert not exc.__suppress_context__


def test_dispatch_handles_the_app_exception(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=500)

    client = test_client_factory(BaseHTTPMiddleware(failing, dispatch=dispatch))
    response = client.get("/")
    assert (response.status_code, response.text) == (500, "endpoint failed")


def test_dispatch_exception(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise KeyError("dispatch failed")

    client = test_client_factory(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    with pytest.raises(KeyError, match="dispatch failed"):
        client.get("/")


def test_dispatch_exception_after_call_next(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        raise KeyError("dispatch failed")

    client = test_client_factory(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    with pytest.raises(KeyError, match="dispatch failed"):
        client.get("/")


def test_no_response_returned(test_client_factory: Any) -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    client = test_client_factory(CustomHeader(silent))
    with pytest.raises(RuntimeError, match=r"^No response returned\.$"):
        client.get("/")


def test_unexpected_first_message(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.body", "body": b"no start"})

    client = test_client_factory(CustomHeader(app))
    with pytest.raises(RuntimeError, match=r"Unexpected message: 'http\.response\.body'"):
        client.get("/")


@pytest.mark.anyio
async def test_exception_mid_response_is_raised_and_body_not_completed() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    client = Client()
    with pytest.raises(ValueError, match="mid-stream"):
        await client.run(CustomHeader(app))
    assert client.body == b"partial"
    # No final `more_body=False` chunk: the client sees a truncated response.
    assert all(m.get("more_body") for m in client.sent if m["type"] == "http.response.body")


@pytest.mark.anyio
async def test_app_exception_after_dispatch_answered_is_raised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ValueError("after start")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    client = Client()
    with pytest.raises(ValueError, match="after start"):
        await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.body == b"replaced"


# Context, background tasks, disconnects.


def test_contextvars_set_in_dispatch_reach_the_app(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(ctxvar.get())(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        ctxvar.set("set by dispatch")
        return await call_next(request)

    client = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.get("/").text == "set by dispatch"


@pytest.mark.anyio
async def test_background_task_runs_after_the_response_is_sent() -> None:
    events: list[str] = []

    async def task() -> None:
        events.append("background")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse("Hello", background=BackgroundTask(task))
        await response(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.background = BackgroundTask(events.append, "dispatch background")
        return response

    client = Client()

    async def send(message: Message) -> None:
        events.append(f"{message['type']} more_body={message.get('more_body', False)}")
        # Give a background task that started too early every chance to run first.
        await anyio.lowlevel.checkpoint()

    with anyio.fail_after(10):
        await BaseHTTPMiddleware(app, dispatch=dispatch)(http_scope(), client.receive, send)
    assert events == [
        "http.response.start more_body=False",
        "http.response.body more_body=True",
        "http.response.body more_body=False",
        "dispatch background",
        "background",
    ]


def test_background_task_with_test_client(test_client_factory: Any) -> None:
    done: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse("ok", background=BackgroundTask(done.append, "task"))
        await response(scope, receive, send)

    client = test_client_factory(CustomHeader(app))
    assert client.get("/").text == "ok"
    assert done == ["task"]


@pytest.mark.anyio
async def test_app_listening_for_disconnect_is_released_after_the_response() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("done")(scope, receive, send)
        # The client never sends anything more; the middleware says it is gone.
        assert await receive() == {"type": "http.disconnect"}
        assert await receive() == {"type": "http.disconnect"}

    client = Client({"type": "http.request", "body": b""})
    await client.run(CustomHeader(app))
    assert client.body == b"done"


@pytest.mark.anyio
async def test_client_disconnect_stops_an_endless_stream() -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"tick"
            await anyio.lowlevel.checkpoint()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(endless())(scope, receive, send)

    streaming = anyio.Event()
    requests: list[Message] = [{"type": "http.request", "body": b""}]
    sent: list[Message] = []

    async def receive() -> Message:
        if requests:
            return requests.pop()
        await streaming.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message.get("body"):
            streaming.set()

    with anyio.fail_after(10):
        await CustomHeader(app)(http_scope(), receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[1]["body"] == b"tick"


@pytest.mark.anyio
async def test_debug_info_is_forwarded() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.debug", "info": {"template": "index.html"}})
        await PlainTextResponse("page")(scope, receive, send)

    client = Client()
    await client.run(CustomHeader(app))
    assert client.sent[0] == {"type": "http.response.debug", "info": {"template": "index.html"}}
    assert client.sent[1]["type"] == "http.response.start"
    assert client.body == b"page"


def pathsend_app(path: Path) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.pathsend", "path": str(path)})

    return app


@pytest.mark.anyio
async def test_pathsend_passes_through_as_is(tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(b"file content")

    client = Client()
    await client.run(CustomHeader(pathsend_app(path)))
    assert client.sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"custom-header", b"Example")],
        },
        {"type": "http.response.pathsend", "path": str(path)},
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("size", [12 * 10_000, 64 * 1024 * 2])  # also an exact chunk multiple
async def test_pathsend_read_by_dispatch_is_the_file(tmp_path: Path, size: int) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"z" * (size % 256))

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        return Response(body, media_type="application/octet-stream")

    client = Client()
    await client.run(BaseHTTPMiddleware(pathsend_app(path), dispatch=dispatch))
    assert client.body == path.read_bytes()


@pytest.mark.anyio
async def test_pathsend_partly_read_by_dispatch_then_sent(tmp_path: Path) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(b"a" * 64 * 1024 + b"rest")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        first = await response.body_iterator.__anext__()  # type: ignore[attr-defined]
        assert first == b"a" * 64 * 1024
        return response  # the rest is read from the file, not a pathsend any more

    client = Client()
    await client.run(BaseHTTPMiddleware(pathsend_app(path), dispatch=dispatch))
    assert client.body == b"rest"
    assert [m["type"] for m in client.sent][-1] == "http.response.body"


@pytest.mark.anyio
async def test_early_hints_pass_through() -> None:
    hint: Message = {"type": "http.response.early_hint", "links": [b"</style.css>; rel=preload"]}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(hint)
        await PlainTextResponse("page")(scope, receive, send)

    client = Client()
    await client.run(CustomHeader(app))
    assert client.sent[0] == hint
    assert client.sent[1]["type"] == "http.response.start"
    assert client.body == b"page"


@pytest.mark.anyio
async def test_trailers_and_headerless_start() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 201})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.trailers", "headers": []})
        await send({"type": "http.response.body", "body": b"b"})

    client = Client()
    await client.run(CustomHeader(app))
    assert client.sent[0]["status"] == 201
    assert client.body == b"ab"


@pytest.mark.anyio
async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await Client().run(CustomHeader(inner), {"type": "lifespan"})
    await Client().run(CustomHeader(inner), {"type": "websocket"})
    assert seen == ["lifespan", "websocket"]


def test_nested_middlewares(test_client_factory: Any) -> None:
    async def outer(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Outer"] = "1"
        return response

    app = BaseHTTPMiddleware(CustomHeader(echo), dispatch=outer)
    response = test_client_factory(app).post("/", content=b"nested")
    assert response.content == b"nested"
    assert response.headers["x-outer"] == "1"
    assert response.headers["custom-header"] == "Example"


@pytest.mark.anyio
async def test_pending_receive_of_the_app_ends_when_the_response_is_sent() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def listen() -> None:
            received.append(await receive())

        async with anyio.create_task_group() as task_group:
            task_group.start_soon(listen)
            await PlainTextResponse("sent")(scope, receive, send)

    client = Client()  # sends nothing, ever
    await client.run(CustomHeader(app))
    assert client.body == b"sent"
    assert received == [{"type": "http.disconnect"}]


@pytest.mark.anyio
async def test_app_output_after_dispatch_replaced_the_response_is_dropped() -> None:
    finished: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"dropped", "more_body": True})
        await send({"type": "http.response.body", "body": b"dropped too"})
        finished.append(True)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    client = Client()
    await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.body == b"replaced"
    assert finished == [True]


def test_response_body_partly_read_by_dispatch(test_client_factory: Any) -> None:
    async def stream() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"chunk"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(stream())(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        async for chunk in response.body_iterator:  # type: ignore[attr-defined]
            assert chunk == b"chunk"
            break
        return PlainTextResponse("first chunk seen")

    client = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.get("/").text == "first chunk seen"


@pytest.mark.anyio
async def test_send_failing_because_the_client_left() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b", "more_body": True})
        received.append(await receive())

    sent: list[Message] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            raise OSError("connection lost")
        sent.append(message)

    scope = http_scope()
    scope["asgi"]["spec_version"] = "2.4"
    with anyio.fail_after(10):
        await CustomHeader(app)(scope, Client().receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert received == [{"type": "http.disconnect"}]


def test_call_next_twice(test_client_factory: Any) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        return await call_next(request)

    client = test_client_factory(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    with pytest.raises(RuntimeError, match=r"call_next\(\) can only be called once per request"):
        client.get("/")


# A disconnect, once seen, is answered without asking the server again.


class CountingClient(Client):
    def __init__(self, *messages: Message) -> None:
        super().__init__(*messages)
        self.receive_calls = 0

    async def receive(self) -> Message:
        self.receive_calls += 1
        return await super().receive()


@pytest.mark.anyio
async def test_is_disconnected_polled_twice_in_the_app() -> None:
    results: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Two Request objects: neither can rely on the other's memory of the disconnect.
        results.append(await Request(scope, receive).is_disconnected())
        results.append(await Request(scope, receive).is_disconnected())
        await PlainTextResponse("gone")(scope, receive, send)

    client = CountingClient({"type": "http.disconnect"})  # then silent: a second call hangs
    await client.run(CustomHeader(app))
    assert results == [True, True]
    assert client.receive_calls == 1


@pytest.mark.anyio
async def test_disconnect_seen_by_the_app_is_known_to_dispatch() -> None:
    seen: list[bool | Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert await receive() == {"type": "http.request", "body": b"", "more_body": False}
        assert await receive() == {"type": "http.disconnect"}
        await PlainTextResponse("late")(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        seen.append(await request.is_disconnected())
        seen.append(await request.receive())
        return response

    client = CountingClient(
        {"type": "http.request", "body": b"", "more_body": False}, {"type": "http.disconnect"}
    )
    await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert seen == [True, {"type": "http.disconnect"}]
    assert client.receive_calls == 2


# `call_next(request).body_iterator.aclose()`.


@pytest.mark.anyio
async def test_closing_the_body_iterator_stops_the_apps_body() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for index in range(5):
            await send({"type": "http.response.body", "body": b"%d" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        events.append("app finished")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        iterator = response.body_iterator  # type: ignore[attr-defined]
        assert await iterator.__anext__() == b"0"
        await iterator.aclose()
        events.append("closed")
        assert [chunk async for chunk in iterator] == []
        return PlainTextResponse("replaced")

    client = Client()
    await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.body == b"replaced"
    # The application's later sends went nowhere, and it ran to its end.
    assert events == ["closed", "app finished"]


@pytest.mark.anyio
async def test_response_with_a_closed_body_iterator_is_empty() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        await response.body_iterator.aclose()  # type: ignore[attr-defined]
        return response

    client = Client()
    await client.run(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    assert client.sent[0]["status"] == 200
    assert client.body == b""
    assert client.sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


@pytest.mark.anyio
async def test_closing_the_body_iterator_ends_an_endless_stream() -> None:
    cleaned_up: list[bool] = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                yield b"tick"
        finally:
            cleaned_up.append(True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        # Before ASGI 2.4 the response listens for the disconnect the middleware then reports.
        await StreamingResponse(endless())(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        iterator = response.body_iterator  # type: ignore[attr-defined]
        assert await iterator.__anext__() == b"tick"
        await iterator.aclose()
        return PlainTextResponse("stopped")

    client = Client()  # never disconnects by itself
    await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.body == b"stopped"
    assert cleaned_up == [True]


# Exception groups of user code are not collapsed.


async def raise_group(scope: Scope, receive: Receive, send: Send) -> None:
    raise ExceptionGroup("from the app", [ValueError("inside")])


@pytest.mark.anyio
async def test_exception_group_of_the_app_reaches_the_caller_as_raised() -> None:
    with pytest.raises(ExceptionGroup) as info:
        await Client().run(CustomHeader(raise_group))
    assert info.value.message == "from the app"
    assert [repr(exc) for exc in info.value.exceptions] == ["ValueError('inside')"]
    assert info.value.__context__ is None


@pytest.mark.anyio
async def test_nested_exception_group_of_dispatch_reaches_the_caller_as_raised() -> None:
    inner = ExceptionGroup("inner", [KeyError("k")])
    outer = ExceptionGroup("outer", [inner])

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        raise outer

    with pytest.raises(ExceptionGroup) as info:
        await Client().run(BaseHTTPMiddleware(homepage, dispatch=dispatch))
    # The same groups (trio hands back equal copies of groups that crossed a nursery).
    assert info.value.message == "outer"
    (middle,) = info.value.exceptions
    assert isinstance(middle, ExceptionGroup)
    assert middle.message == "inner"
    assert middle.exceptions[0] is inner.exceptions[0]


@pytest.mark.anyio
async def test_exception_group_raised_after_dispatch_answered() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ExceptionGroup("late", [OSError("disk")])

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    client = Client()
    with pytest.raises(ExceptionGroup, match="late") as info:
        await client.run(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert isinstance(info.value.exceptions[0], OSError)
    assert client.body == b"replaced"


def test_dispatch_wrapping_the_body_iterator(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        await send({"type": "http.response.body", "body": b"abc", "more_body": True})
        await send({"type": "http.response.body", "body": b"def"})

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        original = response.body_iterator  # type: ignore[attr-defined]

        async def upper() -> AsyncIterator[bytes]:
            async for chunk in original:
                yield chunk.upper()

        response.body_iterator = upper()  # type: ignore[attr-defined]
        return response

    client = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch))
    assert client.get("/").content == b"ABCDEF"


@pytest.mark.anyio
async def test_early_hints_sent_from_dispatch() -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await request.send_early_hints("</app.js>; rel=preload")
        return await call_next(request)

    scope = http_scope()
    scope["extensions"] = {"http.response.early_hint": {}}
    client = Client()
    await client.run(BaseHTTPMiddleware(homepage, dispatch=dispatch), scope)
    assert client.sent[0] == {
        "type": "http.response.early_hint",
        "links": [b"</app.js>; rel=preload"],
    }
    assert client.body == b"Homepage"
