"""Routing: match a request path (and method, and host) to an endpoint or a mounted app."""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import traceback
import types
import warnings
from collections.abc import (
    Awaitable,
    Callable,
    Collection,
    Generator,
    Iterable,
    Sequence,
)
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from enum import Enum
from re import Pattern
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from starlette._exception_handler import (
    NO_HANDLERS,
    ResponseTracker,
    call_handling_exceptions,
    handle_exception,
    track,
)
from starlette._routing_index import RouteIndex, RouteList, note_change
from starlette._utils import (
    get_route_path,
    is_async_callable,
    parse_host,
    quote_path,
    request_host,
    warn_deprecated,
)
from starlette.concurrency import run_in_threadpool
from starlette.convertors import CONVERTOR_TYPES, Convertor, PathConvertor
from starlette.datastructures import URL, URLPath
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketClose

if TYPE_CHECKING:
    from starlette.middleware import Middleware

__all__ = [
    "BaseRoute",
    "Host",
    "Match",
    "Mount",
    "NoMatchFound",
    "Route",
    "Router",
    "WebSocketRoute",
    "compile_path",
    "get_name",
    "iscoroutinefunction_or_partial",
    "replace_params",
    "request_response",
    "websocket_session",
]

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class NoMatchFound(Exception):
    """Raised by `url_path_for` when no route has that name and those parameters."""

    def __init__(self, name: str, path_params: dict[str, Any]) -> None:
        params = ", ".join(list(path_params.keys()))
        super().__init__(f'No route exists for name "{name}" and params "{params}".')


class Match(Enum):
    NONE = 0
    PARTIAL = 1
    FULL = 2


def iscoroutinefunction_or_partial(obj: Any) -> bool:
    """Deprecated: whether `obj` (or the function a partial wraps) is a coroutine function."""
    warn_deprecated(
        "iscoroutinefunction_or_partial is deprecated, and will be removed in a future release.",
        DeprecationWarning,
    )
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj)


def request_response(
    func: Callable[[Request], Awaitable[Response] | Response],
) -> ASGIApp:
    """Turn a `request -> response` function (sync or async) into an ASGI app."""

    f: Callable[[Request], Awaitable[Response]]
    if is_async_callable(func):
        f = cast("Callable[[Request], Awaitable[Response]]", func)
    else:
        # Made only for a sync endpoint: a function object per route is memory at scale.

        async def call_sync(request: Request) -> Response:
            return cast(Response, await run_in_threadpool(func, request))

        f = call_sync

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        # call_handling_exceptions, inlined: calling it needs one more coroutine per request,
        # measured at about 9 % of a minimal request. tests/routing/test_routing_exception_copy.py
        # pins this copy to it. The handlers are read before the endpoint runs, as there: an app
        # run below with an ExceptionMiddleware of its own publishes others in the same scope.
        handlers = scope.get("starlette.exception_handlers", NO_HANDLERS)
        if type(send) is not ResponseTracker:  # else `track` returns it: no call for that
            send = track(scope, send)
        try:
            response = await f(request)
            await response(scope, receive, send)
        except Exception as exc:
            await handle_exception(exc, handlers, request, scope, receive, send)

    return app


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """Turn an async `websocket -> None` function into an ASGI app."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        session = WebSocket(scope, receive=receive, send=send)

        async def run(scope: Scope, receive: Receive, send: Send) -> None:
            await func(session)

        await call_handling_exceptions(run, scope, receive, send, session)

    return app


def get_name(endpoint: Callable[..., Any]) -> str:
    """The default route name: the function's or class's name, else its type's name."""
    return getattr(endpoint, "__name__", endpoint.__class__.__name__)


# A `{name}` placeholder of a path format (the output of `compile_path`).
_PLACEHOLDER_REGEX = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")


