from __future__ import annotations

from typing import Any

import anyio
import pytest

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()
        return
    await PlainTextResponse("OK")(scope, receive, send)


def make_app(*allowed: str, www_redirect: bool = True) -> ASGIApp:
    return TrustedHostMiddleware(endpoint, allowed_hosts=list(allowed), www_redirect=www_redirect)


def test_default_allows_any_host(test_client_factory: Any) -> None:
    client = test_client_factory(TrustedHostMiddleware(endpoint))
    response = client.get("/", headers={"host": "anything.example"})
    assert response.status_code == 200
    assert response.text == "OK"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("testserver", 200),
        ("TestServer", 200),
        ("testserver:8000", 200),
        ("example.com", 200),
        ("EXAMPLE.COM:443", 200),
        ("sub.example.com", 200),
        ("deep.sub.example.com", 200),
        ("evil.com", 400),
        ("notexample.com", 400),
        ("example.com.evil.com", 400),
        ("", 400),
    ],
)
def test_host_matching(test_client_factory: Any, host: str, status: int) -> None:
    app = make_app("testserver", "example.com", "*.example.com")
    client = test_client_factory(app)
    response = client.get("/", headers={"host": host})
    assert response.status_code == status
    if status == 400:
        assert response.text == "Invalid host header"
        assert response.headers["content-type"].startswith("text/plain")


def test_subdomain_wildcard_does_not_match_the_domain_itself(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("*.example.com"))
    assert client.get("/", headers={"host": "example.com"}).status_code == 400
    assert client.get("/", headers={"host": "a.example.com"}).status_code == 200


@pytest.mark.parametrize("pattern", ["[::1]", "::1"])
@pytest.mark.parametrize("host", ["[::1]", "[::1]:8000"])
def test_ipv6_hosts(test_client_factory: Any, pattern: str, host: str) -> None:
    client = test_client_factory(make_app(pattern))
    assert client.get("/", headers={"host": host}).status_code == 200
    assert client.get("/", headers={"host": "[::2]:8000"}).status_code == 400


def test_unclosed_ipv6_bracket_is_invalid(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("[::1]"))
    assert client.get("/", headers={"host": "[::1"}).status_code == 400


