"""Helpers for StaticFiles tests: raw ASGI calls (exact paths, no client normalization)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from starlette.types import ASGIApp, Message, Scope


@dataclass
class RawResponse:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


async def call(
    app: ASGIApp,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    root_path: str = "",
    **extra: Any,
) -> RawResponse:
    """Run one HTTP request through `app`, `scope["path"]` exactly as given (already decoded)."""
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "root_path": root_path,
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        **extra,
    }
    response = RawResponse()
    sent_request = False

    async def receive() -> Message:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()  # the client stays connected until the response is done
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            response.body += message.get("body", b"")

    await app(scope, receive, send)
    return response


@pytest.fixture
def asgi_call() -> Callable[..., Awaitable[RawResponse]]:
    return call


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    """tmp_path/static with a few files, and tmp_path/secret.txt outside it."""
    directory = tmp_path / "static"
    directory.mkdir()
    (directory / "example.txt").write_text("<file content>")
    (directory / "css").mkdir()
    (directory / "css" / "base.css").write_text("body { color: red }")
    (tmp_path / "secret.txt").write_text("top secret")
    return directory
