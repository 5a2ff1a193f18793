"""Benchmark scenarios, written only against Starlette's public API.

The same file runs under this workspace and under upstream Starlette (in its own virtual
environment): `python scenarios.py [--quick]` prints one JSON object with microseconds per
operation for each scenario and the peak RSS of the process. The ASGI app is called in-process
(no server, no sockets), so what is measured is the framework's own work.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

Scope = dict[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def http_scope(
    path: str,
    method: str = "GET",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"example.com"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("example.com", 80),
        "extensions": {},
        "state": {},
    }


class Call:
    """One request: a fresh scope, a receive giving the body then waiting, a counting send."""

    __slots__ = ("app", "body", "scope")

    def __init__(self, app: ASGI, scope: Scope, body: bytes = b"") -> None:
        self.app, self.scope, self.body = app, scope, body

    async def run(self) -> int:
        scope = dict(self.scope)
        scope["headers"] = list(self.scope["headers"])
        scope["state"] = {}
        sent_body = False
        status = 0
        size = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))

        await self.app(scope, receive, send)
        return status


async def measure(operation: Callable[[], Awaitable[Any]], budget: float) -> float:
    """Best microseconds per operation over several batches within about `budget` seconds."""
    for _ in range(20):  # warm-up
        await operation()
    batch = 1
    while True:  # size a batch to about 20 ms
        start = time.perf_counter()
        for _ in range(batch):
            await operation()
        elapsed = time.perf_counter() - start
        if elapsed > 0.02:
            break
        batch *= 2
    best = float("inf")
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        gc.collect()
        start = time.perf_counter()
        for _ in range(batch):
            await operation()
        best = min(best, (time.perf_counter() - start) / batch)
    return best * 1e6


def check(status: int, expected: int, name: str) -> None:
    if status != expected:
        raise SystemExit(f"scenario {name}: status {status}, expected {expected}")


# --- endpoints ------------------------------------------------------------------------------


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


async def user_detail(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["user_id"], "q": request.query_params.get("q")})


async def item(request: Request) -> Response:
    return JSONResponse({"item": request.path_params["item_id"]})


async def form_endpoint(request: Request) -> Response:
    form = await request.form()
    return JSONResponse({"fields": len(form)})


async def json_endpoint(request: Request) -> Response:
    return JSONResponse(await request.json())


async def stream_endpoint(request: Request) -> Response:
    async def chunks() -> Any:
        for _ in range(10):
            yield b"x" * 1024

    return StreamingResponse(chunks(), media_type="text/plain")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    for _ in range(100):
        await websocket.send_text(await websocket.receive_text())
    await websocket.close()


def many_routes(n: int) -> list[Route]:
    return [Route(f"/api/v1/resource{i}/{{item_id:int}}", item, name=f"route{i}") for i in range(n)]


async def bare_asgi(scope: Scope, receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", b"13"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, world!"})


# --- scenarios ------------------------------------------------------------------------------


def request_scenarios(tmpdir: str) -> dict[str, tuple[Call, int]]:
    hello_app = Starlette(routes=[Route("/", hello)])
    json_app = Starlette(routes=[Route("/users/{user_id:int}", user_detail)])
    apps = {n: Starlette(routes=many_routes(n)) for n in (10, 100, 1000)}
    nested = Starlette(
        routes=[
            Mount("/a", routes=[Mount("/b", routes=[Mount("/c", routes=[Route("/d", hello)])])])
        ]
    )
    stack = Starlette(
        routes=[Route("/", hello)],
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=["example.com"]),
            Middleware(CORSMiddleware, allow_origins=["https://example.org"]),
            Middleware(GZipMiddleware, minimum_size=500),
        ],
    )
    body_app = Starlette(
        routes=[
            Route("/form", form_endpoint, methods=["POST"]),
            Route("/json", json_endpoint, methods=["POST"]),
            Route("/stream", stream_endpoint),
        ]
    )
    path = os.path.join(tmpdir, "one-mib.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(1024 * 1024))

    async def file_endpoint(request: Request) -> Response:
        return FileResponse(path)

    file_app = Starlette(routes=[Route("/file", file_endpoint)])

    form_body = "&".join(f"field{i}=value{i}" for i in range(10)).encode()
    json_body = json.dumps({f"key{i}": list(range(10)) for i in range(10)}).encode()
    form_headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    json_headers = [(b"content-type", b"application/json")]
    last = "/api/v1/resource{}/42"
    return {
        "bare_asgi": (Call(bare_asgi, http_scope("/")), 200),
        "hello": (Call(hello_app, http_scope("/")), 200),
        "json_path_param": (Call(json_app, http_scope("/users/42", query=b"q=search")), 200),
        "last_of_10": (Call(apps[10], http_scope(last.format(9))), 200),
        "last_of_100": (Call(apps[100], http_scope(last.format(99))), 200),
        "last_of_1000": (Call(apps[1000], http_scope(last.format(999))), 200),
        "not_found_1000": (Call(apps[1000], http_scope("/nowhere/at/all")), 404),
        "nested_mounts": (Call(nested, http_scope("/a/b/c/d")), 200),
        "middleware_stack": (
            Call(
                stack,
                http_scope(
                    "/",
                    headers=[(b"origin", b"https://example.org"), (b"accept-encoding", b"gzip")],
                ),
            ),
            200,
        ),
        "urlencoded_form": (
            Call(body_app, http_scope("/form", "POST", headers=form_headers), form_body),
            200,
        ),
        "json_body": (
            Call(body_app, http_scope("/json", "POST", headers=json_headers), json_body),
            200,
        ),
        "file_1mib": (Call(file_app, http_scope("/file")), 200),
        "streaming": (Call(body_app, http_scope("/stream")), 200),
    }


def websocket_echo(app: ASGI) -> Callable[[], Awaitable[None]]:
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"example.com")],
        "client": ("127.0.0.1", 50000),
        "server": ("example.com", 80),
        "subprotocols": [],
        "extensions": {},
        "state": {},
    }
    connect = {"type": "websocket.connect"}
    message = {"type": "websocket.receive", "text": "hello"}

    async def run() -> None:
        received = 0

        async def receive() -> dict[str, Any]:
            nonlocal received
            received += 1
            return connect if received == 1 else message

        async def send(msg: dict[str, Any]) -> None:
            pass

        await app(dict(scope), receive, send)

    return run


async def main(quick: bool) -> dict[str, Any]:
    budget = 0.3 if quick else 1.5
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmpdir:
        for name, (call, expected) in request_scenarios(tmpdir).items():
            check(await call.run(), expected, name)
            results[name] = await measure(call.run, budget)

    app = Starlette(routes=many_routes(1000))

    async def lookup() -> None:
        app.url_path_for("route999", item_id=1)

    results["url_path_for_1000"] = await measure(lookup, budget)

    ws_app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    results["websocket_echo_100"] = await measure(websocket_echo(ws_app), budget)

    async def startup() -> None:
        fresh = Starlette(routes=many_routes(100))
        check(await Call(fresh, http_scope("/api/v1/resource0/1")).run(), 200, "startup")

    results["startup_100_routes"] = await measure(startup, budget)
    return results


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    results = asyncio.run(main(quick))
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"results": results, "peak_rss_kib": peak_kib}))
