from __future__ import annotations

import functools
import threading
from typing import Any

import pytest

from starlette.background import BackgroundTask, BackgroundTasks


@pytest.mark.anyio
async def test_async_task_gets_its_arguments() -> None:
    calls: list[tuple[Any, ...]] = []

    async def record(a: int, b: int, *, c: str) -> None:
        calls.append((a, b, c, threading.get_ident()))

    task = BackgroundTask(record, 1, 2, c="three")
    assert task.is_async
    assert task.func is record
    assert task.args == (1, 2)
    assert task.kwargs == {"c": "three"}
    await task()
    assert calls == [(1, 2, "three", threading.get_ident())]


@pytest.mark.anyio
async def test_sync_task_runs_in_a_worker_thread() -> None:
    threads: list[int] = []

    def blocking(value: str) -> str:
        threads.append(threading.get_ident())
        return value

    task = BackgroundTask(blocking, "x")
    assert not task.is_async
    await task()
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


@pytest.mark.anyio
async def test_async_partials_and_callable_objects_are_awaited() -> None:
    calls: list[str] = []

    async def record(value: str) -> None:
        calls.append(value)

    class AsyncCallable:
        async def __call__(self, value: str) -> None:
            calls.append(value)

    partial_task = BackgroundTask(functools.partial(record, "partial"))
    object_task = BackgroundTask(AsyncCallable(), "object")
    assert partial_task.is_async
    assert object_task.is_async
    await partial_task()
    await object_task()
    assert calls == ["partial", "object"]


@pytest.mark.anyio
async def test_is_async_is_decided_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette._utils import is_async_callable as real_check

    checks: list[object] = []

    def counting_check(obj: object) -> bool:
        checks.append(obj)
        return real_check(obj)

    monkeypatch.setattr("starlette.background.is_async_callable", counting_check)
    calls: list[int] = []

    async def record() -> None:
        calls.append(1)

    task = BackgroundTask(record)
    await task()
    await task()
    assert calls == [1, 1]
    assert checks == [record]


@pytest.mark.anyio
async def test_background_tasks_run_in_order() -> None:
    calls: list[str] = []

    async def async_task(name: str) -> None:
        calls.append(name)

    def sync_task(name: str, *, suffix: str = "") -> None:
        calls.append(name + suffix)

    tasks = BackgroundTasks()
    assert tasks.tasks == []
    tasks.add_task(async_task, "first")
    tasks.add_task(sync_task, "second", suffix="!")
    tasks.add_task(async_task, "third")
    await tasks()
    assert calls == ["first", "second!", "third"]


@pytest.mark.anyio
async def test_background_tasks_from_a_sequence() -> None:
    calls: list[int] = []

    async def record(value: int) -> None:
        calls.append(value)

    initial = (BackgroundTask(record, 1), BackgroundTask(record, 2))
    tasks = BackgroundTasks(initial)
    tasks.add_task(record, 3)
    assert isinstance(tasks.tasks, list)
    assert len(initial) == 2  # the given sequence is copied, not extended
    await tasks()
    assert calls == [1, 2, 3]


@pytest.mark.anyio
async def test_a_failing_task_stops_the_following_ones() -> None:
    calls: list[str] = []

    async def fail() -> None:
        raise ValueError("task failed")

    def after() -> None:
        calls.append("after")  # pragma: no cover

    tasks = BackgroundTasks()
    tasks.add_task(fail)
    tasks.add_task(after)
    with pytest.raises(ValueError, match="task failed"):
        await tasks()
    assert calls == []


@pytest.mark.anyio
async def test_background_tasks_is_a_background_task() -> None:
    calls: list[str] = []
    inner = BackgroundTasks()
    inner.add_task(calls.append, "inner")
    outer = BackgroundTasks([inner, BackgroundTask(calls.append, "outer")])
    assert isinstance(inner, BackgroundTask)
    await outer()
    assert calls == ["inner", "outer"]
