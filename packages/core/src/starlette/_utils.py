"""Private helpers shared by several distributions of the family (not public API)."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeGuard, TypeVar

import anyio

from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Scope

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

if TYPE_CHECKING:
    # For an annotation only: importing anyio.abc costs about a millisecond at start-up.
    import anyio.abc

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


def warn_deprecated(
    message: str, category: type[Warning] = StarletteDeprecationWarning, *, stacklevel: int = 1
) -> None:
    """Warn exactly as upstream does for the same API: users' `filterwarnings` match the text,
    the category and the module of the frame the warning names.

    APIs 1.x still has warn with its `StarletteDeprecationWarning` (a `UserWarning`); APIs 1.x
    removed keep the plain `DeprecationWarning` of 0.47. `stacklevel` counts as in the caller's
    own `warnings.warn`: 1 names the calling (Starlette) module, as upstream mostly does.
    """
    warnings.warn(message, category, stacklevel=stacklevel + 1)


def is_async_callable(obj: Any) -> TypeGuard[Callable[..., Awaitable[Any]]]:
    """True for coroutine functions, partials of them, and instances with an async `__call__`."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    # An `async def` function or method answers True from its code flags alone, the first thing
    # inspect.iscoroutinefunction looks at, minus its layers: exception handlers are asked on
    # every exception they answer (the router's 404 included).
    func = obj.__func__ if type(obj) is types.MethodType else obj
    if type(func) is types.FunctionType and func.__code__.co_flags & inspect.CO_COROUTINE:
        return True
    return (
        inspect.iscoroutinefunction(obj)
        or _is_mock_coroutine_function(obj)
        or (callable(obj) and inspect.iscoroutinefunction(obj.__call__))
    )


class AwaitableOrContextManager(Awaitable[T_co], AbstractAsyncContextManager[T_co], Protocol[T_co]):
    """What `request.form()` returns: await it, or use it with `async with`."""


class _SupportsAsyncClose(Protocol):
    async def close(self) -> None: ...  # pragma: no cover


SupportsAsyncCloseType = TypeVar("SupportsAsyncCloseType", bound=_SupportsAsyncClose)


class AwaitableOrContextManagerWrapper(Generic[SupportsAsyncCloseType]):
    """Wraps an awaitable so it also works as an async context manager that closes its result."""

    __slots__ = ("aw", "entered")

    def __init__(self, aw: Awaitable[SupportsAsyncCloseType]) -> None:
        self.aw = aw

    def __await__(self) -> Generator[Any, None, SupportsAsyncCloseType]:
        return self.aw.__await__()

    async def __aenter__(self) -> SupportsAsyncCloseType:
        self.entered = await self.aw
        return self.entered

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.entered.close()


@contextmanager
def collapse_excgroups() -> Generator[None, None, None]:
    """Put directly around one anyio task group: a lone failure surfaces as itself.

    anyio 4 wraps whatever escapes a task group in an exception group of its own, so the group
    caught here is the task group's, and exactly that one level is removed. An exception group
    raised by user code inside the task group therefore reaches the caller as raised, and a
    group of several failures stays whole. The exception keeps its own `__context__` instead of
    gaining the task group's group (re-raising it in an `except` block would set that).
    """
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        exc = group.exceptions[0]
        context = exc.__context__
        try:
            raise exc
        finally:
            exc.__context__ = context
            del exc, group


