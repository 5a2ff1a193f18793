from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import anyio
import pytest

import starlette.concurrency
from starlette.concurrency import (
    iterate_in_threadpool,
    run_in_threadpool,
    run_until_first_complete,
)
from starlette.exceptions import StarletteDeprecationWarning


def describe(a: int, b: int = 0, *, c: str = "") -> tuple[int, int, str, int]:
    return a, b, c, threading.get_ident()


@pytest.mark.anyio
async def test_run_in_threadpool_passes_args_and_kwargs() -> None:
    a, b, c, thread = await run_in_threadpool(describe, 1, 2, c="x")
    assert (a, b, c) == (1, 2, "x")
    assert thread != threading.get_ident()


@pytest.mark.anyio
async def test_run_in_threadpool_propagates_exceptions() -> None:
    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await run_in_threadpool(fail)


@pytest.mark.anyio
async def test_iterate_in_threadpool_yields_every_item_from_worker_threads() -> None:
    main = threading.get_ident()
    threads: list[int] = []

    def numbers() -> Iterator[int]:
        for number in range(3):
            threads.append(threading.get_ident())
            yield number

    assert [item async for item in iterate_in_threadpool(numbers())] == [0, 1, 2]
    assert threads
    assert all(thread != main for thread in threads)


@pytest.mark.anyio
async def test_iterate_in_threadpool_accepts_any_iterable() -> None:
    assert [item async for item in iterate_in_threadpool(["a", "b"])] == ["a", "b"]
    empty: list[int] = []
    assert [item async for item in iterate_in_threadpool(empty)] == []


@pytest.mark.anyio
async def test_iterate_in_threadpool_propagates_exceptions() -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise RuntimeError("iterator failed")

    iterator = iterate_in_threadpool(broken())
    assert await iterator.__anext__() == 1
    with pytest.raises(RuntimeError, match="iterator failed"):
        await iterator.__anext__()


@pytest.mark.anyio
async def test_run_until_first_complete_is_deprecated_but_works() -> None:
    events: list[str] = []

    async def forever() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            events.append("cancelled")

    async def quick(label: str) -> None:
        await anyio.lowlevel.checkpoint()
        events.append(label)

    message = "run_until_first_complete is deprecated and will be removed in a future version."
    with pytest.warns(StarletteDeprecationWarning, match=f"^{re.escape(message)}$") as record:
        with anyio.fail_after(5):
            await run_until_first_complete((forever, {}), (quick, {"label": "done"}))
    assert events == ["done", "cancelled"]
    # Upstream 1.x's category and module exactly: filters naming starlette.concurrency match.
    assert record[0].category is StarletteDeprecationWarning
    assert record[0].filename == starlette.concurrency.__file__
