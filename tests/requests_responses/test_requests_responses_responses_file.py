"""FileResponse: stat headers, HEAD, content disposition, Range requests and early stops."""

from __future__ import annotations

import hashlib
import os
import re
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anyio
import pytest

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable
from starlette.types import ASGIApp, Message

pytestmark = pytest.mark.anyio

CONTENT = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable enough


def make_scope(
    method: str = "GET",
    headers: dict[str, str] | None = None,
    type_: str = "http",
    spec_version: str = "2.4",
    **extra: Any,
) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": type_,
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    if type_ == "http":
        scope["method"] = method
    scope.update(extra)
    return scope


class Result:
    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        start = messages[0]
        assert start["type"].endswith("http.response.start")
        self.status: int = start["status"]
        self.raw_headers: list[tuple[bytes, bytes]] = list(start["headers"])
        self.headers = {k.decode(): v.decode() for k, v in self.raw_headers}
        self.body = b"".join(m.get("body", b"") for m in messages[1:])


async def call(app: ASGIApp, scope: dict[str, Any] | None = None) -> Result:
    sent: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    await app(make_scope() if scope is None else scope, receive, send)
    return Result(sent)


@pytest.fixture
def file_path(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


@pytest.fixture
def text_path(tmp_path: Path) -> Path:
    path = tmp_path / "letters.txt"
    path.write_bytes(b"abcdefghij")
    return path


def expected_etag(path: Path) -> str:
    stat_result = os.stat(path)
    base = f"{stat_result.st_mtime}-{stat_result.st_size}".encode()
    return '"' + hashlib.md5(base, usedforsecurity=False).hexdigest() + '"'


# --- whole file -----------------------------------------------------------------------------


async def test_file_response_sends_file_with_stat_headers(text_path: Path) -> None:
    result = await call(FileResponse(text_path))
    stat_result = os.stat(text_path)
    assert result.status == 200
    assert result.body == b"abcdefghij"
    assert result.raw_headers == [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"accept-ranges", b"bytes"),
        (b"content-length", b"10"),
        (b"last-modified", formatdate(stat_result.st_mtime, usegmt=True).encode()),
        (b"etag", expected_etag(text_path).encode()),
    ]
    assert result.messages[-1]["more_body"] is False


async def test_file_is_read_in_chunks(file_path: Path) -> None:
    response = FileResponse(file_path)
    response.chunk_size = 100
    result = await call(response)
    assert result.body == CONTENT
    body_messages = result.messages[1:]
    assert [len(m["body"]) for m in body_messages] == [100] * 10 + [24]
    assert [m["more_body"] for m in body_messages] == [True] * 10 + [False]


async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = await call(FileResponse(path))
    assert result.status == 200
    assert result.headers["content-length"] == "0"
    assert result.body == b""


def test_stat_result_argument_sets_headers_at_once(file_path: Path) -> None:
    stat_result = os.stat(file_path)
    response = FileResponse(file_path, stat_result=stat_result)
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["etag"] == expected_etag(file_path)
    assert response.headers["last-modified"] == formatdate(stat_result.st_mtime, usegmt=True)


def test_set_stat_headers_keeps_user_values(file_path: Path) -> None:
    response = FileResponse(file_path, headers={"ETag": '"mine"'}, stat_result=os.stat(file_path))
    assert response.headers.getlist("etag") == ['"mine"']


def test_media_type_is_guessed_from_filename_then_path(file_path: Path) -> None:
    assert FileResponse(file_path, filename="x.html").media_type == "text/html"
    assert FileResponse("/some/file.json").media_type == "application/json"
    assert FileResponse("/some/file.css", media_type="text/x-mine").media_type == "text/x-mine"


def test_media_type_falls_back_to_octet_stream() -> None:
    response = FileResponse("/some/file.unknown-extension-xyz")
    assert response.media_type == "application/octet-stream"
    assert response.headers["content-type"] == "application/octet-stream"


