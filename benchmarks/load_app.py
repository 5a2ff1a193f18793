"""The load target of `make load` (benchmarks/load.py): a small app with a mix of routes.

Plain text, JSON with path and query parameters, a urlencoded form, a multipart upload, a
streaming response (short, and one that never ends for the disconnect faults), a WebSocket echo,
and an endpoint whose background task raises.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

CHUNK = b"x" * 1024


async def plain(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, world!")


async def item(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "item_id": request.path_params["item_id"],
            "q": request.query_params.get("q"),
            "tags": request.query_params.getlist("tag"),
        }
    )


async def form(request: Request) -> JSONResponse:
    async with request.form() as data:
        return JSONResponse({key: str(value) for key, value in data.items()})


async def upload(request: Request) -> JSONResponse:
    async with request.form() as data:
        sizes = {}
        for key, value in data.multi_items():
            if not isinstance(value, str):
                sizes[key] = len(await value.read())
        return JSONResponse(sizes)


async def stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


async def endless(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield CHUNK
            # Pace the stream so a client that stops reading is seen as gone, not as slow.
            await anyio.sleep(0.01)

    return StreamingResponse(chunks(), media_type="application/octet-stream")


def fail() -> None:
    raise RuntimeError("background task failure (expected in the fault run)")


async def background_fail(request: Request) -> PlainTextResponse:
    return PlainTextResponse("accepted", background=BackgroundTask(fail))


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(message)


app = Starlette(
    routes=[
        Route("/plain", plain),
        Route("/items/{item_id:int}", item),
        Route("/form", form, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/stream", stream),
        Route("/endless", endless),
        Route("/background-fail", background_fail),
        WebSocketRoute("/ws", echo),
    ]
)
