from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Iterable
from typing import Any

import anyio
import pytest

from starlette.datastructures import URL, Address, FormData, State, UploadFile, URLPath
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import (
    ClientDisconnect,
    HTTPConnection,
    Request,
    cookie_parser,
    empty_receive,
    empty_send,
)
from starlette.types import Message, Receive, Scope

BOUNDARY = "b0undary"


def http_scope(
    path: str = "/",
    *,
    query_string: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    method: str = "GET",
    **extra: Any,
) -> Scope:
    scope: Scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("203.0.113.9", 51000),
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query_string,
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
    }
    scope.update(extra)
    return scope


def receive_from(*messages: Message) -> tuple[Receive, list[Message]]:
    """A receive callable replaying `messages`; the list records what was received."""
    pending = list(messages)
    received: list[Message] = []

    async def receive() -> Message:
        assert pending, "receive() called after the last message"
        message = pending.pop(0)
        received.append(message)
        return message

    return receive, received


def body_messages(*chunks: bytes) -> list[Message]:
    if not chunks:
        return [{"type": "http.request"}]
    return [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]


def make_request(*chunks: bytes, content_type: str | None = None, **scope_kwargs: Any) -> Request:
    headers = list(scope_kwargs.pop("headers", []))
    if content_type is not None:
        headers.append(("content-type", content_type))
    receive, _ = receive_from(*body_messages(*chunks))
    return Request(http_scope(headers=headers, method="POST", **scope_kwargs), receive)


def multipart_body(*parts: tuple[str, str | None, bytes]) -> bytes:
    """`parts` are (field name, filename or None, content)."""
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"
# What ExceptionMiddleware puts in the scope: the request is inside an application.
IN_APP: dict[str, Any] = {"starlette.exception_handlers": ({}, {})}


# --- cookie_parser ---


def test_cookie_parser_basic() -> None:
    assert cookie_parser("session=abc; theme=dark") == {"session": "abc", "theme": "dark"}


def test_cookie_parser_strips_whitespace_and_skips_empty_chunks() -> None:
    assert cookie_parser("  a = 1 ;; ;b=2;  ") == {"a": "1", "b": "2"}
    assert cookie_parser("") == {}


def test_cookie_parser_chunk_without_equals_has_empty_name() -> None:
    assert cookie_parser("lonely; a=1") == {"": "lonely", "a": "1"}


def test_cookie_parser_keeps_equals_in_value() -> None:
    assert cookie_parser("token=abc==; q=a=b") == {"token": "abc==", "q": "a=b"}


def test_cookie_parser_later_duplicate_wins() -> None:
    assert cookie_parser("a=1; b=2; a=3") == {"a": "3", "b": "2"}


def test_cookie_parser_empty_value_kept() -> None:
    assert cookie_parser("a=; b=2") == {"a": "", "b": "2"}


def test_cookie_parser_unquotes_like_http_cookies() -> None:
    cookies = cookie_parser(
        r'plain="hello world"; esc="say \"hi\""; octal="a\054b\073c"; back="x\\y"; lone="'
    )
    assert cookies == {
        "plain": "hello world",
        "esc": 'say "hi"',
        "octal": "a,b;c",
        "back": "x\\y",
        "lone": '"',
    }


def test_cookie_parser_half_quoted_values_unchanged() -> None:
    assert cookie_parser('a="open; b=close"') == {"a": '"open', "b": 'close"'}
    assert cookie_parser(r"a=\054") == {"a": r"\054"}


# --- empty channels ---


@pytest.mark.anyio
async def test_empty_receive_and_send_raise() -> None:
    with pytest.raises(RuntimeError, match=r"^Receive channel has not been made available$"):
        await empty_receive()
    with pytest.raises(RuntimeError, match=r"^Send channel has not been made available$"):
        await empty_send({"type": "http.response.start"})


@pytest.mark.anyio
async def test_request_without_channels() -> None:
    request = Request(http_scope())
    with pytest.raises(RuntimeError, match=r"Receive channel"):
        await request.body()
    assert request.receive is empty_receive


