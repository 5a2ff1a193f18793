from __future__ import annotations

import os
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.datastructures import Headers, URLPath
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect


def mount(prefix: str, app: StaticFiles) -> Any:
    """What `Mount(prefix, app)` does to the scope: extend `root_path`, keep `path`."""

    async def mounted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(prefix):
            scope = {**scope, "root_path": scope.get("root_path", "") + prefix}
            await app(scope, receive, send)
        else:
            await PlainTextResponse("outside the mount", status_code=404)(scope, receive, send)

    return mounted


def with_exception_handlers(app: StaticFiles) -> Any:
    """Stands in for ExceptionMiddleware: sets its scope key and renders HTTPException itself."""

    async def handled(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = ({}, {})
        try:
            await app(scope, receive, send)
        except HTTPException as exc:
            response = PlainTextResponse(
                f"handled {exc.status_code}", status_code=exc.status_code, headers=exc.headers
            )
            await response(scope, receive, send)

    return handled


# --- plain serving -------------------------------------------------------------------------------


def test_serves_a_file(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.get("/example.txt")
    assert response.status_code == 200
    assert response.text == "<file content>"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len("<file content>"))
    assert response.headers["etag"].startswith('"')
    mtime = os.stat(static_dir / "example.txt").st_mtime
    assert response.headers["last-modified"] == formatdate(mtime, usegmt=True)


def test_serves_a_nested_file_from_a_path_directory(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=str(static_dir)))
    response = client.get("/css/base.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert response.headers["content-type"].startswith("text/css")


def test_head_sends_headers_only(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.head("/example.txt")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len("<file content>"))
    assert "etag" in response.headers


def test_missing_file_is_404(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.get("/404.txt")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_directory_without_html_mode_is_404(test_client_factory, static_dir: Path) -> None:
    (static_dir / "css" / "index.html").write_text("<h1>css</h1>")
    client = test_client_factory(StaticFiles(directory=static_dir))
    assert client.get("/css/").status_code == 404
    assert client.get("/").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_405_with_allow(
    test_client_factory, static_dir: Path, method: str
) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.request(method, "/example.txt")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.text == "Method Not Allowed"


def test_errors_are_raised_for_exception_handlers(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(with_exception_handlers(StaticFiles(directory=static_dir)))
    response = client.get("/missing.txt")
    assert response.status_code == 404
    assert response.text == "handled 404"
    response = client.post("/example.txt")
    assert response.status_code == 405
    assert response.text == "handled 405"
    assert response.headers["allow"] == "GET, HEAD"
    assert client.get("/example.txt").text == "<file content>"


def test_range_requests_reach_file_response(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.get("/example.txt", headers={"Range": "bytes=1-4"})
    assert response.status_code == 206
    assert response.content == b"file"
    assert response.headers["content-range"] == f"bytes 1-4/{len('<file content>')}"


def test_websocket_is_refused(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    with pytest.raises(WebSocketDisconnect) as exc_info, client.websocket_connect("/example.txt"):
        pass  # pragma: no cover - the connection is refused
    assert exc_info.value.code == 1000


def test_lifespan_is_acknowledged(test_client_factory, static_dir: Path) -> None:
    with test_client_factory(StaticFiles(directory=static_dir)) as client:
        assert client.get("/example.txt").status_code == 200


@pytest.mark.anyio
async def test_unknown_scope_type_is_an_error(static_dir: Path) -> None:
    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    app = StaticFiles(directory=static_dir, check_dir=False)
    with pytest.raises(RuntimeError, match=r"^StaticFiles cannot serve 'telepathy' connections\.$"):
        await app({"type": "telepathy"}, receive, send)


def test_mounted_under_a_prefix(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(mount("/static", StaticFiles(directory=static_dir)))
    response = client.get("/static/css/base.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert client.get("/static/nope.css").status_code == 404


def test_url_for_a_mounted_file(test_client_factory, static_dir: Path) -> None:
    class FakeRouter:
        def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
            assert name == "static"
            return URLPath("/static" + path_params["path"])

    request = Request({**_http_scope("/"), "router": FakeRouter()})
    url = request.url_for("static", path="/css/base.css")
    assert str(url) == "http://testserver/static/css/base.css"
    client = test_client_factory(mount("/static", StaticFiles(directory=static_dir)))
    assert client.get(str(url)).text == "body { color: red }"


def _http_scope(path: str) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "root_path": "",
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
    }


# --- html mode -----------------------------------------------------------------------------------


@pytest.fixture
def html_dir(static_dir: Path) -> Path:
    (static_dir / "index.html").write_text("<h1>Home</h1>")
    (static_dir / "docs").mkdir()
    (static_dir / "docs" / "index.html").write_text("<h1>Docs</h1>")
    (static_dir / "404.html").write_text("<h1>Custom not found</h1>")
    return static_dir


def test_html_serves_index(test_client_factory, html_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=html_dir, html=True))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "<h1>Home</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/docs/").text == "<h1>Docs</h1>"


def test_html_redirects_directory_to_trailing_slash(test_client_factory, html_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=html_dir, html=True), follow_redirects=False)
    response = client.get("/docs?x=1")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/docs/?x=1"

    following = test_client_factory(StaticFiles(directory=html_dir, html=True))
    response = following.get("/docs")
    assert response.status_code == 200
    assert response.text == "<h1>Docs</h1>"
    assert str(response.url) == "http://testserver/docs/"


def test_html_redirect_keeps_the_mount_prefix(test_client_factory, html_dir: Path) -> None:
    app = mount("/static", StaticFiles(directory=html_dir, html=True))
    client = test_client_factory(app, follow_redirects=False)
    response = client.get("/static")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/static/"
    response = client.get("/static/docs")
    assert response.headers["location"] == "http://testserver/static/docs/"
    assert client.get("/static/").text == "<h1>Home</h1>"


def test_html_serves_404_page(test_client_factory, html_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=html_dir, html=True))
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "<h1>Custom not found</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_html_directory_without_index_gets_404_page(test_client_factory, html_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=html_dir, html=True))
    response = client.get("/css/")
    assert response.status_code == 404
    assert response.text == "<h1>Custom not found</h1>"


def test_html_404_page_is_never_a_304(test_client_factory, html_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=html_dir, html=True))
    etag = client.get("/missing").headers["etag"]
    response = client.get("/missing", headers={"If-None-Match": etag})
    assert response.status_code == 404
    assert response.text == "<h1>Custom not found</h1>"


def test_html_without_404_page(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir, html=True))
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_html_index_directory_is_not_a_file(test_client_factory, static_dir: Path) -> None:
    (static_dir / "odd").mkdir()
    (static_dir / "odd" / "index.html").mkdir()
    client = test_client_factory(StaticFiles(directory=static_dir, html=True))
    assert client.get("/odd/").status_code == 404


