"""Advisory: a blocking call on the event loop stalls every connection of the worker."""

from __future__ import annotations

import functools
from pathlib import Path

import anyio.to_thread
import pytest
from blockbuster import BlockingError

from starlette.staticfiles import StaticFiles


@pytest.mark.anyio
async def test_blocking_calls_in_starlette_code_on_the_event_loop_are_refused(
    tmp_path: Path,
) -> None:
    """Denial of service by loop stall: the suite runs with blockbuster watching `starlette`
    code on asyncio and on trio, so a blocking call there fails the test that triggers it."""
    with pytest.raises(BlockingError, match=r"os\.stat"):
        StaticFiles(directory=tmp_path)  # the constructor's directory check stats the disk
    # The same call from a worker thread is what starlette code must do instead.
    app = await anyio.to_thread.run_sync(functools.partial(StaticFiles, directory=tmp_path))
    assert app.all_directories == [tmp_path]
