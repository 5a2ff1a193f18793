"""The peer scenarios of `scenarios.py` (`PEER_SCENARIOS`), ported to BlackSheep.

BlackSheep routes `/api/v1/users/{user_id}` as one route template, as its applications do. JSON
is written with compact separators, as Starlette's `JSONResponse` does, so every side sends the
same bytes; the 404 answers Starlette's plain `Not Found`. Each application is started (its
lifespan) before it is measured. Run by `run.py` in `benchmarks/.venv-blacksheep`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from blacksheep import Application, Content, Request, Response, Router
from blacksheep.server.compression import GzipMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Operation, Probe, build_calls, main
from peer_requests import peer_call

TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"


def text(value: str, status: int = 200) -> Response:
    return Response(status, None, Content(TEXT, value.encode()))


def as_json(value: Any) -> Response:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(200, None, Content(JSON, body))


async def not_found(app: Any, request: Request, exc: Any) -> Response:
    return text("Not Found", 404)


def make_app() -> Application:
    # A router of its own: by default every Application shares one.
    app = Application(router=Router())
    app.exceptions_handlers[404] = not_found
    return app


async def hello(request: Request) -> Response:
    return text("Hello, world!")


async def user_detail(request: Request, user_id: int) -> Response:
    q = request.query.get("q")
    return as_json({"id": user_id, "q": q[0] if q else None})


async def user_only(request: Request, user_id: int) -> Response:
    return as_json({"id": user_id})


async def item(request: Request, item_id: int) -> Response:
    return as_json({"item": item_id})


async def form_echo(request: Request) -> Response:
    return as_json(await request.form())


async def json_echo(request: Request) -> Response:
    return as_json(await request.json())


def trusted_host(allowed: set[bytes]) -> Any:
    """Starlette's TrustedHostMiddleware: a request for another host is answered 400."""

    async def middleware(request: Request, handler: Any) -> Response:
        if request.host.encode() not in allowed:
            return text("Invalid host header", 400)
        return await handler(request)

    return middleware


def many_routes(app: Application, n: int) -> Application:
    for i in range(n):
        app.router.add_get(f"/api/v1/resource{i}/{{int:item_id}}", item)
    return app


def nested_with_parameter() -> Application:
    app = make_app()
    for path in ("/", "/api/health", "/api/v1/status", "/api/v1/users/"):
        app.router.add_get(path, hello)
    app.router.add_get("/api/v1/users/{int:user_id}", user_only)
    return app


def peer_apps() -> dict[str, Application]:
    hello_app = make_app()
    hello_app.router.add_get("/", hello)
    detail = make_app()
    detail.router.add_get("/users/{int:user_id}", user_detail)
    stack = make_app()
    stack.middlewares.append(trusted_host({b"example.com"}))
    stack.use_cors(allow_origins="https://example.org", allow_methods="GET")
    stack.middlewares.append(GzipMiddleware(min_size=500))
    stack.router.add_get("/", hello)
    body = make_app()
    body.router.add_post("/form3", form_echo)
    body.router.add_post("/json", json_echo)
    return {
        "hello": hello_app,
        "json_path_param": detail,
        "last_of_200": many_routes(make_app(), 200),
        "nested_mounts_param": nested_with_parameter(),
        "middleware_stack": stack,
        "form_3_fields": body,
        "json_body": body,
        "not_found_50": many_routes(make_app(), 50),
    }


async def build(tmpdir: str) -> tuple[dict[str, Operation], dict[str, Probe]]:
    apps = peer_apps()
    for app in {id(app): app for app in apps.values()}.values():
        await app.start()
    return await build_calls({name: peer_call(app, name) for name, app in apps.items()})


if __name__ == "__main__":
    main(build)