def test_html_404_page_directory_is_ignored(test_client_factory, static_dir: Path) -> None:
    (static_dir / "404.html").mkdir()
    client = test_client_factory(StaticFiles(directory=static_dir, html=True))
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text == "Not Found"


# --- conditional requests ------------------------------------------------------------------------


@pytest.fixture
def cached(test_client_factory, static_dir: Path) -> Any:
    client = test_client_factory(StaticFiles(directory=static_dir))
    first = client.get("/example.txt")
    return client, first.headers["etag"], first.headers["last-modified"]


def test_if_none_match_exact(cached) -> None:
    client, etag, _ = cached
    response = client.get("/example.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    for name in ("content-type", "content-length", "last-modified", "accept-ranges"):
        assert name not in response.headers


def test_if_none_match_head(cached) -> None:
    client, etag, _ = cached
    assert client.head("/example.txt", headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "header",
    [
        '"a", {etag}',
        '"a",{etag} , "b"',
        "W/{etag}",
        '"a", W/{etag}',
        "*",
        " * ",
        "{etag}, *",  # the tag matches; the `*` beside it does not matter
        "*, {etag}",
    ],
)
def test_if_none_match_lists_weak_and_star(cached, header: str) -> None:
    client, etag, _ = cached
    response = client.get("/example.txt", headers={"If-None-Match": header.format(etag=etag)})
    assert response.status_code == 304


@pytest.mark.parametrize(
    "header",
    [
        '"other"',
        'W/"other"',
        '"a", "b"',
        "",
        # `*` matches everything only alone, as upstream 1.x has it: not inside a list.
        '"x", *',
        '*, "x"',
        "*, *",
        "W/*",
        "**",
    ],
)
def test_if_none_match_mismatch(cached, header: str) -> None:
    client, _, _ = cached
    response = client.get("/example.txt", headers={"If-None-Match": header})
    assert response.status_code == 200
    assert response.text == "<file content>"


def test_if_none_match_on_several_header_lines(cached) -> None:
    client, etag, _ = cached
    headers = [("If-None-Match", '"a"'), ("If-None-Match", f'"b", {etag}')]
    assert client.get("/example.txt", headers=headers).status_code == 304


def test_if_modified_since(cached) -> None:
    client, _, last_modified = cached
    assert (
        client.get("/example.txt", headers={"If-Modified-Since": last_modified}).status_code == 304
    )
    later = formatdate(time.time() + 3600, usegmt=True)
    assert client.get("/example.txt", headers={"If-Modified-Since": later}).status_code == 304
    earlier = "Thu, 01 Jan 1970 00:00:01 GMT"
    response = client.get("/example.txt", headers={"If-Modified-Since": earlier})
    assert response.status_code == 200
    assert response.text == "<file content>"


@pytest.mark.parametrize(
    "header",
    ["not a date", "", "Mon, 01 Jan 99999999999 00:00:00 GMT", "Fri, 01 Jan 10000 00:00:00 GMT"],
)
def test_if_modified_since_invalid_is_ignored(cached, header: str) -> None:
    client, _, _ = cached
    response = client.get("/example.txt", headers={"If-Modified-Since": header})
    assert response.status_code == 200
    assert response.text == "<file content>"


def test_if_none_match_takes_precedence_over_if_modified_since(cached) -> None:
    client, etag, last_modified = cached
    response = client.get(
        "/example.txt", headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    )
    assert response.status_code == 200
    response = client.get(
        "/example.txt",
        headers={"If-None-Match": etag, "If-Modified-Since": "Thu, 01 Jan 1970 00:00:01 GMT"},
    )
    assert response.status_code == 304


def test_not_modified_response_keeps_only_allowed_headers() -> None:
    source = PlainTextResponse(
        "body",
        headers={
            "Cache-Control": "max-age=60",
            "Content-Location": "/a",
            "Date": "Thu, 01 Jan 1970 00:00:01 GMT",
            "ETag": '"x"',
            "Expires": "0",
            "Vary": "Accept-Encoding",
            "Last-Modified": "Thu, 01 Jan 1970 00:00:01 GMT",
            "X-Other": "1",
        },
    )
    response = NotModifiedResponse(source.headers)
    assert response.status_code == 304
    assert response.body == b""
    assert dict(response.headers) == {
        "cache-control": "max-age=60",
        "content-location": "/a",
        "date": "Thu, 01 Jan 1970 00:00:01 GMT",
        "etag": '"x"',
        "expires": "0",
        "vary": "Accept-Encoding",
    }


def test_is_not_modified_without_validators() -> None:
    app = StaticFiles()
    no_validators = Headers()
    tagged = Headers({"etag": '"x"'})
    assert app.is_not_modified(tagged, Headers()) is False
    # Without an ETag on the response, only `*` can match.
    assert app.is_not_modified(no_validators, Headers({"if-none-match": "*"})) is True
    assert app.is_not_modified(no_validators, Headers({"if-none-match": '"x"'})) is False
    since = Headers({"if-modified-since": "Thu, 01 Jan 1970 00:00:01 GMT"})
    assert app.is_not_modified(no_validators, since) is False


@settings(database=None)
@given(if_none_match=st.text(), if_modified_since=st.text())
def test_is_not_modified_never_raises(if_none_match: str, if_modified_since: str) -> None:
    app = StaticFiles()
    response_headers = Headers({"etag": '"x"', "last-modified": "Thu, 01 Jan 1970 00:00:01 GMT"})
    for name, value in (("if-none-match", if_none_match), ("if-modified-since", if_modified_since)):
        request_headers = Headers(raw=[(name.encode(), value.encode())])
        assert isinstance(app.is_not_modified(response_headers, request_headers), bool)
