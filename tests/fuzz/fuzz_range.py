"""Fuzz target: `Range` / `If-Range` on a `FileResponse`, through the full ASGI call.

Checks: the status is 200, 206, 400 or 416 (never 5xx, never a hang); a 200 carries the whole
file; a 206 carries exactly the bytes its `Content-Range` (or each multipart part) names; a 416
says `Content-Range: bytes */<size>`; the parser's ranges are sorted, disjoint and in the file.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["starlette"]):
    from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable

from tests.fuzz._asgi import Finding, Response, call, http_scope

SEEDS = [
    b"\x00\x00bytes=0-0",
    b"\x01\x00bytes=0-1,5-9,-3",
    b'\x02\x01bytes=-0\nW/"x"',
    b"\x03\x00bytes=10-5, 7-, 0-0 , 3-4",
    b"\x02\x02bytes=0-1\nThu, 01 Jan 1970 00:00:00 GMT",
    b"\x01\x00items=1-2",
]
SIZES = [0, 1, 10, 1000]
METHODS = ["GET", "HEAD", "POST"]
_CONTENT_RANGE = re.compile(rb"bytes (\d+)-(\d+)/(\d+)")

_directory = tempfile.mkdtemp(prefix="fuzz-range-")
_files: list[tuple[str, bytes]] = []
for _size in SIZES:
    _content = bytes((i * 7 + 3) % 256 for i in range(_size))
    _path = os.path.join(_directory, f"file-{_size}")
    with open(_path, "wb") as _file:
        _file.write(_content)
    _files.append((_path, _content))


def check_parser(header: str, size: int) -> None:
    try:
        ranges = FileResponse("unused")._parse_range_header(header, size)
    except (MalformedRangeHeader, RangeNotSatisfiable):
        return
    previous_end = -1
    for start, end in ranges:
        if not previous_end < start < end <= size:
            raise Finding(f"bad ranges {ranges!r} for {header!r} on {size} bytes")
        previous_end = end


def check_partial(response: Response, content: bytes) -> None:
    content_type = response.header(b"content-type") or b""
    if content_type.startswith(b"multipart/byteranges; boundary="):
        boundary = content_type.split(b"=", 1)[1]
        parts = bytes(response.body).split(b"--" + boundary)
        if parts[0] != b"" or parts[-1] != b"--\r\n":
            raise Finding(f"bad multipart framing: {bytes(response.body)[:200]!r}")
        for part in parts[1:-1]:
            head, _, data = part.partition(b"\r\n\r\n")
            match = _CONTENT_RANGE.search(head)
            if match is None or data[-2:] != b"\r\n":
                raise Finding(f"bad multipart part: {part[:200]!r}")
            check_slice(match, data[:-2], content)
        return
    match = _CONTENT_RANGE.fullmatch(response.header(b"content-range") or b"")
    if match is None:
        raise Finding(f"206 without a Content-Range: {response.headers!r}")
    check_slice(match, bytes(response.body), content)


def check_slice(match: re.Match[bytes], data: bytes, content: bytes) -> None:
    start, last, size = (int(group) for group in match.groups())
    if size != len(content) or data != content[start : last + 1]:
        raise Finding(f"range {match[0]!r} sent {data[:100]!r}")


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    path, content = _files[data[0] % len(_files)]
    method = METHODS[data[1] % len(METHODS)]
    http_range, _, if_range = data[2:].partition(b"\n")
    check_parser(http_range.decode("latin-1"), len(content))
    headers = [(b"range", http_range)] + ([(b"if-range", if_range)] if if_range else [])
    scope = http_scope(method, "/file", b"/file", b"", headers)
    response = call(FileResponse(path, stat_result=None), scope)
    body = bytes(response.body)
    if response.status in (200, 206) and method == "HEAD":
        if body:
            raise Finding("HEAD response with a body")
    elif response.status == 200:
        if body != content:
            raise Finding("200 without the whole file")
    elif response.status == 206:
        check_partial(response, content)
    elif response.status == 416:
        if response.header(b"content-range") != f"bytes */{len(content)}".encode():
            raise Finding(f"416 with {response.headers!r}")
    elif response.status != 400:
        raise Finding(f"unexpected status {response.status}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
