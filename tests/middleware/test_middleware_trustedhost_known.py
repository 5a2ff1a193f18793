"""`TrustedHostMiddleware` remembers the Host values it allowed and lets them through without
parsing them again: a remembered value must get the answer the parser gives, whatever came
before it, and the memory stays bounded."""

from __future__ import annotations

import pytest

from starlette._utils import request_host
from starlette.middleware import trustedhost
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio

PATTERNS = [["example.com", "*.example.org", "[::1]", "127.0.0.1"], ["www.example.com"]]
HOSTS: list[list[bytes]] = [
    [b"example.com"],
    [b"EXAMPLE.com:8000"],
    [b"a.example.org"],
    [b"example.org"],
    [b"[::1]:80"],
    [b"127.0.0.1"],
    [b"example.com "],  # malformed: the space
    [b"example.com:99999"],
    [b"user@example.com"],
    [b"evil.com"],
    [b"www.example.com"],
    [b""],
    [],  # no Host at all
    [b"example.com", b"evil.com"],  # the first Host decides
    [b"evil.com", b"example.com"],
]


async def answer(middleware: TrustedHostMiddleware, hosts: list[bytes], kind: str) -> str:
    scope: Scope = {
        "type": kind,
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": "/",
        "query_string": b"",
        "headers": [(b"host", host) for host in hosts],
    }
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        sent.append({"type": "app"})

    async def receive() -> Message:  # pragma: no cover - nothing here reads
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    middleware.app = app
    await middleware(scope, receive, send)
    return repr(sent[0])


@pytest.mark.parametrize("patterns", PATTERNS)
@pytest.mark.parametrize("kind", ["http", "websocket"])
async def test_remembered_values_get_the_parsers_answer(patterns: list[str], kind: str) -> None:
    warm = TrustedHostMiddleware(None, allowed_hosts=patterns)  # type: ignore[arg-type]
    for _ in range(2):  # the second round is answered from what the first remembered
        for hosts in HOSTS:
            fresh = TrustedHostMiddleware(None, allowed_hosts=patterns)  # type: ignore[arg-type]
            assert await answer(warm, hosts, kind) == await answer(fresh, hosts, kind)
    # What it remembers: the values the parser allows, as sent.
    allowed = set()
    for hosts in HOSTS:
        found = request_host({"headers": [(b"host", host) for host in hosts]})
        if found is not None and warm._is_allowed(found[1]):
            allowed.add(hosts[0])
    assert warm._allowed_values == allowed


async def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trustedhost, "_KNOWN_VALUES", 3)
    middleware = TrustedHostMiddleware(None, allowed_hosts=["*.example.com"])  # type: ignore[arg-type]
    for number in range(6):
        host = f"h{number}.example.com".encode()
        assert await answer(middleware, [host], "http") == "{'type': 'app'}"
    assert len(middleware._allowed_values) == 3
    assert "400" in await answer(middleware, [b"h9.example.net"], "http")