def test_content_disposition_ascii_filename(file_path: Path) -> None:
    response = FileResponse(file_path, filename="report.pdf")
    assert response.headers["content-disposition"] == 'attachment; filename="report.pdf"'


def test_content_disposition_rfc5987_for_non_ascii_filename(file_path: Path) -> None:
    response = FileResponse(file_path, filename="résumé 1.txt")
    assert response.headers["content-disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%201.txt"
    )


def test_content_disposition_quote_in_filename_cannot_break_out(file_path: Path) -> None:
    response = FileResponse(file_path, filename='a"; evil=1\r\nX: y.txt')
    value = response.headers["content-disposition"]
    assert value.startswith("attachment; filename*=utf-8''a%22%3B%20evil%3D1%0D%0AX%3A%20y.txt")


def test_content_disposition_inline(file_path: Path) -> None:
    response = FileResponse(file_path, filename="a.png", content_disposition_type="inline")
    assert response.headers["content-disposition"] == 'inline; filename="a.png"'


def test_user_headers_are_kept(file_path: Path) -> None:
    response = FileResponse(
        file_path,
        headers={"Accept-Ranges": "none", "Content-Disposition": "inline"},
        filename="x.bin",
    )
    assert response.headers.getlist("accept-ranges") == ["none"]
    assert response.headers.getlist("content-disposition") == ["inline"]


async def test_head_request_sends_headers_only(file_path: Path) -> None:
    result = await call(FileResponse(file_path), make_scope("HEAD"))
    assert result.status == 200
    assert result.headers["content-length"] == str(len(CONTENT))
    assert result.body == b""
    assert result.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


async def test_method_argument_head_sends_headers_only(file_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="not used") as record:
        response = FileResponse(file_path, method="head")
    result = await call(response)
    assert result.status == 200
    assert result.body == b""
    # Upstream's text and category, attributed to the module as upstream's is.
    [warning] = record
    assert warning.category is DeprecationWarning
    assert str(warning.message) == "The 'method' parameter is not used, and it will be removed."
    assert warning.filename.endswith("responses.py")


async def test_method_argument_get_sends_the_body(file_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="'method' parameter"):
        response = FileResponse(file_path, method="GET")
    assert (await call(response)).body == CONTENT


async def test_missing_file_raises_runtime_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.txt"
    with pytest.raises(RuntimeError, match=re.escape(f"File at path {path} does not exist.")):
        await call(FileResponse(path))


async def test_path_below_a_file_raises_runtime_error(file_path: Path) -> None:
    path = file_path / "child"
    with pytest.raises(RuntimeError, match="does not exist"):
        await call(FileResponse(path))


async def test_directory_raises_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=re.escape(f"File at path {tmp_path} is not a file.")):
        await call(FileResponse(tmp_path))


async def test_file_deleted_after_stat_raises_before_sending(file_path: Path) -> None:
    response = FileResponse(file_path, stat_result=os.stat(file_path))
    file_path.unlink()
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    with pytest.raises(RuntimeError, match="does not exist"):
        await response(make_scope(), receive, send)
    assert sent == []


async def test_whole_file_shorter_than_its_stat_ends_early(file_path: Path) -> None:
    response = FileResponse(file_path, stat_result=os.stat(file_path))
    file_path.write_bytes(CONTENT[:300])  # the file shrank after it was stat'ed
    response.chunk_size = 128
    result = await call(response)
    assert result.headers["content-length"] == str(len(CONTENT))
    assert result.body == CONTENT[:300]
    assert [len(m["body"]) for m in result.messages[1:]] == [128, 128, 44]
    assert result.messages[-1]["more_body"] is False


async def test_file_longer_than_its_stat_sends_only_the_announced_bytes(file_path: Path) -> None:
    response = FileResponse(file_path, stat_result=os.stat(file_path))
    file_path.write_bytes(CONTENT * 2)
    result = await call(response)
    assert result.body == CONTENT


