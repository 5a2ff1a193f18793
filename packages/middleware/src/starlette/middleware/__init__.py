"""`Middleware`: a middleware class and its options, instantiated when the app builds its stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ParamSpec, Protocol

from starlette.types import ASGIApp

__all__ = ["Middleware"]

P = ParamSpec("P")


class _MiddlewareFactory(Protocol[P]):
    def __call__(self, app: ASGIApp, /, *args: P.args, **kwargs: P.kwargs) -> ASGIApp: ...


class Middleware:
    """A middleware class with the arguments to build it with, around the app it will wrap."""

    def __init__(self, cls: _MiddlewareFactory[P], *args: P.args, **kwargs: P.kwargs) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        # Unpacking as `cls, args, kwargs` is how stacks are built, here and in frameworks above.
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        name = getattr(self.cls, "__name__", repr(self.cls))
        parts = [name]
        parts.extend(repr(arg) for arg in self.args)
        parts.extend(f"{key}={value!r}" for key, value in self.kwargs.items())
        return f"{type(self).__name__}({', '.join(parts)})"