def get_route_path(scope: Scope) -> str:
    """The path below `root_path`: what routing matches against."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    if path[len(root_path)] == "/":
        return path[len(root_path) :]
    return path


# The default port of each URL scheme the family builds URLs for: a URL omits it.
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# host[:port] of a Host header or `:authority`: a bracketed IP literal, or a reg-name (which
# covers IPv4) of RFC 3986 characters, then an optional port of digits. Anything else
# ("a@evil.com", "host/../x", "[::1]x", spaces, ...) is malformed and must never reach a URL.
_HOST_RE = re.compile(
    r"(\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::([0-9]{1,5}))?"
)


@functools.lru_cache(maxsize=512)
def parse_host(value: str) -> tuple[str, int | None] | None:
    """`(host, port)` of a `Host` header value, host lower-cased (IPv6 keeps its brackets) and
    port `None` when absent; `None` when the value is malformed.

    The only Host parser of the family: URLs built from a scope, `Host` routes and the host
    middleware all use it, so they cannot disagree about what a host is. Cached, because every
    request of a site carries one of a few values.
    """
    match = _HOST_RE.fullmatch(value)
    if match is None:
        return None
    host, port = match.groups()
    if host[0] == "[" and not is_ipv6_address(host[1:-1]):
        return None
    if port is None:
        return host.lower(), None
    number = int(port)
    if number > 65535:
        return None
    return host.lower(), number


def request_host(scope: Scope) -> tuple[str, str] | None:
    """`(value, host)` of the request's `Host` header: the value as the client wrote it, and
    its host as `parse_host` spells it (lower-case, no port); `None` when the header is missing
    or malformed.

    The only reader of a scope's Host header: `request.url`, `Host` routes and
    `TrustedHostMiddleware` all use it, so a Host that is malformed for one is malformed for all
    (" example.org", with its space, included). ASGI header names are lower-case.
    """
    value = find_header(scope.get("headers") or (), b"host")
    return None if value is None else parse_host_header(value)


def parse_host_header(value: bytes) -> tuple[str, str] | None:
    """`request_host`'s answer for the raw Host header `value`: for a reader that has already
    found the header (`TrustedHostMiddleware` looks it up in its cache first)."""
    text = value.decode("latin-1")
    parsed = parse_host(text)
    return None if parsed is None else (text, parsed[0])


def is_ipv6_address(address: str) -> bool:
    """True for an IPv6 address written without brackets (`::1`, `2001:db8::1`)."""
    import ipaddress  # only for IPv6 literals, which few requests carry

    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return False
    return True


def has_unsafe_header_chars(text: str) -> bool:
    """True when `text` holds a CR, LF or NUL: the one rule of what a header may not carry.

    A CR or LF would let a value start a header of its own (response splitting), and a NUL
    breaks most parsers. Header values, header names, cookies and the request values that CORS
    echoes are all checked with it. (Three `in` tests: cheaper than a regex search.)
    """
    return "\r" in text or "\n" in text or "\0" in text


def check_header_value(value: str, what: str = "Header value") -> str:
    """`value`, unless `has_unsafe_header_chars`: every header value entry point calls it.

    `what` names the value in the `ValueError`.
    """
    if has_unsafe_header_chars(value):
        raise ValueError(f"{what} must not contain CR, LF or NUL characters: {value!r}")
    return value


def check_header_name(name: str) -> str:
    """`name`, unless it is no field name: it holds a CR, LF or NUL, or a `:` (which would end
    the name early on the wire). `Response(headers=...)` and `MutableHeaders` both call it."""
    if has_unsafe_header_chars(name) or ":" in name:
        raise ValueError(
            f"Header name {name!r} is not a valid field name: it must not contain "
            "CR, LF or NUL characters, nor ':'."
        )
    return name


def quote_path(path: str, *, decoded: bool = False, authority: bool = False) -> str:
    """`path` made safe to write into a URL as its path.

    A "\\" is encoded (browsers read it as "/"). A leading "//" is encoded too unless the path
    follows an authority (`authority=True`): alone, "//evil.com/x" reads as another host. With
    `decoded=True`, `path` is an ASGI scope's percent-decoded path, so "?" and "#" are encoded
    (or they would start a query or a fragment) and a path that does not start with "/" (`*`)
    gains one, or it would run into the host.
    """
    if "\\" in path:
        path = path.replace("\\", "%5C")
    if decoded:
        if "?" in path:
            path = path.replace("?", "%3F")
        if "#" in path:
            path = path.replace("#", "%23")
        if path and path[0] != "/":
            path = "/" + path
    if not authority and path.startswith("//"):
        path = "/%2F" + path[2:]
    return path


def _is_mock_coroutine_function(obj: Any) -> bool:
    """True for `create_autospec(coroutine_function)`, which `inspect` misses before 3.13.

    `unittest.mock` marks such objects with asyncio's private `_is_coroutine` sentinel. It only
    does so after importing asyncio, so a process without asyncio loaded has no such objects.
    """
    coroutines = sys.modules.get("asyncio.coroutines")
    marker = getattr(coroutines, "_is_coroutine", None)
    return marker is not None and getattr(obj, "_is_coroutine", None) is marker


@asynccontextmanager
async def create_collapsing_task_group() -> AsyncGenerator[anyio.abc.TaskGroup, None]:
    """An anyio task group whose exception group of a single exception surfaces as that exception.

    Code written against the 0.x `StreamingResponse` catches the error a task raised, not the
    `ExceptionGroup` anyio wraps it in; several failures still raise the group.
    """
    with collapse_excgroups():
        async with anyio.create_task_group() as task_group:
            yield task_group


def find_header(raw_headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The first value of header `name` (lower-case) in ASGI raw headers, else None.

    What `Headers(...).get(name)` answers, without building a Headers or decoding: middleware
    that has nothing to do for most requests reads its one header with it.
    """
    for key, value in raw_headers:
        if key == name:
            return value
    return None


def media_type(content_type: str) -> str:
    """The media type of a `Content-Type` value: lower-cased, parameters and whitespace dropped.

    `"Text/HTML; charset=utf-8"` gives `"text/html"`: what comparisons of content types need.
    """
    return content_type.partition(";")[0].strip().lower()
