"""Fuzz target: the urlencoded and multipart form parsers, fed through a full `Starlette` app.

The body arrives in fuzzed chunks under a fixed, a fuzzed or a broken `Content-Type`. Checks:
every answer is 200, 400 or 413 (never 5xx, an escaping exception or a hang), and a 200 echoes
a form whose sizes respect the limits the endpoint set.
"""

from __future__ import annotations

import json
import logging
import sys

import atheris

with atheris.instrument_imports(include=["starlette", "multipart", "python_multipart"]):
    from starlette.applications import Starlette
    from starlette.datastructures import UploadFile
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

from tests.fuzz._asgi import Finding, call, http_scope

# python-multipart logs every malformed input it skips: that is expected here, and noisy.
logging.disable(logging.WARNING)

MAX_FILES = 3
MAX_FIELDS = 5
MAX_PART_SIZE = 256
CONTENT_TYPES = [
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=XyZ",
    b'multipart/form-data; boundary="a b"; charset=latin-1',
    b"multipart/form-data",
]
SEEDS = [
    b"\x00\x00a=1&b=2&c=%ZZ&&=x&y",
    b'\x01\x05--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nvalue\r\n--XyZ--\r\n',
    b'\x01\x03--XyZ\r\nContent-Disposition: form-data; name="up"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data;"
    b' name="g"\r\n\r\n\xff\xfe\r\n--XyZ--\r\n',
    b"\x02\x01--a b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--a b--",
    b"\x04\x02multipart/form-data; boundary=\n--\r\n\r\n",
]
DICTIONARY = [
    b"--XyZ",
    b"\r\n",
    b"Content-Disposition: form-data; ",
    b'name="',
    b'filename="',
    b"filename*=utf-8''",
    b"Content-Type: ",
    b"Content-Transfer-Encoding: base64",
    b"boundary=",
    b"%",
    b"&",
    b"=",
]


async def form_endpoint(request: Request) -> JSONResponse:
    async with request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_PART_SIZE
    ) as form:
        fields = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                fields.append([name, value.filename, len(content), value.size])
            else:
                fields.append([name, None, len(value.encode("utf-8", "surrogatepass")), None])
    return JSONResponse(fields)


app = Starlette(routes=[Route("/form", form_endpoint, methods=["POST"])], max_body_size=64_000)


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    choice, cuts, body = data[0], data[1], data[2:]
    if choice < 4 * len(CONTENT_TYPES):
        content_type = CONTENT_TYPES[choice % len(CONTENT_TYPES)]
    else:
        content_type, _, body = body.partition(b"\n")
    # Split the body where the cut byte says, so parsers see boundaries inside every token.
    step = (cuts % 16) + 1
    chunks = [body[i : i + step] for i in range(0, len(body), step)] if cuts >= 16 else [body]
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ]
    response = call(app, http_scope("POST", "/form", b"/form", b"", headers), chunks)
    if response.status in (400, 413):
        return
    if response.status != 200:
        raise Finding(f"unexpected status {response.status}: {bytes(response.body)[:200]!r}")
    fields = json.loads(response.body)
    files = [field for field in fields if field[1] is not None]
    if len(files) > MAX_FILES or len(fields) - len(files) > MAX_FIELDS:
        raise Finding(f"limits not enforced: {fields!r}")
    for _name, filename, length, size in fields:
        if filename is None and length > MAX_PART_SIZE * 4:
            raise Finding(f"field over max_part_size: {length} bytes")
        if filename is not None and length != size:
            raise Finding(f"UploadFile.size {size} != {length} bytes read")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
