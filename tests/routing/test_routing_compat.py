"""Route subclasses shaped like FastAPI's `APIRoute`: they set the route's attributes themselves
and never call `Route.__init__`. The router must still serve them, 405 included."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, Router, compile_path, request_response


async def endpoint(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"{request.method} {request.path_params['id']}")


class BareRoute(Route):
    def __init__(self, path: str, methods: list[str]) -> None:
        self.path = path
        self.endpoint = endpoint
        self.name = "bare"
        self.include_in_schema = True
        self.methods = set(methods)
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.app = request_response(endpoint)


def test_route_subclass_without_route_init_answers_405_with_allow(test_client_factory) -> None:
    client = test_client_factory(Router([BareRoute("/items/{id:int}", ["PUT", "POST"])]))
    response = client.put("/items/3")
    assert response.status_code == 200
    assert response.text == "PUT 3"
    response = client.get("/items/3")
    assert response.status_code == 405
    assert response.text == "Method Not Allowed"
    assert response.headers["allow"] == "POST, PUT"
    assert client.get("/items/x").status_code == 404
