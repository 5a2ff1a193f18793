"""Responses and templates seen through the TestClient, as an HTTP client receives them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.types import ASGIApp, Receive, Scope, Send

TestClientFactory = Callable[..., Any]


def app_of(make_response: Callable[[Request], Response]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        await make_response(request)(scope, receive, send)

    return app


def test_json_over_http(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app_of(lambda request: JSONResponse({"hello": "wörld"})))
    response = client.get("/")
    assert response.json() == {"hello": "wörld"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len('{"hello":"wörld"}'.encode()))


def test_cookies_reach_the_client(test_client_factory: TestClientFactory) -> None:
    def make_response(request: Request) -> Response:
        response = PlainTextResponse(",".join(sorted(request.cookies)))
        if request.url.path == "/login":
            response.set_cookie("session", "yes", httponly=True)
        elif request.url.path == "/logout":
            response.delete_cookie("session")
        return response

    client = test_client_factory(app_of(make_response))
    response = client.get("/login")
    assert response.headers["set-cookie"] == "session=yes; HttpOnly; Path=/; SameSite=lax"
    assert client.get("/").text == "session"
    client.get("/logout")
    assert client.get("/").text == ""


def test_redirect_is_followed(test_client_factory: TestClientFactory) -> None:
    def make_response(request: Request) -> Response:
        if request.url.path == "/old":
            return RedirectResponse("/néw path")
        return PlainTextResponse(request.url.path)

    client = test_client_factory(app_of(make_response))
    response = client.get("/old", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/n%C3%A9w%20path"
    assert client.get("/old").text == "/néw path"


def test_streaming_over_http(test_client_factory: TestClientFactory) -> None:
    async def numbers() -> AsyncIterator[str]:
        for number in range(5):
            yield f"{number},"

    client = test_client_factory(app_of(lambda request: StreamingResponse(numbers())))
    response = client.get("/")
    assert response.text == "0,1,2,3,4,"
    assert "content-length" not in response.headers


def test_file_ranges_over_http(test_client_factory: TestClientFactory, tmp_path: Path) -> None:
    path = tmp_path / "digits.txt"
    path.write_text("0123456789")
    client = test_client_factory(app_of(lambda request: FileResponse(path)))
    assert client.get("/").text == "0123456789"
    partial = client.get("/", headers={"Range": "bytes=2-4"})
    assert partial.status_code == 206
    assert partial.text == "234"
    assert partial.headers["content-range"] == "bytes 2-4/10"
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == "10"
    bad = client.get("/", headers={"Range": "bytes=4-2"})
    assert bad.status_code == 400
    assert bad.text == "Range header: start must be less than end"
    unsatisfiable = client.get("/", headers={"Range": "bytes=50-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == "bytes */10"
