"""Private helpers shared by several distributions of the family (not public API)."""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, contextmanager
from types import TracebackType
from typing import Any, Generic, Protocol, TypeGuard, TypeVar

from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import Scope

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class StarletteDeprecated(StarletteDeprecationWarning, DeprecationWarning):
    """Raised for 0.47 APIs kept for compatibility: caught by filters for either base class."""


def warn_deprecated(message: str, *, stacklevel: int = 3) -> None:
    """Warn that the caller's caller used a deprecated API; `message` names the replacement."""
    warnings.warn(message, StarletteDeprecated, stacklevel=stacklevel)


def is_async_callable(obj: Any) -> TypeGuard[Callable[..., Awaitable[Any]]]:
    """True for coroutine functions, partials of them, and instances with an async `__call__`."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(obj.__call__)
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
    """Re-raise the lone exception of (nested) single-member exception groups, as users expect."""
    try:
        yield
    except BaseExceptionGroup as exc:
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
            exc = exc.exceptions[0]
        raise exc


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
