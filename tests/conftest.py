"""Fixtures shared by every distribution's tests.

Only pytest, anyio and trio may be imported at module level here: this file is loaded when a
single distribution's tests run alone in the isolation environments. `starlette.testclient` and
`blockbuster` are imported lazily, by the fixtures that need them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest
import trio


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("trio", {"restrict_keyboard_interrupt_to_checkpoints": True}), id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """Every `@pytest.mark.anyio` test runs on both asyncio and trio."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend_name(anyio_backend: tuple[str, dict[str, Any]]) -> str:
    return anyio_backend[0]


@pytest.fixture
def test_client_factory(anyio_backend_name: str) -> Callable[..., Any]:
    """`TestClient` bound to the current anyio backend (asyncio or trio)."""
    from starlette.testclient import TestClient

    backend: Any = anyio_backend_name  # "asyncio" or "trio", the Literal TestClient expects
    return functools.partial(TestClient, backend=backend)


def _in_event_loop() -> bool:
    """True on a thread running an asyncio loop or a trio run (not in their worker threads)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return True
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


class _LoopProbe:
    """Stands in for `asyncio` inside blockbuster: its loop check also sees trio runs."""

    @staticmethod
    def get_running_loop() -> object:
        if not _in_event_loop():
            raise RuntimeError("no running event loop")
        return None


@pytest.fixture(autouse=True, scope="session")
def _blockbuster() -> Iterator[None]:
    """Blocking calls (file I/O, `os.stat`, sleeps, ...) made on the event loop by code under the
    `starlette` package raise `blockbuster.BlockingError`, on asyncio and on trio."""
    import blockbuster
    import blockbuster.blockbuster as internals

    import starlette

    # blockbuster only asks asyncio whether a loop runs; trio runs must count too.
    real_asyncio = internals.asyncio  # type: ignore[attr-defined]
    internals.asyncio = _LoopProbe  # type: ignore[assignment,attr-defined]
    # `starlette` is a namespace package: every one of its directories is scanned (blockbuster
    # would take only the first). Tests and third-party code calling in are not scanned.
    scanned = []
    for path in starlette.__path__:
        module = ModuleType("starlette")
        module.__path__ = [path]
        scanned.append(module)
    with blockbuster.blockbuster_ctx(scanned_modules=scanned) as buster:
        # `Jinja2Templates.TemplateResponse` is synchronous by contract (it returns a rendered
        # response), so jinja2's loader reads or re-checks the template file where it is called.
        for function in buster.functions.values():
            function.can_block_in("jinja2/loaders.py", {"get_source", "uptodate"})
        try:
            yield
        finally:
            internals.asyncio = real_asyncio  # type: ignore[attr-defined]
