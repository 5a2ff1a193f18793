from __future__ import annotations

import io
import threading
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, cast

import pytest

from starlette.datastructures import Headers, UploadFile


class RecordingSpooledFile(SpooledTemporaryFile):  # type: ignore[type-arg]
    """Records the thread each operation runs in."""

    def __init__(self, max_size: int) -> None:
        super().__init__(max_size=max_size)
        self.threads: dict[str, list[int]] = {}

    def _record(self, name: str) -> None:
        self.threads.setdefault(name, []).append(threading.get_ident())

    def write(self, data: Any) -> int:
        self._record("write")
        return super().write(data)

    def read(self, *args: Any) -> Any:
        self._record("read")
        return super().read(*args)

    def seek(self, *args: Any) -> int:
        self._record("seek")
        return super().seek(*args)

    def close(self) -> None:
        self._record("close")
        super().close()


class RecordingBytesIO(io.BytesIO):
    def __init__(self, data: bytes = b"") -> None:
        super().__init__(data)
        self.threads: list[int] = []

    def write(self, data: Any) -> int:
        self.threads.append(threading.get_ident())
        return super().write(data)


def test_upload_file_attributes() -> None:
    file = io.BytesIO(b"abc")
    headers = Headers({"content-type": "text/plain"})
    upload = UploadFile(file, size=3, filename="a.txt", headers=headers)
    assert upload.file is file
    assert upload.size == 3
    assert upload.filename == "a.txt"
    assert upload.headers is headers
    assert upload.content_type == "text/plain"


def test_upload_file_defaults() -> None:
    upload = UploadFile(io.BytesIO())
    assert upload.filename is None
    assert upload.size is None
    assert upload.headers == Headers()
    assert upload.content_type is None


def test_upload_file_repr() -> None:
    upload = UploadFile(io.BytesIO(), size=1, filename="x", headers=Headers({"a": "b"}))
    assert repr(upload) == "UploadFile(filename='x', size=1, headers=Headers({'a': 'b'}))"


@pytest.mark.anyio
async def test_upload_file_write_read_seek_close() -> None:
    spooled = SpooledTemporaryFile(max_size=1024)  # noqa: SIM115 - UploadFile.close closes it
    upload = UploadFile(cast(BinaryIO, spooled), size=0)
    await upload.write(b"hello ")
    await upload.write(b"world")
    assert upload.size == 11
    await upload.seek(0)
    assert await upload.read() == b"hello world"
    await upload.seek(6)
    assert await upload.read(3) == b"wor"
    await upload.close()
    assert upload.file.closed


@pytest.mark.anyio
async def test_upload_file_write_keeps_unknown_size() -> None:
    upload = UploadFile(io.BytesIO())
    await upload.write(b"abc")
    assert upload.size is None
    await upload.seek(0)
    assert await upload.read() == b"abc"


@pytest.mark.anyio
async def test_upload_file_in_memory_operations_run_inline() -> None:
    main = threading.get_ident()
    file = RecordingSpooledFile(max_size=100)
    upload = UploadFile(cast(BinaryIO, file), size=0)
    await upload.write(b"x" * 100)  # reaches, but does not exceed, the threshold
    await upload.seek(0)
    assert await upload.read() == b"x" * 100
    assert not file._rolled  # type: ignore[attr-defined]
    await upload.close()
    assert file.threads == {"write": [main], "seek": [main], "read": [main], "close": [main]}


@pytest.mark.anyio
async def test_upload_file_write_that_rolls_over_runs_in_a_thread() -> None:
    main = threading.get_ident()
    file = RecordingSpooledFile(max_size=10)
    upload = UploadFile(cast(BinaryIO, file), size=0)
    await upload.write(b"12345")
    assert file.threads["write"] == [main]
    await upload.write(b"123456")  # would cross the threshold: decided before writing
    assert file.threads["write"][1] != main
    assert file._rolled  # type: ignore[attr-defined]
    assert upload.size == 11

    await upload.write(b"more")
    await upload.seek(0)
    assert await upload.read() == b"12345123456more"
    await upload.close()
    assert all(ident != main for ident in file.threads["write"][1:])
    for name in ("seek", "read", "close"):
        assert all(ident != main for ident in file.threads[name]), name


@pytest.mark.anyio
async def test_upload_file_without_max_size_never_rolls() -> None:
    main = threading.get_ident()
    file = RecordingSpooledFile(max_size=0)
    upload = UploadFile(cast(BinaryIO, file))
    await upload.write(b"x" * 10_000)
    assert file.threads["write"] == [main]
    assert not file._rolled  # type: ignore[attr-defined]
    await upload.close()


@pytest.mark.anyio
async def test_upload_file_bytesio_runs_inline() -> None:
    file = RecordingBytesIO()
    upload = UploadFile(cast(BinaryIO, file))
    await upload.write(b"abc")
    assert file.threads == [threading.get_ident()]


@pytest.mark.anyio
async def test_upload_file_on_disk_runs_in_threads(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    with path.open("w+b") as file:
        upload = UploadFile(cast(BinaryIO, file), size=0)
        await upload.write(b"on disk")
        await upload.seek(3)
        assert await upload.read() == b"disk"
        await upload.close()
        assert file.closed
    assert path.read_bytes() == b"on disk"
