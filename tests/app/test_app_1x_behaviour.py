"""Starlette 1.x behaviours that only show inside an application (its exception middleware)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

TestClientFactory = Callable[..., Any]


async def read_json(request: Request) -> Response:
    return JSONResponse(await request.json())


async def catch_json(request: Request) -> Response:
    try:
        data = await request.json()
    except json.JSONDecodeError as exc:
        return PlainTextResponse(f"caught at {exc.pos}: {exc.msg}", status_code=422)
    return JSONResponse(data)  # pragma: no cover


async def read_form(request: Request) -> Response:
    async with request.form(max_fields=2, max_files=1, max_part_size=1024) as form:
        return JSONResponse(sorted(form.keys()))


def app_client(test_client_factory: TestClientFactory, **kwargs: Any) -> Any:
    app = Starlette(
        routes=[
            Route("/json", read_json, methods=["POST"]),
            Route("/catch", catch_json, methods=["POST"]),
            Route("/form", read_form, methods=["POST"]),
        ],
        **kwargs,
    )
    return test_client_factory(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"{not json", "Invalid JSON body."),
        (b"", "Invalid JSON body."),
        (b"\xff\xfe{", "Invalid JSON body."),
        (b"[" * 100_000 + b"]" * 100_000, "JSON body nested too deeply."),
    ],
)
def test_invalid_json_body_answers_400_not_500(
    test_client_factory: TestClientFactory, body: bytes, text: str
) -> None:
    response = app_client(test_client_factory).post("/json", content=body)
    assert response.status_code == 400
    assert response.text == text


def test_json_decode_error_around_request_json_still_catches(
    test_client_factory: TestClientFactory,
) -> None:
    response = app_client(test_client_factory).post("/catch", content=b'{"a": }')
    assert response.status_code == 422
    assert response.text == "caught at 6: Expecting value"


def test_invalid_json_reaches_a_400_status_handler(test_client_factory: TestClientFactory) -> None:
    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    client = app_client(test_client_factory, exception_handlers={400: bad_request})
    response = client.post("/json", content=b"{not json")
    assert (response.status_code, response.json()) == (400, {"error": "Invalid JSON body."})


def test_valid_json_body(test_client_factory: TestClientFactory) -> None:
    response = app_client(test_client_factory).post("/json", json={"a": [1, 2]})
    assert response.json() == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        (
            {"data": {"a": "1", "b": "2", "c": "3"}},
            "Too many fields. Maximum number of fields is 2.",
        ),
        ({"data": {"a": "x" * 2000}}, "Field exceeded maximum size of 1KB."),
        ({"files": {"a": (None, "x" * 2000)}}, "Part exceeded maximum size of 1KB."),
        (
            {"files": [("a", ("a.txt", b"1")), ("b", ("b.txt", b"2"))]},
            "Too many files. Maximum number of files is 1.",
        ),
        (
            {
                "content": b"not multipart",
                "headers": {"content-type": "multipart/form-data; boundary=B"},
            },
            "Invalid multipart data.",
        ),
    ],
)
def test_form_errors_inside_an_application_answer_400(
    test_client_factory: TestClientFactory, kwargs: dict[str, Any], text: str
) -> None:
    response = app_client(test_client_factory).post("/form", **kwargs)
    assert response.status_code == 400
    assert response.text == text


# --- WebSocket: a handler's response is the denial response ---------------------------------


async def guarded_websocket(websocket: WebSocket) -> None:
    if websocket.query_params.get("token") != "ok":
        # What a FastAPI dependency does before `accept()`.
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    await websocket.accept()
    await websocket.send_text("welcome")
    await websocket.close()


def websocket_app(**kwargs: Any) -> Starlette:
    return Starlette(routes=[WebSocketRoute("/ws", guarded_websocket)], **kwargs)


def test_http_exception_before_accept_is_the_denial_response(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(websocket_app())
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    denial = info.value
    assert denial.status_code == 401  # not a default 403
    assert denial.text == "Not authenticated"
    assert denial.headers["www-authenticate"] == "Bearer"
    with client.websocket_connect("/ws?token=ok") as session:
        assert session.receive_text() == "welcome"


def test_custom_handler_response_for_a_websocket_is_the_denial_response(
    test_client_factory: TestClientFactory,
) -> None:
    async def handler(websocket: WebSocket, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    client = test_client_factory(websocket_app(exception_handlers={HTTPException: handler}))
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert (info.value.status_code, info.value.json()) == (401, {"detail": "Not authenticated"})


def test_status_handler_response_for_a_websocket_is_the_denial_response(
    test_client_factory: TestClientFactory,
) -> None:
    async def handler(websocket: WebSocket, exc: Exception) -> Response:
        return PlainTextResponse("go away", status_code=418)

    client = test_client_factory(websocket_app(exception_handlers={401: handler}))
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert (info.value.status_code, info.value.text) == (418, "go away")