# --- HTTPConnection ---


def test_connection_accepts_http_and_websocket_only() -> None:
    assert HTTPConnection(http_scope()).scope["type"] == "http"
    assert HTTPConnection({**http_scope(), "type": "websocket"}).scope["type"] == "websocket"
    with pytest.raises(AssertionError):
        HTTPConnection({"type": "lifespan"})


def test_request_requires_http_scope() -> None:
    with pytest.raises(AssertionError):
        Request({**http_scope(), "type": "websocket"})


def test_connection_is_a_mapping_over_the_scope() -> None:
    scope = http_scope()
    connection = HTTPConnection(scope)
    assert connection["path"] == "/"
    assert len(connection) == len(scope)
    assert list(connection) == list(scope)
    assert dict(connection) == scope
    assert "method" in connection
    with pytest.raises(KeyError):
        connection["missing"]


def test_connections_compare_by_identity() -> None:
    scope = http_scope()
    first, second = Request(scope), Request(scope)
    assert first == first
    assert first != second
    assert len({first, second, first}) == 2


def test_connection_class_subscription_for_annotations() -> None:
    assert Request[State] is Request  # type: ignore[misc]
    assert HTTPConnection[Any] is HTTPConnection  # type: ignore[misc]


def test_app_property() -> None:
    app = object()
    assert HTTPConnection(http_scope(app=app)).app is app


def test_url_is_built_and_cached() -> None:
    request = Request(
        http_scope("/items/42", query_string=b"q=1&q=2", headers=[("host", "example.com:8000")])
    )
    assert str(request.url) == "http://example.com:8000/items/42?q=1&q=2"
    assert request.url.path == "/items/42"
    assert request.url is request.url


def test_url_without_host_header_uses_server() -> None:
    request = Request(http_scope("/a", server=("10.0.0.1", 8080), scheme="https"))
    assert str(request.url) == "https://10.0.0.1:8080/a"


def test_base_url() -> None:
    request = Request(http_scope("/a/b", query_string=b"x=1", headers=[("host", "h.test")]))
    assert str(request.base_url) == "http://h.test/"
    assert request.base_url is request.base_url


def test_base_url_includes_root_path() -> None:
    scope = http_scope("/api/users", root_path="/api", headers=[("host", "h.test")])
    assert str(Request(scope).base_url) == "http://h.test/api/"
    scope = http_scope("/api/users", root_path="/api/", headers=[("host", "h.test")])
    assert str(Request(scope).base_url) == "http://h.test/api/"


def test_base_url_prefers_app_root_path_inside_mounts() -> None:
    scope = http_scope(
        "/api/sub/users", root_path="/api/sub", app_root_path="/api", headers=[("host", "h.test")]
    )
    assert str(Request(scope).base_url) == "http://h.test/api/"


def test_headers_are_cached_and_case_insensitive() -> None:
    request = Request(http_scope(headers=[("X-Token", "abc"), ("accept", "a"), ("Accept", "b")]))
    assert request.headers["x-token"] == "abc"
    assert request.headers.getlist("ACCEPT") == ["a", "b"]
    assert request.headers is request.headers


def test_query_params() -> None:
    request = Request(http_scope(query_string=b"a=1&b=two+words&a=3&empty="))
    assert request.query_params["b"] == "two words"
    assert request.query_params.getlist("a") == ["1", "3"]
    assert request.query_params["empty"] == ""
    assert request.query_params is request.query_params


def test_path_params() -> None:
    assert Request(http_scope()).path_params == {}
    assert Request(http_scope(path_params={"id": 7})).path_params == {"id": 7}


def test_cookies() -> None:
    request = Request(http_scope(headers=[("cookie", "a=1; b=2")]))
    assert request.cookies == {"a": "1", "b": "2"}
    assert request.cookies is request.cookies
    assert Request(http_scope()).cookies == {}


def test_several_cookie_headers_are_merged() -> None:
    request = Request(
        http_scope(headers=[("cookie", "a=1; b=2"), ("x-other", "z"), ("cookie", "c=3; a=4")])
    )
    assert request.cookies == {"a": "4", "b": "2", "c": "3"}


