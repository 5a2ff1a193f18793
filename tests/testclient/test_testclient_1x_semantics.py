"""Starlette 1.x TestClient semantics: backpressure, copies, closing, trailers, debug, scope."""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import pytest

import starlette.testclient
from starlette.background import BackgroundTask
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]

START: Message = {"type": "http.response.start", "status": 200, "headers": []}
START_TRAILERS: Message = {**START, "trailers": True}
BODY: Message = {"type": "http.response.body", "body": b"x"}
MORE_BODY: Message = {"type": "http.response.body", "body": b"x", "more_body": True}
TRAILERS: Message = {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]}
MORE_TRAILERS: Message = {**TRAILERS, "more_trailers": True}


def sending(*messages: Message, then: Callable[[], Any] | None = None) -> Any:
    """A raw app that sends `messages`, then runs `then` (lifespan unsupported)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        for message in messages:
            await send(message)
        if then is not None:
            then()

    return app


def fail() -> None:
    raise ValueError("ended early")


# Streaming


def test_stream_applies_backpressure(test_client_factory: TestClientFactory) -> None:
    log: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await send(START)
        for number in range(4):
            await send({"type": "http.response.body", "body": b"%d" % number, "more_body": True})
            log.append(f"sent {number}")
        await send({"type": "http.response.body", "body": b""})

    with test_client_factory(app) as client, client.stream("GET", "/") as response:
        assert client.portal is not None
        chunks = response.iter_raw()
        for number in range(4):
            assert next(chunks) == b"%d" % number
            # The app ran as far as it could: it is blocked handing over the next chunk.
            client.portal.call(anyio.wait_all_tasks_blocked)
            assert log == [f"sent {n}" for n in range(number + 1)]
        assert list(chunks) == []
    assert log == ["sent 0", "sent 1", "sent 2", "sent 3"]


def test_mutable_chunks_are_copied_when_sent(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(START)
        buffer = bytearray(b"aaaa")
        await send({"type": "http.response.body", "body": buffer, "more_body": True})
        buffer[:] = b"bbbb"
        await send({"type": "http.response.body", "body": memoryview(buffer), "more_body": True})
        buffer[:] = b"cccc"
        await send({"type": "http.response.body", "body": b""})

    client = test_client_factory(app)
    assert client.get("/").content == b"aaaabbbb"
    with client.stream("GET", "/") as response:
        chunks = list(response.iter_raw())
    assert chunks == [b"aaaa", b"bbbb"]
    assert all(type(chunk) is bytes for chunk in chunks)


def forever_app(seen: list[str]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await send(START)
        await send(MORE_BODY)
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            seen.append(scope["path"])
            raise

    return app


def test_close_cancels_every_open_stream(test_client_factory: TestClientFactory) -> None:
    seen: list[str] = []
    client = test_client_factory(forever_app(seen))
    with contextlib.ExitStack() as stack:
        first = stack.enter_context(client.stream("GET", "/one"))
        second = stack.enter_context(client.stream("GET", "/two"))
        # Iterators kept referenced: dropping one closes its response (httpx does that).
        readers = [first.iter_raw(), second.iter_raw()]
        assert [next(reader) for reader in readers] == [b"x", b"x"]
        assert seen == []
        client.close()
        assert sorted(seen) == ["/one", "/two"]
        assert second.status_code == 200
    # Leaving the stream blocks afterwards is harmless.
    assert sorted(seen) == ["/one", "/two"]


def test_leaving_the_lifespan_block_cancels_open_streams_and_background_tasks(
    test_client_factory: TestClientFactory,
) -> None:
    seen: list[str] = []

    async def background() -> None:
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            seen.append("background")
            raise

    response_app = PlainTextResponse("done", background=BackgroundTask(background))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["path"] == "/background":
            await response_app(scope, receive, send)
        else:
            await forever_app(seen)(scope, receive, send)

    with contextlib.ExitStack() as stack:
        with test_client_factory(app) as client:
            streamed = stack.enter_context(client.stream("GET", "/streamed"))
            complete = stack.enter_context(client.stream("GET", "/background"))
            readers = [streamed.iter_raw(), complete.iter_raw()]
            # All of /background's body, read without closing the response: the background
            # task runs on.
            assert [next(reader) for reader in readers] == [b"x", b"done"]
            assert seen == []
        assert sorted(seen) == ["/streamed", "background"]


def test_other_messages_after_the_end_are_dropped(test_client_factory: TestClientFactory) -> None:
    hint: Message = {"type": "http.response.early_hint", "links": ["</a.css>; rel=preload"]}
    seen: list[str] = []
    app = sending(START, BODY, hint, then=lambda: seen.append("returned"))
    with test_client_factory(app).stream("GET", "/") as response:
        assert response.read() == b"x"
    assert seen == ["returned"]


# Trailers


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        (
            [START, BODY, TRAILERS],
            'Received "http.response.trailers" without declaring trailers.',
        ),
        ([TRAILERS], 'Received "http.response.trailers" without declaring trailers.'),
        (
            [START_TRAILERS, MORE_BODY, TRAILERS],
            'Received "http.response.trailers" before body completed.',
        ),
        (
            [START_TRAILERS, BODY, TRAILERS, TRAILERS],
            'Received "http.response.trailers" after response completed.',
        ),
        (
            [START_TRAILERS, BODY, MORE_TRAILERS, BODY],
            'Received "http.response.body" after body completed.',
        ),
    ],
    ids=["undeclared", "before-start", "before-body-end", "after-end", "body-after-trailers"],
)
def test_trailers_out_of_order(
    test_client_factory: TestClientFactory, messages: list[Message], error: str
) -> None:
    with pytest.raises(AssertionError) as info:
        test_client_factory(sending(*messages)).get("/")
    assert str(info.value) == error


def test_trailers_before_an_early_end_are_kept(test_client_factory: TestClientFactory) -> None:
    # The app returns before its last trailers.
    response = test_client_factory(sending(START_TRAILERS, BODY, MORE_TRAILERS)).get("/")
    assert response.content == b"x"
    assert response.extensions["http.response.trailers"] == [(b"x-sum", b"1")]
    # The app raises before its last trailers: raised by default...
    app = sending(START_TRAILERS, BODY, MORE_TRAILERS, then=fail)
    with pytest.raises(ValueError, match="ended early"):
        test_client_factory(app).get("/")
    # ...and kept when server exceptions are not raised.
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.content) == (200, b"x")
    assert response.extensions["http.response.trailers"] == [(b"x-sum", b"1")]


LAST_BODY: Message = {"type": "http.response.body", "body": b"y"}
MIXED_CASE: Message = {
    "type": "http.response.trailers",
    "headers": [(b"X-Sum", b"1")],
    "more_trailers": True,
}
LOWER_CASE: Message = {"type": "http.response.trailers", "headers": [(b"x-more", b"Two")]}


def read_chunk_by_chunk(response: Any) -> list[tuple[bytes, list[Any]]]:
    """Each chunk with a copy of the trailers as they stood when it was handed over."""
    trailers = response.extensions["http.response.trailers"]
    seen: list[tuple[bytes, list[Any]]] = [(b"", list(trailers))]
    seen.extend((chunk, list(trailers)) for chunk in response.iter_raw())
    # One list, filled in place.
    assert response.extensions["http.response.trailers"] is trailers
    return seen


def test_trailers_are_in_place_when_the_last_chunk_is_handed_over(
    test_client_factory: TestClientFactory,
) -> None:
    app = sending(START_TRAILERS, MORE_BODY, LAST_BODY, MIXED_CASE, LOWER_CASE)
    all_trailers = [(b"X-Sum", b"1"), (b"x-more", b"Two")]
    with test_client_factory(app).stream("GET", "/") as response:
        assert read_chunk_by_chunk(response) == [
            (b"", []),
            (b"x", []),
            (b"y", all_trailers),
        ]
    # A plain request reads the same.
    response = test_client_factory(app).get("/")
    assert response.content == b"xy"
    assert response.extensions["http.response.trailers"] == all_trailers


@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_trailers_before_an_early_end_are_in_place_with_the_last_chunk(
    test_client_factory: TestClientFactory, raise_server_exceptions: bool
) -> None:
    client = test_client_factory(
        sending(START_TRAILERS, MORE_BODY, LAST_BODY, MIXED_CASE, then=fail),
        raise_server_exceptions=raise_server_exceptions,
    )
    seen: list[tuple[bytes, list[Any]]] = []
    with contextlib.ExitStack() as stack:
        if raise_server_exceptions:
            # The app's error comes after the last chunk, not instead of it.
            stack.enter_context(pytest.raises(ValueError, match="ended early"))
        response = stack.enter_context(client.stream("GET", "/"))
        trailers = response.extensions["http.response.trailers"]
        seen.extend((chunk, list(trailers)) for chunk in response.iter_raw())
    assert seen == [(b"x", []), (b"y", [(b"X-Sum", b"1")])]


def test_empty_chunks_and_other_messages_before_the_trailers(
    test_client_factory: TestClientFactory,
) -> None:
    empty: Message = {"type": "http.response.body", "body": b"", "more_body": True}
    other: Message = {"type": "http.response.zerocopysend", "file": 1}
    app = sending(START_TRAILERS, empty, MORE_BODY, empty, LAST_BODY, other, LOWER_CASE)
    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        assert list(response.iter_raw()) == [b"x", b"y"]
        assert response.extensions["http.response.trailers"] == [(b"x-more", b"Two")]
    response = client.head("/")
    assert response.content == b""
    assert response.extensions["http.response.trailers"] == [(b"x-more", b"Two")]


def test_an_error_after_the_last_chunk_is_raised_when_the_reader_stops(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(sending(START_TRAILERS, LAST_BODY, then=fail))
    with client.stream("GET", "/") as response:
        chunks = response.iter_raw()
        assert next(chunks) == b"y"
        assert response.extensions["http.response.trailers"] == []
        # A reader that stops at the last chunk still gets the app's error, when it closes
        # the response (leaving the block would too).
        with pytest.raises(ValueError, match="ended early"):
            response.close()
        assert list(chunks) == []


# Debug extension, disconnects, scope


def test_debug_extension_in_response_extensions(test_client_factory: TestClientFactory) -> None:
    info = {"template": "index.html", "context": {"name": "x"}}
    app = sending({"type": "http.response.debug", "info": info}, START, BODY)
    response = test_client_factory(app).get("/")
    assert response.extensions["http.response.debug"] == info
    assert response.template == "index.html"  # type: ignore[attr-defined]
    assert response.context == {"name": "x"}  # type: ignore[attr-defined]
    assert (
        "http.response.debug" not in test_client_factory(sending(START, BODY)).get("/").extensions
    )


def test_is_disconnected_once_the_response_is_sent(test_client_factory: TestClientFactory) -> None:
    states: list[tuple[str, bool]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        assert await request.body() == b"data"
        states.append(("before", await request.is_disconnected()))
        await send(START)
        states.append(("started", await request.is_disconnected()))
        await send(BODY)
        states.append(("sent", await request.is_disconnected()))

    assert test_client_factory(app).post("/", content=b"data").content == b"x"
    assert states == [("before", False), ("started", False), ("sent", True)]


def test_base_url_port_zero_and_ipv6(test_client_factory: TestClientFactory) -> None:
    seen: list[tuple[Any, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["server"], dict(scope["headers"])[b"host"]))
        await PlainTextResponse("ok")(scope, receive, send)

    test_client_factory(app, base_url="http://testserver:0").get("/")
    test_client_factory(app, base_url="http://[::1]:8000").get("/")
    test_client_factory(app, base_url="https://[::1]").get("/")
    assert seen == [
        (["testserver", 0], b"testserver:0"),
        (["::1", 8000], b"[::1]:8000"),
        (["::1", 443], b"[::1]"),
    ]


def test_websocket_handshake_headers_are_upstreams(test_client_factory: TestClientFactory) -> None:
    headers: list[list[tuple[bytes, bytes]]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers.append(scope["headers"])
        await WebSocket(scope, receive, send).accept()

    client = test_client_factory(app)
    with client.websocket_connect("/ws", subprotocols=["a", "b"]):
        pass
    encoding = client.headers["accept-encoding"].encode()
    assert headers[0] == [
        (b"host", b"testserver"),
        (b"accept", b"*/*"),
        (b"accept-encoding", encoding),
        (b"user-agent", b"testclient"),
        (b"connection", b"upgrade"),
        (b"sec-websocket-key", b"testserver=="),
        (b"sec-websocket-version", b"13"),
        (b"sec-websocket-protocol", b"a, b"),
    ]


TIMEOUT_WARNING = (
    "You should not use the 'timeout' argument with the TestClient. "
    "See https://github.com/Kludex/starlette/issues/1108 for more information."
)


def test_timeout_argument_is_deprecated(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(PlainTextResponse("ok"))
    with pytest.warns(StarletteDeprecationWarning) as record:
        assert client.request("GET", "/", timeout=5).text == "ok"
    assert [str(w.message) for w in record] == [TIMEOUT_WARNING]
    assert record[0].filename == __file__
    with pytest.warns(StarletteDeprecationWarning, match="You should not use the 'timeout'"):
        client.get("/", timeout=None)
    # No timeout, no warning (filterwarnings = error would fail the test); like upstream,
    # stream() does not warn either.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.get("/")
        with client.stream("GET", "/", timeout=5) as response:
            assert response.read() == b"ok"


# WebSocket exit


def accepting(body: Callable[[WebSocket], Any], log: list[str]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            await body(websocket)
        except BaseException as exc:
            log.append(type(exc).__name__)
            raise
        log.append("returned")

    return app


def test_websocket_exit_reraises_the_apps_disconnect(
    test_client_factory: TestClientFactory,
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        await websocket.receive_text()

    app = accepting(body, log)
    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass
    assert (info.value.code, log) == (1000, ["WebSocketDisconnect"])
    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/") as session,
    ):
        session.close(4001, "bye")
    assert (info.value.code, info.value.reason) == (4001, "bye")


def test_websocket_exit_reraises_what_the_app_raises_after_the_close(
    test_client_factory: TestClientFactory,
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        message = await websocket.receive()
        assert message["type"] == "websocket.disconnect"
        raise RuntimeError("cleanup failed")

    app = accepting(body, log)
    with (
        pytest.raises(RuntimeError, match="cleanup failed"),
        test_client_factory(app).websocket_connect("/"),
    ):
        pass
    # A failing test body: the app's error is raised, chained to the test's own.
    with (
        pytest.raises(RuntimeError, match="cleanup failed") as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        raise KeyError("test body")
    assert isinstance(info.value.__context__, KeyError)


def test_websocket_exit_does_not_raise_for_an_app_that_handles_the_close(
    test_client_factory: TestClientFactory,
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        async for _ in websocket.iter_text():
            pass  # pragma: no cover

    with test_client_factory(accepting(body, log)).websocket_connect("/"):
        pass
    assert log == ["returned"]


@pytest.mark.parametrize("receive_first", [False, True], ids=["never-receives", "received-close"])
def test_websocket_exit_cancels_an_app_that_waits_forever(
    test_client_factory: TestClientFactory, receive_first: bool
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        if receive_first:
            await websocket.receive()
        await anyio.sleep_forever()

    with test_client_factory(accepting(body, log)).websocket_connect("/"):
        pass
    # asyncio's or trio's cancellation: the block did not wait for the app.
    assert log in (["CancelledError"], ["Cancelled"])


@pytest.mark.parametrize("receive_first", [False, True], ids=["never-receives", "received-close"])
def test_websocket_exit_cancels_an_app_that_never_blocks(
    test_client_factory: TestClientFactory, receive_first: bool
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        if receive_first:
            await websocket.receive()
        while True:  # busy: the event loop never goes idle
            await anyio.sleep(0)

    with test_client_factory(accepting(body, log)).websocket_connect("/"):
        pass
    assert log in (["CancelledError"], ["Cancelled"])


def test_websocket_exit_bound_is_a_number_of_event_loop_turns(
    test_client_factory: TestClientFactory,
) -> None:
    turns: list[int] = []

    async def body(websocket: WebSocket) -> None:
        await websocket.receive()  # the close
        turns.append(0)
        while True:
            await anyio.lowlevel.checkpoint()
            turns[0] += 1

    log: list[str] = []
    with test_client_factory(accepting(body, log)).websocket_connect("/"):
        pass
    assert log in (["CancelledError"], ["Cancelled"])
    # Cancelled once the session has given it its turns (give or take the turn it was
    # scheduled in), not after some seconds.
    assert turns[0] <= starlette.testclient._SETTLE_TURNS + 2


def test_websocket_exit_reraises_what_the_app_raises_a_few_awaits_after_the_close(
    test_client_factory: TestClientFactory,
) -> None:
    log: list[str] = []

    async def body(websocket: WebSocket) -> None:
        try:
            await websocket.receive_text()
        except WebSocketDisconnect:
            # Cleanup that takes a few turns of the event loop, as a task group unwinding does.
            for _ in range(starlette.testclient._SETTLE_TURNS // 2):
                await anyio.sleep(0)
            raise RuntimeError("cleanup failed") from None

    with (
        pytest.raises(RuntimeError, match="cleanup failed"),
        test_client_factory(accepting(body, log)).websocket_connect("/"),
    ):
        pass
    assert log == ["RuntimeError"]


@pytest.mark.parametrize("then_raise", [False, True], ids=["returns", "raises"])
def test_websocket_exit_waits_for_a_worker_thread(
    test_client_factory: TestClientFactory, then_raise: bool
) -> None:
    log: list[str] = []
    release = threading.Event()

    async def release_later() -> None:
        # Outlasts the turns the session gives the app after the close.
        for _ in range(starlette.testclient._SETTLE_TURNS * 5):
            await anyio.lowlevel.checkpoint()
        release.set()

    def cleanup(client: TestClient) -> None:
        assert client.portal is not None
        client.portal.start_task_soon(release_later)
        release.wait()
        try:
            anyio.from_thread.check_cancelled()
        except BaseException as exc:
            log.append(f"cancelled in the thread: {type(exc).__name__}")
        log.append("thread done")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await accepting(body, log)(scope, receive, send)

    async def body(websocket: WebSocket) -> None:
        await websocket.receive()  # the close
        # Cancelling does not abandon the thread: the app goes on when it is done.
        await anyio.to_thread.run_sync(cleanup, client)
        if then_raise:
            raise RuntimeError("after the thread")

    with contextlib.ExitStack() as stack:
        if then_raise:
            stack.enter_context(pytest.raises(RuntimeError, match="after the thread"))
        client = stack.enter_context(test_client_factory(app))
        with client.websocket_connect("/"):
            pass
    cancelled = log[0].removeprefix("cancelled in the thread: ")
    assert cancelled in ("CancelledError", "Cancelled")
    assert log[1:] == ["thread done", "RuntimeError" if then_raise else "returned"]
