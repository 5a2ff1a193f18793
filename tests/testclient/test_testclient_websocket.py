"""TestClient WebSocket sessions: handshake, messages, closing, denial responses, app errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

try:  # the library TestClient is built on: httpx2, else httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., TestClient]


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(f"echo {message}")


def test_text_round_trip(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_app)
    with client.websocket_connect("/ws") as session:
        session.send_text("hello")
        assert session.receive_text() == "echo hello"
        session.send_text("again")
        assert session.receive_text() == "echo again"


def test_bytes_and_json(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        data = await websocket.receive_bytes()
        await websocket.send_bytes(data[::-1])
        text_json = await websocket.receive_json()
        await websocket.send_json({"got": text_json})
        binary_json = await websocket.receive_json(mode="binary")
        await websocket.send_json({"got": binary_json}, mode="binary")
        raw = await websocket.receive()
        await websocket.send_text(raw["text"])
        await websocket.close()

    with test_client_factory(app).websocket_connect("/") as session:
        session.send_bytes(b"abc")
        assert session.receive_bytes() == b"cba"
        session.send_json({"é": 1})
        assert session.receive_json() == {"got": {"é": 1}}
        session.send_json([1, 2], mode="binary")
        assert session.receive_json(mode="binary") == {"got": [1, 2]}
        session.send({"type": "websocket.receive", "text": '{"compact":true}'})
        assert session.receive() == {"type": "websocket.send", "text": '{"compact":true}'}
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert info.value.code == 1000
    assert info.value.reason == ""


def test_json_is_sent_compact(test_client_factory: TestClientFactory) -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        received.append(await websocket.receive())
        received.append(await websocket.receive())

    with test_client_factory(app).websocket_connect("/") as session:
        session.send_json({"a": [1, "é"]})
        session.send_json({"a": 1}, mode="binary")
    assert received[0] == {"type": "websocket.receive", "text": '{"a":[1,"é"]}'}
    assert received[1] == {"type": "websocket.receive", "bytes": b'{"a":1}'}


def test_scope(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await WebSocket(scope, receive, send).accept()

    client = test_client_factory(app, root_path="/root")
    with client.websocket_connect("/chat%20room?x=1", subprotocols=["a", "b"]):
        pass
    scope = scopes[0]
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/chat room"
    assert scope["raw_path"] == b"/chat%20room"
    assert scope["root_path"] == "/root"
    assert scope["query_string"] == b"x=1"
    assert scope["subprotocols"] == ["a", "b"]
    assert scope["server"] == ["testserver", 80]
    assert scope["client"] == ("testclient", 50000)
    assert scope["extensions"] == {"websocket.http.response": {}}
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"testserver"
    assert headers[b"connection"] == b"upgrade"
    # Upstream's TestClient sends no `upgrade` header.
    assert b"upgrade" not in headers
    assert headers[b"sec-websocket-key"] == b"testserver=="
    assert headers[b"sec-websocket-version"] == b"13"
    assert headers[b"sec-websocket-protocol"] == b"a, b"
    assert headers[b"user-agent"] == b"testclient"


def test_no_subprotocols(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await WebSocket(scope, receive, send).accept()

    with test_client_factory(app).websocket_connect("/", headers={"x-extra": "1"}):
        pass
    assert scopes[0]["subprotocols"] == []
    assert (b"x-extra", b"1") in scopes[0]["headers"]
    assert b"sec-websocket-protocol" not in dict(scopes[0]["headers"])


def handshake_recorder(seen: list[tuple[Any, ...]]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            seen.append(("http", scope["scheme"], scope["server"], scope["path"]))
            await PlainTextResponse("plain HTTP")(scope, receive, send)
            return
        host = dict(scope["headers"])[b"host"]
        seen.append((scope["scheme"], scope["server"], scope["raw_path"], host))
        await WebSocket(scope, receive, send).accept()

    return app


@pytest.mark.parametrize(
    "base_url",
    ["http://testserver", "http://testserver/api/", "https://example.org:8443/api", "http://x:0"],
    ids=["default", "path", "https-port-path", "port-0"],
)
def test_relative_urls_ignore_base_url(
    test_client_factory: TestClientFactory, base_url: str
) -> None:
    # Like upstream: resolved against ws://testserver, whatever the client's base_url.
    seen: list[tuple[Any, ...]] = []
    client = test_client_factory(handshake_recorder(seen), base_url=base_url)
    for url in ("/ws", "ws", "../ws", "/ws?x=1", ""):
        with client.websocket_connect(url):
            pass
    testserver = ("ws", ["testserver", 80])
    assert seen == [
        (*testserver, b"/ws", b"testserver"),
        (*testserver, b"/ws", b"testserver"),
        (*testserver, b"/ws", b"testserver"),
        (*testserver, b"/ws", b"testserver"),
        (*testserver, b"/", b"testserver"),
    ]


def test_absolute_websocket_urls(test_client_factory: TestClientFactory) -> None:
    seen: list[tuple[Any, ...]] = []
    client = test_client_factory(handshake_recorder(seen), base_url="https://example.org/api")
    for url in (
        "ws://other:9000/ws",
        "wss://other/ws",
        "wss://other:8443/a%20b",
        "ws://[::1]:8000/ws",
        "//other/ws",
    ):
        with client.websocket_connect(url):
            pass
    assert seen == [
        ("ws", ["other", 9000], b"/ws", b"other:9000"),
        ("wss", ["other", 443], b"/ws", b"other"),
        ("wss", ["other", 8443], b"/a%20b", b"other:8443"),
        ("ws", ["::1", 8000], b"/ws", b"[::1]:8000"),
        ("ws", ["other", 80], b"/ws", b"other"),
    ]


def test_http_urls_are_not_upgraded(test_client_factory: TestClientFactory) -> None:
    # Like upstream: sent as a plain HTTP request, which is no WebSocket upgrade.
    seen: list[tuple[Any, ...]] = []
    client = test_client_factory(handshake_recorder(seen))
    for url in ("http://plain/ws", "https://plain/ws"):
        with pytest.raises(RuntimeError) as info:
            client.websocket_connect(url)
        assert str(info.value) == "Expected WebSocket upgrade"
    assert seen == [
        ("http", "http", ["plain", 80], "/ws"),
        ("http", "https", ["plain", 443], "/ws"),
    ]


def test_accepted_subprotocol_and_headers(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept(subprotocol="b", headers=[(b"x-server", b"yes")])

    with test_client_factory(app).websocket_connect("/", subprotocols=["a", "b"]) as session:
        assert session.accepted_subprotocol == "b"
        assert session.extra_headers == [(b"x-server", b"yes")]


def test_close_before_accept(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await WebSocket(scope, receive, send).close(code=1008, reason="no entry")

    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.code == 1008
    assert info.value.reason == "no entry"


def test_raw_close_without_code(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.close"})

    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (1000, "")


def test_app_closes_with_code(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.close(code=4001, reason="bye")

    with test_client_factory(app).websocket_connect("/") as session:
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
        assert (info.value.code, info.value.reason) == (4001, "bye")
        # After that, the finished app reads as a normal close.
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_bytes()
        assert info.value.code == 1000
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_json()
        assert info.value.code == 1000


def test_denial_response(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        response = PlainTextResponse("go away", status_code=403, headers={"x-why": "test"})
        await websocket.send_denial_response(response)

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    denial = info.value
    assert isinstance(denial, WebSocketDisconnect)
    assert isinstance(denial, httpx.Response)
    assert denial.status_code == 403
    assert denial.headers["x-why"] == "test"
    assert denial.text == "go away"


def test_denial_response_in_several_chunks(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401})
        await send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"b"})

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.status_code == 401
    assert info.value.content == b"ab"


def test_denial_response_cut_short(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 400, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
        await send({"type": "websocket.close"})

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.status_code == 400
    assert info.value.content == b"a"


def test_app_returning_without_accepting_is_403(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.status_code == 403


def test_exception_before_accept(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("refused")

    with (
        pytest.raises(ValueError, match="refused"),
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover


def test_exception_after_accept_is_raised_by_receive(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.receive_text()
        raise ValueError("bad message")

    with test_client_factory(app).websocket_connect("/") as session:
        session.send_text("x")
        with pytest.raises(ValueError, match="bad message"):
            session.receive()
        # The app is gone: later sends are dropped, and the connection reads as closed.
        session.send_text("ignored")
        with pytest.raises(WebSocketDisconnect):
            session.receive_text()


def test_exception_after_accept_is_raised_on_exit(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.receive_text()
        raise ValueError("never received")

    with (
        pytest.raises(ValueError, match="never received"),
        test_client_factory(app).websocket_connect("/") as session,
    ):
        session.send_text("x")


def test_app_returning_after_accept_reads_as_normal_close(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await WebSocket(scope, receive, send).accept()

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive() == {"type": "websocket.close", "code": 1000, "reason": ""}


def test_exit_closes_with_1000_and_waits(test_client_factory: TestClientFactory) -> None:
    seen: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as exc:
            await anyio.sleep(0)
            seen.append(exc.code)

    with test_client_factory(app).websocket_connect("/"):
        pass
    # The block only ends once the app has handled the disconnect.
    assert seen == [1000]


def test_app_letting_disconnect_escape_is_reraised(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(echo_app).websocket_connect("/") as session:
        session.send_text("one")
        assert session.receive_text() == "echo one"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.receive_text()  # raises WebSocketDisconnect when the test leaves

    # Like upstream, the WebSocketDisconnect the app let escape is re-raised on exit.
    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass
    assert info.value.code == 1000


def test_client_close_with_code_and_reason(test_client_factory: TestClientFactory) -> None:
    messages: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept"})
        messages.append(await receive())
        messages.append(await receive())
        # A closed connection keeps answering "disconnected".
        messages.append(await receive())

    with test_client_factory(app).websocket_connect("/") as session:
        session.close(code=4000, reason="done")
    assert messages == [
        {"type": "websocket.connect"},
        {"type": "websocket.disconnect", "code": 4000, "reason": "done"},
        {"type": "websocket.disconnect", "code": 4000, "reason": "done"},
    ]


def test_app_send_after_client_closed(test_client_factory: TestClientFactory) -> None:
    outcome: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept"})
        await receive()
        await receive()
        # Like upstream: accepted, and dropped (nobody reads any more).
        await send({"type": "websocket.send", "text": "too late"})
        outcome.append("sent")
        await send({"type": "websocket.close", "code": 1000})
        outcome.append("closed")

    with test_client_factory(app).websocket_connect("/") as session:
        session.close()
    assert outcome == ["sent", "closed"]


def test_app_send_after_client_closed_before_receiving_it(
    test_client_factory: TestClientFactory,
) -> None:
    outcome: list[str] = []
    events: dict[str, anyio.Event] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        websocket = WebSocket(scope, receive, send)
        events["closed"] = anyio.Event()
        await websocket.accept()
        await websocket.send_text("ready")
        try:
            await events["closed"].wait()
        finally:
            # The test has closed, the app has not received the disconnect yet: the send
            # succeeds, the message is dropped, and the block exits without an error.
            await websocket.send_text("push")
            outcome.append("sent")
        await websocket.send_text("again")
        outcome.append(f"sent again, {await websocket.receive()}")

    with test_client_factory(app) as client, client.websocket_connect("/") as session:
        assert session.receive_text() == "ready"
        session.close(4000)
        assert client.portal is not None
        client.portal.call(events["closed"].set)
    assert outcome == [
        "sent",
        "sent again, {'type': 'websocket.disconnect', 'code': 4000, 'reason': None}",
    ]


def test_app_sending_in_finally_after_the_exit(test_client_factory: TestClientFactory) -> None:
    outcome: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            await anyio.sleep_forever()
        finally:
            # Cancelled on exit; what it sends while cleaning up is dropped.
            with anyio.CancelScope(shield=True):
                await websocket.send_text("bye")
                outcome.append("sent bye")

    with test_client_factory(app).websocket_connect("/"):
        pass
    assert outcome == ["sent bye"]


def test_app_that_keeps_sending_after_the_close_is_cancelled(
    test_client_factory: TestClientFactory,
) -> None:
    outcome: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            while True:
                await websocket.send_text("tick")
        except anyio.get_cancelled_exc_class():
            outcome.append("cancelled")
            raise

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_text() == "tick"
    assert outcome == ["cancelled"]


def test_failing_test_body_cancels_the_app(test_client_factory: TestClientFactory) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept"})
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")
            raise

    with (
        pytest.raises(KeyError, match="from the test"),
        test_client_factory(app).websocket_connect("/"),
    ):
        raise KeyError("from the test")
    assert seen == ["cancelled"]


def test_websocket_inside_a_with_block(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await echo_app(scope, receive, send)

    with test_client_factory(app) as client:
        for word in ("a", "b"):
            with client.websocket_connect("/") as session:
                session.send_text(word)
                assert session.receive_text() == f"echo {word}"


def test_denial_response_without_body(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 404, "headers": []})

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.status_code == 404
    assert info.value.content == b""