def test_client() -> None:
    client = Request(http_scope()).client
    assert client == Address("203.0.113.9", 51000)
    assert client is not None
    assert client.host == "203.0.113.9"
    assert client.port == 51000
    scope = http_scope()
    del scope["client"]
    assert Request(scope).client is None
    assert Request(http_scope(client=None)).client is None


def test_session_auth_user_require_middleware() -> None:
    request = Request(http_scope())
    with pytest.raises(AssertionError, match=r"SessionMiddleware must be installed"):
        request.session  # noqa: B018
    with pytest.raises(AssertionError, match=r"to access request\.auth"):
        request.auth  # noqa: B018
    with pytest.raises(AssertionError, match=r"to access request\.user"):
        request.user  # noqa: B018


def test_session_auth_user_read_the_scope() -> None:
    session: dict[str, Any] = {"cart": [1]}
    user, auth = object(), object()
    request = Request(http_scope(session=session, user=user, auth=auth))
    assert request.session is session
    assert request.user is user
    assert request.auth is auth


def test_state_lives_in_the_scope() -> None:
    scope = http_scope()
    request = Request(scope)
    request.state.db = "connection"
    assert scope["state"] == {"db": "connection"}
    assert request.state["db"] == "connection"
    assert request.state is request.state
    # A later connection over the same scope sees the same state.
    assert Request(scope).state.db == "connection"


def test_state_wraps_existing_lifespan_state() -> None:
    lifespan_state = {"pool": "p"}
    request = Request(http_scope(state=lifespan_state))
    assert request.state.pool == "p"
    request.state["extra"] = 1
    assert lifespan_state == {"pool": "p", "extra": 1}


class FakeRouter:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        self.calls.append((name, path_params))
        return URLPath(f"{self.prefix}/{name}/{path_params.get('id', '')}")


def test_url_for_uses_the_router_first() -> None:
    router, app = FakeRouter("/r"), FakeRouter("/app")
    scope = http_scope(headers=[("host", "h.test")], router=router, app=app)
    url = Request(scope).url_for("user", id=3)
    assert isinstance(url, URL)
    assert str(url) == "http://h.test/r/user/3"
    assert router.calls == [("user", {"id": 3})]
    assert app.calls == []


def test_url_for_falls_back_to_the_app() -> None:
    app = FakeRouter("/app")
    scope = http_scope(headers=[("host", "h.test")], app=app, scheme="https")
    assert str(Request(scope).url_for("name")) == "https://h.test/app/name/"
    scope = http_scope(headers=[("host", "h.test")], app=app, router=None)
    assert str(Request(scope).url_for("name")) == "http://h.test/app/name/"


def test_url_for_accepts_name_as_a_path_parameter() -> None:
    app = FakeRouter("")
    Request(http_scope(app=app)).url_for("route", name="value")
    assert app.calls == [("route", {"name": "value"})]


def test_url_for_outside_an_application() -> None:
    with pytest.raises(RuntimeError) as info:
        Request(http_scope(router=None)).url_for("anything")
    assert str(info.value) == (
        "The `url_for` method can only be used inside a Starlette application or with a router."
    )


# --- Request ---


def test_method_and_receive() -> None:
    receive, _ = receive_from()
    request = Request(http_scope(method="PATCH"), receive)
    assert request.method == "PATCH"
    assert request.receive is receive


@pytest.mark.anyio
async def test_stream_yields_chunks_then_empty() -> None:
    receive, _ = receive_from(*body_messages(b"hello ", b"", b"world"))
    request = Request(http_scope(), receive)
    assert [chunk async for chunk in request.stream()] == [b"hello ", b"world", b""]


@pytest.mark.anyio
async def test_stream_ignores_unknown_messages() -> None:
    receive, _ = receive_from(
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.future.extension"},
        {"type": "http.request", "body": b"b"},
    )
    assert await Request(http_scope(), receive).body() == b"ab"


