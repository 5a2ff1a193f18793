"""The demo application: every distribution of the family, used the way its documents show.

Run it with `make run` (or `python examples/serve.py`); any ASGI server can serve `demo.app:app`
with `examples/` on the import path, e.g. `uvicorn --app-dir examples demo.app:app`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypedDict

import anyio

from demo import settings
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
    SimpleUser,
    requires,
)
from starlette.background import BackgroundTask
from starlette.datastructures import URL, UploadFile
from starlette.endpoints import WebSocketEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket, WebSocketDisconnect

# Demo accounts. A real application keeps salted password hashes, never plain text.
USERS = {"alice": "wonderland", "bob": "builder"}
ITEMS: dict[int, dict[str, Any]] = {
    n: {"id": n, "name": f"Item {n}", "price": round(n * 1.25, 2)} for n in range(1, 51)
}
UPLOAD_CHUNK = 1024 * 1024


@dataclass
class ChatRoom:
    """The WebSocket connections of the chat, in this process only."""

    members: set[WebSocket] = field(default_factory=set)
    closed: bool = False

    async def broadcast(self, message: Mapping[str, Any]) -> None:
        for member in list(self.members):
            try:
                await member.send_json(message)
            except (RuntimeError, OSError, WebSocketDisconnect):
                # A peer that went away mid-broadcast must not break the others' delivery.
                self.members.discard(member)

    def close(self) -> None:
        self.members.clear()
        self.closed = True


@dataclass
class Stats:
    streams_open: int = 0
    streams_closed: int = 0
    uploads: int = 0


class State(TypedDict):
    room: ChatRoom
    stats: Stats


def log(message: str) -> None:
    print(f"demo[{os.getpid()}]: {message}", file=sys.stderr, flush=True)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[State]:
    """Open the chat room and the counters at startup; close them once the server stops."""
    room, stats = ChatRoom(), Stats()
    log("lifespan startup: resources opened")
    try:
        yield {"room": room, "stats": stats}
    finally:
        room.close()
        log(f"lifespan shutdown: resources closed after {stats.uploads} uploads")


class SessionBackend(AuthenticationBackend):
    """The user is whoever the signed session cookie names."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        username = conn.session.get("user")
        if username not in USERS:
            return None
        return AuthCredentials(["authenticated"]), SimpleUser(username)


def site_context(request: Request) -> dict[str, Any]:
    # `scope.get`: an error page may render for a request that never reached authentication.
    return {"site_name": settings.SITE_NAME, "user": request.scope.get("user")}


templates = Jinja2Templates(
    directory=settings.HERE / "templates", context_processors=[site_context]
)


def query_number(
    request: Request, name: str, cast: type[float], default: float, low: float, high: float
) -> Any:
    """The query parameter `name` as a `cast` within [low, high]; 400 for anything else."""
    try:
        value = cast(request.query_params.get(name, default))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:  # the comparison also refuses NaN
        kind = "an integer" if cast is int else "a number"
        raise HTTPException(400, f"{name} must be {kind} from {low} to {high}")
    return value


async def homepage(request: Request) -> Response:
    return templates.TemplateResponse(request, "index.html")


async def list_items(request: Request) -> Response:
    limit = query_number(request, "limit", int, 10, 1, 100)
    offset = query_number(request, "offset", int, 0, 0, len(ITEMS))
    page = list(ITEMS.values())[offset : offset + limit]
    return JSONResponse({"items": page, "total": len(ITEMS), "limit": limit, "offset": offset})


async def get_item(request: Request) -> Response:
    item_id: int = request.path_params["item_id"]
    if item_id not in ITEMS:
        raise HTTPException(404, f"No item {item_id}")
    quantity = query_number(request, "quantity", int, 1, 1, 1000)
    item = ITEMS[item_id]
    return JSONResponse({**item, "quantity": quantity, "total": round(item["price"] * quantity, 2)})


async def echo(request: Request) -> Response:
    try:
        payload = await request.json()
    except ValueError:
        raise HTTPException(400, "The body must be JSON") from None
    return JSONResponse({"received": payload})