async def test_pathsend_extension(file_path: Path) -> None:
    scope = make_scope(extensions={"http.response.pathsend": {}})
    result = await call(FileResponse(file_path), scope)
    assert result.status == 200
    assert result.messages[1] == {"type": "http.response.pathsend", "path": str(file_path)}


async def test_background_task_runs_after_the_file(file_path: Path) -> None:
    events: list[str] = []

    async def send(message: Message) -> None:
        events.append(message["type"] + (":more" if message.get("more_body") else ""))

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    response = FileResponse(file_path, background=BackgroundTask(events.append, "background"))
    response.chunk_size = 1000
    await response(make_scope(), receive, send)
    assert events == [
        "http.response.start",
        "http.response.body:more",
        "http.response.body",
        "background",
    ]


async def test_websocket_denial_response(file_path: Path) -> None:
    result = await call(FileResponse(file_path), make_scope(type_="websocket"))
    assert [m["type"] for m in result.messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert result.body == CONTENT


async def test_websocket_denial_with_bad_range_is_prefixed_once(file_path: Path) -> None:
    scope = make_scope(type_="websocket", headers={"range": "bytes=x"})
    result = await call(FileResponse(file_path), scope)
    assert [m["type"] for m in result.messages] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
    ]
    assert result.status == 400


async def test_stops_sending_when_client_disconnects_before_spec_2_4(file_path: Path) -> None:
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
    response = FileResponse(big, background=BackgroundTask(sent.append, {"type": "background"}))
    response.chunk_size = 16
    await response(make_scope(spec_version="2.3"), receive, send)
    body_messages = [m for m in sent if m["type"] == "http.response.body"]
    assert 1 <= len(body_messages) < 100
    assert all(m["more_body"] for m in body_messages)
    assert sent[-1] == {"type": "background"}


@pytest.mark.parametrize("spec_version", ["2.4", "2.3"])
async def test_send_oserror_is_reraised_and_skips_the_background(
    file_path: Path, spec_version: str
) -> None:
    attempts: list[int] = []
    ran: list[str] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            attempts.append(len(message["body"]))
            raise OSError("connection reset")

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError  # pragma: no cover

    response = FileResponse(file_path, background=BackgroundTask(ran.append, "background"))
    response.chunk_size = 16
    with pytest.raises(OSError, match="connection reset"):
        await response(make_scope(spec_version=spec_version), receive, send)
    assert attempts == [16]
    assert ran == []  # the response was never delivered


# --- Range requests -------------------------------------------------------------------------


async def range_request(
    path: Path, range_header: str, method: str = "GET", **headers: str
) -> Result:
    return await call(FileResponse(path), make_scope(method, {"range": range_header, **headers}))


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=2-5", 2, 5),
        ("bytes=7-", 7, 9),
        ("bytes=-3", 7, 9),
        ("bytes=5-99999", 5, 9),  # oversized end: clamped
        ("bytes=-99999", 0, 9),  # oversized suffix: the whole file
        ("Bytes = 1-2", 1, 2),
        ("bytes= 1 - 2 ,", 1, 2),
        ("bytes=0-1,,2-3", 0, 3),  # empty list elements are tolerated; adjacent ranges merge
        ("bytes=3-4,100-200", 3, 4),  # the unsatisfiable range is dropped
        ("bytes=1-2,x-y", 1, 2),  # a member that is not a range is skipped
        ("bytes=a-1,1-2", 1, 2),
        ("bytes=1-2,3", 1, 2),
        ("bytes=1-2,-", 1, 2),
        ("bytes=1-2,-x", 1, 2),
        ("bytes=1-2,+1-2", 1, 2),
        ("bytes=1-2,--1", 1, 2),
        ("bytes=1-2,²-3", 1, 2),
        ("bytes=0-" + "9" * 5000, 0, 9),  # a huge number is clamped, not a 500
        ("bytes=" + "0" * 5000 + "1-2", 1, 2),  # leading zeros are only zeros
    ],
)
async def test_single_range(text_path: Path, range_header: str, start: int, end: int) -> None:
    result = await range_request(text_path, range_header)
    assert result.status == 206
    assert result.body == b"abcdefghij"[start : end + 1]
    assert result.headers["content-range"] == f"bytes {start}-{end}/10"
    assert result.headers["content-length"] == str(end - start + 1)
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert [k for k, _ in result.raw_headers].count(b"content-length") == 1


