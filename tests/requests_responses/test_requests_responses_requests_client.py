"""`Request` behind a real HTTP client: bodies as httpx encodes them, errors as clients see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

TestClientFactory = Callable[..., Any]


def endpoint_app(
    endpoint: Callable[[Request], Any],
) -> Callable[[Scope, Receive, Send], Any]:
    """An ASGI app calling `endpoint(request)`; a form error becomes a plain-text 400.

    No application around it: the form raises `MultiPartException`, as upstream's does.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response: Response = await endpoint(request)
        except MultiPartException as exc:
            response = PlainTextResponse(exc.message, status_code=400)
        await response(scope, receive, send)

    return app


async def describe_form(request: Request) -> Response:
    async with request.form(max_files=2, max_fields=3, max_part_size=1024) as form:
        result: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                result[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "size": value.size,
                    "content": content.decode(),
                }
            else:
                result[key] = value
    return JSONResponse(result)


def test_urlencoded_form_from_a_client(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    response = client.post("/", data={"name": "Jane Doe & co", "city": "Zürich"})
    assert response.status_code == 200
    assert response.json() == {"name": "Jane Doe & co", "city": "Zürich"}


def test_multipart_form_from_a_client(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    response = client.post(
        "/",
        data={"title": "report"},
        files={"upload": ("report.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert response.status_code == 200
    assert response.json() == {
        "title": "report",
        "upload": {
            "filename": "report.csv",
            "content_type": "text/csv",
            "size": 8,
            "content": "a,b\n1,2\n",
        },
    }


def test_too_many_files_answers_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    files = [("f", (f"{index}.txt", b"x", "text/plain")) for index in range(3)]
    response = client.post("/", files=files)
    assert response.status_code == 400
    assert response.text == "Too many files. Maximum number of files is 2."


def test_too_many_fields_answers_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    response = client.post("/", data={"a": "1", "b": "2", "c": "3", "d": "4"})
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 3."
    response = client.post("/", data={"a": "1", "b": "2", "c": "3", "d": "4"}, files={"f": b"x"})
    assert response.status_code == 400
    assert response.text == "Too many fields. Maximum number of fields is 3."


def test_oversized_field_answers_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    response = client.post("/", data={"a": "x" * 2000})
    assert response.status_code == 400
    assert response.text == "Field exceeded maximum size of 1KB."
    response = client.post("/", data={"a": "x" * 2000}, files={"f": b"x"})
    assert response.status_code == 400
    assert response.text == "Part exceeded maximum size of 1KB."


def test_malformed_multipart_answers_400(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(endpoint_app(describe_form))
    response = client.post(
        "/", content=b"not multipart", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert response.text == "Missing boundary in multipart."
    response = client.post(
        "/",
        content=b"definitely not multipart",
        headers={"content-type": "multipart/form-data; boundary=abc"},
    )
    assert response.status_code == 400
    assert response.text == "Invalid multipart data."


def test_body_json_cookies_and_client(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        return JSONResponse(
            {
                "method": request.method,
                "url": str(request.url),
                "json": await request.json(),
                "body_length": len(await request.body()),
                "cookies": request.cookies,
                "client": list(request.client) if request.client else None,
                "query": request.query_params.getlist("q"),
            }
        )

    client = test_client_factory(endpoint_app(endpoint))
    response = client.post(
        "/path?q=1&q=2", json={"a": 1}, headers={"cookie": "session=abc; theme=dark"}
    )
    assert response.json() == {
        "method": "POST",
        "url": "http://testserver/path?q=1&q=2",
        "json": {"a": 1},
        "body_length": len(b'{"a":1}'),
        "cookies": {"session": "abc", "theme": "dark"},
        "client": ["testclient", 50000],
        "query": ["1", "2"],
    }


def test_streamed_body_from_a_client(test_client_factory: TestClientFactory) -> None:
    async def endpoint(request: Request) -> Response:
        chunks = [chunk async for chunk in request.stream()]
        return JSONResponse(
            {"total": sum(len(chunk) for chunk in chunks), "last": chunks[-1].hex()}
        )

    def generate() -> Any:
        yield b"a" * 10
        yield b"b" * 20

    client = test_client_factory(endpoint_app(endpoint))
    response = client.post("/", content=generate())
    assert response.json() == {"total": 30, "last": ""}


def test_early_hints_are_a_no_op_without_the_extension(
    test_client_factory: TestClientFactory,
) -> None:
    async def endpoint(request: Request) -> Response:
        await request.send_early_hints("</style.css>; rel=preload; as=style")
        await request.send_push_promise("/style.css")
        return PlainTextResponse("ok")

    client = test_client_factory(endpoint_app(endpoint))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "ok"
