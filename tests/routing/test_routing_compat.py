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


class LoggingRouter(Router):
    """A router overriding `app`, as some applications do to wrap dispatching."""

    seen: list[str]

    async def app(self, scope, receive, send) -> None:
        self.seen.append(scope["path"])
        await super().app(scope, receive, send)


def test_router_subclass_overriding_app_is_called(test_client_factory) -> None:
    router = LoggingRouter([Route("/items/{id:int}", endpoint)])
    router.seen = []
    assert test_client_factory(router).get("/items/7").text == "GET 7"
    assert router.seen == ["/items/7"]


def test_middleware_stack_replaced_after_a_request_is_called(test_client_factory) -> None:
    router = Router([Route("/items/{id:int}", endpoint)])
    client = test_client_factory(router)
    assert client.get("/items/1").text == "GET 1"

    async def stack(scope, receive, send) -> None:
        await PlainTextResponse("stack")(scope, receive, send)

    router.middleware_stack = stack
    assert client.get("/items/1").text == "stack"
    router.middleware_stack = router.app
    assert client.get("/items/1").text == "GET 1"


def test_router_built_without_init_goes_through_its_middleware_stack(test_client_factory) -> None:
    # Frameworks that build objects without __init__ set the attributes in the instance dict.
    router = Router.__new__(Router)
    plain = Router([Route("/items/{id:int}", endpoint)])
    router.__dict__.update(plain.__dict__)
    del router.__dict__["_serves_plain"]
    assert test_client_factory(router).get("/items/2").text == "GET 2"
