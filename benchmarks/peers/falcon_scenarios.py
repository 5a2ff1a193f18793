"""The peer scenarios of `scenarios.py` (`PEER_SCENARIOS`), ported to Falcon's ASGI app.

Falcon has no mounts: `/api/v1/users/{user_id}` is one route template, which is how a Falcon
application spells it. JSON is written with compact separators, as Starlette's `JSONResponse`
does, so every side sends the same bytes; the 404 answers Starlette's plain `Not Found`.
Run by `run.py` in `benchmarks/.venv-falcon` (never the workspace).
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import falcon
import falcon.asgi
import falcon.media

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Operation, Probe, build_calls, main
from peer_requests import peer_call

dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def make_app(middleware: list[Any] | None = None, cors: Any = None) -> falcon.asgi.App:
    app = falcon.asgi.App(middleware=[*(middleware or []), *([cors] if cors else [])])
    handlers = {falcon.MEDIA_JSON: falcon.media.JSONHandler(dumps=dumps, loads=json.loads)}
    app.resp_options.media_handlers.update(handlers)
    app.req_options.media_handlers.update(handlers)

    async def not_found(req: Any, resp: Any, ex: Any, params: Any) -> None:
        resp.status = 404
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Not Found"

    app.add_error_handler(falcon.HTTPNotFound, not_found)
    return app


class Hello:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, world!"


class UserDetail:
    async def on_get(self, req: Any, resp: Any, user_id: int) -> None:
        resp.media = {"id": user_id, "q": req.get_param("q")}


class UserOnly:
    async def on_get(self, req: Any, resp: Any, user_id: int) -> None:
        resp.media = {"id": user_id}


class Item:
    async def on_get(self, req: Any, resp: Any, item_id: int) -> None:
        resp.media = {"item": item_id}


class FormEcho:
    async def on_post(self, req: Any, resp: Any) -> None:
        resp.media = await req.get_media()


class JsonEcho:
    async def on_post(self, req: Any, resp: Any) -> None:
        resp.media = await req.get_media()


class TrustedHost:
    """Starlette's TrustedHostMiddleware: a request for another host is answered 400."""

    def __init__(self, allowed: set[str]) -> None:
        self.allowed = allowed

    async def process_request(self, req: Any, resp: Any) -> None:
        if req.host not in self.allowed:
            raise falcon.HTTPBadRequest(title="Invalid host header")


class GZipBelowMinimum:
    """Starlette's GZipMiddleware(minimum_size=500): compresses only bodies of 500 bytes or more."""

    async def process_response(self, req: Any, resp: Any, resource: Any, ok: bool) -> None:
        if "gzip" not in (req.get_header("Accept-Encoding") or ""):
            return
        resp.vary = ("Accept-Encoding",)
        text = resp.text
        if text is not None and len(text) >= 500:  # pragma: no cover - never in the scenario
            raise NotImplementedError("the scenario's bodies are all below the minimum")


def many_routes(app: falcon.asgi.App, n: int) -> falcon.asgi.App:
    for i in range(n):
        app.add_route(f"/api/v1/resource{i}/{{item_id:int}}", Item())
    return app


def nested_with_parameter() -> falcon.asgi.App:
    app = make_app()
    for path in ("/", "/api/health", "/api/v1/status", "/api/v1/users/"):
        app.add_route(path, Hello())
    app.add_route("/api/v1/users/{user_id:int}", UserOnly())
    return app


def peer_apps() -> dict[str, Any]:
    hello = make_app()
    hello.add_route("/", Hello())
    detail = make_app()
    detail.add_route("/users/{user_id:int}", UserDetail())
    stack = make_app(
        middleware=[TrustedHost({"example.com"}), GZipBelowMinimum()],
        cors=falcon.CORSMiddleware(allow_origins="https://example.org"),
    )
    stack.add_route("/", Hello())
    body = make_app()
    body.add_route("/form3", FormEcho())
    body.add_route("/json", JsonEcho())
    return {
        "hello": hello,
        "json_path_param": detail,
        "last_of_200": many_routes(make_app(), 200),
        "nested_mounts_param": nested_with_parameter(),
        "middleware_stack": stack,
        "form_3_fields": body,
        "json_body": body,
        "not_found_50": many_routes(make_app(), 50),
    }


async def build(tmpdir: str) -> tuple[dict[str, Operation], dict[str, Probe]]:
    return await build_calls({name: peer_call(app, name) for name, app in peer_apps().items()})


if __name__ == "__main__":
    main(build)
