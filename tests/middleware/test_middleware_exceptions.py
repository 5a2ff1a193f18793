"""`ExceptionMiddleware`: status and class handlers, default HTTP/WebSocket handling."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from starlette.exceptions import HTTPException, WebSocketException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]


def http_scope() -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


async def receive_empty() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def raising(exc: Exception) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise exc

    return app


class ParentError(Exception):
    pass


class ChildError(ParentError):
    pass


class GrandChildError(ChildError):
    pass


def test_http_exception_default_handler(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ExceptionMiddleware(raising(HTTPException(404))))
    response = client.get("/")
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_http_exception_detail_and_headers(test_client_factory: TestClientFactory) -> None:
    exc = HTTPException(401, detail="Who are you?", headers={"WWW-Authenticate": "Bearer"})
    client = test_client_factory(ExceptionMiddleware(raising(exc)))
    response = client.get("/")
    assert response.status_code == 401
    assert response.text == "Who are you?"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("status_code", [204, 304])
def test_bodyless_statuses_answer_empty(
    test_client_factory: TestClientFactory, status_code: int
) -> None:
    exc = HTTPException(status_code, headers={"X-Reason": "nothing"})
    client = test_client_factory(ExceptionMiddleware(raising(exc)))
    response = client.get("/")
    assert response.status_code == status_code
    assert response.content == b""
    assert response.headers["x-reason"] == "nothing"
    assert "content-type" not in response.headers


def test_status_handler_overrides_default(test_client_factory: TestClientFactory) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"missing": request.url.path}, status_code=exc.status_code)

    app = ExceptionMiddleware(raising(HTTPException(404)), handlers={404: not_found})
    response = test_client_factory(app).get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"missing": "/nowhere"}


def test_status_handler_only_for_its_status(test_client_factory: TestClientFactory) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("custom 404", status_code=404)  # pragma: no cover

    app = ExceptionMiddleware(raising(HTTPException(403)), handlers={404: not_found})
    response = test_client_factory(app).get("/")
    assert response.status_code == 403
    assert response.text == "Forbidden"


def test_class_handler_follows_the_mro(test_client_factory: TestClientFactory) -> None:
    async def parent_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"parent handled {type(exc).__name__}", status_code=409)

    async def child_handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"child handled {type(exc).__name__}", status_code=410)

    handlers = {ParentError: parent_handler, ChildError: child_handler}
    cases = [
        (ParentError(), 409, "parent handled ParentError"),
        (ChildError(), 410, "child handled ChildError"),
        (GrandChildError(), 410, "child handled GrandChildError"),
    ]
    for exc, status_code, text in cases:
        client = test_client_factory(ExceptionMiddleware(raising(exc), handlers=handlers))
        response = client.get("/")
        assert response.status_code == status_code
        assert response.text == text


def test_http_exception_subclass_uses_default_handler(
    test_client_factory: TestClientFactory,
) -> None:
    class TeapotError(HTTPException):
        def __init__(self) -> None:
            super().__init__(418, detail="short and stout")

    client = test_client_factory(ExceptionMiddleware(raising(TeapotError())))
    response = client.get("/")
    assert response.status_code == 418
    assert response.text == "short and stout"


def test_sync_handler_runs_in_a_worker_thread(test_client_factory: TestClientFactory) -> None:
    threads: list[threading.Thread] = []

    def handler(request: Request, exc: Exception) -> Response:
        threads.append(threading.current_thread())
        return PlainTextResponse("sync handled", status_code=422)

    app = ExceptionMiddleware(raising(ValueError("bad")), handlers={ValueError: handler})
    response = test_client_factory(app).get("/")
    assert response.status_code == 422
    assert response.text == "sync handled"
    assert len(threads) == 1
    assert threads[0] is not threading.main_thread()


def test_add_exception_handler_after_construction(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("added", status_code=400)

    app = ExceptionMiddleware(raising(KeyError("k")))
    app.add_exception_handler(KeyError, handler)
    app.add_exception_handler(500, handler)
    assert app._exception_handlers[KeyError] is handler
    assert app._status_handlers[500] is handler
    response = test_client_factory(app).get("/")
    assert response.status_code == 400
    assert response.text == "added"


def test_default_handlers_are_registered() -> None:
    app = ExceptionMiddleware(raising(ValueError()))
    assert set(app._exception_handlers) == {HTTPException, WebSocketException}
    assert app._status_handlers == {}
    assert app.debug is False
    assert ExceptionMiddleware(raising(ValueError()), debug=True).debug is True


@pytest.mark.parametrize("key", ["404", 4.5, object, None])
def test_invalid_handler_key_is_a_type_error(key: Any) -> None:
    app = ExceptionMiddleware(raising(ValueError()))
    with pytest.raises(TypeError, match="Exception handlers are keyed by"):
        app.add_exception_handler(key, app.http_exception)


def test_unhandled_exception_propagates(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ExceptionMiddleware(raising(ZeroDivisionError("nope"))))
    with pytest.raises(ZeroDivisionError, match="nope"):
        client.get("/")


def test_websocket_exception_closes_with_code_and_reason(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        raise WebSocketException(code=1008, reason="Policy violated")

    client = test_client_factory(ExceptionMiddleware(app))
    with client.websocket_connect("/") as session, pytest.raises(WebSocketDisconnect) as info:
        session.receive_text()
    assert info.value.code == 1008
    assert info.value.reason == "Policy violated"


def test_websocket_custom_class_handler(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ChildError()

    async def handler(websocket: WebSocket, exc: Exception) -> None:
        await websocket.accept()
        await websocket.send_text(f"handled {type(exc).__name__}")
        await websocket.close(code=4000)

    client = test_client_factory(ExceptionMiddleware(app, handlers={ParentError: handler}))
    with client.websocket_connect("/") as session:
        assert session.receive_text() == "handled ChildError"
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert info.value.code == 4000


@pytest.mark.anyio
async def test_handled_exception_after_response_started_is_runtime_error() -> None:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise HTTPException(400)

    async def send(message: Message) -> None:
        sent.append(message)

    message = "Caught handled exception, but response already started."
    with pytest.raises(RuntimeError, match=re.escape(message)):
        await ExceptionMiddleware(app)(http_scope(), receive_empty, send)
    assert [message["type"] for message in sent] == ["http.response.start"]


@pytest.mark.anyio
async def test_handlers_are_published_in_the_scope() -> None:
    seen: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["starlette.exception_handlers"])
        await PlainTextResponse("ok")(scope, receive, send)

    async def send(message: Message) -> None:
        pass

    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("x")  # pragma: no cover

    middleware = ExceptionMiddleware(app, handlers={ValueError: handler, 404: handler})
    await middleware(http_scope(), receive_empty, send)
    exception_handlers, status_handlers = seen[0]
    assert exception_handlers[ValueError] is handler
    assert exception_handlers[HTTPException] == middleware.http_exception
    assert status_handlers == {404: handler}


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        raise HTTPException(500)

    async def send(message: Message) -> None:
        pass  # pragma: no cover

    scope: Scope = {"type": "lifespan"}
    with pytest.raises(HTTPException):
        await ExceptionMiddleware(app)(scope, receive_empty, send)
    assert seen == [scope]
    assert "starlette.exception_handlers" not in scope


@pytest.mark.anyio
async def test_default_handlers_directly() -> None:
    middleware = ExceptionMiddleware(raising(ValueError()))
    request = Request(http_scope())
    response = await middleware.http_exception(request, HTTPException(409, detail="clash"))
    assert response.status_code == 409
    assert response.body == b"clash"
    empty = await middleware.http_exception(request, HTTPException(204))
    assert empty.status_code == 204
    assert empty.body == b""


@pytest.mark.anyio
async def test_lifespan_completes_normally() -> None:
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])

    async def send(message: Message) -> None:
        pass  # pragma: no cover

    await ExceptionMiddleware(app)({"type": "lifespan"}, receive_empty, send)
    assert calls == ["lifespan"]


def test_handled_exception_keeps_no_traceback(test_client_factory: TestClientFactory) -> None:
    # A reused exception instance must not keep per-request frames alive.
    shared = HTTPException(409, detail="shared instance")
    client = test_client_factory(ExceptionMiddleware(raising(shared)))
    for _ in range(2):
        response = client.get("/")
        assert response.status_code == 409
        assert response.text == "shared instance"
        assert shared.__traceback__ is None
