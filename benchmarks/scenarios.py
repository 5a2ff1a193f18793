"""Benchmark scenarios, written only against Starlette's public API.

The same file runs under this workspace and under upstream Starlette (in its own virtual
environment). The ASGI app is called in-process (no server, no sockets), so what is measured is
the framework's own work.

- `python scenarios.py [--quick]` measures every scenario in turn and prints one JSON object:
  microseconds per operation (best batch) for each scenario and the peak RSS of the process.
- `python scenarios.py --worker` is what `run.py` starts, once per side: it builds every scenario
  once, checks each answers as expected, prints `{"scenarios": [names]}` and then answers JSON
  lines on stdin, one line each on stdout, until stdin closes:
  `{"scenario": name, "calibrate": true}` -> `{"us": estimated microseconds per operation}`,
  `{"scenario": name, "batch": n}` -> `{"us": microseconds per operation over n operations}`,
  `{"rss": true}` -> `{"peak_rss_kib": ru_maxrss}`.
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
from collections.abc import Awaitable, Callable, Iterable
from typing import IO, Any

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
Operation = Callable[[], Awaitable[Any]]


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


def websocket_echo(app: ASGI) -> Callable[[], Awaitable[list[str]]]:
    """One connection: connect, 100 text messages echoed, close; returns the sent message types.

    Only the types are kept (one list append per message), so checking costs next to nothing.
    """
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

    async def run() -> list[str]:
        received = 0
        sent: list[str] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            received += 1
            return connect if received == 1 else message

        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg["type"])

        await app(dict(scope), receive, send)
        return sent

    return run


async def build(tmpdir: str) -> dict[str, Operation]:
    """Every scenario as an operation to repeat, each checked once to answer as expected."""
    operations: dict[str, Operation] = {}
    for name, (call, expected) in request_scenarios(tmpdir).items():
        check(await call.run(), expected, name)
        operations[name] = call.run

    app = Starlette(routes=many_routes(1000))

    async def lookup() -> str:
        return app.url_path_for("route999", item_id=1)

    if await lookup() != "/api/v1/resource999/1":
        raise SystemExit("scenario url_path_for_1000: wrong path")
    operations["url_path_for_1000"] = lookup

    echo_once = websocket_echo(Starlette(routes=[WebSocketRoute("/ws", echo)]))
    sent = await echo_once()
    expected_sent = ["websocket.accept", *["websocket.send"] * 100, "websocket.close"]
    if sent != expected_sent:
        raise SystemExit(f"scenario websocket_echo_100: sent {sent}")
    operations["websocket_echo_100"] = echo_once

    async def startup() -> None:
        fresh = Starlette(routes=many_routes(100))
        check(await Call(fresh, http_scope("/api/v1/resource0/1")).run(), 200, "startup")

    operations["startup_100_routes"] = startup
    return operations


# --- timing ---------------------------------------------------------------------------------


async def timed_batch(operation: Operation, n: int) -> float:
    """Microseconds per operation over `n` back-to-back runs.

    Garbage is collected before, and the collector is off during the batch, so a collection
    triggered by earlier work never lands inside one side's measurement.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            await operation()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed / n * 1e6


async def calibrate(operation: Operation) -> float:
    """Estimated microseconds per operation, after a warm-up; costs a few tens of ms."""
    for _ in range(20):
        await operation()
    n = 1
    # Grow the batch until it lasts 2 ms, so the clock's resolution does not matter.
    while (per_op := await timed_batch(operation, n)) * n < 2000:
        n *= 2
    return min([per_op] + [await timed_batch(operation, n) for _ in range(2)])


async def measure(operation: Operation, budget: float, batch_seconds: float) -> float:
    """Best microseconds per operation over batches of about `batch_seconds`, for `budget` s."""
    n = max(1, round(batch_seconds * 1e6 / await calibrate(operation)))
    best = float("inf")
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        best = min(best, await timed_batch(operation, n))
    return best


# --- entry points ---------------------------------------------------------------------------


async def standalone(quick: bool) -> dict[str, float]:
    budget = 0.3 if quick else 1.5
    with tempfile.TemporaryDirectory() as tmpdir:
        operations = await build(tmpdir)
        return {name: await measure(op, budget, 0.02) for name, op in operations.items()}


def answer(command: dict[str, Any], operations: dict[str, Operation], loop: Any) -> Any:
    if command.get("rss"):
        return {"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    operation = operations[command["scenario"]]
    if command.get("calibrate"):
        return {"us": loop.run_until_complete(calibrate(operation))}
    return {"us": loop.run_until_complete(timed_batch(operation, int(command["batch"])))}


def serve(commands: Iterable[str], out: IO[str]) -> None:
    """Worker mode: build once, then answer one JSON line per command line."""
    # One loop for the whole life of the worker; stdin is read between batches, outside it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            operations = loop.run_until_complete(build(tmpdir))
            # Everything built so far lives to the end: keep it out of every later collection.
            gc.collect()
            gc.freeze()
            out.write(json.dumps({"scenarios": list(operations)}) + "\n")
            out.flush()
            for line in commands:
                out.write(json.dumps(answer(json.loads(line), operations, loop)) + "\n")
                out.flush()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def worker() -> None:
    # The protocol gets a private copy of stdout; anything the framework prints goes to stderr.
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, out)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        results = asyncio.run(standalone("--quick" in sys.argv))
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"results": results, "peak_rss_kib": peak_kib}))
