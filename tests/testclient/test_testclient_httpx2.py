"""TestClient on httpx2 (httpx as a fallback): the import choice and httpx2's client methods.

These tests run twice in CI: with httpx2 installed (the normal environment) and with only httpx
0.28 (`make test-testclient-httpx`). Where the two differ, the test asserts what the library in
use does.
"""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
import types
from collections.abc import Callable

import pytest

import starlette.testclient
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]

ON_HTTPX2 = importlib.util.find_spec("httpx2") is not None
HTTPX_WARNING = "Using `httpx` with `starlette.testclient` is deprecated; install `httpx2` instead."


def test_import_prefers_httpx2(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("httpx2")
    monkeypatch.setitem(sys.modules, "httpx2", fake)
    assert starlette.testclient._import_httpx() is fake


def test_import_falls_back_to_httpx_with_upstreams_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import httpx2` fail, as if it were not installed.
    monkeypatch.setitem(sys.modules, "httpx2", None)
    fake = types.ModuleType("httpx")
    monkeypatch.setitem(sys.modules, "httpx", fake)
    with pytest.warns(StarletteDeprecationWarning) as record:
        module = starlette.testclient._import_httpx()
    assert module is fake
    assert [str(w.message) for w in record] == [HTTPX_WARNING]
    # Exactly upstream's category: a UserWarning, shown by default.
    assert record[0].category is StarletteDeprecationWarning


def test_import_without_either_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx2", None)
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(RuntimeError) as info:
        starlette.testclient._import_httpx()
    # Upstream's text.
    assert str(info.value) == (
        "The starlette.testclient module requires the httpx2 package to be installed.\n"
        "You can install this with:\n"
        "    $ pip install httpx2\n"
    )


def test_the_library_in_use() -> None:
    expected = "httpx2" if ON_HTTPX2 else "httpx"
    assert TestClient.__mro__[1].__module__ == expected
    # A fresh interpreter that makes the warning an error: it fails only on the fallback.
    process = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", "import starlette.testclient"],
        capture_output=True,
        text=True,
        check=False,
    )
    if ON_HTTPX2:
        assert process.returncode == 0, process.stderr
    else:
        assert process.returncode == 1
        assert f"StarletteDeprecationWarning: {HTTPX_WARNING}" in process.stderr


async def echo_method(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    body = await request.body()
    await Response(f"{request.method} {request.url.query} {body.decode()}")(scope, receive, send)


def test_query_method(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_method)
    if ON_HTTPX2:
        response = client.query("/search", params={"q": "x"}, content=b"select *")
        assert response.text == "QUERY q=x select *"
    else:
        assert not hasattr(client, "query")
    # The method itself goes through on either library.
    assert client.request("QUERY", "/", content=b"a").text == "QUERY  a"


async def events_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/event-stream")],
        }
    )
    await send({"type": "http.response.body", "body": b"data: one\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b'event: done\ndata: {"n": 2}\n\n'})


def test_server_sent_events(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(events_app)
    if ON_HTTPX2:
        with client.sse("/events") as source:
            events = list(source)
        assert [(e.event, e.data) for e in events] == [("message", "one"), ("done", '{"n": 2}')]
        assert events[1].json() == {"n": 2}
    else:
        assert not hasattr(client, "sse")
        with client.stream("GET", "/events") as response:
            assert response.read() == b'data: one\n\nevent: done\ndata: {"n": 2}\n\n'


def test_httpx2_websocket_method_points_to_websocket_connect(
    test_client_factory: TestClientFactory,
) -> None:
    with pytest.raises(RuntimeError, match=r"Use client\.websocket_connect\(\) instead\."):
        test_client_factory(echo_method).websocket("/ws")


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package (backports)
        return False


def compress(encoding: str, data: bytes) -> bytes:
    if encoding == "br":
        import brotli  # type: ignore[import-untyped]

        return brotli.compress(data)  # type: ignore[no-any-return]
    if encoding == "zstd":
        if sys.version_info >= (3, 14):  # pragma: no cover
            from compression import zstd
        else:
            from backports import zstd
        return zstd.compress(data)
    return gzip.compress(data)


def test_optional_encodings_are_negotiated(test_client_factory: TestClientFactory) -> None:
    payload = b"compressible " * 100

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        encoding = request.query_params["encoding"]
        offered = [e.strip() for e in request.headers["accept-encoding"].split(",")]
        if encoding not in offered:
            await Response(status_code=406)(scope, receive, send)
            return
        body = compress(encoding, payload)
        response = Response(body, headers={"content-encoding": encoding})
        await response(scope, receive, send)

    client = test_client_factory(app)
    offered = client.headers["accept-encoding"]
    # What a real client of the same library would offer: the test group installs brotli and
    # backports.zstd (httpx2's extras); httpx 0.28 decodes zstd with `zstandard` instead.
    zstd_module = "backports.zstd" if ON_HTTPX2 else "zstandard"
    expected = ["gzip", "deflate"]
    expected += ["br"] if installed("brotli") or installed("brotlicffi") else []
    expected += ["zstd"] if installed(zstd_module) or installed("compression.zstd") else []
    assert offered == ", ".join(expected)
    for encoding in ("gzip", "br", "zstd"):
        response = client.get("/", params={"encoding": encoding})
        if encoding in offered:
            assert response.headers["content-encoding"] == encoding
            assert response.content == payload
        else:
            assert response.status_code == 406
