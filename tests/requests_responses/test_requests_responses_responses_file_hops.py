"""FileResponse under load: few worker-thread calls, one message for a small body, and the file
closed however the response ends."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import anyio
import anyio.to_thread
import pytest

import starlette.responses
from starlette.responses import FileResponse
from starlette.types import Message

pytestmark = pytest.mark.anyio

CONTENT = bytes(range(256)) * 4


def make_scope(spec_version: str = "2.4", **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "method": "GET",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


async def never_receive() -> Message:  # pragma: no cover
    raise AssertionError("a body that fits in one message never listens for a disconnect")


@pytest.fixture
def file_path(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


class Sent(list[Message]):
    """A `send` that keeps what it is given."""

    async def __call__(self, message: Message) -> None:
        self.append(message)


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


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[IO[bytes]]:
    """Every file FileResponse opens (to check that each one ends up closed)."""
    files: list[IO[bytes]] = []

    def tracking_open(path: str, mode: str) -> IO[bytes]:
        file: IO[bytes] = open(path, mode)  # noqa: SIM115
        files.append(file)
        return file

    monkeypatch.setattr(starlette.responses, "open", tracking_open, raising=False)
    return files


async def test_small_file_is_one_thread_call_and_one_message(
    file_path: Path, thread_calls: list[str], opened: list[IO[bytes]]
) -> None:
    sent = send = Sent()

    response = FileResponse(file_path, stat_result=os.stat(file_path))
    await response(make_scope(spec_version="2.3"), never_receive, send)
    assert thread_calls == ["next"]  # open, read and close together
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": CONTENT, "more_body": False}
    assert [file.closed for file in opened] == [True]


async def test_without_stat_result_the_stat_is_one_more_call(
    file_path: Path, thread_calls: list[str]
) -> None:
    sent = send = Sent()

    await FileResponse(file_path)(make_scope(), never_receive, send)
    assert len(thread_calls) == 2  # os.stat, then the read
    assert thread_calls[1] == "next"
    assert b"".join(message.get("body", b"") for message in sent) == CONTENT


async def test_large_file_opens_with_the_first_read_and_closes_with_the_last(
    file_path: Path, thread_calls: list[str], opened: list[IO[bytes]]
) -> None:
    sent = send = Sent()

    response = FileResponse(file_path, stat_result=os.stat(file_path))
    response.chunk_size = 256
    await response(make_scope(), never_receive, send)
    assert thread_calls == ["next"] * 4
    assert [len(message["body"]) for message in sent[1:]] == [256] * 4
    assert [message["more_body"] for message in sent[1:]] == [True, True, True, False]
    assert [file.closed for file in opened] == [True]


async def test_multipart_ranges_of_a_small_file_are_one_message(
    file_path: Path, thread_calls: list[str]
) -> None:
    sent = send = Sent()

    response = FileResponse(file_path, stat_result=os.stat(file_path))
    await response(make_scope(range="bytes=0-9,100-109,-10"), never_receive, send)
    assert sent[0]["status"] == 206
    assert thread_calls == ["next"]
    assert len(sent) == 2
    body = sent[1]["body"]
    assert len(body) == int(dict(sent[0]["headers"])[b"content-length"])
    assert CONTENT[100:110] in body
    assert body.endswith(b"--\r\n")


async def test_small_body_reraises_when_send_raises_oserror(file_path: Path) -> None:
    attempts: list[str] = []

    async def send(message: Message) -> None:
        attempts.append(message["type"])
        raise OSError("connection reset")

    with pytest.raises(OSError, match="connection reset"):
        await FileResponse(file_path)(make_scope(), never_receive, send)
    assert attempts == ["http.response.start"]


async def test_file_is_closed_when_the_client_disconnects_mid_body(
    file_path: Path, opened: list[IO[bytes]]
) -> None:
    first_chunk = anyio.Event()
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk.set()

    async def receive() -> Message:
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    big = file_path.parent / "big.bin"
    big.write_bytes(CONTENT * 64)
    response = FileResponse(big)
    response.chunk_size = 16
    await response(make_scope(spec_version="2.3"), receive, send)
    assert 1 <= len(sent) - 1 < 4096
    assert [file.closed for file in opened] == [True]


async def test_file_is_closed_when_the_response_is_cancelled(
    file_path: Path, opened: list[IO[bytes]]
) -> None:
    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            # The server's task is cancelled while the body is under way.
            scope.cancel()
            await anyio.sleep(0)

    response = FileResponse(file_path)
    response.chunk_size = 16
    with anyio.CancelScope() as scope:
        await response(make_scope(), never_receive, send)
    assert scope.cancelled_caught
    assert [file.closed for file in opened] == [True]


async def test_bytes_already_read_are_sent_without_a_thread(
    file_path: Path, thread_calls: list[str], opened: list[IO[bytes]]
) -> None:
    sent = send = Sent()

    response = FileResponse(file_path, stat_result=os.stat(file_path))
    response.preload(CONTENT)
    response.chunk_size = 600
    await response(make_scope(), never_receive, send)
    assert thread_calls == []
    assert opened == []
    assert [len(message["body"]) for message in sent[1:]] == [600, 424]
    assert b"".join(message["body"] for message in sent[1:]) == CONTENT
