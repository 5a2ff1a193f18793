"""Drive an ASGI app in-process for the fuzz targets: one event loop per process, no server.

A finding is raised as `Finding`, which atheris reports as a crash together with the input.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message

# A handler that hangs longer than this is a finding (libFuzzer's own -timeout is the backstop).
CALL_TIMEOUT = 10.0

_loop = asyncio.new_event_loop()


class Finding(AssertionError):
    """The app broke its contract for this input: a 5xx, an exception, a hang, a wrong body."""


@dataclass
class Response:
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


def http_scope(
    method: str,
    path: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Sequence[tuple[bytes, bytes]],
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
        "path": path,
        "raw_path": raw_path,
        "query_string": query_string,
        "headers": list(headers),
        "state": {},
    }


async def _call(app: ASGIApp, scope: dict[str, Any], chunks: Sequence[bytes]) -> Response:
    response = Response()
    pending = list(chunks) or [b""]

    async def receive() -> Message:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        # The body is over and the client stays connected: a server blocks here until it leaves.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            if response.status is not None:
                raise Finding(f"second http.response.start: {message!r}")
            response.status = message["status"]
            response.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            if response.status is None or response.complete:
                raise Finding(f"body message out of order: {message!r}")
            response.body += message.get("body", b"")
            response.complete = not message.get("more_body", False)

    await app(scope, receive, send)
    return response


def call(app: ASGIApp, scope: dict[str, Any], chunks: Sequence[bytes] = ()) -> Response:
    """Run one request; any exception escaping the app, a 5xx or a hang is a `Finding`."""
    try:
        response = _loop.run_until_complete(
            asyncio.wait_for(_call(app, scope, chunks), CALL_TIMEOUT)
        )
    except Finding:
        raise
    except asyncio.TimeoutError as exc:
        raise Finding(f"no answer within {CALL_TIMEOUT} s for scope {scope!r}") from exc
    except Exception as exc:
        raise Finding(f"{type(exc).__name__} escaped the app for scope {scope!r}") from exc
    if response.status is None:
        raise Finding(f"the app returned without a response for scope {scope!r}")
    if response.status >= 500:
        raise Finding(f"{response.status} for scope {scope!r}: {bytes(response.body)[:300]!r}")
    if not response.complete:
        raise Finding(f"unfinished response body for scope {scope!r}")
    for name, value in response.headers:
        # A server must refuse to send these (response splitting): the client would get nothing.
        if any(char in name + value for char in (b"\r", b"\n", b"\0")):
            raise Finding(f"response header {name!r}: {value!r} for scope {scope!r}")
    return response