def test_www_redirect(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("www.example.com"), base_url="https://example.com:8443")
    response = client.get("/path?q=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "https://www.example.com:8443/path?q=1"


def test_www_redirect_disabled(test_client_factory: Any) -> None:
    app = make_app("www.example.com", www_redirect=False)
    client = test_client_factory(app, base_url="https://example.com")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 400


def test_no_www_redirect_for_www_hosts(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("www.www.example.com"), base_url="http://www.example.com")
    assert client.get("/", follow_redirects=False).status_code == 400


def test_www_redirect_never_uses_another_host(test_client_factory: Any) -> None:
    # A Host header too malformed to build a URL from is refused, not redirected elsewhere.
    client = test_client_factory(make_app("www.example.com"))
    response = client.get("/", headers={"host": "example.com:bad/x"}, follow_redirects=False)
    assert response.status_code == 400


@pytest.mark.parametrize("pattern", ["*example.com", "example.*", "*.*.example.com", "a*b.com"])
def test_invalid_wildcard_patterns(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"Domain wildcard patterns must be like '\*.example.com'"):
        TrustedHostMiddleware(endpoint, allowed_hosts=[pattern])


def test_websocket_allowed(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("testserver"))
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hello"


def test_websocket_invalid_host_gets_a_denial_response(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("example.com"))
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    response: Any = info.value
    assert response.status_code == 400
    assert response.text == "Invalid host header"


def test_websocket_invalid_host_closed_without_denial_extension(test_client_factory: Any) -> None:
    inner = make_app("example.com")

    async def without_extensions(scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {}
        await inner(scope, receive, send)

    client = test_client_factory(without_extensions)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    assert info.value.code == 1008


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        pass

    await TrustedHostMiddleware(inner, allowed_hosts=["example.com"])(
        {"type": "lifespan"}, receive, send
    )
    assert seen == ["lifespan"]


MALFORMED_HOSTS = [
    "localhost:1@evil.com",
    "127.0.0.1:abc",
    "127.0.0.1:",
    "localhost:8000/../x",
    "[::1]evil.example.com",
    "[:::]",
    "localhost:65536",
    "127.0.0.1:99999",
    ":8000",
    " localhost",
]
ALLOWED = ("localhost", "127.0.0.1", "[::1]")


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_malformed_host_is_refused(test_client_factory: Any, host: str) -> None:
    # The one strict Host parser decides; a malformed Host has no host to match.
    client = test_client_factory(make_app(*ALLOWED))
    response = client.get("/", headers={"host": host})
    assert response.status_code == 400
    assert response.text == "Invalid host header"


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_malformed_host_websocket_gets_a_denial_response(
    test_client_factory: Any, host: str
) -> None:
    client = test_client_factory(make_app(*ALLOWED))
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/ws", headers={"host": host}),
    ):
        pass  # pragma: no cover
    response: Any = info.value
    assert response.status_code == 400
    assert response.text == "Invalid host header"


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
def test_malformed_host_websocket_closed_without_denial_extension(
    test_client_factory: Any, host: str
) -> None:
    inner = make_app(*ALLOWED)

    async def without_extensions(scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {}
        await inner(scope, receive, send)

    client = test_client_factory(without_extensions)
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/ws", headers={"host": host}),
    ):
        pass  # pragma: no cover
    assert info.value.code == 1008
    assert info.value.reason == "Invalid host header"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8000", "127.0.0.1:0", "[::1]:8000"])
def test_valid_hosts_pass_over_http_and_websocket(test_client_factory: Any, host: str) -> None:
    client = test_client_factory(make_app(*ALLOWED))
    assert client.get("/", headers={"host": host}).text == "OK"
    with client.websocket_connect("/ws", headers={"host": host}) as websocket:
        assert websocket.receive_text() == "hello"


@pytest.mark.parametrize("host", ["example.com:65536", "example.com:99999", "example.com:"])
def test_www_redirect_refuses_an_out_of_range_port(test_client_factory: Any, host: str) -> None:
    # 1.x redirects these to "http://www.<server address>/": here they are malformed, 400.
    client = test_client_factory(make_app("www.example.com"))
    response = client.get("/", headers={"host": host}, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_www_redirect_keeps_a_valid_port(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("www.example.com"))
    response = client.get("/p", headers={"host": "Example.com:8000"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://www.Example.com:8000/p"


@pytest.mark.parametrize("pattern", ["Example.COM:8000", " example.com "])
def test_patterns_ignore_case_port_and_spaces(test_client_factory: Any, pattern: str) -> None:
    client = test_client_factory(make_app(pattern))
    assert client.get("/", headers={"host": "example.com"}).status_code == 200


def test_a_pattern_that_is_no_host_matches_nothing(test_client_factory: Any) -> None:
    client = test_client_factory(make_app("exa mple.com", "a@b"))
    assert client.get("/", headers={"host": "exa mple.com"}).status_code == 400
    assert client.get("/", headers={"host": "a@b"}).status_code == 400


def test_missing_host_header_is_refused() -> None:
    sent: list[Any] = []

    async def receive() -> Any:  # pragma: no cover - never called
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    anyio.run(make_app("localhost"), scope, receive, send)
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Invalid host header"


@pytest.mark.parametrize("host", ["[:::]", "localhost:99999", "localhost:1@evil.com"])
def test_request_url_with_a_malformed_host_is_never_a_500(
    test_client_factory: Any, host: str
) -> None:
    # "Host: [:::]" once made request.url raise. Any host allowed, so the app reads it.
    async def url_echo(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(str(Request(scope).url))(scope, receive, send)

    client = test_client_factory(TrustedHostMiddleware(url_echo))
    response = client.get("/p?q=1", headers={"host": host})
    assert response.status_code == 200
    assert response.text == "http://testserver/p?q=1"