def replace_params(
    path: str,
    param_convertors: dict[str, Convertor[Any]],
    path_params: dict[str, str],
) -> tuple[str, dict[str, str]]:
    """Fill the `{name}` placeholders of `path`; return the path and the unused parameters."""
    used: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in path_params or name not in param_convertors:
            return match.group(0)
        used.add(name)
        return param_convertors[name].to_string(path_params[name])

    # One pass over the format: a value that itself looks like `{other}` is never substituted.
    path = _PLACEHOLDER_REGEX.sub(substitute, path)
    remaining = {key: value for key, value in path_params.items() if key not in used}
    return path, remaining


# A `{name}` or `{name:convertor}` placeholder of a route path.
PARAM_REGEX = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-zA-Z_][a-zA-Z0-9_]*)?}")


def compile_path(path: str) -> tuple[Pattern[str], str, dict[str, Convertor[Any]]]:
    """Compile a route path (or, without a leading "/", a host) into its regex and format.

    Returns the regex, the format used to build URLs ("/users/{id}") and the convertor of each
    parameter. Host patterns ignore any port and match case-insensitively.
    """
    regex, path_format, param_convertors, _ = _compile_path(path)
    return regex, path_format, param_convertors


# The characters `re.escape` changes: most literal text has none, and escaping is slow.
_needs_escape = re.compile(r"[()\[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]").search


def _compile_path(
    path: str,
) -> tuple[Pattern[str], str, dict[str, Convertor[Any]], str | None]:
    """`compile_path`, plus the literal text before the first parameter (None if there is none)."""
    # [literal, name, ":convertor" or None, literal, name, ..., literal]
    parts = PARAM_REGEX.split(path)
    last = parts[-1]
    flags = 0
    if not path.startswith("/"):  # a host
        # The port is ignored, as Host.matches ignores the request's; a part that does not
        # parse as a host is kept as it is.
        host = parse_host(last)
        if host is not None:
            last = host[0]
        flags = re.IGNORECASE
    if _needs_escape(last) is not None:
        last = re.escape(last)
    if len(parts) == 1:
        return re.compile(f"^{last}$", flags), path, {}, None

    regex = "^"
    path_format = ""
    param_convertors: dict[str, Convertor[Any]] = {}
    duplicated_params: list[str] = []
    for i in range(1, len(parts), 3):
        literal, param_name, convertor_type = parts[i - 1], parts[i], parts[i + 1]
        convertor_type = "str" if convertor_type is None else convertor_type[1:]
        assert convertor_type in CONVERTOR_TYPES, f"Unknown path convertor '{convertor_type}'"
        convertor = CONVERTOR_TYPES[convertor_type]
        path_format += f"{literal}{{{param_name}}}"
        if _needs_escape(literal) is not None:
            literal = re.escape(literal)
        regex += f"{literal}(?P<{param_name}>{convertor.regex})"
        if param_name in param_convertors and param_name not in duplicated_params:
            duplicated_params.append(param_name)
        param_convertors[param_name] = convertor

    if duplicated_params:
        names = ", ".join(duplicated_params)
        ending = "s" if len(duplicated_params) > 1 else ""
        raise ValueError(f"Duplicated param name{ending} {names} at path {path}")

    compiled = re.compile(f"{regex}{last}$", flags)
    return compiled, path_format + parts[-1], param_convertors, parts[0]


def _convert_params(
    match: re.Match[str], param_convertors: dict[str, Convertor[Any]]
) -> dict[str, Any] | None:
    """Convert the matched raw values; None when a convertor refuses one (no match, not a 500)."""
    params = match.groupdict()
    try:
        for key, value in params.items():
            params[key] = param_convertors[key].convert(value)
    except ValueError:
        # e.g. an integer longer than Python's int/str conversion limit.
        return None
    return params


def _match_route(route: Route | WebSocketRoute, path: str) -> dict[str, Any] | None:
    """The converted parameters when the route path `path` matches `route`, else None.

    The one matching rule of `Route` and `WebSocketRoute`: their `matches` and the resolver's
    loop both call it.
    """
    key = route._index_key
    if key is not None and key[1] == "exact" and key[0] is route.path_regex:
        # A path without parameters: its regex `^path$` matches the path itself, or the path
        # and a final newline (`$`). Comparing strings costs a fraction of a regex match.
        if path == key[2] or (path[-1:] == "\n" and path[:-1] == key[2]):
            return {}
        return None
    match = route.path_regex.match(path)
    if match is None:
        return None
    return _convert_params(match, route.param_convertors)


