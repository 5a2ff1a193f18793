"""Advisories against file serving: Range amplification, path traversal, symlink escape."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import unquote_to_bytes

import anyio
import pytest

from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message

SECRET = b"top secret"


async def call(app: ASGIApp, raw_path: bytes, headers: list[tuple[bytes, bytes]] | None = None):
    """One GET through `app`, the path percent-decoded once as a server would; (status, body)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "root_path": "",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "surrogateescape"),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": headers or [],
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """tmp_path/static/{public.txt, sub/}, with secrets beside and above it."""
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "public.txt").write_bytes(b"public")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "static-private").mkdir()
    (tmp_path / "static-private" / "secret.txt").write_bytes(SECRET)
    return static


@pytest.mark.anyio
async def test_range_header_with_thousands_of_ranges_is_bounded(tmp_path: Path) -> None:
    """Range amplification DoS: thousands of (overlapping) ranges must neither multiply the
    response nor cost quadratic work."""
    path = tmp_path / "file.bin"
    content = bytes(range(256)) * 40
    path.write_bytes(content)
    app = FileResponse(path, stat_result=os.stat(path))

    def ranges(specs: list[str]) -> list[tuple[bytes, bytes]]:
        return [(b"range", ("bytes=" + ",".join(specs)).encode())]

    started = time.monotonic()
    # More than 100 ranges are not even parsed: the whole file, once, with a 200 (as 1.x does).
    for specs in (
        ["0-"] * 50_000,
        [f"{i}-{i + 10}" for i in range(5_000)],
        [f"{2 * i}-{2 * i}" for i in range(5_000)],
    ):
        status, body = await call(app, b"/", ranges(specs))
        assert (status, body) == (200, content)
    # Up to 100 overlapping ranges merge: the body is the file, once.
    status, body = await call(app, b"/", ranges(["0-"] * 100))
    assert (status, body) == (206, content)
    # A generous bound: quadratic merging of these headers would take minutes.
    assert time.monotonic() - started < 20


TRAVERSALS = [
    b"/../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/secret.txt",
    b"/.%2e/secret.txt",
    b"/%2e./secret.txt",
    b"/..%2fsecret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/sub/..%2f..%2fsecret.txt",
    b"/sub/%2e%2e/%2e%2e/secret.txt",
    b"/..%5csecret.txt",
    b"/%252e%252e/secret.txt",
    b"/%c0%ae%c0%ae/secret.txt",
    b"/%ef%bc%8e%ef%bc%8e/secret.txt",
    b"/..;/secret.txt",
    b"/public.txt%00/../../secret.txt",
    b"/%00../secret.txt",
    b"/../static-private/secret.txt",
    b"//" + b"/".join([b".."] * 20) + b"/secret.txt",
]


@pytest.mark.anyio
@pytest.mark.parametrize("follow_symlink", [False, True])
@pytest.mark.parametrize("html", [False, True])
async def test_static_files_traversal_is_refused_in_every_encoding(
    site: Path, follow_symlink: bool, html: bool
) -> None:
    """Path traversal: `..` spelled raw, percent-encoded, double-encoded, overlong UTF-8,
    full-width, with backslashes, NUL bytes or a shared name prefix never leaves the directory."""
    app = StaticFiles(directory=site, check_dir=False, follow_symlink=follow_symlink, html=html)
    for raw_path in TRAVERSALS:
        status, body = await call(app, raw_path)
        assert status == 404, raw_path
        assert SECRET not in body
    assert await call(app, b"/sub/%2e%2e/public.txt") == (200, b"public")


@pytest.mark.anyio
async def test_static_files_symlink_escape_is_refused(site: Path) -> None:
    """Symlink escape: a link inside the directory pointing outside it serves nothing, unless
    the application opted in with `follow_symlink=True`."""
    (site / "file-link").symlink_to(site.parent / "secret.txt")
    (site / "dir-link").symlink_to(site.parent / "static-private", target_is_directory=True)
    (site / "inside-link").symlink_to(site / "public.txt")
    app = StaticFiles(directory=site, check_dir=False)
    for raw_path in (b"/file-link", b"/dir-link/secret.txt", b"/sub/../file-link"):
        status, body = await call(app, raw_path)
        assert status == 404, raw_path
        assert SECRET not in body
    assert await call(app, b"/inside-link") == (200, b"public")
    opted_in = StaticFiles(directory=site, check_dir=False, follow_symlink=True)
    assert await call(opted_in, b"/file-link") == (200, SECRET)
    assert (await call(opted_in, b"/dir-link/../../secret.txt"))[0] == 404
