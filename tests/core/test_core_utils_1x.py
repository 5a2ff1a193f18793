"""Starlette 1.x helpers of `starlette._utils` that third-party code imports.

FastAPI asks `is_async_callable` about its users' mocks; `StreamingResponse` subclasses written for
1.x run their tasks in `create_collapsing_task_group`.
"""

from __future__ import annotations

import functools
import sys
from unittest import mock

import anyio
import pytest

from starlette._utils import create_collapsing_task_group, is_async_callable

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import ExceptionGroup


async def coroutine_function(value: int) -> int:
    return value


def plain_function(value: int) -> int:
    return value


def test_async_mock_is_async() -> None:
    assert is_async_callable(mock.AsyncMock())
    assert is_async_callable(functools.partial(mock.AsyncMock(), 1))


def test_autospec_of_a_coroutine_function_is_async() -> None:
    spec = mock.create_autospec(coroutine_function)
    assert is_async_callable(spec)
    assert is_async_callable(functools.partial(spec, 1))


def test_other_mocks_stay_sync() -> None:
    assert not is_async_callable(mock.Mock())
    assert not is_async_callable(mock.MagicMock())
    assert not is_async_callable(mock.create_autospec(plain_function))


def test_without_asyncio_loaded_nothing_is_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    # No `asyncio.coroutines` module, no sentinel: an object whose `_is_coroutine` is None (or
    # missing) must not match a missing sentinel.
    monkeypatch.delitem(sys.modules, "asyncio.coroutines")

    class Unmarked:
        _is_coroutine = None

        def __call__(self) -> None:
            pass

    assert not is_async_callable(Unmarked())
    assert not is_async_callable(plain_function)


@pytest.mark.anyio
async def test_collapsing_task_group_yields_a_working_task_group() -> None:
    results: list[int] = []

    async def work(value: int) -> None:
        await anyio.lowlevel.checkpoint()
        results.append(value)

    async with create_collapsing_task_group() as task_group:
        task_group.start_soon(work, 1)
        task_group.start_soon(work, 2)
    assert sorted(results) == [1, 2]


@pytest.mark.anyio
async def test_collapsing_task_group_raises_a_single_task_error_itself() -> None:
    async def fail() -> None:
        raise ValueError("task failed")

    with pytest.raises(ValueError, match="task failed"):
        async with create_collapsing_task_group() as task_group:
            task_group.start_soon(fail)


@pytest.mark.anyio
async def test_collapsing_task_group_raises_a_body_error_itself() -> None:
    with pytest.raises(KeyError, match="in the body"):
        async with create_collapsing_task_group():
            raise KeyError("in the body")


@pytest.mark.anyio
async def test_collapsing_task_group_keeps_the_group_of_several_errors() -> None:
    # Each task raises only once both run, inside a shield, so neither is cancelled first.
    started = {"first": anyio.Event(), "second": anyio.Event()}

    async def fail(name: str, other: str, exc: Exception) -> None:
        started[name].set()
        with anyio.CancelScope(shield=True):
            await started[other].wait()
            raise exc

    with pytest.raises(ExceptionGroup) as info:
        async with create_collapsing_task_group() as task_group:
            task_group.start_soon(fail, "first", "second", ValueError("first"))
            task_group.start_soon(fail, "second", "first", KeyError("second"))
    assert sorted(type(e).__name__ for e in info.value.exceptions) == ["KeyError", "ValueError"]