def _path_only_remainder(mount: Mount, route_path: str) -> str | None:
    """The path below a mount without parameters of its own ("/api" of "/api/users" is
    "/users"), or None when `route_path` is not under it: what its regex answers."""
    key = mount._index_key
    if key is not None and key[0] is mount.path_regex and "\n" not in route_path:
        # The regex is the literal prefix (with its "/") then `.*`, which takes any text but
        # a newline: a string comparison answers the same, for a fraction of the cost.
        prefix = key[2]
        return route_path[len(prefix) - 1 :] if route_path.startswith(prefix) else None
    match = mount.path_regex.match(route_path)
    return None if match is None else "/" + match.group("path")


def _wrap_middleware(
    app: ASGIApp, middleware: Sequence[Middleware] | None, max_body_size: int | None
) -> ASGIApp:
    if middleware is not None:
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
    if max_body_size is not None:
        # Outermost, so the route's own middleware already sees the limited body.
        from starlette.middleware.body_limit import RequestBodyLimitMiddleware

        app = RequestBodyLimitMiddleware(app, max_body_size)
    return app


def _is_plain_callable(endpoint: Any) -> bool:
    """Functions and methods (also behind partials) are request handlers; anything else is ASGI."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    return isinstance(endpoint, _PLAIN_CALLABLES)


# What `inspect.isfunction` and `inspect.ismethod` test, in one call.
_PLAIN_CALLABLES = (types.FunctionType, types.MethodType)


def _filed_under(path: str, prefix: str | None) -> tuple[str, str]:
    """How the router's index files a routed path: exactly, or under the text before a parameter.

    `prefix` is that text, as `_compile_path` returns it (None: the path has no parameter).
    """
    if prefix is None:
        return ("exact", path)
    if not prefix.endswith("/"):
        # Cut at the last "/": lookups try the request path up to each of its slashes.
        prefix = prefix[: prefix.rfind("/") + 1]
    return ("prefix", prefix)


def _match_path(route: Route | WebSocketRoute, scope: Scope, scope_type: str) -> Scope | None:
    """The child scope when `scope` is of `scope_type` and its path matches `route`, else None."""
    if scope["type"] != scope_type:
        return None
    params = _match_route(route, get_route_path(scope))
    if params is None:
        return None
    outer = scope.get("path_params")
    if outer:
        params = {**outer, **params}
    return {"endpoint": route.endpoint, "path_params": params, "route": route}


def _route_url_path(
    route: Route | WebSocketRoute,
    name: str,
    path_params: dict[str, Any],
    protocol: Literal["http", "websocket"],
) -> URLPath:
    if name != route.name or set(path_params) != set(route.param_convertors):
        raise NoMatchFound(name, path_params)
    path, _ = replace_params(route.path_format, route.param_convertors, path_params)
    return URLPath(path=quote_path(path), protocol=protocol)


class BaseRoute:
    """The interface every route implements; a route also works as a standalone ASGI app."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        raise NotImplementedError()

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NotImplementedError()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve this route alone: unmatched requests get 404 (a close for websockets)."""
        match, child_scope = self.matches(scope)
        if match is Match.NONE:
            if scope["type"] == "http":
                response = PlainTextResponse("Not Found", status_code=404)
                await response(scope, receive, send)
            elif scope["type"] == "websocket":
                await WebSocketClose()(scope, receive, send)
            return
        scope.update(child_scope)
        await self.handle(scope, receive, send)


class _PathRoute(BaseRoute):
    """What Route, WebSocketRoute and Mount share: a compiled path, filed in the index by it."""

    path_regex: Pattern[str]
    path_format: str
    param_convertors: dict[str, Convertor[Any]]
    # (regex, kind, text): where the router's index files the route (see `_filed_under`); None
    # for a route built without `_compile` (frameworks that set `path_regex` themselves).
    _index_key: tuple[Pattern[str], str, str] | None = None

    def _compile(self, path: str) -> None:
        """Set the regex, format, convertors and index key of the route path `path`."""
        self.path_regex, self.path_format, self.param_convertors, prefix = _compile_path(path)
        self._index_key = (self.path_regex, *_filed_under(path, prefix))


# The methods of a function endpoint given none: a constant, so Route can tell it was not given.
_DEFAULT_METHODS = ("GET",)


class Route(_PathRoute):
    """An HTTP route: a path, an endpoint (function or ASGI class) and its methods."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        self.include_in_schema = include_in_schema

        if _is_plain_callable(endpoint):
            # Functions answer GET by default; ASGI apps (e.g. HTTPEndpoint) take every method.
            app = request_response(endpoint)
            if methods is None:
                methods = _DEFAULT_METHODS
        else:
            app = endpoint
        if middleware is not None or max_body_size is not None:
            app = _wrap_middleware(app, middleware, max_body_size)
        self.app = app

        if methods is None:
            self.methods: set[str] | None = None
            self._allow = ""
        elif methods is _DEFAULT_METHODS:
            self.methods = {"GET", "HEAD"}
            self._allow = "GET, HEAD"
        else:
            ordered: list[str] = []
            for method in methods:
                method = method.upper()
                if method not in ordered:
                    ordered.append(method)
                if method == "GET" and "HEAD" not in ordered:
                    ordered.append("HEAD")
            self.methods = set(ordered)
            self._allow = ", ".join(ordered)
        self._compile(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        child_scope = _match_path(self, scope, "http")
        if child_scope is None:
            return Match.NONE, {}
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return _route_url_path(self, name, path_params, "http")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            # Subclasses that skip Route.__init__ (FastAPI's APIRoute) have no precomputed value.
            headers = {"Allow": getattr(self, "_allow", None) or ", ".join(sorted(self.methods))}
            if "app" in scope:
                # Inside an application its exception handlers render the 405.
                raise HTTPException(status_code=405, headers=headers)
            response = PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, Route)
            and self.path == other.path
            and self.endpoint == other.endpoint
            and self.methods == other.methods
        )

    def __repr__(self) -> str:
        methods = sorted(self.methods or [])
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r}, methods={methods!r})"