async def test_other_request_headers_are_ignored(text_path: Path) -> None:
    scope = make_scope(headers={"accept": "*/*", "range": "bytes=1-1", "user-agent": "x"})
    result = await call(FileResponse(text_path), scope)
    assert result.status == 206
    assert result.body == b"b"


async def test_single_range_head(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=2-5", method="HEAD")
    assert result.status == 206
    assert result.headers["content-range"] == "bytes 2-5/10"
    assert result.headers["content-length"] == "4"
    assert result.body == b""


# The texts are upstream Starlette 1.x's, observed as a black box.
NOT_BYTES = b"Only support bytes range"
NO_RANGE = b"Range header: range must be requested"
INVERTED = b"Range header: start must be less than end"


@pytest.mark.parametrize(
    ("range_header", "text"),
    [
        ("bytes", b"Malformed range header."),  # no `=` at all
        ("bytes0-1", b"Malformed range header."),
        ("items=0-1", NOT_BYTES),
        ("byte=0-1", NOT_BYTES),
        ("=0-1", NOT_BYTES),
        ("bytes=5-2", INVERTED),
        ("bytes=1-2,9-3", INVERTED),  # one inverted range spoils the header
        ("bytes=9-3,x", INVERTED),
        ("bytes=", NO_RANGE),
        ("bytes=,", NO_RANGE),
        ("bytes=abc", NO_RANGE),
        ("bytes=1-x", NO_RANGE),
        ("bytes=-", NO_RANGE),
        ("bytes=+1-2", NO_RANGE),
        ("bytes=1_0-20", NO_RANGE),
        ("bytes=²-3", NO_RANGE),
        ("bytes=--1", NO_RANGE),
        ("bytes=0-1;x", NO_RANGE),
        ("bytes==0-1", NO_RANGE),
    ],
)
async def test_malformed_range_is_400(text_path: Path, range_header: str, text: bytes) -> None:
    result = await range_request(text_path, range_header)
    assert result.status == 400
    assert result.body == text
    assert result.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    "range_header",
    ["bytes=10-", "bytes=10-20", "bytes=-0", "bytes=20-30,40-", "bytes=" + "9" * 5000 + "-"],
)
async def test_unsatisfiable_range_is_416(text_path: Path, range_header: str) -> None:
    result = await range_request(text_path, range_header)
    assert result.status == 416
    assert result.headers["content-range"] == "bytes */10"


async def test_any_range_of_an_empty_file_is_416(tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    result = await range_request(path, "bytes=-5")
    assert result.status == 416
    assert result.headers["content-range"] == "bytes */0"


def parse_multipart(result: Result) -> tuple[str, list[tuple[dict[str, str], bytes]]]:
    content_type = result.headers["content-type"]
    match = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]+)", content_type)
    assert match is not None
    boundary = match.group(1)
    body = result.body
    assert body.endswith(f"\r\n--{boundary}--\r\n".encode())
    parts = []
    for raw_part in body[: -len(boundary) - 6].split(f"--{boundary}\r\n".encode())[1:]:
        head, _, data = raw_part.partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        headers = dict(line.decode().split(": ", 1) for line in head.split(b"\r\n"))
        parts.append((headers, data[:-2]))
    return boundary, parts


