"""Routing behaviours of Starlette 1.x, each observed on upstream as a black box."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Host, Route, Router
from starlette.schemas import SchemaGenerator

TestClientFactory = Callable[..., Any]


async def params(request: Request) -> Response:
    return JSONResponse({key: str(value) for key, value in request.path_params.items()})


@pytest.mark.parametrize(
    "raw",
    [
        "0123456789abcdef0123456789ABCDEF",  # 32 hex digits, no hyphen
        "01234567-89ab-cdef-0123-456789abcdef",
        "0123456789ab-cdef-0123-456789abcdef",  # upstream reads partly hyphenated forms too
    ],
)
def test_uuid_convertor_accepts_hex_without_hyphens(
    test_client_factory: TestClientFactory, raw: str
) -> None:
    router = Router([Route("/items/{key:uuid}", params, name="item")])
    response = test_client_factory(router).get(f"/items/{raw}")
    assert response.status_code == 200
    assert response.json() == {"key": str(uuid.UUID(raw))}
    # URLs are built hyphenated, whatever form was matched.
    key = uuid.UUID(raw)
    assert router.url_path_for("item", key=key) == f"/items/{key}"


@pytest.mark.parametrize(
    "raw", ["0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdefa", "g" * 32]
)
def test_uuid_convertor_refuses_other_lengths_and_digits(
    test_client_factory: TestClientFactory, raw: str
) -> None:
    router = Router([Route("/items/{key:uuid}", params)])
    assert test_client_factory(router).get(f"/items/{raw}").status_code == 404


@pytest.mark.parametrize(
    ("routes", "root_path", "path", "location"),
    [
        # The route path of "/sub/" below root_path "/sub/" is "": it gains a slash.
        (["/"], "/sub/", "/sub/", "http://testserver/sub//"),
        (["/x/"], "/sub/", "/sub//x", "http://testserver/sub//x/"),
        (["/x"], "/sub/", "/sub//x/", "http://testserver/sub//x"),
        (["/"], "/sub", "/sub", "http://testserver/sub/"),
        (["/a"], "/sub", "/sub/a//", "http://testserver/sub/a"),
    ],
)
def test_redirect_slashes_decides_on_the_path_below_root_path(
    test_client_factory: TestClientFactory,
    routes: list[str],
    root_path: str,
    path: str,
    location: str,
) -> None:
    router = Router([Route(route_path, params) for route_path in routes])
    client = test_client_factory(router, root_path=root_path)
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, location)
    assert client.get(location, follow_redirects=False).status_code == 200


def test_no_slash_redirect_when_the_other_form_matches_nothing(
    test_client_factory: TestClientFactory,
) -> None:
    client = test_client_factory(Router([Route("/", params)]), root_path="/sub/")
    assert client.get("/sub", follow_redirects=False).status_code == 404


def test_host_parameters_are_lower_cased(test_client_factory: TestClientFactory) -> None:
    router = Router([Host("{sub}.example.org", app=Router([Route("/", params)]))])
    client = test_client_factory(router, base_url="http://API.Example.ORG:8000")
    assert client.get("/").json() == {"sub": "api"}


@pytest.mark.parametrize(
    "host",
    [b"api.example.org:65536", b"api.example.org:abc", b"api.example.org@evil.com", b"[::1"],
)
def test_a_malformed_host_header_matches_no_host(
    test_client_factory: TestClientFactory, host: bytes
) -> None:
    router = Router(
        [
            Host("{sub}.example.org", app=PlainTextResponse("host")),
            Route("/", PlainTextResponse("fallback")),
        ]
    )
    response = test_client_factory(router).get("/", headers={"host": host.decode()})
    assert response.text == "fallback"


class Search(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        """
        responses:
          200:
            description: Read.
        """
        return PlainTextResponse("get")  # pragma: no cover

    async def query(self, request: Request) -> Response:
        """
        responses:
          200:
            description: Searched.
        """
        return PlainTextResponse("query")  # pragma: no cover


async def search(request: Request) -> Response:
    """
    responses:
      200:
        description: Function.
    """
    return PlainTextResponse("search")  # pragma: no cover


ROUTES: list[BaseRoute] = [
    Route("/endpoint", Search),
    Route("/function", search, methods=["GET", "QUERY"]),
    Route("/only-query", search, methods=["QUERY"]),
]


def test_an_endpoint_query_method_is_listed() -> None:
    generator = SchemaGenerator({"openapi": "3.2.0"})
    endpoints = [(e.path, e.http_method) for e in generator.get_endpoints(ROUTES)]
    assert ("/endpoint", "query") in endpoints
    assert ("/endpoint", "get") in endpoints


@pytest.mark.parametrize("version", ["3.2.0", "3.2", "3.10.1", "3.2.0-rc1", "4.0.0", 3.2])
def test_query_operations_appear_from_openapi_3_2(version: Any) -> None:
    schema = SchemaGenerator({"openapi": version}).get_schema(ROUTES)
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/endpoint": ["get", "query"],
        "/function": ["get", "query"],
        "/only-query": ["query"],
    }
    assert schema["paths"]["/endpoint"]["query"] == {
        "responses": {200: {"description": "Searched."}}
    }


@pytest.mark.parametrize("base", [{"openapi": "3.1.0"}, {"openapi": "3"}, {"openapi": "x"}, {}])
def test_query_operations_are_left_out_before_openapi_3_2(base: dict[str, Any]) -> None:
    schema = SchemaGenerator(base).get_schema(ROUTES)
    assert {path: sorted(ops) for path, ops in schema["paths"].items()} == {
        "/endpoint": ["get"],
        "/function": ["get"],
    }
