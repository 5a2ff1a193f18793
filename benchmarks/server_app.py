"""What `make bench-server` serves: the demo's JSON endpoint and a hello, on Starlette's public API.

Rather than the whole demo (examples/demo, with its templates, uploads, sessions and WebSockets to
install and configure on both sides), this file carries its JSON endpoint
(`/api/items/{item_id:int}?quantity=`) and its middleware stack (TrustedHost, CORS, GZip,
sessions), and runs unchanged on both sides.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ITEMS = {
    i: {"id": i, "name": f"Item {i}", "price": round(1.5 * i + 0.99, 2), "tags": ["demo"]}
    for i in range(1, 51)
}


async def hello(request: Request) -> Response:
    return PlainTextResponse("Hello, world!")


async def get_item(request: Request) -> Response:
    item_id: int = request.path_params["item_id"]
    if item_id not in ITEMS:
        raise HTTPException(404, f"No item {item_id}")
    try:
        quantity = int(request.query_params.get("quantity", "1"))
    except ValueError:
        raise HTTPException(400, "quantity must be an integer") from None
    if not 1 <= quantity <= 1000:
        raise HTTPException(400, "quantity must be between 1 and 1000")
    item = ITEMS[item_id]
    total = round(float(item["price"]) * quantity, 2)  # type: ignore[arg-type]
    return JSONResponse({**item, "quantity": quantity, "total": total})


app = Starlette(
    routes=[Route("/", hello), Route("/api/items/{item_id:int}", get_item)],
    middleware=[
        Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"]),
        Middleware(
            CORSMiddleware,
            allow_origins=["http://localhost:3000"],
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        ),
        Middleware(GZipMiddleware, minimum_size=500),
        Middleware(SessionMiddleware, secret_key="bench-only-secret", same_site="lax"),
    ],
)
