from __future__ import annotations

import functools
import inspect
import sys
from typing import Any

import anyio
import pytest

import starlette.types
from starlette._utils import (
    AwaitableOrContextManager,
    AwaitableOrContextManagerWrapper,
    collapse_excgroups,
    get_route_path,
    is_async_callable,
    warn_deprecated,
)
from starlette.exceptions import StarletteDeprecationWarning

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup, ExceptionGroup


async def async_function(value: int = 0) -> int:
    return value


def sync_function(value: int = 0) -> int:
    return value


class AsyncCallable:
    async def __call__(self) -> None:
        pass


class SyncCallable:
    def __call__(self) -> None:
        pass


class AsyncMethods:
    async def method(self) -> None:
        pass


async def async_generator() -> Any:
    yield 1


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (async_function, True),
        (sync_function, False),
        (functools.partial(async_function, 1), True),
        (functools.partial(functools.partial(async_function), value=2), True),
        (functools.partial(sync_function, 1), False),
        (AsyncCallable(), True),
        (SyncCallable(), False),
        (functools.partial(AsyncCallable()), True),
        (AsyncMethods().method, True),
        (lambda: None, False),
        (async_generator, False),
        (None, False),
        (42, False),
    ],
)
def test_is_async_callable(obj: Any, expected: bool) -> None:
    assert is_async_callable(obj) is expected


def deprecated_api(category: type[Warning] | None = None, stacklevel: int = 1) -> int:
    """Warns as a Starlette module would; returns the line it warns from."""
    if category is None:
        warn_deprecated("old_api is deprecated.", stacklevel=stacklevel)
    else:
        warn_deprecated("old_api is deprecated.", category, stacklevel=stacklevel)
    return sys._getframe().f_lineno - 3


def test_warn_deprecated_defaults_to_the_1x_category_and_the_calling_module() -> None:
    with pytest.warns(StarletteDeprecationWarning, match="old_api is deprecated") as record:
        line = deprecated_api()
    warning = record[0]
    assert warning.category is StarletteDeprecationWarning
    assert not issubclass(warning.category, DeprecationWarning)
    # stacklevel=1 names the function that called the helper, as its own warnings.warn would.
    assert (warning.filename, warning.lineno) == (__file__, line)


def test_warn_deprecated_plain_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="old_api is deprecated") as record:
        deprecated_api(DeprecationWarning)
    assert record[0].category is DeprecationWarning


def test_warn_deprecated_custom_stacklevel() -> None:
    with pytest.warns(StarletteDeprecationWarning, match="old_api") as record:
        deprecated_api(stacklevel=2)
    assert (record[0].filename, record[0].lineno) == (__file__, sys._getframe().f_lineno - 1)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"path": "/users"}, "/users"),
        ({"path": "/users", "root_path": ""}, "/users"),
        ({"path": "/api/users", "root_path": "/api"}, "/users"),
        ({"path": "/api", "root_path": "/api"}, ""),
        ({"path": "/api/", "root_path": "/api"}, "/"),
        ({"path": "/apiary", "root_path": "/api"}, "/apiary"),
        ({"path": "/other", "root_path": "/api"}, "/other"),
        ({"path": "/a/b/c", "root_path": "/a/b"}, "/c"),
    ],
)
def test_get_route_path(scope: dict[str, Any], expected: str) -> None:
    assert get_route_path(scope) == expected


def test_collapse_excgroups_unwraps_its_own_single_group() -> None:
    inner = ValueError("inner")
    with pytest.raises(ValueError, match="inner") as info, collapse_excgroups():
        raise ExceptionGroup("task group", [inner])
    assert info.value is inner


def test_collapse_excgroups_removes_only_the_task_groups_level() -> None:
    # The outer group stands for the task group's wrapping; the one inside is the user's.
    users = ExceptionGroup("user's", [ValueError("inner")])
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("task group", [users])
    assert info.value is users


def test_collapse_excgroups_keeps_the_exceptions_own_context() -> None:
    earlier = KeyError("earlier")
    inner = ValueError("inner")
    inner.__context__ = earlier
    with pytest.raises(ValueError) as info, collapse_excgroups():
        raise ExceptionGroup("task group", [inner])
    assert info.value.__context__ is earlier
    assert not isinstance(info.value.__context__, BaseExceptionGroup)