@pytest.mark.anyio
async def test_stream_of_empty_body() -> None:
    receive, _ = receive_from({"type": "http.request"})
    request = Request(http_scope(), receive)
    assert [chunk async for chunk in request.stream()] == [b""]


@pytest.mark.anyio
async def test_stream_consumed_twice() -> None:
    receive, _ = receive_from(*body_messages(b"data"))
    request = Request(http_scope(), receive)
    assert [chunk async for chunk in request.stream()] == [b"data", b""]
    with pytest.raises(RuntimeError, match=r"^Stream consumed$"):
        async for _ in request.stream():
            pass  # pragma: no cover
    with pytest.raises(RuntimeError, match=r"^Stream consumed$"):
        await request.body()


@pytest.mark.anyio
async def test_body_is_read_once_and_cached() -> None:
    receive, received = receive_from(*body_messages(b"ab", b"cd"))
    request = Request(http_scope(), receive)
    assert await request.body() == b"abcd"
    assert await request.body() == b"abcd"
    assert len(received) == 2
    # After body(), stream() replays the body.
    assert [chunk async for chunk in request.stream()] == [b"abcd", b""]


@pytest.mark.anyio
async def test_body_set_by_middleware_is_used() -> None:
    request = Request(http_scope())
    request._body = b"replaced"
    assert await request.body() == b"replaced"
    assert [chunk async for chunk in request.stream()] == [b"replaced", b""]


@pytest.mark.anyio
async def test_json_is_parsed_once() -> None:
    receive, _ = receive_from(*body_messages(b'{"a": [1, ', b'2], "b": null}'))
    request = Request(http_scope(), receive)
    data = await request.json()
    assert data == {"a": [1, 2], "b": None}
    assert await request.json() is data


@pytest.mark.anyio
async def test_invalid_json_raises_value_error() -> None:
    receive, _ = receive_from(*body_messages(b"{not json"))
    with pytest.raises(ValueError, match=r"Expecting property name"):
        await Request(http_scope(), receive).json()


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", json.JSONDecodeError),
        (b"", json.JSONDecodeError),
        (DEEP, RecursionError),
        (b"\xff\xfe{", UnicodeDecodeError),
    ],
)
async def test_invalid_json_outside_an_application_propagates_as_raised(
    body: bytes, error: type[Exception]
) -> None:
    receive, _ = receive_from(*body_messages(body))
    with pytest.raises(error) as info:
        await Request(http_scope(), receive).json()
    assert type(info.value) is error
    assert not isinstance(info.value, HTTPException)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "Invalid JSON body."),
        (b"[1, 2] x", "Invalid JSON body."),
        (b"\xff\xfe{", "Invalid JSON body."),
        (DEEP, "JSON body nested too deeply."),
    ],
)
async def test_invalid_json_inside_an_application_is_a_400(body: bytes, detail: str) -> None:
    receive, _ = receive_from(*body_messages(body))
    request = Request(http_scope(**IN_APP), receive)
    with pytest.raises(json.JSONDecodeError) as info:  # what users catch keeps working
        await request.json()
    exc = info.value
    assert isinstance(exc, HTTPException)
    assert (exc.status_code, exc.detail, exc.headers) == (400, detail, None)
    assert isinstance(exc.__cause__, (ValueError, RecursionError))


@pytest.mark.anyio
async def test_invalid_json_inside_an_application_reads_as_a_json_error() -> None:
    receive, _ = receive_from(*body_messages(b'{"a": }'))
    with pytest.raises(json.JSONDecodeError) as info:
        await Request(http_scope(**IN_APP), receive).json()
    exc = info.value
    # The parser's message and position, as a JSONDecodeError has them.
    assert str(exc) == "Expecting value: line 1 column 7 (char 6)"
    assert (exc.msg, exc.doc, exc.pos, exc.lineno, exc.colno) == (
        "Expecting value",
        '{"a": }',
        6,
        1,
        7,
    )
    copy = pickle.loads(pickle.dumps(exc))
    assert isinstance(copy, json.JSONDecodeError)
    assert str(copy) == str(exc)


