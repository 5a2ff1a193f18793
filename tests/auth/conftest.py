"""A tiny dispatcher standing in for the router (routing is outside starlette-auth's closure)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from starlette._utils import is_async_callable
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URLPath
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket


class BasicAuthBackend(AuthenticationBackend):
    """`Authorization: Basic user:scope1,scope2` (base64); `user` "bad" is an invalid login."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        if "authorization" not in conn.headers:
            return None
        scheme, _, encoded = conn.headers["authorization"].partition(" ")
        if scheme.lower() != "basic":
            return None
        username, _, scopes = base64.b64decode(encoded).decode().partition(":")
        if username == "bad":
            raise AuthenticationError("Invalid basic auth credentials")
        return AuthCredentials(["authenticated", *filter(None, scopes.split(","))]), SimpleUser(
            username
        )


class FakeRouter:
    """Only what `request.url_for` needs."""

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name == "login":
            return URLPath("/login")
        raise LookupError(name)


class Dispatcher:
    """Calls `routes[path]` like a router would: HTTPException becomes a plain-text response."""

    def __init__(self, routes: dict[str, Callable[..., Any]]) -> None:
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["router"] = FakeRouter()
        endpoint = self.routes[scope["path"]]
        if scope["type"] == "websocket":
            await endpoint(WebSocket(scope, receive, send))
            return
        request = Request(scope, receive, send)
        response: Response
        try:
            if is_async_callable(endpoint):
                response = await endpoint(request)
            else:
                response = await run_in_threadpool(endpoint, request)
        except HTTPException as exc:
            response = PlainTextResponse(exc.detail, status_code=exc.status_code)
        await response(scope, receive, send)


def basic(username: str, scopes: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{username}:{scopes}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def auth_headers() -> Callable[..., dict[str, str]]:
    return basic


@pytest.fixture
def backend() -> AuthenticationBackend:
    return BasicAuthBackend()


@pytest.fixture
def dispatcher() -> Callable[[dict[str, Callable[..., Any]]], ASGIApp]:
    return Dispatcher
