"""Advisories against form parsing: resource exhaustion through multipart and urlencoded bodies."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Iterator

import python_multipart
from packaging.requirements import Requirement
from packaging.version import Version

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

BOUNDARY = "advisory"


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body of `(name, filename or None, data)` parts."""
    body = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data
        body += b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def form_app(**limits: int):
    async def endpoint(request: Request) -> JSONResponse:
        async with request.form(**limits) as form:
            sizes = {}
            for key, value in form.multi_items():
                sizes[key] = len(value) if isinstance(value, str) else len(await value.read())
            return JSONResponse(sizes)

    return Starlette(routes=[Route("/", endpoint, methods=["POST"])])


def post(client, body: bytes, content_type: str = f"multipart/form-data; boundary={BOUNDARY}"):
    return client.post("/", content=body, headers={"Content-Type": content_type})


def test_multipart_file_count_is_capped(test_client_factory) -> None:
    """Resource exhaustion: a body with thousands of tiny files (one temp file each)."""
    client = test_client_factory(form_app(max_files=3))
    files = [(f"f{i}", f"{i}.txt", b"x") for i in range(4)]
    assert post(client, multipart(*files[:3])).status_code == 200
    response = post(client, multipart(*files))
    assert response.status_code == 400
    assert response.text == "Too many files. Maximum number of files is 3."


def test_multipart_and_urlencoded_field_count_is_capped(test_client_factory) -> None:
    """Resource exhaustion: a body with a huge number of tiny fields."""
    client = test_client_factory(form_app(max_fields=3))
    fields = [(f"k{i}", None, b"v") for i in range(4)]
    assert post(client, multipart(*fields[:3])).status_code == 200
    response = post(client, multipart(*fields))
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 3."
    urlencoded = "application/x-www-form-urlencoded"
    response = post(client, b"&".join(b"k%d=v" % i for i in range(4)), urlencoded)
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 3."


def test_multipart_part_size_is_capped_however_the_body_is_chunked(test_client_factory) -> None:
    """Memory exhaustion: one oversized part trickled in many small chunks."""
    client = test_client_factory(form_app(max_part_size=1024))
    body = multipart(("field", None, b"x" * 1025))

    def trickle() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    response = client.post(
        "/",
        content=trickle(),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert response.status_code == 400
    assert response.text == "Part exceeded maximum size of 1KB."
    assert post(client, multipart(("field", None, b"x" * 1000))).json() == {"field": 1000}


def test_in_memory_fields_without_filename_are_capped_by_default(test_client_factory) -> None:
    """Memory exhaustion (CVE-2024-47874 class): parts without a filename are held in memory,
    so they are capped even when the application sets no limit; files spool to disk instead."""
    client = test_client_factory(form_app())
    big = b"x" * (1024 * 1024 + 1)
    response = post(client, multipart(("field", None, big)))
    assert response.status_code == 400
    assert response.text == "Part exceeded maximum size of 1024KB."
    assert post(client, multipart(("upload", "big.bin", big))).json() == {"upload": len(big)}


def test_upload_rollover_to_disk_runs_off_the_event_loop(test_client_factory) -> None:
    """Event-loop stall: writing a large upload to its temporary file on the loop.

    The suite runs with blockbuster active: a blocking write in starlette code would fail this.
    """
    rolled = []

    async def endpoint(request: Request) -> PlainTextResponse:
        async with request.form() as form:
            upload = form["upload"]
            assert isinstance(upload, UploadFile)
            rolled.append(upload.file._rolled)  # type: ignore[attr-defined]  # spooled to disk
            data = await upload.read()
            return PlainTextResponse(f"{upload.size} {len(data)} {data == payload}")

    payload = bytes(range(256)) * 8 * 1024  # 2 MiB, over the 1 MiB spool size
    client = test_client_factory(Starlette(routes=[Route("/", endpoint, methods=["POST"])]))
    response = post(client, multipart(("upload", "big.bin", payload)))
    assert response.status_code == 200
    assert response.text == f"{len(payload)} {len(payload)} True"
    assert rolled == [True]


def test_python_multipart_minimum_is_free_of_content_type_redos(test_client_factory) -> None:
    """ReDoS (CVE-2024-24762, fixed in python-multipart 0.0.7) and boundary-handling DoS
    (CVE-2024-53981, fixed in 0.0.18): the declared minimum excludes both."""
    requirements = [
        Requirement(line)
        for line in importlib.metadata.requires("starlette-requests-responses") or []
    ]
    (declared,) = [req for req in requirements if req.name == "python-multipart"]
    assert Version("0.0.18") in declared.specifier
    for vulnerable in ("0.0.6", "0.0.7", "0.0.17"):
        assert Version(vulnerable) not in declared.specifier
    assert Version(python_multipart.__version__) >= Version("0.0.18")

    client = test_client_factory(form_app())
    pathological = [
        "multipart/form-data; " + ";" * 65536 + f"boundary={BOUNDARY}",
        "multipart/form-data; boundary=" + '"' + "\\" * 65536,
        "multipart/form-data;" + " a=" * 20000 + "b",
        "application/x-www-form-urlencoded; " + "\t" * 65536,
    ]
    started = time.monotonic()
    for content_type in pathological:
        response = post(client, multipart(("field", None, b"v")), content_type)
        assert response.status_code in (200, 400)
    # Backtracking on 64 KiB headers would take minutes; a generous bound, not a benchmark.
    assert time.monotonic() - started < 20


def test_multipart_garbage_around_boundaries_is_parsed_in_linear_work(test_client_factory) -> None:
    """DoS (CVE-2024-53981 class): megabytes of CR/LF before the first and after the last
    boundary must not cost per-byte work such as a log line each."""
    client = test_client_factory(form_app())
    body = b"\r\n" * (512 * 1024) + multipart(("field", None, b"v")) + b"\r\n" * (512 * 1024)
    started = time.monotonic()
    response = post(client, body)
    assert response.status_code in (200, 400)
    assert time.monotonic() - started < 20