@pytest.mark.anyio
async def test_valid_json_inside_an_application() -> None:
    receive, _ = receive_from(*body_messages(b'{"a": 1}'))
    assert await Request(http_scope(**IN_APP), receive).json() == {"a": 1}


@pytest.mark.anyio
async def test_disconnect_while_streaming() -> None:
    receive, _ = receive_from(
        {"type": "http.request", "body": b"part", "more_body": True}, {"type": "http.disconnect"}
    )
    request = Request(http_scope(), receive)
    chunks: list[bytes] = []
    with pytest.raises(ClientDisconnect):
        async for chunk in request.stream():
            chunks.append(chunk)  # noqa: PERF401 - chunks before the error
    assert chunks == [b"part"]
    assert await request.is_disconnected()


@pytest.mark.anyio
async def test_disconnect_while_reading_body() -> None:
    receive, _ = receive_from({"type": "http.disconnect"})
    with pytest.raises(ClientDisconnect):
        await Request(http_scope(), receive).body()


@pytest.mark.anyio
async def test_is_disconnected_sees_a_waiting_disconnect() -> None:
    receive, received = receive_from({"type": "http.disconnect"})
    request = Request(http_scope(), receive)
    assert await request.is_disconnected()
    assert await request.is_disconnected()
    assert len(received) == 1


@pytest.mark.anyio
async def test_is_disconnected_does_not_block_without_a_message() -> None:
    async def never_returns() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    request = Request(http_scope(), never_returns)
    assert not await request.is_disconnected()


@pytest.mark.anyio
async def test_is_disconnected_keeps_a_body_message_it_receives() -> None:
    receive, _ = receive_from(
        {"type": "http.request", "body": b"first", "more_body": True},
        {"type": "http.request", "body": b"second"},
    )
    request = Request(http_scope(), receive)
    assert not await request.is_disconnected()
    # A second check does not take another message while one is kept.
    assert not await request.is_disconnected()
    assert await request.body() == b"firstsecond"


@pytest.mark.anyio
async def test_send_push_promise_with_the_extension() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = http_scope(
        headers=[
            ("accept", "text/html"),
            ("user-agent", "tests"),
            ("cookie", "secret=1"),
            ("accept-encoding", "gzip"),
        ],
        extensions={"http.response.push": {}},
    )
    await Request(scope, send=send).send_push_promise("/style.css")
    assert sent == [
        {
            "type": "http.response.push",
            "path": "/style.css",
            "headers": [
                (b"accept", b"text/html"),
                (b"accept-encoding", b"gzip"),
                (b"user-agent", b"tests"),
            ],
        }
    ]


@pytest.mark.anyio
async def test_send_push_promise_without_the_extension_does_nothing() -> None:
    await Request(http_scope()).send_push_promise("/style.css")
    await Request(http_scope(extensions={})).send_push_promise("/style.css")
    await Request(http_scope(extensions=None)).send_push_promise("/style.css")


@pytest.mark.anyio
async def test_send_early_hints_with_the_extension() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    request = Request(http_scope(extensions={"http.response.early_hint": {}}), send=send)
    await request.send_early_hints("</style.css>; rel=preload; as=style")
    await request.send_early_hints("</a.js>; rel=preload; as=script", "</b.js>; rel=preload")
    assert sent == [
        {"type": "http.response.early_hint", "links": [b"</style.css>; rel=preload; as=style"]},
        {
            "type": "http.response.early_hint",
            "links": [b"</a.js>; rel=preload; as=script", b"</b.js>; rel=preload"],
        },
    ]


@pytest.mark.anyio
async def test_send_early_hints_without_the_extension_does_nothing() -> None:
    # empty_send would raise if anything were sent.
    await Request(http_scope()).send_early_hints("</a.css>; rel=preload")
    await Request(http_scope(extensions={"http.response.push": {}})).send_early_hints("</a>")
    await Request(http_scope(extensions=None)).send_early_hints("</a>")


# --- form ---


