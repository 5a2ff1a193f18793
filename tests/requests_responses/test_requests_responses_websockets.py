"""The WebSocket state machine, driven by hand-written receive/send and through TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import (
    WebSocket,
    WebSocketClose,
    WebSocketDisconnect,
    WebSocketDisconnected,
    WebSocketState,
)

TestClientFactory = Callable[..., TestClient]

NOT_ACCEPTED = 'WebSocket is not connected. Need to call "accept" first.'
SEND_AFTER_CLOSE = 'Cannot call "send" once a close message has been sent.'
RECEIVE_AFTER_DISCONNECT = 'Cannot call "receive" once a disconnect message has been received.'
NO_DENIAL_EXTENSION = "The server doesn't support the Websocket Denial Response extension."

CONNECT: Message = {"type": "websocket.connect"}


class Server:
    """Hand-written ASGI server side: scripted incoming messages, recorded outgoing ones."""

    def __init__(self, *incoming: Message, denial: bool = False, fail_send: bool = False) -> None:
        self.incoming = list(incoming)
        self.sent: list[Message] = []
        self.fail_send = fail_send
        self.scope: Scope = {
            "type": "websocket",
            "path": "/ws",
            "headers": [(b"host", b"example.org")],
            "query_string": b"a=1",
            "extensions": {"websocket.http.response": {}} if denial else {},
        }

    async def receive(self) -> Message:
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        if self.fail_send:
            raise OSError("connection reset")
        self.sent.append(message)

    def websocket(self) -> WebSocket:
        return WebSocket(self.scope, self.receive, self.send)


async def accepted(*incoming: Message, **options: Any) -> tuple[Server, WebSocket]:
    server = Server(CONNECT, *incoming, **options)
    websocket = server.websocket()
    await websocket.accept()
    server.sent.clear()
    return server, websocket


def text(data: str) -> Message:
    return {"type": "websocket.receive", "text": data}


def data(payload: bytes) -> Message:
    return {"type": "websocket.receive", "bytes": payload}


def state_of(websocket: WebSocket) -> WebSocketState:
    # A call, so that type checkers do not keep an earlier narrowing of the attribute.
    return websocket.application_state


DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1001, "reason": "gone"}


def test_state_values() -> None:
    assert [state.value for state in WebSocketState] == [0, 1, 2, 3]
    assert [state.name for state in WebSocketState] == [
        "CONNECTING",
        "CONNECTED",
        "DISCONNECTED",
        "RESPONSE",
    ]


def test_disconnect_exception() -> None:
    assert (WebSocketDisconnect().code, WebSocketDisconnect().reason) == (1000, "")
    exc = WebSocketDisconnect(4000, None)
    assert (exc.code, exc.reason) == (4000, "")
    exc = WebSocketDisconnect(code=1001, reason="away")
    assert (exc.code, exc.reason) == (1001, "away")
    assert issubclass(WebSocketDisconnected, RuntimeError)


def test_requires_a_websocket_scope() -> None:
    with pytest.raises(AssertionError):
        WebSocket({"type": "http", "path": "/", "headers": []}, Server().receive, Server().send)


def test_connection_properties() -> None:
    websocket = Server().websocket()
    assert websocket.url.path == "/ws"
    assert websocket.query_params["a"] == "1"
    assert websocket.headers["host"] == "example.org"
    assert websocket.client_state is WebSocketState.CONNECTING
    assert websocket.application_state is WebSocketState.CONNECTING


@pytest.mark.anyio
async def test_accept_receives_connect_first() -> None:
    server = Server(CONNECT)
    websocket = server.websocket()
    await websocket.accept()
    assert server.incoming == []
    assert server.sent == [{"type": "websocket.accept", "subprotocol": None, "headers": []}]
    assert websocket.client_state is WebSocketState.CONNECTED
    assert websocket.application_state is WebSocketState.CONNECTED


@pytest.mark.anyio
async def test_accept_with_subprotocol_and_headers() -> None:
    server = Server(CONNECT)
    websocket = server.websocket()
    assert await websocket.receive() == CONNECT

    def headers() -> Iterator[tuple[bytes, bytes]]:
        yield (b"x-a", b"1")

    await websocket.accept(subprotocol="chat", headers=headers())
    assert server.sent == [
        {"type": "websocket.accept", "subprotocol": "chat", "headers": [(b"x-a", b"1")]}
    ]


@pytest.mark.anyio
async def test_first_message_must_be_connect() -> None:
    websocket = Server(text("early")).websocket()
    with pytest.raises(RuntimeError) as info:
        await websocket.receive()
    assert str(info.value) == (
        "Expected ASGI message \"websocket.connect\", but got 'websocket.receive'"
    )


@pytest.mark.anyio
async def test_connected_receive_rejects_other_messages() -> None:
    _, websocket = await accepted(CONNECT)
    with pytest.raises(RuntimeError) as info:
        await websocket.receive()
    assert str(info.value) == (
        'Expected ASGI message "websocket.receive" or "websocket.disconnect", '
        "but got 'websocket.connect'"
    )


@pytest.mark.anyio
async def test_receive_after_disconnect() -> None:
    _, websocket = await accepted(DISCONNECT)
    assert await websocket.receive() == DISCONNECT
    assert websocket.client_state is WebSocketState.DISCONNECTED
    with pytest.raises(WebSocketDisconnected) as info:
        await websocket.receive()
    assert str(info.value) == RECEIVE_AFTER_DISCONNECT
    with pytest.raises(RuntimeError, match="once a disconnect message"):
        await websocket.receive_text()


@pytest.mark.anyio
async def test_receive_typed_messages() -> None:
    _, websocket = await accepted(
        text("hi"), data(b"\x00\x01"), text('{"a": [1]}'), data('{"é": 2}'.encode())
    )
    assert await websocket.receive_text() == "hi"
    assert await websocket.receive_bytes() == b"\x00\x01"
    assert await websocket.receive_json() == {"a": [1]}
    assert await websocket.receive_json(mode="binary") == {"é": 2}


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_raises_on_disconnect(method: str) -> None:
    _, websocket = await accepted(DISCONNECT)
    with pytest.raises(WebSocketDisconnect) as info:
        await getattr(websocket, method)()
    assert (info.value.code, info.value.reason) == (1001, "gone")


@pytest.mark.anyio
async def test_disconnect_without_code_is_1005() -> None:
    _, websocket = await accepted({"type": "websocket.disconnect"})
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.receive_text()
    assert (info.value.code, info.value.reason) == (1005, "")


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_before_accept(method: str) -> None:
    websocket = Server(CONNECT, text("x")).websocket()
    # 1.x raises WebSocketDisconnected, a RuntimeError: `except RuntimeError` keeps working.
    with pytest.raises(WebSocketDisconnected) as info:
        await getattr(websocket, method)()
    assert str(info.value) == NOT_ACCEPTED
    assert isinstance(info.value, RuntimeError)
    assert websocket.client_state is WebSocketState.CONNECTING  # nothing was received


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_after_the_app_closed(method: str) -> None:
    _, websocket = await accepted(text("x"))
    await websocket.close()
    # Upstream's text whatever the state that is not "connected", a close included.
    with pytest.raises(WebSocketDisconnected) as info:
        await getattr(websocket, method)()
    assert str(info.value) == NOT_ACCEPTED
    # The raw receive stays allowed: the client's disconnect is still to come.
    assert await websocket.receive() == text("x")


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["receive_text", "receive_bytes", "receive_json"])
async def test_receive_after_closing_or_denying_before_accept(method: str) -> None:
    closed = Server(CONNECT, denial=True).websocket()
    await closed.close(code=1008)
    denied = Server(CONNECT, denial=True).websocket()
    await denied.send_denial_response(PlainTextResponse("no", status_code=403))
    for websocket in (closed, denied):
        assert websocket.application_state is WebSocketState.DISCONNECTED
        with pytest.raises(WebSocketDisconnected) as info:
            await getattr(websocket, method)()
        assert str(info.value) == NOT_ACCEPTED


@pytest.mark.anyio
async def test_receive_after_the_client_disconnected_and_the_app_closed() -> None:
    _, websocket = await accepted(DISCONNECT)
    assert await websocket.receive() == DISCONNECT
    await websocket.close()
    with pytest.raises(WebSocketDisconnected) as info:
        await websocket.receive_text()
    assert str(info.value) == NOT_ACCEPTED
    # Only the raw receive tells that the disconnect was already received.
    with pytest.raises(WebSocketDisconnected) as info:
        await websocket.receive()
    assert str(info.value) == RECEIVE_AFTER_DISCONNECT


@pytest.mark.anyio
async def test_json_mode_is_checked() -> None:
    _, websocket = await accepted(text("{}"))
    with pytest.raises(RuntimeError) as info:
        await websocket.receive_json(mode="xml")
    assert str(info.value) == 'The "mode" argument should be "text" or "binary".'
    with pytest.raises(RuntimeError, match='"mode" argument'):
        await websocket.send_json({}, mode="xml")


@pytest.mark.anyio
async def test_iterators_stop_on_disconnect() -> None:
    _, websocket = await accepted(text("a"), text("b"), DISCONNECT)
    assert [item async for item in websocket.iter_text()] == ["a", "b"]
    _, websocket = await accepted(data(b"a"), DISCONNECT)
    assert [item async for item in websocket.iter_bytes()] == [b"a"]
    _, websocket = await accepted(text("[1]"), text('"x"'), DISCONNECT)
    assert [item async for item in websocket.iter_json()] == [[1], "x"]


@pytest.mark.anyio
async def test_send_messages() -> None:
    server, websocket = await accepted()
    await websocket.send_text("t")
    await websocket.send_bytes(b"b")
    await websocket.send_json({"k": ["é", 1]})
    await websocket.send_json([1], mode="binary")
    assert server.sent == [
        {"type": "websocket.send", "text": "t"},
        {"type": "websocket.send", "bytes": b"b"},
        {"type": "websocket.send", "text": '{"k":["é",1]}'},
        {"type": "websocket.send", "bytes": b"[1]"},
    ]


@pytest.mark.anyio
async def test_close_messages() -> None:
    server, websocket = await accepted()
    await websocket.close()
    assert server.sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert websocket.application_state is WebSocketState.DISCONNECTED
    server, websocket = await accepted()
    await websocket.close(code=4000, reason="custom")
    assert server.sent == [{"type": "websocket.close", "code": 4000, "reason": "custom"}]


@pytest.mark.anyio
async def test_send_after_close() -> None:
    server, websocket = await accepted()
    await websocket.close()
    for operation in (websocket.send_text("x"), websocket.close()):
        with pytest.raises(WebSocketDisconnected) as info:
            await operation
        assert str(info.value) == SEND_AFTER_CLOSE
    assert len(server.sent) == 1


@pytest.mark.anyio
async def test_close_before_accept() -> None:
    server = Server(CONNECT)
    websocket = server.websocket()
    await websocket.close(code=1008)
    assert websocket.application_state is WebSocketState.DISCONNECTED
    assert server.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]
    with pytest.raises(WebSocketDisconnected, match="close message has been sent"):
        await websocket.accept()


@pytest.mark.anyio
async def test_send_before_accept_is_rejected() -> None:
    websocket = Server(CONNECT).websocket()
    with pytest.raises(RuntimeError) as info:
        await websocket.send_text("too early")
    assert str(info.value) == (
        'Expected ASGI message "websocket.accept", "websocket.close" or '
        "\"websocket.http.response.start\", but got 'websocket.send'"
    )
    assert websocket.application_state is WebSocketState.CONNECTING


@pytest.mark.anyio
async def test_connected_send_rejects_other_messages() -> None:
    server, websocket = await accepted()
    with pytest.raises(RuntimeError) as info:
        await websocket.send({"type": "websocket.accept"})
    assert str(info.value) == (
        'Expected ASGI message "websocket.send" or "websocket.close", but got \'websocket.accept\''
    )
    assert server.sent == []


@pytest.mark.anyio
async def test_send_after_client_disconnected() -> None:
    server, websocket = await accepted(DISCONNECT)
    with pytest.raises(WebSocketDisconnect):
        await websocket.receive_text()
    # As upstream's: a message sent after the client's disconnect still goes to the server,
    # which drops it (or raises OSError: the 1006 of the next test).
    await websocket.send_text("anyone?")
    assert server.sent == [{"type": "websocket.send", "text": "anyone?"}]
    # Closing what the client already closed is a no-op, once.
    await websocket.close()
    assert websocket.application_state is WebSocketState.DISCONNECTED
    assert server.sent == [{"type": "websocket.send", "text": "anyone?"}]
    with pytest.raises(WebSocketDisconnected, match="close message has been sent"):
        await websocket.close()


@pytest.mark.anyio
async def test_oserror_on_send_means_client_gone() -> None:
    server, websocket = await accepted()
    server.fail_send = True
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.send_text("x")
    assert info.value.code == 1006
    assert info.value.__cause__ is None
    assert websocket.application_state is WebSocketState.DISCONNECTED
    with pytest.raises(WebSocketDisconnected):
        await websocket.send_text("x")


@pytest.mark.anyio
async def test_oserror_on_accept() -> None:
    websocket = Server(CONNECT, fail_send=True).websocket()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.accept()
    assert info.value.code == 1006
    assert websocket.application_state is WebSocketState.DISCONNECTED


@pytest.mark.anyio
async def test_raw_denial_response_needs_the_extension() -> None:
    websocket = Server(CONNECT).websocket()
    with pytest.raises(RuntimeError) as info:
        await websocket.send({"type": "websocket.http.response.start", "status": 403})
    assert str(info.value) == NO_DENIAL_EXTENSION
    assert websocket.application_state is WebSocketState.CONNECTING


@pytest.mark.anyio
async def test_raw_denial_response_states() -> None:
    server = Server(CONNECT, denial=True)
    websocket = server.websocket()
    await websocket.send({"type": "websocket.http.response.start", "status": 403, "headers": []})
    assert websocket.application_state is WebSocketState.RESPONSE
    with pytest.raises(RuntimeError) as info:
        await websocket.send_text("x")
    assert str(info.value) == (
        "Expected ASGI message \"websocket.http.response.body\", but got 'websocket.send'"
    )
    body: Message = {"type": "websocket.http.response.body", "body": b"a", "more_body": True}
    await websocket.send(body)
    assert websocket.application_state is WebSocketState.RESPONSE
    await websocket.send({"type": "websocket.http.response.body", "body": b"b"})
    assert state_of(websocket) is WebSocketState.DISCONNECTED
    assert [message["type"] for message in server.sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
        "websocket.http.response.body",
    ]
    with pytest.raises(WebSocketDisconnected):
        await websocket.send({"type": "websocket.http.response.body", "body": b"c"})


@pytest.mark.anyio
async def test_send_denial_response_without_extension() -> None:
    server = Server(CONNECT)
    with pytest.raises(RuntimeError) as info:
        await server.websocket().send_denial_response(PlainTextResponse("no", status_code=403))
    assert str(info.value) == NO_DENIAL_EXTENSION
    assert server.sent == []


@pytest.mark.anyio
async def test_send_denial_response_after_accept() -> None:
    server, websocket = await accepted(denial=True)
    with pytest.raises(RuntimeError) as info:
        await websocket.send_denial_response(PlainTextResponse("no", status_code=403))
    assert str(info.value) == (
        "A denial response can only be sent before the WebSocket is accepted."
    )
    assert server.sent == []


@pytest.mark.anyio
async def test_send_denial_response() -> None:
    server = Server(CONNECT, denial=True)
    websocket = server.websocket()
    await websocket.send_denial_response(PlainTextResponse("denied", status_code=401))
    assert websocket.application_state is WebSocketState.DISCONNECTED
    assert server.sent[0]["type"] == "websocket.http.response.start"
    assert server.sent[0]["status"] == 401
    assert server.sent[-1]["type"] == "websocket.http.response.body"
    assert b"".join(message.get("body", b"") for message in server.sent[1:]) == b"denied"


@pytest.mark.anyio
async def test_websocket_close_app() -> None:
    server = Server()
    await WebSocketClose()(server.scope, server.receive, server.send)
    await WebSocketClose(code=1008, reason="policy")(server.scope, server.receive, server.send)
    assert server.sent == [
        {"type": "websocket.close", "code": 1000, "reason": ""},
        {"type": "websocket.close", "code": 1008, "reason": "policy"},
    ]


# Through TestClient: the same machine against the in-process server.


def test_echo_through_testclient(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept(subprotocol="json")
        async for message in websocket.iter_json():
            await websocket.send_json({"echo": message, "path": websocket.url.path})

    client = test_client_factory(app)
    with client.websocket_connect("/room?x=1", subprotocols=["json"]) as session:
        assert session.accepted_subprotocol == "json"
        session.send_json({"n": 1})
        assert session.receive_json() == {"echo": {"n": 1}, "path": "/room"}


def test_denial_through_testclient(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.send_denial_response(PlainTextResponse("nope", status_code=403))

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert info.value.status_code == 403
    assert info.value.text == "nope"


def test_close_through_testclient(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_bytes(b"bye")
        await websocket.close(code=4002, reason="done")

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_bytes() == b"bye"
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_bytes()
    assert (info.value.code, info.value.reason) == (4002, "done")


def test_client_disconnect_through_testclient(test_client_factory: TestClientFactory) -> None:
    outcome: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        try:
            await websocket.receive_text()
        except WebSocketDisconnect as exc:
            outcome.append(exc.code)
        # Sent to the server, as upstream's; the test client drops it.
        await websocket.send_text("late")
        outcome.append("sent")

    with test_client_factory(app).websocket_connect("/") as session:
        session.close(code=1001)
    assert outcome == [1001, "sent"]
