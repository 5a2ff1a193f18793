"""OpenAPI schemas built from the routes' docstrings (YAML after a `---` line)."""

from __future__ import annotations

import copy
import functools
import inspect
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any, NamedTuple

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Host, Mount, Route

__all__ = ["BaseSchemaGenerator", "EndpointInfo", "OpenAPIResponse", "SchemaGenerator"]


def _yaml() -> ModuleType:
    # Imported on use: the router works without the `schemas` extra.
    try:
        import yaml
    except ImportError:
        raise ImportError(
            'SchemaGenerator needs PyYAML: pip install "starlette-routing[schemas]"'
        ) from None
    return yaml


class OpenAPIResponse(Response):
    """A schema dictionary rendered as OpenAPI YAML."""

    media_type = "application/vnd.oai.openapi"

    def render(self, content: Any) -> bytes:
        assert isinstance(content, dict), (
            "The schema passed to OpenAPIResponse should be a dictionary."
        )
        dumped: str = _yaml().dump(content, default_flow_style=False)
        return dumped.encode("utf-8")


class EndpointInfo(NamedTuple):
    path: str
    http_method: str
    func: Callable[..., Any]


_CONVERTER_REGEX = re.compile(r":\w+}")

# The verbs an HTTPEndpoint subclass may document.
_ENDPOINT_METHODS = ("get", "post", "put", "patch", "delete", "options", "query")

# "3.2", "3.2.0", "3.10.1-rc1": the major and minor version of an "openapi" field.
_OPENAPI_VERSION_REGEX = re.compile(r"([0-9]+)\.([0-9]+)")


def _documents_query(schema: dict[str, Any]) -> bool:
    """Whether `schema` declares OpenAPI 3.2 or later, the first version with QUERY operations."""
    match = _OPENAPI_VERSION_REGEX.match(str(schema.get("openapi", "")))
    return match is not None and (int(match[1]), int(match[2])) >= (3, 2)


# A line holding only `---`: the YAML of a docstring follows the last one.
_SEPARATOR_REGEX = re.compile(r"^[ \t]*---[ \t]*$", re.MULTILINE)


def _unwrap(func: Any) -> Any:
    while isinstance(func, functools.partial):
        func = func.func
    return func


class BaseSchemaGenerator:
    """Collects documented endpoints; subclasses turn them into a schema."""

    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        raise NotImplementedError()

    def get_endpoints(self, routes: list[BaseRoute]) -> list[EndpointInfo]:
        """Every (path, method, function) of `routes`, walking mounts and hosts."""
        endpoints: list[EndpointInfo] = []
        for route in routes:
            if isinstance(route, (Mount, Host)):
                prefix = self._remove_converter(route.path) if isinstance(route, Mount) else ""
                endpoints.extend(
                    EndpointInfo(prefix + sub.path, sub.http_method, sub.func)
                    for sub in self.get_endpoints(list(route.routes or []))
                )
            elif isinstance(route, Route) and route.include_in_schema:
                endpoints.extend(self._route_endpoints(route))
        return endpoints

    def _route_endpoints(self, route: Route) -> list[EndpointInfo]:
        path = self._remove_converter(route.path)
        endpoint = _unwrap(route.endpoint)
        if inspect.isfunction(endpoint) or inspect.ismethod(endpoint):
            methods = sorted(route.methods or ["GET"])
            return [
                EndpointInfo(path, method.lower(), endpoint)
                for method in methods
                if method != "HEAD"
            ]
        return [
            EndpointInfo(path, method, getattr(endpoint, method))
            for method in _ENDPOINT_METHODS
            if hasattr(endpoint, method)
        ]

    def _remove_converter(self, path: str) -> str:
        """Drop the convertor names: `/users/{id:int}` becomes `/users/{id}`."""
        return _CONVERTER_REGEX.sub("}", path)

    def parse_docstring(self, func_or_method: Callable[..., Any]) -> dict[str, Any]:
        """The YAML mapping of the docstring: after its last `---` line, or the whole of it."""
        docstring = inspect.getdoc(func_or_method)
        if not docstring:
            return {}
        parts = _SEPARATOR_REGEX.split(docstring)
        yaml = _yaml()
        try:
            parsed = yaml.safe_load(parts[-1])
        except yaml.YAMLError as exc:
            if len(parts) < 2:
                # No separator: the docstring may be plain prose, which is not an error.
                return {}
            name = getattr(func_or_method, "__qualname__", repr(func_or_method))
            raise ValueError(f"Invalid YAML in the docstring of {name}: {exc}") from exc
        return parsed if isinstance(parsed, dict) else {}

    def OpenAPIResponse(self, request: Request) -> Response:
        """An endpoint answering the schema of the application's routes."""
        app = request.scope.get("app") or request.scope["router"]
        return OpenAPIResponse(self.get_schema(routes=app.routes))


class SchemaGenerator(BaseSchemaGenerator):
    """Merges the documented endpoints into `base_schema` ("openapi", "info", ...)."""

    def __init__(self, base_schema: dict[str, Any]) -> None:
        self.base_schema = base_schema

    def get_schema(self, routes: list[BaseRoute]) -> dict[str, Any]:
        schema = copy.deepcopy(self.base_schema)
        paths: dict[str, Any] = schema.setdefault("paths", {})
        with_query = _documents_query(schema)
        for endpoint in self.get_endpoints(routes):
            if endpoint.http_method == "query" and not with_query:
                continue  # an operation older OpenAPI versions cannot express
            parsed = self.parse_docstring(endpoint.func)
            if parsed:
                paths.setdefault(endpoint.path, {})[endpoint.http_method] = parsed
        return schema
