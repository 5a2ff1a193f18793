"""`Starlette` subclasses shaped like FastAPI 0.117's: they set the application's attributes
themselves and never call `Starlette.__init__`. The middleware stack must still build."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"hello {request.app.title}")


class BareApp(Starlette):
    def __init__(self, **kwargs: Any) -> None:
        self.title = "bare"
        self.debug = False
        self.state = State()
        self.router = Router([Route("/", hello)])
        self.exception_handlers = {}
        self.user_middleware = []
        self.middleware_stack = None


def test_subclass_without_starlette_init_serves_requests(test_client_factory) -> None:
    client = test_client_factory(BareApp())
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "hello bare"
    assert client.post("/", content=b"x" * 10_000).status_code == 405
    assert client.get("/missing").status_code == 404