async def test_multiple_ranges_give_multipart_byteranges(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=6-7, 0-1, 3-3")
    assert result.status == 206
    assert "content-range" not in result.headers
    assert result.headers["content-length"] == str(len(result.body))
    _, parts = parse_multipart(result)
    assert parts == [
        ({"Content-Type": "text/plain; charset=utf-8", "Content-Range": "bytes 0-1/10"}, b"ab"),
        ({"Content-Type": "text/plain; charset=utf-8", "Content-Range": "bytes 3-3/10"}, b"d"),
        ({"Content-Type": "text/plain; charset=utf-8", "Content-Range": "bytes 6-7/10"}, b"gh"),
    ]
    assert b"\n" not in result.body.replace(b"\r\n", b"")  # CRLF everywhere, no bare LF


async def test_multiple_ranges_head(text_path: Path) -> None:
    full = await range_request(text_path, "bytes=0-1,4-5")
    head = await range_request(text_path, "bytes=0-1,4-5", method="HEAD")
    assert head.status == 206
    assert head.body == b""
    assert head.headers["content-length"] == full.headers["content-length"]


async def test_multipart_with_binary_file_and_chunks(file_path: Path) -> None:
    response = FileResponse(file_path)
    response.chunk_size = 7
    scope = make_scope(headers={"range": "bytes=10-29,500-,-4"})
    result = await call(response, scope)
    assert result.status == 206
    assert result.headers["content-length"] == str(len(result.body))
    _, parts = parse_multipart(result)
    assert [headers["Content-Range"] for headers, _ in parts] == [
        "bytes 10-29/1024",
        "bytes 500-1023/1024",
    ]
    assert [headers["Content-Type"] for headers, _ in parts] == ["application/octet-stream"] * 2
    assert parts[0][1] == CONTENT[10:30]
    assert parts[1][1] == CONTENT[500:]


async def test_overlapping_and_adjacent_ranges_are_merged(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=0-2,1-4,5-5,8-9,7-7")
    _, parts = parse_multipart(result)
    assert [(h["Content-Range"], data) for h, data in parts] == [
        ("bytes 0-5/10", b"abcdef"),
        ("bytes 7-9/10", b"hij"),
    ]


async def test_contained_range_is_merged(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=0-9,2-3")
    assert result.status == 206
    assert result.headers["content-range"] == "bytes 0-9/10"


async def test_thousands_of_overlapping_ranges_merge_to_one(file_path: Path) -> None:
    specs = ",".join(f"{i % 1000}-{i % 1000 + 10}" for i in range(5000))
    response = FileResponse(file_path)
    response.max_ranges = 10_000
    result = await call(response, make_scope(headers={"range": "bytes=" + specs}))
    assert result.status == 206
    assert result.headers["content-range"] == "bytes 0-1009/1024"
    assert result.body == CONTENT[:1010]


def test_thousands_of_distinct_ranges_sort_and_merge(file_path: Path) -> None:
    # Reversed and interleaved with overlapping duplicates: one sort, one merging pass.
    specs = [f"{i * 3}-{i * 3 + 1}" for i in reversed(range(5000))]
    specs += [f"{i * 3 + 1}-{i * 3 + 1}" for i in range(5000)]
    response = FileResponse(file_path)
    response.max_ranges = 10_000
    ranges = response._parse_range_header("bytes=" + ",".join(specs), 5000 * 3)
    assert ranges == [(i * 3, i * 3 + 2) for i in range(5000)]


@pytest.mark.parametrize(
    "specs",
    [
        ",".join(f"{i * 3}-{i * 3}" for i in range(101)),
        "0-0" + "," * 100,  # empty members count: the header is not parsed to find out
        "9-3," * 100,  # an inverted range the parser would refuse is never seen
        "x," * 101,
    ],
)
async def test_more_than_max_ranges_is_ignored(file_path: Path, specs: str) -> None:
    result = await range_request(file_path, "bytes=" + specs)
    assert result.status == 200
    assert result.body == CONTENT
    assert "content-range" not in result.headers


async def test_ten_thousand_ranges_are_counted_not_parsed(
    file_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 112 KB of ranges: one count of the commas decides, no range is parsed (or sorted).
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(10_000))
    assert len(header) > 110_000

    def no_parsing(self: FileResponse, http_range: str, file_size: int) -> None:
        raise AssertionError("parsed")  # pragma: no cover

    monkeypatch.setattr(FileResponse, "_parse_range_header", no_parsing)
    result = await range_request(file_path, header)
    assert result.status == 200
    assert result.body == CONTENT


async def test_max_ranges_members_with_a_trailing_comma_are_ignored(file_path: Path) -> None:
    # 100 ranges and an empty element: 101 members, as upstream counts them.
    result = await range_request(file_path, "bytes=" + "0-0," * 100)
    assert result.status == 200


async def test_exactly_max_ranges_is_served(file_path: Path) -> None:
    specs = ",".join(f"{i * 3}-{i * 3}" for i in range(100))
    result = await range_request(file_path, "bytes=" + specs)
    assert result.status == 206
    _, parts = parse_multipart(result)
    assert len(parts) == 100
    assert all(data == CONTENT[i * 3 : i * 3 + 1] for i, (_, data) in enumerate(parts))


async def test_range_ignored_for_post(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=0-1", method="POST")
    assert result.status == 200
    assert result.body == b"abcdefghij"
    assert "content-range" not in result.headers


async def test_range_ignored_when_status_is_not_200(text_path: Path) -> None:
    response = FileResponse(text_path, status_code=404)
    result = await call(response, make_scope(headers={"range": "bytes=0-1"}))
    assert result.status == 404
    assert result.body == b"abcdefghij"


async def test_malformed_range_ignored_for_post(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=9-1", method="POST")
    assert result.status == 200


async def test_if_range_with_matching_etag_honours_range(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=0-1", **{"if-range": expected_etag(text_path)})
    assert result.status == 206
    assert result.body == b"ab"


async def test_if_range_with_other_etag_sends_full_file(text_path: Path) -> None:
    result = await range_request(text_path, "bytes=0-1", **{"if-range": '"other"'})
    assert result.status == 200
    assert result.body == b"abcdefghij"


async def test_if_range_with_weak_etag_never_matches(text_path: Path) -> None:
    weak = "W/" + expected_etag(text_path)
    result = await range_request(text_path, "bytes=0-1", **{"if-range": weak})
    assert result.status == 200


async def test_if_range_never_matches_a_weak_response_etag(text_path: Path) -> None:
    response = FileResponse(text_path, headers={"etag": 'W/"abc"'})
    scope = make_scope(headers={"range": "bytes=0-1", "if-range": 'W/"abc"'})
    assert (await call(response, scope)).status == 200
    scope = make_scope(headers={"range": "bytes=0-1", "if-range": '"abc"'})
    assert (await call(response, scope)).status == 200


async def test_if_range_with_matching_date_honours_range(text_path: Path) -> None:
    last_modified = formatdate(os.stat(text_path).st_mtime, usegmt=True)
    result = await range_request(text_path, "bytes=0-1", **{"if-range": last_modified})
    assert result.status == 206


async def test_if_range_with_equivalent_date_format_honours_range(text_path: Path) -> None:
    last_modified = formatdate(os.stat(text_path).st_mtime, usegmt=True)
    # The same instant written with "+0000" instead of "GMT".
    result = await range_request(
        text_path, "bytes=0-1", **{"if-range": last_modified.replace("GMT", "+0000")}
    )
    assert result.status == 206


@pytest.mark.parametrize(
    "if_range", ["Thu, 01 Jan 1970 00:00:00 GMT", "not a date", "", "W/ sometime"]
)
async def test_if_range_with_other_date_sends_full_file(text_path: Path, if_range: str) -> None:
    result = await range_request(text_path, "bytes=0-1", **{"if-range": if_range})
    assert result.status == 200
    assert result.body == b"abcdefghij"


async def test_if_range_without_validators_sends_full_file(text_path: Path) -> None:
    # The validators were removed from the response: no If-Range value can match.
    bare = FileResponse(text_path, stat_result=os.stat(text_path))
    bare.raw_headers[:] = [h for h in bare.raw_headers if h[0] not in (b"etag", b"last-modified")]
    for if_range in ('"x"', "Thu, 01 Jan 1970 00:00:00 GMT"):
        scope = make_scope(headers={"range": "bytes=0-1", "if-range": if_range})
        assert (await call(bare, scope)).status == 200


async def test_range_responses_do_not_mutate_the_response_headers(text_path: Path) -> None:
    response = FileResponse(text_path, stat_result=os.stat(text_path))
    before = list(response.raw_headers)
    single = await call(response, make_scope(headers={"range": "bytes=0-1"}))
    multi = await call(response, make_scope(headers={"range": "bytes=0-1,4-5"}))
    full = await call(response)
    assert response.raw_headers == before
    assert single.status == multi.status == 206
    assert full.status == 200
    assert full.headers["content-length"] == "10"
    assert full.body == b"abcdefghij"


SHORTER = re.escape("is shorter than expected.")


async def test_multiple_ranges_of_a_file_that_ends_early_raise(text_path: Path) -> None:
    response = FileResponse(text_path, stat_result=os.stat(text_path))
    text_path.write_bytes(b"abc")
    # Upstream's text: the file ended inside the second range.
    with pytest.raises(RuntimeError, match=f"File at path {re.escape(str(text_path))} {SHORTER}"):
        await call(response, make_scope(headers={"range": "bytes=1-2,5-8"}))


async def test_single_range_of_a_file_that_ends_early_raises(text_path: Path) -> None:
    response = FileResponse(text_path, stat_result=os.stat(text_path))
    text_path.write_bytes(b"abc")
    with pytest.raises(RuntimeError, match=SHORTER):
        await call(response, make_scope(headers={"range": "bytes=1-8"}))


async def test_range_of_a_file_that_ends_early_midway_raises(
    file_path: Path,
) -> None:
    # The first chunk went out; the file ended before the range did.
    response = FileResponse(file_path, stat_result=os.stat(file_path))
    file_path.write_bytes(CONTENT[:300])
    response.chunk_size = 128
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    scope = make_scope(headers={"range": "bytes=0-999"})
    with pytest.raises(RuntimeError, match=SHORTER):
        await response(scope, receive, send)
    assert sent[0]["status"] == 206
    assert all(message.get("more_body", True) for message in sent)


async def test_range_of_a_preloaded_file_that_ends_early_raises(file_path: Path) -> None:
    response = FileResponse(file_path, stat_result=os.stat(file_path))
    response.preload(CONTENT[:10])
    with pytest.raises(RuntimeError, match=SHORTER):
        await call(response, make_scope(headers={"range": "bytes=5-20"}))


def test_generate_multipart_length_matches_the_body() -> None:
    response = FileResponse("/x.txt")
    ranges = [(0, 5), (10, 20)]
    length, part_header = response.generate_multipart(ranges, "b0undary", 100, "text/plain")
    assert part_header(0, 5) == (
        b"--b0undary\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/100\r\n\r\n"
    )
    body = b"".join(part_header(s, e) + b"x" * (e - s) + b"\r\n" for s, e in ranges)
    body += b"--b0undary--\r\n"
    assert length == len(body)


def test_range_exceptions() -> None:
    assert MalformedRangeHeader().content == "Malformed range header."
    assert MalformedRangeHeader("custom").content == "custom"
    assert RangeNotSatisfiable(10).max_size == 10