async def upload(request: Request) -> Response:
    if request.method == "GET":
        return templates.TemplateResponse(request, "upload.html")
    # The limits bound what an anonymous client can make the server parse and store.
    async with request.form(max_files=2, max_fields=4, max_part_size=64 * 1024) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(400, "Choose a file to upload")
        digest, size = hashlib.sha256(), 0
        while chunk := await file.read(UPLOAD_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        request.state.stats.uploads += 1
        return JSONResponse(
            {
                "filename": file.filename,
                "content_type": file.content_type,
                "size": size,
                "sha256": digest.hexdigest(),
                "note": form.get("note", ""),
            }
        )


def safe_next(request: Request) -> str:
    """The page to go back to after login: only ever one of this site's own."""
    target = URL(request.query_params.get("next", ""))
    if target.path.startswith("/") and target.netloc in ("", request.url.netloc):
        return target.path + (f"?{target.query}" if target.query else "")
    return str(request.url_for("private").path)


async def login(request: Request) -> Response:
    if request.method == "GET":
        return templates.TemplateResponse(request, "login.html", {"error": None})
    async with request.form(max_files=0, max_fields=3, max_part_size=1024) as form:
        username, password = str(form.get("username", "")), str(form.get("password", ""))
    expected = USERS.get(username, "")
    # Constant-time comparison, and always one, so timing does not reveal which usernames exist.
    if hmac.compare_digest(password.encode(), expected.encode()) and expected:
        request.session.clear()
        request.session["user"] = username
        return RedirectResponse(safe_next(request), status_code=303)
    context = {"error": "Unknown username or wrong password."}
    return templates.TemplateResponse(request, "login.html", context, status_code=401)


async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse(request.url_for("homepage"), status_code=303)


@requires("authenticated", redirect="login")
async def private(request: Request) -> Response:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return templates.TemplateResponse(request, "private.html")


@requires("authenticated")
async def me(request: Request) -> Response:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return JSONResponse(
        {"user": request.user.display_name, "visits": request.session["visits"], "pid": os.getpid()}
    )


async def stats(request: Request) -> Response:
    current: Stats = request.state.stats
    return JSONResponse({"pid": os.getpid(), **current.__dict__})


async def chat_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "chat.html")


class Chat(WebSocketEndpoint):
    """Every message a member sends goes to every member, the sender included."""

    encoding = "json"

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()
        user = websocket.user
        self.name = user.display_name if user.is_authenticated else "guest"
        self.room: ChatRoom = websocket.state.room
        self.room.members.add(websocket)
        await websocket.send_json({"type": "welcome", "user": self.name})

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        text = str(data.get("text", "") if isinstance(data, dict) else data)[:500]
        await self.room.broadcast({"type": "message", "user": self.name, "text": text})

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        self.room.members.discard(websocket)


async def echo_socket(websocket: WebSocket) -> None:
    """The smallest WebSocket endpoint: every text message goes back to its sender."""
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)


async def events(request: Request) -> Response:
    """Server-sent events: `count` ticks (0: until the client leaves), `interval` seconds apart."""
    count = query_number(request, "count", int, 0, 0, 10_000)
    interval = query_number(request, "interval", float, 1.0, 0.01, 60.0)
    counters: Stats = request.state.stats

    async def ticks() -> AsyncIterator[str]:
        counters.streams_open += 1
        try:
            n = 0
            while count == 0 or n < count:
                if n:
                    await anyio.sleep(interval)
                n += 1
                data = json.dumps({"n": n, "time": time.time()})
                yield f"id: {n}\nevent: tick\ndata: {data}\n\n"
        finally:
            counters.streams_open -= 1
            counters.streams_closed += 1

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(ticks(), media_type="text/event-stream", headers=headers)


async def boom(request: Request) -> Response:
    raise RuntimeError("the demo's deliberate error")


async def fail_later() -> None:
    raise RuntimeError("the demo's deliberate background error")


async def boom_later(request: Request) -> Response:
    """The response goes out in full; then its background task fails (the server logs it)."""
    return PlainTextResponse("accepted", 202, background=BackgroundTask(fail_later))


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, exc: Exception, template: str) -> Response:
    assert isinstance(exc, HTTPException)
    if wants_json(request):
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
    context = {"status_code": exc.status_code, "detail": exc.detail}
    return templates.TemplateResponse(
        request, template, context, status_code=exc.status_code, headers=exc.headers
    )


async def not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, exc, "404.html")


async def http_error(request: Request, exc: Exception) -> Response:
    return error_page(request, exc, "error.html")


async def server_error(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": "Internal Server Error"}, 500)
    return templates.TemplateResponse(request, "500.html", status_code=500)


routes = [
    Route("/", homepage, name="homepage"),
    Route("/api/items", list_items, name="items"),
    Route("/api/items/{item_id:int}", get_item, name="item"),
    Route("/api/echo", echo, methods=["POST"], name="echo"),
    Route("/api/me", me, name="me"),
    Route("/api/stats", stats, name="stats"),
    Route(
        "/upload",
        upload,
        methods=["GET", "POST"],
        name="upload",
        max_body_size=settings.MAX_UPLOAD_SIZE,
    ),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/private", private, name="private"),
    Route("/chat", chat_page, name="chat"),
    WebSocketRoute("/ws/chat", Chat, name="chat_ws"),
    WebSocketRoute("/ws/echo", echo_socket, name="echo_ws"),
    Route("/events", events, name="events"),
    Route("/boom", boom, name="boom"),
    Route("/boom/later", boom_later, name="boom_later"),
    Mount("/static", StaticFiles(directory=settings.HERE / "static"), name="static"),
]

middleware = [
    Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.ALLOWED_HOSTS)),
    Middleware(
        CORSMiddleware,
        allow_origins=[settings.CORS_ORIGIN],
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
    ),
    Middleware(GZipMiddleware, minimum_size=500),
    Middleware(SessionMiddleware, secret_key=settings.SECRET_KEY, same_site="lax"),
    Middleware(AuthenticationMiddleware, backend=SessionBackend()),
]

app = Starlette(
    debug=settings.DEBUG,
    routes=routes,
    middleware=middleware,
    exception_handlers={404: not_found, HTTPException: http_error, 500: server_error},
    lifespan=lifespan,
)
