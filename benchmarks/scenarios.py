"""Benchmark scenarios, written only against Starlette's public API.

The same file runs under this workspace and under upstream Starlette (in its own virtual
environment). The ASGI app is called in-process (no server, no sockets), so what is measured is
the framework's own work; timing and the worker protocol are `harness.py`'s.

The scenarios named in `PEER_SCENARIOS` are also ported to Falcon and BlackSheep
(`peers/*_scenarios.py`): the same requests, answered with the same status and body, which
`run.py` checks before it measures.

- `python scenarios.py [--quick]` measures every scenario in turn and prints one JSON object.
- `python scenarios.py --worker` is what `run.py` starts (see `harness.py`).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from harness import ASGI, Call, Operation, Probe, build_calls, check, http_scope, main
from peer_requests import peer_call

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


async def form_echo(request: Request) -> Response:
    form = await request.form()
    return JSONResponse(dict(form))


async def user_only(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["user_id"]})


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


def nested_with_parameter() -> Starlette:
    """`/api/v1/users/{user_id}`: three mounts, each with a sibling, the parameter below them."""
    users = [Route("/", hello), Route("/{user_id:int}", user_only)]
    v1 = [Route("/status", hello), Mount("/users", routes=users)]
    api = [Route("/health", hello), Mount("/v1", routes=v1)]
    return Starlette(routes=[Route("/", hello), Mount("/api", routes=api)])


def peer_apps() -> dict[str, ASGI]:
    """The application each peer scenario calls (the peers build theirs alike)."""
    body_app = Starlette(
        routes=[
            Route("/form3", form_echo, methods=["POST"]),
            Route("/json", json_endpoint, methods=["POST"]),
        ]
    )
    return {
        "hello": Starlette(routes=[Route("/", hello)]),
        "json_path_param": Starlette(routes=[Route("/users/{user_id:int}", user_detail)]),
        "last_of_200": Starlette(routes=many_routes(200)),
        "nested_mounts_param": nested_with_parameter(),
        "middleware_stack": Starlette(
            routes=[Route("/", hello)],
            middleware=[
                Middleware(TrustedHostMiddleware, allowed_hosts=["example.com"]),
                Middleware(CORSMiddleware, allow_origins=["https://example.org"]),
                Middleware(GZipMiddleware, minimum_size=500),
            ],
        ),
        "form_3_fields": body_app,
        "json_body": body_app,
        "not_found_50": Starlette(routes=many_routes(50)),
    }


def request_scenarios(tmpdir: str) -> dict[str, tuple[Call, int]]:
    apps = {n: Starlette(routes=many_routes(n)) for n in (10, 100, 1000)}
    nested = Starlette(
        routes=[
            Mount("/a", routes=[Mount("/b", routes=[Mount("/c", routes=[Route("/d", hello)])])])
        ]
    )
    body_app = Starlette(
        routes=[
            Route("/form", form_endpoint, methods=["POST"]),
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
    form_headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    last = "/api/v1/resource{}/42"
    peers = {name: peer_call(app, name) for name, app in peer_apps().items()}
    return {
        "bare_asgi": (Call(bare_asgi, http_scope("/")), 200),
        **peers,
        "last_of_10": (Call(apps[10], http_scope(last.format(9))), 200),
        "last_of_100": (Call(apps[100], http_scope(last.format(99))), 200),
        "last_of_1000": (Call(apps[1000], http_scope(last.format(999))), 200),
        "not_found_1000": (Call(apps[1000], http_scope("/nowhere/at/all")), 404),
        "nested_mounts": (Call(nested, http_scope("/a/b/c/d")), 200),
        "urlencoded_form": (
            Call(body_app, http_scope("/form", "POST", headers=form_headers), form_body),
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


async def build(tmpdir: str) -> tuple[dict[str, Operation], dict[str, Probe]]:
    """Every scenario as an operation to repeat, each checked once to answer as expected."""
    operations, probes = await build_calls(request_scenarios(tmpdir))

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
    return operations, probes


if __name__ == "__main__":
    main(build)
