"""Authentication: backends, users, scopes, `@requires` and `AuthenticationMiddleware`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec
from urllib.parse import urlencode

from starlette._utils import is_async_callable
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

__all__ = [
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "AuthenticationMiddleware",
    "BaseUser",
    "SimpleUser",
    "UnauthenticatedUser",
    "has_required_scope",
    "requires",
]

_P = ParamSpec("_P")


def has_required_scope(conn: HTTPConnection, scopes: Sequence[str]) -> bool:
    """True when the connection's credentials grant every scope in `scopes`."""
    granted = conn.auth.scopes
    return all(scope in granted for scope in scopes)


def _connection_parameter(func: Callable[..., Any]) -> tuple[str, int]:
    # The endpoint's connection is found by name; its position serves positional calls.
    for index, parameter in enumerate(inspect.signature(func).parameters.values()):
        if parameter.name in ("request", "websocket"):
            return parameter.name, index
    raise Exception(f'No "request" or "websocket" argument on function "{func}"')


def _connection_argument(
    func: Callable[..., Any], name: str, index: int, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if name in kwargs:
        conn = kwargs[name]
    elif index < len(args):
        conn = args[index]
    else:
        raise TypeError(f'{func.__qualname__}() was called without its "{name}" argument.')
    expected, kind = (
        (WebSocket, "WebSocket") if name == "websocket" else (HTTPConnection, "Request")
    )
    if not isinstance(conn, expected):
        raise TypeError(f'The "{name}" argument of {func.__qualname__}() is not a {kind}.')
    return conn


def requires(
    scopes: str | Sequence[str],
    status_code: int = 403,
    redirect: str | None = None,
) -> Callable[[Callable[_P, Any]], Callable[_P, Any]]:
    """Guard an endpoint: every scope in `scopes` must be granted to the connection.

    An HTTP request without them gets `HTTPException(status_code)`, or a 303 redirect to the route
    named `redirect` carrying `?next=<original url>`. A WebSocket without them is closed (code 1000,
    as upstream Starlette does) and the endpoint is not called.
    """
    scopes_list = [scopes] if isinstance(scopes, str) else list(scopes)

    def decorator(func: Callable[_P, Any]) -> Callable[_P, Any]:
        name, index = _connection_parameter(func)

        def denied(request: HTTPConnection) -> Response:
            if redirect is None:
                raise HTTPException(status_code=status_code)
            next_query = urlencode({"next": str(request.url)})
            return RedirectResponse(
                url=f"{request.url_for(redirect)}?{next_query}", status_code=303
            )

        if name == "websocket":

            @functools.wraps(func)
            async def websocket_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> None:
                websocket = _connection_argument(func, name, index, args, kwargs)
                if not has_required_scope(websocket, scopes_list):
                    await websocket.close()
                    return
                await func(*args, **kwargs)

            return websocket_wrapper

        if is_async_callable(func):

            @functools.wraps(func)
            async def async_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                request = _connection_argument(func, name, index, args, kwargs)
                if not has_required_scope(request, scopes_list):
                    return denied(request)
                return await func(*args, **kwargs)

            return async_wrapper

        @functools.wraps(func)
        def sync_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
            request = _connection_argument(func, name, index, args, kwargs)
            if not has_required_scope(request, scopes_list):
                return denied(request)
            return func(*args, **kwargs)

        return sync_wrapper

    return decorator


class AuthenticationError(Exception):
    """Raised by a backend when credentials are present but invalid."""


class AuthenticationBackend:
    """Base class of backends: `authenticate` gives `(credentials, user)`, or None if anonymous."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        raise NotImplementedError()


class AuthCredentials:
    """The scopes (permissions) granted to the connection."""

    def __init__(self, scopes: Sequence[str] | None = None):
        self.scopes = [] if scopes is None else list(scopes)


class BaseUser:
    """What `request.user` is: subclass it and implement the three properties."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()

    @property
    def display_name(self) -> str:
        raise NotImplementedError()

    @property
    def identity(self) -> str:
        raise NotImplementedError()


class SimpleUser(BaseUser):
    """An authenticated user known only by a username."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username

    @property
    def identity(self) -> str:
        return self.username


class UnauthenticatedUser(BaseUser):
    """The anonymous user: `request.user` when the backend authenticated nobody."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""


class AuthenticationMiddleware:
    """Sets `scope["auth"]` and `scope["user"]` from `backend.authenticate(conn)`.

    On `AuthenticationError` an HTTP request gets the response of `on_error(conn, exc)` (by
    default 400 with the error text); a WebSocket is closed with code 1000, as upstream Starlette
    does (`on_error` is still called, its response is not sent).
    """

    def __init__(
        self,
        app: ASGIApp,
        backend: AuthenticationBackend,
        on_error: Callable[[HTTPConnection, AuthenticationError], Response] | None = None,
    ) -> None:
        self.app = app
        self.backend = backend
        self.on_error: Callable[[HTTPConnection, AuthenticationError], Response] = (
            on_error if on_error is not None else self.default_on_error
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        conn = HTTPConnection(scope)
        try:
            auth_result = await self.backend.authenticate(conn)
        except AuthenticationError as exc:
            response = self.on_error(conn, exc)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1000, "reason": ""})
            else:
                await response(scope, receive, send)
            return

        if auth_result is None:
            auth_result = AuthCredentials(), UnauthenticatedUser()
        scope["auth"], scope["user"] = auth_result
        await self.app(scope, receive, send)

    @staticmethod
    def default_on_error(conn: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)
