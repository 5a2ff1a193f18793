"""`starlette.middleware.Middleware`: unpacking and repr."""

from __future__ import annotations

import functools
from typing import Any

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send


class DummyMiddleware:
    def __init__(self, app: ASGIApp, *args: Any, **kwargs: Any) -> None:
        self.app = app
        self.args = args
        self.kwargs = kwargs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)  # pragma: no cover


async def inner_app(scope: Scope, receive: Receive, send: Send) -> None:
    pass  # pragma: no cover


def test_middleware_unpacks_into_class_args_and_kwargs() -> None:
    cls, args, kwargs = Middleware(DummyMiddleware, "a", 2, allow_origins=["*"])
    assert cls is DummyMiddleware
    assert args == ("a", 2)
    assert kwargs == {"allow_origins": ["*"]}


def test_middleware_attributes() -> None:
    middleware = Middleware(DummyMiddleware, 1, flag=True)
    cls: Any = middleware.cls
    assert cls is DummyMiddleware
    assert middleware.args == (1,)
    assert middleware.kwargs == {"flag": True}


def test_unpacked_middleware_builds_the_instance() -> None:
    cls, args, kwargs = Middleware(DummyMiddleware, "x", level=3)
    instance = cls(inner_app, *args, **kwargs)
    assert isinstance(instance, DummyMiddleware)
    assert instance.app is inner_app
    assert instance.args == ("x",)
    assert instance.kwargs == {"level": 3}


def test_middleware_repr_with_kwargs() -> None:
    middleware = Middleware(DummyMiddleware, allow_origins=["*"])
    assert repr(middleware) == "Middleware(DummyMiddleware, allow_origins=['*'])"


def test_middleware_repr_with_args_then_kwargs() -> None:
    middleware = Middleware(DummyMiddleware, "secret", 5, max_age=None, path="/")
    assert repr(middleware) == "Middleware(DummyMiddleware, 'secret', 5, max_age=None, path='/')"


def test_middleware_repr_without_options() -> None:
    assert repr(Middleware(DummyMiddleware)) == "Middleware(DummyMiddleware)"


def test_middleware_repr_of_factory_without_name() -> None:
    factory = functools.partial(DummyMiddleware)
    middleware = Middleware(factory, debug=True)
    assert repr(middleware) == f"Middleware({factory!r}, debug=True)"
