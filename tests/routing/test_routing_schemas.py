from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Host, Mount, Route, Router, WebSocketRoute
from starlette.schemas import BaseSchemaGenerator, EndpointInfo, OpenAPIResponse, SchemaGenerator
from starlette.websockets import WebSocket

TestClientFactory = Callable[..., Any]

schemas = SchemaGenerator({"openapi": "3.0.0", "info": {"title": "Example API", "version": "1.0"}})


def list_users(request: Request) -> Response:
    """
    Lists users.
    ---
    responses:
      200:
        description: A list of users.
    """
    return PlainTextResponse("users")  # pragma: no cover


def create_user(request: Request) -> Response:
    """
    responses:
      200:
        description: Documented without a separator line.
    """
    return PlainTextResponse("created")  # pragma: no cover


def get_user(request: Request, flag: str) -> Response:
    """
    ---
    responses:
      200:
        description: A user.
    """
    return PlainTextResponse("user")  # pragma: no cover


def undocumented(request: Request) -> Response:
    return PlainTextResponse("x")  # pragma: no cover


def plain_text_doc(request: Request) -> Response:
    """Only a sentence.
    ---
    just a string
    """
    return PlainTextResponse("x")  # pragma: no cover


class Organisations(HTTPEndpoint):
    def get(self, request: Request) -> Response:
        """
        ---
        responses:
          200:
            description: A list of organisations.
        """
        return PlainTextResponse("orgs")  # pragma: no cover

    def post(self, request: Request) -> Response:
        """
        ---
        responses:
          200:
            description: An organisation.
        """
        return PlainTextResponse("org")  # pragma: no cover


async def ws(websocket: WebSocket) -> None:
    pass  # pragma: no cover


def openapi_schema(request: Request) -> Response:
    return schemas.OpenAPIResponse(request=request)


routes = [
    Route("/users", list_users, methods=["GET", "HEAD"]),
    Route("/users", create_user, methods=["POST"]),
    Route("/users/{id:int}", functools.partial(get_user, flag="x")),
    Route("/orgs", Organisations),
    Route("/hidden", list_users, include_in_schema=False),
    Route("/undocumented", undocumented),
    Route("/plain", plain_text_doc),
    Route("/schema", openapi_schema, include_in_schema=False),
    WebSocketRoute("/ws", ws),
    Mount("/sub/{tenant:str}", routes=[Route("/users", list_users)]),
    Host("api.example.org", app=Router([Route("/hosted", list_users)])),
    Mount("/static", app=PlainTextResponse("static")),
]


def test_get_endpoints() -> None:
    endpoints = schemas.get_endpoints(routes)
    assert endpoints == [
        EndpointInfo("/users", "get", list_users),
        EndpointInfo("/users", "post", create_user),
        EndpointInfo("/users/{id}", "get", get_user),
        EndpointInfo("/orgs", "get", Organisations.get),
        EndpointInfo("/orgs", "post", Organisations.post),
        EndpointInfo("/undocumented", "get", undocumented),
        EndpointInfo("/plain", "get", plain_text_doc),
        EndpointInfo("/sub/{tenant}/users", "get", list_users),
        EndpointInfo("/hosted", "get", list_users),
    ]


def test_get_schema() -> None:
    schema = schemas.get_schema(routes)
    assert schema == {
        "openapi": "3.0.0",
        "info": {"title": "Example API", "version": "1.0"},
        "paths": {
            "/users": {
                "get": {"responses": {200: {"description": "A list of users."}}},
                "post": {
                    "responses": {200: {"description": "Documented without a separator line."}}
                },
            },
            "/users/{id}": {"get": {"responses": {200: {"description": "A user."}}}},
            "/orgs": {
                "get": {"responses": {200: {"description": "A list of organisations."}}},
                "post": {"responses": {200: {"description": "An organisation."}}},
            },
            "/sub/{tenant}/users": {
                "get": {"responses": {200: {"description": "A list of users."}}}
            },
            "/hosted": {"get": {"responses": {200: {"description": "A list of users."}}}},
        },
    }


def test_get_schema_does_not_mutate_base_schema() -> None:
    base: dict[str, Any] = {"openapi": "3.0.0", "paths": {"/x": {"get": {"summary": "x"}}}}
    generator = SchemaGenerator(base)
    schema = generator.get_schema([Route("/x", list_users, methods=["POST"])])
    assert schema["paths"]["/x"]["post"] == {
        "responses": {200: {"description": "A list of users."}}
    }
    assert base == {"openapi": "3.0.0", "paths": {"/x": {"get": {"summary": "x"}}}}


def test_parse_docstring() -> None:
    assert schemas.parse_docstring(undocumented) == {}
    # Upstream's documented form: the whole docstring is the YAML.
    assert schemas.parse_docstring(create_user) == {
        "responses": {200: {"description": "Documented without a separator line."}}
    }
    assert schemas.parse_docstring(plain_text_doc) == {}

    def last_separator() -> None:
        """Text --- not a separator.
        ---
        ignored: true
        ---
        used: true
        """

    assert schemas.parse_docstring(last_separator) == {"used": True}


def test_parse_docstring_prose_without_separator_is_not_yaml() -> None:
    def prose() -> None:
        """Creates a user: see the guide, section: users."""

    assert schemas.parse_docstring(prose) == {}


def test_parse_docstring_invalid_yaml() -> None:
    def broken() -> None:
        """
        ---
        key: [unclosed
        """

    with pytest.raises(ValueError, match=r"Invalid YAML in the docstring of .*broken"):
        schemas.parse_docstring(broken)


def test_schema_endpoint(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(Router(routes))
    response = client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.oai.openapi"
    assert yaml.safe_load(response.text) == schemas.get_schema(routes)
    assert "info:\n  title: Example API\n" in response.text


@pytest.mark.anyio
async def test_schema_endpoint_uses_scope_app() -> None:
    class App:
        routes = [Route("/only", list_users)]

    request = Request({"type": "http", "app": App(), "router": Router(routes)})
    response = schemas.OpenAPIResponse(request)
    assert yaml.safe_load(bytes(response.body)) == {
        "openapi": "3.0.0",
        "info": {"title": "Example API", "version": "1.0"},
        "paths": {"/only": {"get": {"responses": {200: {"description": "A list of users."}}}}},
    }


def test_openapi_response_requires_dict() -> None:
    assert OpenAPIResponse({"a": 1}).body == b"a: 1\n"
    with pytest.raises(AssertionError, match="should be a dictionary"):
        OpenAPIResponse(["a"])


def test_base_schema_generator_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        BaseSchemaGenerator().get_schema([])


def test_missing_pyyaml_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r'pip install "starlette-routing\[schemas\]"'):
        OpenAPIResponse({"a": 1})
    with pytest.raises(ImportError, match="starlette-routing"):
        schemas.parse_docstring(list_users)
    # Without a docstring to parse, PyYAML is never needed.
    assert schemas.parse_docstring(undocumented) == {}
