from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, Router, WebSocketRoute
from starlette.types import Message, Scope
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]


class Items(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse(f"get {request.path_params.get('id')}")

    def post(self, request: Request) -> Response:
        return PlainTextResponse("sync post")

    async def query(self, request: Request) -> Response:
        return PlainTextResponse("query")


class WithHead(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("get")  # pragma: no cover

    async def head(self, request: Request) -> Response:
        return PlainTextResponse("", headers={"x-head": "own"})


class PostOnly(HTTPEndpoint):
    async def post(self, request: Request) -> Response:
        return PlainTextResponse("post")  # pragma: no cover


def test_http_endpoint_dispatch(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/items/{id}", Items)]))
    assert client.get("/items/3").text == "get 3"
    assert client.post("/items/3").text == "sync post"
    assert client.request("QUERY", "/items/3").text == "query"


def test_http_endpoint_head_falls_back_to_get(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/items", Items), Route("/head", WithHead)]))
    response = client.head("/items")
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["content-length"] == str(len("get None"))
    assert client.head("/head").headers["x-head"] == "own"


def test_http_endpoint_method_not_allowed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([Route("/items", Items), Route("/post", PostOnly)]))
    response = client.delete("/items")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "GET, HEAD, POST, QUERY"
    response = client.get("/post")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert client.head("/post").status_code == 405


@pytest.mark.parametrize("method", ["DISPATCH", "METHOD_NOT_ALLOWED", "__INIT__", "TRACE", "FOO"])
def test_http_endpoint_ignores_non_standard_verbs(
    test_client_factory: TestClientFactory, method: str
) -> None:
    class Sneaky(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("get")  # pragma: no cover

        async def foo(self, request: Request) -> Response:
            return PlainTextResponse("foo")  # pragma: no cover

        async def trace(self, request: Request) -> Response:
            return PlainTextResponse("trace")  # pragma: no cover

    client = test_client_factory(Router([Route("/", Sneaky)]))
    response = client.request(method, "/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.anyio
async def test_http_endpoint_method_not_allowed_inside_app() -> None:
    scope = {
        "type": "http",
        "method": "DELETE",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "app": object(),
    }

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(HTTPException) as info:
        await Items(scope, receive, send)
    assert info.value.status_code == 405
    assert info.value.headers == {"Allow": "GET, HEAD, POST, QUERY"}


@pytest.mark.anyio
async def test_http_endpoint_exception_goes_to_scope_handlers() -> None:
    class Failing(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            raise ValueError("boom")

    def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"handled {exc}", status_code=500)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "starlette.exception_handlers": ({ValueError: handler}, {}),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    await Failing(scope, receive, send)
    assert sent[0]["status"] == 500
    assert sent[1]["body"] == b"handled boom"


def test_http_endpoint_requires_http_scope() -> None:
    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    with pytest.raises(AssertionError):
        Items({"type": "websocket"}, receive, send)
    with pytest.raises(AssertionError):
        WebSocketEndpoint({"type": "http"}, receive, send)


class Echo(WebSocketEndpoint):
    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        if isinstance(data, bytes):
            await websocket.send_bytes(b"bytes:" + data)
        elif isinstance(data, str):
            await websocket.send_text("text:" + data)
        else:
            await websocket.send_json({"json": data})


def endpoint_app(encoding: str | None, **attrs: Any) -> Router:
    cls = type("Endpoint", (Echo,), {"encoding": encoding, **attrs})
    return Router([WebSocketRoute("/ws", cls)])


def test_websocket_endpoint_any_encoding(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(None))
    with client.websocket_connect("/ws") as session:
        session.send_text("hi")
        assert session.receive_text() == "text:hi"
        session.send_text("")
        assert session.receive_text() == "text:"
        session.send_bytes(b"\x00")
        assert session.receive_bytes() == b"bytes:\x00"
        session.send_bytes(b"")
        assert session.receive_bytes() == b"bytes:"


def test_websocket_endpoint_text(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app("text"))
    with client.websocket_connect("/ws") as session:
        session.send_text("hello")
        assert session.receive_text() == "text:hello"
        session.send_text("")
        assert session.receive_text() == "text:"
    with (
        pytest.raises(RuntimeError, match="Expected text websocket messages, but got bytes"),
        client.websocket_connect("/ws") as session,
    ):
        session.send_bytes(b"x")
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
        assert info.value.code == 1003


def test_websocket_endpoint_bytes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app("bytes"))
    with client.websocket_connect("/ws") as session:
        session.send_bytes(b"abc")
        assert session.receive_bytes() == b"bytes:abc"
    with (
        pytest.raises(RuntimeError, match="Expected bytes websocket messages, but got text"),
        client.websocket_connect("/ws") as session,
    ):
        session.send_text("x")
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_bytes()
        assert info.value.code == 1003


def test_websocket_endpoint_json(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app("json"))
    with client.websocket_connect("/ws") as session:
        session.send_json({"a": 1})
        assert session.receive_json() == {"json": {"a": 1}}
        session.send_json([1, 2], mode="binary")
        assert session.receive_json() == {"json": [1, 2]}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.receive", "text": ""},
        {"type": "websocket.receive", "text": "{not json"},
        {"type": "websocket.receive", "bytes": b"\xff\xfe"},
        {"type": "websocket.receive"},
        {"type": "websocket.receive", "text": None, "bytes": None},
    ],
)
def test_websocket_endpoint_bad_json_closes_1003(
    test_client_factory: TestClientFactory, message: Message
) -> None:
    client = test_client_factory(endpoint_app("json"))
    with (
        pytest.raises(RuntimeError, match=r"Malformed JSON data received\."),
        client.websocket_connect("/ws") as session,
    ):
        session.send(message)
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_json()
        assert info.value.code == 1003


@pytest.mark.parametrize("encoding", ["text", "bytes", None])
def test_websocket_endpoint_absent_payload_closes_1003(
    test_client_factory: TestClientFactory, encoding: str | None
) -> None:
    client = test_client_factory(endpoint_app(encoding))
    with (
        pytest.raises(RuntimeError, match="websocket message"),
        client.websocket_connect("/ws") as session,
    ):
        session.send({"type": "websocket.receive"})
        closing = session.receive()
        assert closing["type"] == "websocket.close"
        assert closing["code"] == 1003


def test_websocket_endpoint_unsupported_encoding(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app("xml"))
    with (
        pytest.raises(AssertionError, match="Unsupported 'encoding' attribute xml"),
        client.websocket_connect("/ws") as session,
    ):
        session.send_text("x")
        session.receive()


def test_websocket_endpoint_callbacks(test_client_factory: TestClientFactory) -> None:
    events: list[Any] = []

    class Tracker(WebSocketEndpoint):
        encoding = "text"

        async def on_connect(self, websocket: WebSocket) -> None:
            events.append("connect")
            await websocket.accept(subprotocol="chat")

        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            events.append(data)

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            events.append(close_code)

    client = test_client_factory(Router([WebSocketRoute("/ws", Tracker)]))
    with client.websocket_connect("/ws", subprotocols=["chat"]) as session:
        assert session.accepted_subprotocol == "chat"
        session.send_text("one")
        session.close(code=1001)
    assert events == ["connect", "one", 1001]


def test_websocket_endpoint_default_callbacks(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router([WebSocketRoute("/ws", WebSocketEndpoint)]))
    with client.websocket_connect("/ws") as session:
        session.send_text("ignored")
        session.close()


def test_websocket_endpoint_error_closes_1011(test_client_factory: TestClientFactory) -> None:
    codes: list[int] = []

    class Broken(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            raise ValueError("broken handler")

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            codes.append(close_code)

    client = test_client_factory(Router([WebSocketRoute("/ws", Broken)]))
    with (
        pytest.raises(ValueError, match="broken handler"),
        client.websocket_connect("/ws") as session,
    ):
        session.send_text("x")
        closing = session.receive()
        assert closing["type"] == "websocket.close"
        assert closing["code"] == 1011
    assert codes == [1011]


@pytest.mark.anyio
async def test_websocket_endpoint_websocket_exception_is_not_closed_by_endpoint() -> None:
    from starlette.exceptions import WebSocketException

    class Refusing(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            raise WebSocketException(code=1008, reason="policy")

    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "x"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "websocket", "path": "/", "headers": [], "query_string": b""}
    with pytest.raises(WebSocketException):
        await Refusing(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept"]


def test_websocket_endpoint_exception_after_disconnect(
    test_client_factory: TestClientFactory,
) -> None:
    codes: list[int] = []

    class FailsOnDisconnect(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            await websocket.close()
            raise KeyError("after close")

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            codes.append(close_code)

    client = test_client_factory(Router([WebSocketRoute("/ws", FailsOnDisconnect)]))
    with pytest.raises(KeyError, match="after close"), client.websocket_connect("/ws") as session:
        session.send_text("x")
        closing = session.receive()
        assert closing["type"] == "websocket.close"
        assert closing["code"] == 1000
    assert codes == [1011]


def test_endpoint_route_name_and_methods(test_client_factory: TestClientFactory) -> None:
    route = Route("/items", Items)
    assert route.name == "Items"
    assert route.methods is None
    limited = Route("/limited", Items, methods=["GET"])
    client = test_client_factory(Router([limited]))
    assert client.post("/limited").status_code == 405


@pytest.mark.anyio
async def test_websocket_endpoint_direct_asgi_session() -> None:
    received: list[Any] = []

    class Collect(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            received.append(data)

        async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
            received.append(close_code)

    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "a"},
        {"type": "websocket.receive", "bytes": b"b"},
        {"type": "websocket.disconnect", "code": 1001},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "websocket", "path": "/", "headers": [], "query_string": b""}
    await Collect(scope, receive, send)
    assert received == ["a", b"b", 1001]
    assert [m["type"] for m in sent] == ["websocket.accept"]
