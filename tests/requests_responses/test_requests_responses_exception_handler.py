"""`wrap_app_handling_exceptions`: handler lookup, sync/async handlers, WebSockets, tracebacks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from starlette._exception_handler import (
    _lookup_exception_handler,
    call_handling_exceptions,
    wrap_app_handling_exceptions,
)
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

TestClientFactory = Callable[..., TestClient]


class ParentError(Exception):
    pass


class ChildError(ParentError):
    pass


def http_scope(exception_handlers: Any = None, status_handlers: Any = None) -> Scope:
    scope: Scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    if exception_handlers is not None or status_handlers is not None:
        scope["starlette.exception_handlers"] = (exception_handlers or {}, status_handlers or {})
    return scope


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def run(app: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    request = Request(scope, receive, send)
    await wrap_app_handling_exceptions(app, request)(scope, receive, send)
    return sent


def raising(exc: BaseException) -> Callable[[Scope, Receive, Send], Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise exc

    return app


def text_handler(label: str) -> Callable[[Request, Exception], Any]:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"{label}: {type(exc).__name__}", status_code=418)

    return handler


def body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_lookup_follows_the_mro() -> None:
    parent: Any = object()
    child: Any = object()
    base: Any = object()
    handlers: dict[Any, Any] = {ParentError: parent, Exception: base}
    assert _lookup_exception_handler(handlers, ChildError()) is parent
    assert _lookup_exception_handler(handlers, ValueError()) is base
    handlers[ChildError] = child
    assert _lookup_exception_handler(handlers, ChildError()) is child
    assert _lookup_exception_handler({}, ChildError()) is None
    unrelated: dict[Any, Any] = {KeyError: base}
    assert _lookup_exception_handler(unrelated, ValueError()) is None


@pytest.mark.anyio
async def test_without_handlers_the_exception_propagates_unchanged() -> None:
    error = ValueError("unhandled")
    with pytest.raises(ValueError) as info:
        await run(raising(error), http_scope())
    assert info.value is error
    assert error.__traceback__ is not None


@pytest.mark.anyio
async def test_unmatched_exception_propagates() -> None:
    error = KeyError("nope")
    with pytest.raises(KeyError) as info:
        await run(raising(error), http_scope({ParentError: text_handler("parent")}))
    assert info.value is error


@pytest.mark.anyio
async def test_class_handler_by_mro() -> None:
    sent = await run(raising(ChildError()), http_scope({ParentError: text_handler("parent")}))
    assert sent[0]["status"] == 418
    assert body(sent) == b"parent: ChildError"


@pytest.mark.anyio
async def test_closest_class_wins() -> None:
    handlers = {ParentError: text_handler("parent"), ChildError: text_handler("child")}
    sent = await run(raising(ChildError()), http_scope(handlers))
    assert body(sent) == b"child: ChildError"


@pytest.mark.anyio
async def test_status_handler_before_class_handler() -> None:
    scope = http_scope({HTTPException: text_handler("class")}, {404: text_handler("status")})
    assert body(await run(raising(HTTPException(404)), scope)) == b"status: HTTPException"
    assert body(await run(raising(HTTPException(400)), scope)) == b"class: HTTPException"


@pytest.mark.anyio
async def test_status_handlers_only_apply_to_http_exceptions() -> None:
    class WithStatus(Exception):
        status_code = 404

    with pytest.raises(WithStatus):
        await run(raising(WithStatus()), http_scope({}, {404: text_handler("status")}))


@pytest.mark.anyio
async def test_sync_handler_runs_in_a_thread() -> None:
    threads: list[int] = []
    seen: list[Any] = []

    def handler(request: Request, exc: Exception) -> Response:
        threads.append(threading.get_ident())
        seen.append((request, exc))
        return PlainTextResponse("sync", status_code=503)

    scope = http_scope({ParentError: handler})
    error = ParentError()
    sent = await run(raising(error), scope)
    assert sent[0]["status"] == 503
    assert body(sent) == b"sync"
    assert threads != [threading.get_ident()]
    request, exc = seen[0]
    assert isinstance(request, Request)
    assert request.scope is scope
    assert exc is error


@pytest.mark.anyio
async def test_handled_exception_traceback_is_cleared() -> None:
    # A module-level instance raised on every request must not keep request frames alive.
    error = ChildError("reused")
    scope = http_scope({ParentError: text_handler("parent")})
    for _ in range(2):
        await run(raising(error), scope)
        assert error.__traceback__ is None


@pytest.mark.anyio
async def test_handler_sees_the_traceback() -> None:
    tracebacks: list[Any] = []

    async def handler(request: Request, exc: Exception) -> Response:
        tracebacks.append(exc.__traceback__)
        return PlainTextResponse("seen")

    await run(raising(ChildError()), http_scope({ChildError: handler}))
    assert tracebacks[0] is not None


@pytest.mark.anyio
async def test_response_already_started() -> None:
    error = HTTPException(400)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise error

    scope = http_scope({HTTPException: text_handler("class")})
    with pytest.raises(RuntimeError) as info:
        await run(app, scope)
    assert str(info.value) == "Caught handled exception, but response already started."
    assert info.value.__cause__ is error


@pytest.mark.anyio
async def test_unhandled_exception_after_start_propagates() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise KeyError("x")

    with pytest.raises(KeyError):
        await run(app, http_scope({ParentError: text_handler("parent")}))


@pytest.mark.anyio
async def test_app_messages_pass_through() -> None:
    sent = await run(PlainTextResponse("fine"), http_scope({ParentError: text_handler("p")}))
    assert sent[0]["status"] == 200
    assert body(sent) == b"fine"


@pytest.mark.anyio
async def test_http_handler_returning_none() -> None:
    async def handler(request: Request, exc: Exception) -> None:
        return None

    with pytest.raises(RuntimeError, match="returned None instead of a response"):
        await run(raising(ParentError()), http_scope({ParentError: handler}))


@pytest.mark.anyio
async def test_handler_exception_propagates() -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        raise KeyError("from handler")

    with pytest.raises(KeyError, match="from handler"):
        await run(raising(ParentError()), http_scope({ParentError: handler}))


def test_websocket_handler(test_client_factory: TestClientFactory) -> None:
    calls: list[Any] = []
    error = ChildError()

    async def handler(websocket: WebSocket, exc: Exception) -> None:
        calls.append((type(websocket).__name__, exc))
        await websocket.close(code=4321, reason="handled")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = ({ParentError: handler}, {})
        websocket = WebSocket(scope, receive, send)
        await wrap_app_handling_exceptions(raising(error), websocket)(scope, receive, send)

    with (
        pytest.raises(WebSocketDisconnect) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert (info.value.code, info.value.reason) == (4321, "handled")
    assert calls == [("WebSocket", error)]
    assert error.__traceback__ is None


def test_sync_websocket_handler(test_client_factory: TestClientFactory) -> None:
    threads: list[int] = []

    def handler(websocket: WebSocket, exc: Exception) -> None:
        threads.append(threading.get_ident())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = ({}, {500: handler})
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await wrap_app_handling_exceptions(raising(HTTPException(500)), websocket)(
            scope, receive, send
        )
        await websocket.send_text("after handler")

    with test_client_factory(app).websocket_connect("/") as session:
        assert session.receive_text() == "after handler"
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


def test_through_testclient(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = ({}, {404: text_handler("status")})
        request = Request(scope, receive, send)
        await wrap_app_handling_exceptions(raising(HTTPException(404)), request)(
            scope, receive, send
        )

    response = test_client_factory(app).get("/")
    assert response.status_code == 418
    assert response.text == "status: HTTPException"


# --- a handler's response for a WebSocket: the denial response ---------------------------


def websocket_scope(handlers: Any, extensions: Any = None) -> Scope:
    scope: Scope = {
        "type": "websocket",
        "path": "/",
        "headers": [],
        "starlette.exception_handlers": handlers,
    }
    if extensions is not None:
        scope["extensions"] = extensions
    return scope


async def unauthorized(websocket: WebSocket, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


@pytest.mark.anyio
@pytest.mark.parametrize("extensions", [{"websocket.http.response": {}}, None])
async def test_websocket_handler_response_is_sent_as_the_denial(extensions: Any) -> None:
    # With the extension, or without it (upstream sends it all the same).
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = websocket_scope(({HTTPException: unauthorized}, {}), extensions)
    websocket = WebSocket(scope, receive, send)
    error = HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    await wrap_app_handling_exceptions(raising(error), websocket)(scope, receive, send)
    assert sent == [
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", b"Bearer"),
                (b"content-length", b"17"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": "websocket.http.response.body", "body": b"Not authenticated"},
    ]
    assert websocket.application_state is WebSocketState.DISCONNECTED
    assert error.__traceback__ is None


@pytest.mark.anyio
async def test_websocket_handler_response_without_a_connection_object() -> None:
    # ExceptionMiddleware's path: the WebSocket is built for the handler.
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = websocket_scope(({}, {401: unauthorized}))
    await call_handling_exceptions(raising(HTTPException(401)), scope, receive, send)
    assert [(m["type"], m.get("status")) for m in sent] == [
        ("websocket.http.response.start", 401),
        ("websocket.http.response.body", None),
    ]


@pytest.mark.anyio
@pytest.mark.parametrize("message_type", ["websocket.accept", "websocket.close"])
async def test_websocket_handler_response_after_accept_or_close_is_an_error(
    message_type: str,
) -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def websocket_receive() -> Message:
        return {"type": "websocket.connect"}

    scope = websocket_scope(({HTTPException: unauthorized}, {}))
    websocket = WebSocket(scope, websocket_receive, send)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await websocket.receive()
        await websocket.send({"type": message_type})
        raise HTTPException(401)

    app = wrap_app_handling_exceptions(endpoint, websocket)
    with pytest.raises(RuntimeError, match="response already started") as info:
        await app(scope, websocket_receive, send)
    assert isinstance(info.value.__cause__, HTTPException)
    assert [message["type"] for message in sent] == [message_type]


def test_websocket_handler_response_through_testclient(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = ({HTTPException: unauthorized}, {})
        websocket = WebSocket(scope, receive, send)
        await wrap_app_handling_exceptions(raising(HTTPException(401, "no")), websocket)(
            scope, receive, send
        )

    with (
        pytest.raises(WebSocketDenialResponse) as info,
        test_client_factory(app).websocket_connect("/"),
    ):
        pass  # pragma: no cover
    assert (info.value.status_code, info.value.text) == (401, "no")
