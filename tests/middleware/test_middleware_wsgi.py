from __future__ import annotations

import importlib
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import anyio.from_thread
import pytest

from starlette.exceptions import StarletteDeprecationWarning

# Importing the module warns (test_import_warns_as_upstream checks that); not this import.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.middleware.wsgi import WSGIMiddleware, WSGIResponder, build_environ
from starlette.types import Message

StartResponse = Callable[..., Any]

IMPORT_WARNING = (
    "starlette.middleware.wsgi is deprecated and will be removed in a future release. "
    "Please refer to https://github.com/abersheeran/a2wsgi as a replacement."
)


def wsgi(app: Callable[..., Any]) -> WSGIMiddleware:
    return WSGIMiddleware(app)


def hello_world(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    status = "200 OK"
    output = b"Hello World!\n"
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(output)))]
    start_response(status, headers)
    return [output]


def echo_body(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    output = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(output)))])
    return [output]


def raise_exception(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    raise RuntimeError("Something went wrong")


def return_exc_info(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    try:
        raise RuntimeError("Something went wrong")
    except RuntimeError:
        output = b"Internal Server Error"
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(output)))]
        start_response("500 Internal Server Error", headers, exc_info=sys.exc_info())
        return [output]


def test_import_warns_as_upstream(monkeypatch: pytest.MonkeyPatch) -> None:
    # Upstream 1.x warns when the module is imported, naming the importing module, with its
    # StarletteDeprecationWarning (a UserWarning); constructing the middleware is silent.
    monkeypatch.delitem(sys.modules, "starlette.middleware.wsgi")
    with pytest.warns(StarletteDeprecationWarning, match=f"^{re.escape(IMPORT_WARNING)}$") as rec:
        import starlette.middleware.wsgi  # noqa: F401
    assert len(rec) == 1
    assert rec[0].category is StarletteDeprecationWarning
    assert (rec[0].filename, rec[0].lineno) == (__file__, sys._getframe().f_lineno - 3)
    monkeypatch.delitem(sys.modules, "starlette.middleware.wsgi")
    with pytest.warns(StarletteDeprecationWarning, match="a2wsgi"):
        module = importlib.import_module("starlette.middleware.wsgi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module.WSGIMiddleware(hello_world)


def test_wsgi_get(test_client_factory: Any) -> None:
    client = test_client_factory(wsgi(hello_world))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello World!\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_wsgi_post(test_client_factory: Any) -> None:
    client = test_client_factory(wsgi(echo_body))
    response = client.post("/", json={"example": 123})
    assert response.status_code == 200
    assert response.text == '{"example":123}'


def test_wsgi_streamed_request_body(test_client_factory: Any) -> None:
    client = test_client_factory(wsgi(echo_body))

    def chunks() -> Iterator[bytes]:
        yield b"abc"
        yield b"def"

    assert client.post("/", content=chunks()).text == "abcdef"


def test_wsgi_exception(test_client_factory: Any) -> None:
    client = test_client_factory(wsgi(raise_exception))
    with pytest.raises(RuntimeError, match="Something went wrong"):
        client.get("/")


def test_wsgi_exc_info(test_client_factory: Any) -> None:
    app = wsgi(return_exc_info)
    with pytest.raises(RuntimeError, match="Something went wrong"):
        test_client_factory(app).get("/")

    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_second_start_response_is_ignored(test_client_factory: Any) -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response("201 Created", [("X-A", "1")])
        start_response("500 Oops", [("X-B", "2")])
        return [b"created"]

    response = test_client_factory(wsgi(app)).get("/")
    assert response.status_code == 201
    assert response.headers["x-a"] == "1"
    assert "x-b" not in response.headers


@pytest.mark.anyio
async def test_output_is_streamed_as_produced() -> None:
    sent: list[Message] = []

    def snapshot() -> list[bytes]:
        return [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]

    seen_by_app: list[list[bytes]] = []
    closed: list[bool] = []

    class Output:
        def __iter__(self) -> Iterator[bytes]:
            yield b"first"
            # The first chunk reached the client before the second one is produced.
            seen_by_app.append(anyio.from_thread.run_sync(snapshot))
            yield b""
            yield b"second"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Output:
        start_response("200 OK", [])
        return Output()

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    await wsgi(app)(scope, receive, send)
    assert seen_by_app == [[b"first"]]
    assert snapshot() == [b"first", b"second", b""]
    assert sent[-1] == {"type": "http.response.body", "body": b""}
    assert closed == [True]


@pytest.mark.anyio
async def test_disconnect_while_reading_the_body() -> None:
    called: list[bool] = []

    def app(
        environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:  # pragma: no cover
        called.append(True)
        return []

    messages: list[Message] = [
        {"type": "http.disconnect"},
        {"type": "http.request", "body": b"a", "more_body": True},
    ]

    async def receive() -> Message:
        return messages.pop()

    async def send(message: Message) -> None:  # pragma: no cover - never called
        raise AssertionError

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    await WSGIResponder(app, scope)(receive, send)
    assert called == []


def test_websocket_is_refused(test_client_factory: Any) -> None:
    from starlette.websockets import WebSocketDisconnect

    client = test_client_factory(wsgi(hello_world))
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass  # pragma: no cover


@pytest.mark.anyio
async def test_lifespan_is_refused() -> None:
    async def receive() -> Message:  # pragma: no cover - never called
        return {}

    async def send(message: Message) -> None:  # pragma: no cover - never called
        pass

    with pytest.raises(RuntimeError, match="cannot handle 'lifespan' scopes"):
        await wsgi(hello_world)({"type": "lifespan"}, receive, send)


def test_build_environ() -> None:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/sub/hello/wörld",
        "root_path": "/sub",
        "query_string": b"a=123&b=456",
        "headers": [
            (b"host", b"www.example.org"),
            (b"content-type", b"application/json"),
            (b"content-length", b"18"),
            (b"accept", b"application/json"),
            (b"accept", b"text/plain"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x_forwarded_for", b"spoofed"),
        ],
        "client": ("134.56.78.4", 1453),
        "server": ("www.example.org", 443),
    }
    environ = build_environ(scope, b'{"example":"body"}')
    stream = environ.pop("wsgi.input")
    assert stream.read() == b'{"example":"body"}'
    errors = environ.pop("wsgi.errors")
    assert errors is sys.stderr
    assert environ == {
        "CONTENT_LENGTH": "18",
        "CONTENT_TYPE": "application/json",
        "HTTP_ACCEPT": "application/json,text/plain",
        "HTTP_COOKIE": "a=1; b=2",
        "HTTP_HOST": "www.example.org",
        "PATH_INFO": "/hello/wörld".encode().decode("latin-1"),
        "QUERY_STRING": "a=123&b=456",
        "REMOTE_ADDR": "134.56.78.4",
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/sub",
        "SERVER_NAME": "www.example.org",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.multiprocess": True,
        "wsgi.multithread": True,
        "wsgi.run_once": False,
        "wsgi.url_scheme": "https",
        "wsgi.version": (1, 0),
    }


@pytest.mark.parametrize(
    ("path", "root_path", "script_name", "path_info"),
    [
        ("/app/x", "/app", "/app", "/x"),
        ("/app", "/app", "/app", ""),
        ("/app/", "/app", "/app", "/"),
        # Not a segment boundary: the path is not under root_path.
        ("/application", "/app", "/app", "/application"),
        ("/x", "", "", "/x"),
    ],
)
def test_path_info_strips_root_path_at_a_segment_boundary(
    path: str, root_path: str, script_name: str, path_info: str
) -> None:
    scope = {"method": "GET", "path": path, "root_path": root_path}
    environ = build_environ(scope, b"")
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == (script_name, path_info)


def test_build_environ_defaults() -> None:
    environ = build_environ({"method": "GET", "path": "/"}, b"")
    assert environ["SERVER_NAME"] == "localhost"
    assert environ["SERVER_PORT"] == "80"
    assert environ["QUERY_STRING"] == ""
    assert environ["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert environ["wsgi.url_scheme"] == "http"
    assert "REMOTE_ADDR" not in environ
    assert (
        build_environ({"method": "GET", "path": "/", "server": ("unix", None)}, b"")["SERVER_PORT"]
        == "80"
    )