@pytest.mark.anyio
async def test_form_urlencoded() -> None:
    request = make_request(b"name=Jane+Doe&tag=a", b"&tag=b", content_type=URLENCODED)
    form = await request.form()
    assert form.multi_items() == [("name", "Jane Doe"), ("tag", "a"), ("tag", "b")]


@pytest.mark.anyio
async def test_form_content_type_is_case_insensitive_with_parameters() -> None:
    request = make_request(b"a=1", content_type="Application/X-WWW-Form-URLEncoded; charset=utf-8")
    assert (await request.form())["a"] == "1"


@pytest.mark.anyio
async def test_form_multipart() -> None:
    body = multipart_body(("field", None, b"value"), ("upload", "a.txt", b"file content"))
    request = make_request(body[:10], body[10:], content_type=MULTIPART)
    form = await request.form()
    assert form["field"] == "value"
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "a.txt"
    assert await upload.read() == b"file content"
    await request.close()
    assert upload.file.closed


@pytest.mark.anyio
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
async def test_form_of_other_content_types_is_empty(content_type: str | None) -> None:
    request = make_request(b'{"a": 1}', content_type=content_type)
    assert await request.form() == FormData()
    # The body was not consumed.
    assert await request.body() == b'{"a": 1}'


@pytest.mark.anyio
async def test_form_is_cached() -> None:
    request = make_request(b"a=1", content_type=URLENCODED)
    form = await request.form()
    assert await request.form() is form


@pytest.mark.anyio
async def test_form_after_body() -> None:
    request = make_request(b"a=1&b=2", content_type=URLENCODED)
    assert await request.body() == b"a=1&b=2"
    assert (await request.form()).multi_items() == [("a", "1"), ("b", "2")]


@pytest.mark.anyio
async def test_async_with_form_closes_files() -> None:
    body = multipart_body(("f1", "1.txt", b"one"), ("f2", "2.txt", b"two"))
    request = make_request(body, content_type=MULTIPART)
    async with request.form() as form:
        uploads = [value for _, value in form.multi_items()]
        assert all(isinstance(upload, UploadFile) for upload in uploads)
        assert not any(upload.file.closed for upload in uploads if isinstance(upload, UploadFile))
    assert all(upload.file.closed for upload in uploads if isinstance(upload, UploadFile))


@pytest.mark.anyio
async def test_close_without_form_is_a_no_op() -> None:
    await Request(http_scope()).close()


async def form_error(body: bytes, content_type: str = URLENCODED, **limits: Any) -> str:
    """The form's error text, checked both ways: outside an application `MultiPartException`
    (upstream's), inside one `HTTPException(400)` with the same text."""
    with pytest.raises(MultiPartException) as outside:
        await make_request(body, content_type=content_type).form(**limits)
    with pytest.raises(HTTPException) as inside:
        await make_request(body, content_type=content_type, **IN_APP).form(**limits)
    assert inside.value.status_code == 400
    assert inside.value.detail == outside.value.message
    assert isinstance(inside.value.__cause__, MultiPartException)
    return outside.value.message


@pytest.mark.anyio
async def test_form_limits_urlencoded() -> None:
    text = await form_error(b"a=1&b=2&c=3", max_fields=2)
    assert text == "Too many fields. Maximum number of fields is 2."
    # Upstream's text: a urlencoded body has fields, not parts.
    text = await form_error(b"a=" + b"x" * 3000, max_part_size=2048)
    assert text == "Field exceeded maximum size of 2KB."


@pytest.mark.anyio
async def test_form_limits_multipart() -> None:
    files = multipart_body(("a", "a.txt", b"1"), ("b", "b.txt", b"2"))
    text = await form_error(files, MULTIPART, max_files=1)
    assert text == "Too many files. Maximum number of files is 1."
    fields = multipart_body(("a", None, b"1"), ("b", None, b"2"))
    text = await form_error(fields, MULTIPART, max_fields=1)
    assert text == "Too many fields. Maximum number of fields is 1."
    big = multipart_body(("a", None, b"x" * 5000))
    text = await form_error(big, MULTIPART, max_part_size=4096)
    assert text == "Part exceeded maximum size of 4KB."


