from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

import starlette.authentication
from starlette.authentication import AuthCredentials, AuthenticationBackend, SimpleUser
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send


class HeaderBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser] | None:
        username = conn.headers.get("x-user")
        if username is None:
            return None
        return AuthCredentials(["authenticated"]), SimpleUser(username)


async def whoami(scope: Scope, receive: Receive, send: Send) -> None:
    connection = HTTPConnection(scope)
    content = {"user": connection.user.display_name, "scopes": connection.auth.scopes}
    await JSONResponse(content)(scope, receive, send)


def test_reexport_is_the_auth_distribution_class() -> None:
    assert AuthenticationMiddleware is starlette.authentication.AuthenticationMiddleware


def test_reexport_works(test_client_factory: Any) -> None:
    client = test_client_factory(AuthenticationMiddleware(whoami, backend=HeaderBackend()))
    assert client.get("/", headers={"x-user": "ada"}).json() == {
        "user": "ada",
        "scopes": ["authenticated"],
    }
    assert client.get("/").json() == {"user": "", "scopes": []}


def test_missing_starlette_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "starlette.authentication", None)
    monkeypatch.delitem(sys.modules, "starlette.middleware.authentication")
    with pytest.raises(ImportError, match=r"starlette-auth") as info:
        importlib.import_module("starlette.middleware.authentication")
    assert 'pip install "starlette-middleware[auth]"' in str(info.value)