@pytest.mark.anyio
async def test_collapse_excgroups_around_a_real_task_group() -> None:
    async def fail() -> None:
        raise ValueError("child")

    with pytest.raises(ValueError, match="child") as plain, collapse_excgroups():
        async with anyio.create_task_group() as task_group:
            task_group.start_soon(fail)
    assert plain.value.__context__ is None

    leaf = KeyError("k")
    with pytest.raises(ExceptionGroup) as grouped, collapse_excgroups():
        async with anyio.create_task_group():
            raise ExceptionGroup("user's", [leaf])
    # The user's group itself (trio hands back an equal copy of a group crossing a nursery).
    assert grouped.value.message == "user's"
    assert grouped.value.exceptions == (leaf,)


def test_collapse_excgroups_unwraps_base_exception_groups() -> None:
    with pytest.raises(KeyboardInterrupt), collapse_excgroups():
        raise BaseExceptionGroup("outer", [KeyboardInterrupt()])


def test_collapse_excgroups_keeps_multi_member_groups() -> None:
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("many", [ValueError("a"), TypeError("b")])
    assert len(info.value.exceptions) == 2


def test_collapse_excgroups_stops_at_a_multi_member_group() -> None:
    many = ExceptionGroup("many", [ValueError("a"), TypeError("b")])
    with pytest.raises(ExceptionGroup) as info, collapse_excgroups():
        raise ExceptionGroup("outer", [many])
    assert info.value is many


def test_collapse_excgroups_lets_other_exceptions_through() -> None:
    with pytest.raises(ValueError, match="plain"), collapse_excgroups():
        raise ValueError("plain")


def test_collapse_excgroups_without_exception() -> None:
    with collapse_excgroups():
        result = 1 + 1
    assert result == 2


class Resource:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def open_resource(resource: Resource) -> Resource:
    return resource


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_await() -> None:
    resource = Resource()
    wrapper = AwaitableOrContextManagerWrapper(open_resource(resource))
    assert await wrapper is resource
    assert not resource.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_async_with_closes() -> None:
    resource = Resource()
    async with AwaitableOrContextManagerWrapper(open_resource(resource)) as entered:
        assert entered is resource
        assert not resource.closed
    assert resource.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_wrapper_closes_on_error() -> None:
    resource = Resource()
    with pytest.raises(RuntimeError, match="inside"):
        async with AwaitableOrContextManagerWrapper(open_resource(resource)):
            raise RuntimeError("inside")
    assert resource.closed


@pytest.mark.anyio
async def test_awaitable_or_context_manager_protocol() -> None:
    def form() -> AwaitableOrContextManager[Resource]:
        return AwaitableOrContextManagerWrapper(open_resource(Resource()))

    async with form() as resource:
        assert isinstance(resource, Resource)
    assert resource.closed


def test_types_module_exports() -> None:
    for name in starlette.types.__all__:
        assert getattr(starlette.types, name) is not None
    assert set(starlette.types.__all__) >= {
        "ASGIApp",
        "Scope",
        "Message",
        "Receive",
        "Send",
        "Lifespan",
        "ExceptionHandler",
        "AppType",
    }


class Methods:
    async def asynchronous(self) -> None:
        pass

    def synchronous(self) -> None:
        pass

    async def generator(self) -> Any:
        yield 1

    @staticmethod
    async def static() -> None:
        pass

    @classmethod
    async def class_method(cls) -> None:
        pass


SHORTCUT_CASES = [
    async_function,
    sync_function,
    async_generator,
    Methods().asynchronous,
    Methods().synchronous,
    Methods().generator,
    Methods.static,
    Methods.class_method,
    Methods.asynchronous,
    functools.partial(Methods().asynchronous),
    AsyncCallable(),
    lambda: None,
]


@pytest.mark.parametrize("obj", SHORTCUT_CASES)
def test_is_async_callable_shortcut_answers_as_inspect(obj: Any) -> None:
    # The shortcut (code flags of a function or method) only ever answers True, and only where
    # inspect.iscoroutinefunction does; everything else takes the general path.
    expected = inspect.iscoroutinefunction(obj) or (
        callable(obj) and inspect.iscoroutinefunction(obj.__call__)
    )
    assert is_async_callable(obj) is expected