@pytest.mark.anyio
async def test_form_default_limits() -> None:
    many = b"&".join(b"f=1" for _ in range(1001))
    assert await form_error(many) == "Too many fields. Maximum number of fields is 1000."


NO_NAME = 'The Content-Disposition header field "name" must be provided.'


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("content_type", "body", "detail"),
    [
        (
            "multipart/form-data",
            multipart_body(("a", None, b"1")),
            "Missing boundary in multipart.",
        ),
        # Whatever the parser found wrong: one generic text (upstream's), not its diagnostics.
        (MULTIPART, b"\x00\x01 garbage \xff", "Invalid multipart data."),
        (
            "multipart/form-data; boundary=" + "b" * 300,
            b"--" + b"b" * 300 + b"--\r\n",
            "Invalid multipart data.",
        ),
        (MULTIPART, multipart_body(("a", None, b"1"))[:-12], "Invalid multipart data."),
        (
            MULTIPART,
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; filename="x"\r\n\r\n1\r\n'
            f"--{BOUNDARY}--\r\n".encode(),
            NO_NAME,
        ),
        # No Content-Disposition at all: the same text, as upstream's.
        (
            MULTIPART,
            f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\n1\r\n--{BOUNDARY}--\r\n".encode(),
            NO_NAME,
        ),
    ],
)
async def test_malformed_multipart(content_type: str, body: bytes, detail: str) -> None:
    assert await form_error(body, content_type) == detail


@pytest.mark.anyio
async def test_multipart_parser_diagnostics_stay_in_the_cause() -> None:
    with pytest.raises(MultiPartException) as info:
        await make_request(b"\x00\x01 garbage", content_type=MULTIPART).form()
    assert info.value.message == "Invalid multipart data."
    assert info.value.__cause__ is not None  # python-multipart's own error, for debugging


@pytest.mark.anyio
async def test_form_chunking_does_not_change_the_result() -> None:
    body = multipart_body(("a", None, b"alpha"), ("f", "f.txt", b"\r\n--x\r\n"), ("b", None, b""))
    expected: list[tuple[str, Any]] | None = None
    for size in (1, 2, 3, 7, 16, 64, len(body)):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        request = make_request(*chunks, content_type=MULTIPART)
        async with request.form() as form:
            items = [
                (key, await value.read() if isinstance(value, UploadFile) else value)
                for key, value in form.multi_items()
            ]
        expected = expected or items
        assert items == expected == [("a", "alpha"), ("f", b"\r\n--x\r\n"), ("b", "")]


@pytest.mark.anyio
async def test_form_multipart_without_python_multipart(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "python_multipart",
        "python_multipart.multipart",
        "multipart",
        "multipart.multipart",
    ):
        monkeypatch.setitem(sys.modules, name, None)
    request = make_request(multipart_body(("a", None, b"1")), content_type=MULTIPART)
    with pytest.raises(
        ImportError, match=r'pip install "starlette-requests-responses\[multipart\]"'
    ):
        await request.form()


async def form_app(scope: Scope, receive: Receive, send: Any) -> None:
    """A tiny application that answers form errors the way an exception handler would."""
    request = Request(scope, receive, send)
    try:
        async with request.form(max_files=1) as form:
            status, text = 200, ",".join(sorted(form.keys()))
    except MultiPartException as exc:
        status, text = 400, exc.message
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


@pytest.mark.anyio
async def test_asgi_application_catching_multipart_exception() -> None:
    # Outside an application `except MultiPartException` works, as with upstream.
    body = multipart_body(("a", "a.txt", b"1"), ("b", "b.txt", b"2"))
    receive, _ = receive_from(*body_messages(body))
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = http_scope(method="POST", headers=[("content-type", MULTIPART)])
    await form_app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert sent[1]["body"] == b"Too many files. Maximum number of files is 1."

    sent.clear()
    receive, _ = receive_from(
        *body_messages(multipart_body(("a", "a.txt", b"1"), ("b", None, b"")))
    )
    await form_app(scope, receive, send)
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"a,b"
