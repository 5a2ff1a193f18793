"""Fixtures shared by every distribution's tests.

Only pytest, anyio and trio may be imported at module level here: this file is loaded when a
single distribution's tests run alone in the isolation environments. `starlette.testclient` is
imported lazily, by the fixtures that need it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest


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