class WebSocketRoute(_PathRoute):
    """A WebSocket route: a path and an endpoint (async function or ASGI class)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        middleware: Sequence[Middleware] | None = None,
    ) -> None:
        assert path.startswith("/"), "Routed paths must start with '/'"
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name

        app = websocket_session(endpoint) if _is_plain_callable(endpoint) else endpoint
        self.app = app if middleware is None else _wrap_middleware(app, middleware, None)
        self._compile(path)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        child_scope = _match_path(self, scope, "websocket")
        if child_scope is None:
            return Match.NONE, {}
        return Match.FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return _route_url_path(self, name, path_params, "websocket")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, WebSocketRoute)
            and self.path == other.path
            and self.endpoint == other.endpoint
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={self.path!r}, name={self.name!r})"


class Mount(_PathRoute):
    """Serve an ASGI app (or a list of routes) under a path prefix."""

    _path_only = False

    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        assert path == "" or path.startswith("/"), "Routed paths must start with '/'"
        assert app is not None or routes is not None, (
            "Either 'app=...', or 'routes=' must be specified"
        )
        self.path = path.rstrip("/")
        self._base_app: ASGIApp = app if app is not None else Router(routes=routes)
        self.app = _wrap_middleware(self._base_app, middleware, max_body_size)
        self.name = name
        self._compile(self.path + "/{path:path}")
        # Without parameters of its own, the only group is the remaining path, used as it is.
        path_convertor = self.param_convertors["path"]
        self._path_only = len(self.param_convertors) == 1 and type(path_convertor) is PathConvertor

    def __setattr__(self, name: str, value: Any) -> None:
        # Cached resolutions cross this mount only while it serves the same app.
        if name == "app" and "app" in self.__dict__:
            note_change()
        object.__setattr__(self, name, value)

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self._base_app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        route_path = get_route_path(scope)
        if self._path_only:
            remaining = _path_only_remainder(self, route_path)
            if remaining is None:
                return Match.NONE, {}
            remaining_path = remaining
            path_params = dict(scope.get("path_params", {}))
        else:
            match = self.path_regex.match(route_path)
            if match is None:
                return Match.NONE, {}
            path_params = dict(scope.get("path_params", {}))
            matched_params = _convert_params(match, self.param_convertors)
            if matched_params is None:
                return Match.NONE, {}
            remaining_path = "/" + matched_params.pop("path")
            path_params.update(matched_params)
        matched_path = route_path[: -len(remaining_path)]
        root_path = scope.get("root_path", "")
        child_scope = {
            "path_params": path_params,
            # The app below sees the mount prefix as part of its root path, `path` unchanged.
            "app_root_path": scope.get("app_root_path", root_path),
            "root_path": root_path + matched_path,
            "endpoint": self.app,
            "route": self,
        }
        return Match.FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            # `url_path_for("static", path="/css/app.css")`: a path inside the mounted app.
            params = dict(path_params)
            params["path"] = str(params["path"]).lstrip("/")
            path, remaining = replace_params(self.path_format, self.param_convertors, params)
            if not remaining:
                return URLPath(path=quote_path(path))
        elif self.name is None or name.startswith(self.name + ":"):
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            params = dict(path_params)
            path_kwarg = params.get("path")
            params["path"] = ""
            path_prefix, remaining = replace_params(self.path_format, self.param_convertors, params)
            if path_kwarg is not None:
                remaining["path"] = path_kwarg
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                path = quote_path(path_prefix.rstrip("/") + str(url))
                return URLPath(path=path, protocol=_protocol(url))
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Mount) and self.path == other.path and self.app == other.app

    def __repr__(self) -> str:
        name = self.name or ""
        return f"{type(self).__name__}(path={self.path!r}, name={name!r}, app={self.app!r})"


def _protocol(url: URLPath) -> Literal["http", "websocket", ""]:
    return "websocket" if url.protocol == "websocket" else "http" if url.protocol == "http" else ""


class Host(BaseRoute):
    """Route by the request's `Host` header (case-insensitive, port ignored).

    The header is read with the family's one Host parser: parameters come lower-cased, and a
    malformed header matches no host.
    """

    def __init__(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        assert not host.startswith("/"), "Host must not start with '/'"
        self.host = host
        self.app = app
        self.name = name
        self.host_regex, self.host_format, self.param_convertors = compile_path(host)

    @property
    def routes(self) -> list[BaseRoute]:
        return getattr(self.app, "routes", [])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        # The one reader of the Host header: a malformed one (" example.org" too) is no host.
        found = request_host(scope)
        match = self.host_regex.match("" if found is None else found[1])
        if match is None:
            return Match.NONE, {}
        matched_params = _convert_params(match, self.param_convertors)
        if matched_params is None:
            return Match.NONE, {}
        path_params = dict(scope.get("path_params", {}))
        path_params.update(matched_params)
        return Match.FULL, {"path_params": path_params, "endpoint": self.app, "route": self}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if self.name is not None and name == self.name and "path" in path_params:
            params = dict(path_params)
            path = str(params.pop("path"))
            host, remaining = replace_params(self.host_format, self.param_convertors, params)
            if not remaining:
                return URLPath(path=quote_path(path), host=host)
        elif self.name is None or name.startswith(self.name + ":"):
            remaining_name = name if self.name is None else name[len(self.name) + 1 :]
            host, remaining = replace_params(self.host_format, self.param_convertors, path_params)
            for route in self.routes or []:
                try:
                    url = route.url_path_for(remaining_name, **remaining)
                except NoMatchFound:
                    continue
                return URLPath(path=str(url), protocol=_protocol(url), host=host)
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Host) and self.host == other.host and self.app == other.app

    def __repr__(self) -> str:
        name = self.name or ""
        return f"{type(self).__name__}(host={self.host!r}, name={name!r}, app={self.app!r})"


class _AsyncLiftContextManager(AbstractAsyncContextManager[_T]):
    """Runs a synchronous context manager as an async one (for generator lifespans)."""

    def __init__(self, cm: AbstractContextManager[_T]) -> None:
        self._cm = cm

    async def __aenter__(self) -> _T:
        return self._cm.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> bool | None:
        return self._cm.__exit__(exc_type, exc_value, traceback)


def _wrap_gen_lifespan_context(
    lifespan_context: Callable[[Any], Generator[Any, Any, Any]],
) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    cmgr = contextlib.contextmanager(lifespan_context)

    @functools.wraps(cmgr)
    def wrapper(app: Any) -> _AsyncLiftContextManager[Any]:
        return _AsyncLiftContextManager(cmgr(app))

    return wrapper


class _DefaultLifespan:
    """The lifespan of a router without `lifespan=`: runs its (deprecated) event handlers."""

    def __init__(self, router: Router) -> None:
        self._router = router

    async def __aenter__(self) -> None:
        await self._router._startup()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._router._shutdown()

    def __call__(self: _T, app: object) -> _T:
        return self


class Router:
    """An ASGI app dispatching to the first matching route, with lifespan handling."""

    _routes: RouteList[BaseRoute]
    # Finds the route of each request: index, resolution cache and when they hold.
    _resolver: _routing_resolver.Resolver
    # Trying this many routes costs about as much as looking them up in the index.
    _scan_limit = 3
    # Whether `middleware_stack` is this router's own `app` (no middleware of its own): then
    # `__call__` dispatches without the extra frame. Kept by `__setattr__`; a router built
    # without `__init__` (as some frameworks do) goes through `middleware_stack`.
    _serves_plain = False

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[Any] | None = None,
        *,
        middleware: Sequence[Middleware] | None = None,
        max_body_size: int | None = None,
    ) -> None:
        self._resolver = _routing_resolver.Resolver(self)
        self.routes = RouteList(() if routes is None else routes)
        self.redirect_slashes = redirect_slashes
        self.default: ASGIApp = self.not_found if default is None else default
        self.on_startup: list[Callable[[], Any]] = [] if on_startup is None else list(on_startup)
        self.on_shutdown: list[Callable[[], Any]] = [] if on_shutdown is None else list(on_shutdown)

        if on_startup or on_shutdown:
            warn_deprecated(
                "The on_startup and on_shutdown parameters are deprecated, and they will be "
                "removed on version 1.0. Use the lifespan parameter instead. See more about it "
                "on https://www.starlette.io/lifespan/.",
                DeprecationWarning,
            )
            if lifespan is not None:
                # As 0.47 did: the lifespan runs, the handlers are ignored, and the warning is
                # named after starlette.routing (not the caller), for users' filters.
                warnings.warn(
                    "The `lifespan` parameter cannot be used with `on_startup` or `on_shutdown`. "
                    "Both `on_startup` and `on_shutdown` will be ignored.",
                    UserWarning,
                    stacklevel=1,
                )

        self.lifespan_context: Callable[[Any], AbstractAsyncContextManager[Any]]
        if lifespan is None:
            self.lifespan_context = _DefaultLifespan(self)
        elif inspect.isasyncgenfunction(lifespan):
            warn_deprecated(
                "async generator function lifespans are deprecated, "
                "use an @contextlib.asynccontextmanager function instead"
            )
            self.lifespan_context = asynccontextmanager(lifespan)
        elif inspect.isgeneratorfunction(lifespan):
            warn_deprecated(
                "generator function lifespans are deprecated, "
                "use an @contextlib.asynccontextmanager function instead"
            )
            self.lifespan_context = _wrap_gen_lifespan_context(lifespan)
        else:
            self.lifespan_context = lifespan

        # Built once: nothing per request but the calls themselves.
        self.middleware_stack: ASGIApp = self.app
        if middleware is not None or max_body_size is not None:
            self.middleware_stack = _wrap_middleware(self.app, middleware, max_body_size)

    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The default `default`: 404 (or an HTTPException inside an app), close for websockets."""
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        if "app" in scope:
            raise HTTPException(status_code=404)
        response = PlainTextResponse("Not Found", status_code=404)
        await response(scope, receive, send)

    def _raises_404(self, app: ASGIApp) -> bool:
        """Whether `app` is this router's `not_found` as `Router` defines it: inside an app, for
        an HTTP request, it raises `HTTPException(404)` and does nothing else."""
        return getattr(app, "__func__", None) is _STOCK_NOT_FOUND and app.__self__ is self  # type: ignore[attr-defined]

    @property
    def routes(self) -> list[BaseRoute]:
        """The routes in order. Frameworks mutate this list directly: any change re-indexes it."""
        return self._routes

    @routes.setter
    def routes(self, routes: list[BaseRoute]) -> None:
        self._routes = routes if isinstance(routes, RouteList) else RouteList(routes)

    def __setattr__(self, name: str, value: Any) -> None:
        # What the resolver's answers depend on besides the route lists' contents: which list
        # this router holds, and whether it serves requests without middleware of its own.
        if name in _WATCHED_ROUTER_ATTRIBUTES:
            if name in self.__dict__:
                note_change()
            if name == "middleware_stack":
                plain = getattr(value, "__func__", None) is Router.app
                object.__setattr__(self, "_serves_plain", plain and value.__self__ is self)
        object.__setattr__(self, name, value)

    def __copy__(self) -> Router:
        # What copy.copy makes of any object (the same attributes, shared), except the resolver:
        # the copy's own, so it answers for the copy's routes once they are replaced. Made here,
        # not looked up per request.
        cls = type(self)
        clone = cls.__new__(cls)
        clone.__dict__.update(self.__dict__)
        object.__setattr__(clone, "_resolver", _routing_resolver.Resolver(clone))
        # The shared middleware stack is the original's: calling the copy goes through it.
        object.__setattr__(clone, "_serves_plain", False)
        return clone

    def _route_index(self) -> RouteIndex[BaseRoute]:
        """The index of `routes` as they are now."""
        return self._resolver.route_index()

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """The path of the route called `name` ("mount:route" for nested ones)."""
        candidates: Iterable[tuple[int, BaseRoute]] = (
            self._route_index().for_name(name) if isinstance(name, str) else enumerate(self.routes)
        )
        for _, route in candidates:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)

    async def _startup(self) -> None:
        for handler in self.on_startup:
            if is_async_callable(handler):
                await handler()
            else:
                handler()

    async def _shutdown(self) -> None:
        for handler in self.on_shutdown:
            if is_async_callable(handler):
                await handler()
            else:
                handler()

    async def startup(self) -> None:
        """Run the startup handlers (0.47 API; it never warned, so it does not here)."""
        await self._startup()

    async def shutdown(self) -> None:
        """Run the shutdown handlers (0.47 API; it never warned, so it does not here)."""
        await self._shutdown()

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle the ASGI lifespan protocol around `lifespan_context`."""
        started = False
        app: Any = scope.get("app", self)
        await receive()
        try:
            async with self.lifespan_context(app) as maybe_state:
                if maybe_state is not None:
                    if "state" not in scope:
                        raise RuntimeError(
                            'The server does not support "state" in the lifespan scope.'
                        )
                    scope["state"].update(maybe_state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()
        except BaseException:
            exc_text = traceback.format_exc()
            if started:
                await send({"type": "lifespan.shutdown.failed", "message": exc_text})
            else:
                await send({"type": "lifespan.startup.failed", "message": exc_text})
            raise
        else:
            await send({"type": "lifespan.shutdown.complete"})

    def _candidates(self, scope: Scope) -> Iterable[BaseRoute]:
        """The routes that may match `scope`, in order."""
        return self._resolver.candidates(scope)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch to the first full match, else a method mismatch (405), else redirect/404."""
        await self._target(scope)(scope, receive, send)

    def _target(self, scope: Scope) -> ASGIApp:
        """The app that answers `scope` (the lifespan handler, a route's app, the 404...), with
        `scope` updated as routing does: the resolver's cache, else a resolution."""
        assert scope["type"] in ("http", "websocket", "lifespan")
        if "router" not in scope:
            scope["router"] = self
        if scope["type"] == "lifespan":
            return self.lifespan
        return self._resolver.find(scope)

    def _unmatched_app(self, scope: Scope) -> ASGIApp:
        """What answers a request no route matched: a redirect to the other trailing-slash form
        of its path when that would match, else `default`. (Decided here, not in a coroutine of
        its own: the resolver returns it, and a 404 raised by `default` crosses one frame less.)
        """
        if scope["type"] == "http" and self.redirect_slashes:
            route_path = get_route_path(scope)
            if route_path != "/":
                redirect = self._slash_redirect(scope, route_path)
                if redirect is not None:
                    return redirect
        return self.default

    def _slash_redirect(self, scope: Scope, route_path: str) -> Response | None:
        """A redirect to the path with/without its trailing slash, if that one would match."""
        path: str = scope["path"]
        # Decided on the path below the root path: with root_path "/sub/", "/sub/" is the
        # route path "", which gains a slash.
        other = path.rstrip("/") if route_path.endswith("/") else path + "/"
        redirect_scope = {**scope, "path": other}
        for route in self._candidates(redirect_scope):
            match, _ = route.matches(redirect_scope)
            if match is not Match.NONE:
                # URL(scope=) encodes a leading "//" of the path: the redirect stays on this host.
                return RedirectResponse(url=URL(scope=redirect_scope))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: the router's middleware, then `app`."""
        if self._serves_plain:
            # What `app` does, without its frame: one coroutine less for every request.
            await self._target(scope)(scope, receive, send)
        else:
            await self.middleware_stack(scope, receive, send)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Router) and self.routes == other.routes

    # Building the route list after construction (decorators and event hooks are deprecated).

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Append a `Mount(path, app, name=name)`."""
        self.routes.append(Mount(path, app=app, name=name))

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        """Append a `Host(host, app, name=name)`."""
        self.routes.append(Host(host, app=app, name=name))

    def add_route(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response] | Response],
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        """Append a `Route`."""
        route = Route(
            path,
            endpoint=endpoint,
            methods=methods,
            name=name,
            include_in_schema=include_in_schema,
        )
        self.routes.append(route)

    def add_websocket_route(
        self,
        path: str,
        endpoint: Callable[[WebSocket], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        """Append a `WebSocketRoute`."""
        self.routes.append(WebSocketRoute(path, endpoint=endpoint, name=name))

    def route(
        self,
        path: str,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[_F], _F]:
        """Deprecated decorator form of `add_route`."""
        # 0.47's text, missing space included: users' filters match it as it was.
        warn_deprecated(
            "The `route` decorator is deprecated, and will be removed in version 1.0.0."
            "Refer to https://www.starlette.io/routing/#http-routing for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: _F) -> _F:
            self.add_route(
                path, func, methods=methods, name=name, include_in_schema=include_in_schema
            )
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[_F], _F]:
        """Deprecated decorator form of `add_websocket_route`."""
        warn_deprecated(
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/routing/#websocket-routing for the recommended "
            "approach.",
            DeprecationWarning,
        )

        def decorator(func: _F) -> _F:
            self.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """Register a "startup" or "shutdown" handler (0.47 API; it never warned: no warning)."""
        assert event_type in ("startup", "shutdown"), (
            f"Unknown event type {event_type!r}: use 'startup' or 'shutdown'."
        )
        if event_type == "startup":
            self.on_startup.append(func)
        else:
            self.on_shutdown.append(func)

    def on_event(self, event_type: str) -> Callable[[_F], _F]:
        """Deprecated decorator form of `add_event_handler`."""
        warn_deprecated(
            "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/lifespan/ for recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: _F) -> _F:
            self.add_event_handler(event_type, func)
            return func

        return decorator


# The Router attributes whose assignment may change how a request resolves (see __setattr__).
_WATCHED_ROUTER_ATTRIBUTES = frozenset({"_routes", "middleware_stack"})

# `not_found` as defined here: a subclass's override, or a function patched in later, may do
# more than raise (see `Router._raises_404`).
_STOCK_NOT_FOUND = Router.not_found

# Imported last: the resolver imports the route classes above.
from starlette import _routing_resolver  # noqa: E402
