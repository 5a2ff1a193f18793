from __future__ import annotations

from typing import Any

import pytest

from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("secure")
        await websocket.close()
        return
    await PlainTextResponse("OK")(scope, receive, send)


app = HTTPSRedirectMiddleware(endpoint)


def test_https_request_passes_through(test_client_factory: Any) -> None:
    client = test_client_factory(app, base_url="https://testserver")
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "OK"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://testserver", "https://testserver/path?x=1"),
        ("http://testserver:80", "https://testserver/path?x=1"),
        ("http://testserver:443", "https://testserver/path?x=1"),
        ("http://testserver:123", "https://testserver:123/path?x=1"),
        ("http://[::1]:8000", "https://[::1]:8000/path?x=1"),
        ("http://[::1]:80", "https://[::1]/path?x=1"),
    ],
)
def test_http_redirects_to_https(test_client_factory: Any, base_url: str, expected: str) -> None:
    client = test_client_factory(app, base_url=base_url)
    response = client.get("/path?x=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == expected


def test_redirect_keeps_host_when_path_looks_like_an_authority(test_client_factory: Any) -> None:
    client = test_client_factory(app)
    response = client.get("//evil.com/x", follow_redirects=False)
    assert response.status_code == 307
    location = response.headers["location"]
    assert location.startswith("https://testserver/")
    assert "evil.com" not in location.split("/")[2]


def test_malformed_host_header_is_ignored(test_client_factory: Any) -> None:
    client = test_client_factory(app)
    response = client.get("/", headers={"host": "evil.com/x@"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://testserver/"


@pytest.mark.anyio
async def test_redirect_without_any_host_is_a_400() -> None:
    scope: Scope = {
        "type": "http",
        "scheme": "http",
        "method": "GET",
        "path": "/",
        "headers": [],
        "query_string": b"",
        "server": None,
    }
    messages: list[Any] = []

    async def receive() -> Any:  # pragma: no cover - never called
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        messages.append(message)

    await app(scope, receive, send)
    assert messages[0]["status"] == 400
    assert messages[1]["body"] == b"Invalid host header"


def test_websocket_redirects_to_wss(test_client_factory: Any) -> None:
    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    response: Any = info.value
    assert response.status_code == 307
    assert response.headers["location"] == "wss://testserver/ws"


def test_wss_passes_through(test_client_factory: Any) -> None:
    # As upstream's, the TestClient resolves a relative WebSocket URL against ws://testserver
    # whatever its base_url: the wss scheme is in the URL.
    client = test_client_factory(app)
    with client.websocket_connect("wss://testserver/ws") as websocket:
        assert websocket.receive_text() == "secure"


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        pass

    await HTTPSRedirectMiddleware(inner)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]


async def redirect_location(host: bytes, scheme: str = "http") -> tuple[int, str | None]:
    """The status and Location of the redirect for a request with this Host header."""
    messages: list[Any] = []
    scope: Scope = {
        "type": "websocket" if scheme == "ws" else "http",
        "scheme": scheme,
        "method": "GET",
        "path": "/p",
        "headers": [(b"host", host)],
        "query_string": b"q=1",
        "server": ("10.0.0.1", 8080),
    }

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:
        messages.append(message)

    await app(scope, receive, send)
    headers = dict(messages[0]["headers"])
    location = headers.get(b"location")
    return messages[0]["status"], None if location is None else location.decode()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "host",
    [
        b"example.com:65536",
        b"example.com:99999",
        b"localhost:1@evil.com",
        b"127.0.0.1:abc",
        b"127.0.0.1:",
        b"localhost:8000/../x",
        b"[::1]evil.example.com",
        b"[:::]",
    ],
)
@pytest.mark.parametrize("scheme", ["http", "ws"])
async def test_malformed_host_never_reaches_location(host: bytes, scheme: str) -> None:
    # An out-of-range port or a malformed Host falls back to the server address.
    secure = "https" if scheme == "http" else "wss"
    assert await redirect_location(host, scheme) == (307, f"{secure}://10.0.0.1:8080/p?q=1")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (b"example.com:65535", "https://example.com:65535/p?q=1"),
        (b"EXAMPLE.com:8080", "https://EXAMPLE.com:8080/p?q=1"),
        # As 1.x: a default port is dropped and the host then lower-cased, "080" being 80.
        (b"EXAMPLE.com:080", "https://example.com/p?q=1"),
        (b"[::1]:443", "https://[::1]/p?q=1"),
    ],
)
async def test_valid_host_ports(host: bytes, expected: str) -> None:
    assert await redirect_location(host) == (307, expected)
