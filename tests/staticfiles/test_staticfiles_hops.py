"""StaticFiles under load: a small file is found, stat'ed and read in one worker-thread call."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .conftest import RawResponse

pytestmark = pytest.mark.anyio

Call = Callable[..., Awaitable[RawResponse]]


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions run in worker threads."""
    calls: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


async def test_small_file_is_one_thread_call(
    asgi_call: Call, static_dir: Path, thread_calls: list[str]
) -> None:
    app = StaticFiles(directory=static_dir, check_dir=False)
    app.config_checked = True
    response = await asgi_call(app, "/example.txt")
    assert response.status == 200
    assert response.body == b"<file content>"
    assert response.headers["content-length"] == "14"
    assert thread_calls == ["_find"]


async def test_head_and_large_files_are_not_read_with_the_lookup(
    asgi_call: Call, static_dir: Path, thread_calls: list[str]
) -> None:
    large = os.urandom(FileResponse.chunk_size + 1)
    (static_dir / "large.bin").write_bytes(large)
    app = StaticFiles(directory=static_dir, check_dir=False)
    app.config_checked = True
    head = await asgi_call(app, "/example.txt", method="HEAD")
    assert head.body == b""
    assert thread_calls == ["_find"]
    thread_calls.clear()
    response = await asgi_call(app, "/large.bin")
    assert response.body == large
    assert thread_calls == ["_find", "next", "next"]


async def test_range_of_a_small_file_is_cut_from_the_bytes_read(
    asgi_call: Call, static_dir: Path, thread_calls: list[str]
) -> None:
    app = StaticFiles(directory=static_dir, check_dir=False)
    app.config_checked = True
    response = await asgi_call(app, "/example.txt", headers={"range": "bytes=1-4"})
    assert response.status == 206
    assert response.body == b"file"
    assert response.headers["content-range"] == "bytes 1-4/14"
    assert thread_calls == ["_find"]


async def test_html_index_and_404_page_are_read_with_their_lookup(
    asgi_call: Call, tmp_path: Path, thread_calls: list[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.html").write_text("<h1>Docs</h1>")
    (tmp_path / "404.html").write_text("<h1>Missing</h1>")
    app = StaticFiles(directory=tmp_path, html=True, check_dir=False)
    app.config_checked = True
    index = await asgi_call(app, "/docs/")
    assert (index.status, index.body) == (200, b"<h1>Docs</h1>")
    assert thread_calls == ["_find", "_find"]
    thread_calls.clear()
    missing = await asgi_call(app, "/nothing")
    assert (missing.status, missing.body) == (404, b"<h1>Missing</h1>")
    assert thread_calls == ["_find", "_find"]


async def test_file_gone_between_stat_and_read_fails_as_before(static_dir: Path) -> None:
    class Vanishing(StaticFiles):
        def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
            full_path, stat_result = super().lookup_path(path)
            os.unlink(full_path)
            return full_path, stat_result

    app = Vanishing(directory=static_dir, check_dir=False)
    scope = {"type": "http", "method": "GET", "path": "/example.txt", "headers": []}
    response = await app.get_response("example.txt", scope)
    assert isinstance(response, FileResponse)

    async def receive() -> Any:  # pragma: no cover
        raise AssertionError

    async def send(message: Any) -> None:  # pragma: no cover
        raise AssertionError

    with pytest.raises(RuntimeError, match="does not exist"):
        await response(scope, receive, send)


async def test_an_overridden_file_response_serving_another_file_sends_that_file(
    asgi_call: Call, static_dir: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("another file")

    class Elsewhere(StaticFiles):
        def file_response(
            self,
            full_path: str | os.PathLike[str],
            stat_result: os.stat_result,
            scope: Scope,
            status_code: int = 200,
        ) -> Response:
            return FileResponse(other, status_code=status_code)

    response = await asgi_call(Elsewhere(directory=static_dir, check_dir=False), "/example.txt")
    assert response.status == 200
    assert response.body == b"another file"
