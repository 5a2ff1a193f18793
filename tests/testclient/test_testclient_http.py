"""TestClient HTTP requests: the scope it builds, bodies, errors, redirects, debug info, ASGI2."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]


def scope_echo(scope: Scope) -> dict[str, Any]:
    return {
        "type": scope["type"],
        "asgi": scope["asgi"],
        "http_version": scope["http_version"],
        "method": scope["method"],
        "scheme": scope["scheme"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "root_path": scope["root_path"],
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "client": list(scope["client"]),
        "server": list(scope["server"]),
        "extensions": sorted(scope["extensions"]),
        "state": scope["state"],
    }


async def echo_scope_app(scope: Scope, receive: Receive, send: Send) -> None:
    body = json.dumps(scope_echo(scope)).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def echo_body_app(scope: Scope, receive: Receive, send: Send) -> None:
    chunks: list[dict[str, Any]] = []
    while True:
        message = await receive()
        chunks.append({"body": message["body"].decode(), "more_body": message["more_body"]})
        if not message["more_body"]:
            break
    await JSONResponse(chunks)(scope, receive, send)


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
def test_every_method(test_client_factory: TestClientFactory, method: str) -> None:
    client = test_client_factory(echo_scope_app)
    response = getattr(client, method)("/path")
    assert response.status_code == 200
    assert response.json()["method"] == method.upper()


def test_head_request_has_no_body(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(PlainTextResponse("hello"))
    response = client.head("/")
    assert response.status_code == 200
    assert response.headers["content-length"] == "5"
    assert response.content == b""


def test_custom_method_through_request(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_scope_app)
    assert client.request("QUERY", "/").json()["method"] == "QUERY"


def test_default_scope(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_scope_app)
    data = client.get("/a%20b/c?x=1&y=%20").json()
    assert data["type"] == "http"
    assert data["asgi"] == {"version": "3.0"}
    assert data["http_version"] == "1.1"
    assert data["scheme"] == "http"
    assert data["path"] == "/a b/c"
    assert data["raw_path"] == "/a%20b/c"
    assert data["root_path"] == ""
    assert data["query_string"] == "x=1&y=%20"
    assert data["client"] == ["testclient", 50000]
    assert data["server"] == ["testserver", 80]
    assert data["extensions"] == ["http.response.debug", "http.response.trailers"]
    assert data["state"] == {}
    headers = dict(data["headers"])
    assert headers["host"] == "testserver"
    assert headers["user-agent"] == "testclient"


def test_base_url_root_path_and_client(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        echo_scope_app,
        base_url="https://example.org:8443",
        root_path="/api",
        client=("10.0.0.1", 1234),
    )
    data = client.get("/items").json()
    assert data["scheme"] == "https"
    assert data["server"] == ["example.org", 8443]
    assert data["root_path"] == "/api"
    assert data["path"] == "/items"
    assert data["client"] == ["10.0.0.1", 1234]
    assert dict(data["headers"])["host"] == "example.org:8443"


def test_default_https_port(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_scope_app, base_url="https://example.org")
    assert client.get("/").json()["server"] == ["example.org", 443]


def test_ipv6_base_url(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        await JSONResponse({"url": str(request.url), "server": list(scope["server"])})(
            scope, receive, send
        )

    client = test_client_factory(app, base_url="http://[::1]:8000")
    data = client.get("/path?q=1").json()
    assert data["server"] == ["::1", 8000]
    assert data["url"] == "http://[::1]:8000/path?q=1"


def test_headers_merge_and_user_agent_override(test_client_factory: TestClientFactory) -> None:
    client_headers = {"x-client": "1"}
    client = test_client_factory(echo_scope_app, headers=client_headers)
    data = client.get("/", headers={"X-Request": "2", "User-Agent": "custom"}).json()
    headers = dict(data["headers"])
    assert headers["x-client"] == "1"
    assert headers["x-request"] == "2"
    assert headers["user-agent"] == "custom"
    # The caller's dict is not modified.
    assert client_headers == {"x-client": "1"}


def test_repeated_headers_keep_order(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_scope_app)
    data = client.get("/", headers=[("X-Dup", "a"), ("X-Dup", "b")]).json()
    assert [value for key, value in data["headers"] if key == "x-dup"] == ["a", "b"]


def test_query_params(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_scope_app)
    data = client.get("/", params={"a": "1", "b": ["2", "3"]}).json()
    assert data["query_string"] == "a=1&b=2&b=3"


def test_cookies_sent_and_stored(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = JSONResponse(request.cookies)
        if request.url.path == "/set":
            response.set_cookie("session", "abc")
        await response(scope, receive, send)

    client = test_client_factory(app, cookies={"initial": "yes"})
    assert client.get("/").json() == {"initial": "yes"}
    assert client.get("/set").json() == {"initial": "yes"}
    assert client.get("/").json() == {"initial": "yes", "session": "abc"}


def test_request_bodies(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(echo_body_app)
    assert client.post("/", content=b"raw").json() == [{"body": "raw", "more_body": False}]
    assert client.post("/").json() == [{"body": "", "more_body": False}]
    assert client.post("/", json={"a": 1}).json() == [{"body": '{"a":1}', "more_body": False}]
    assert client.post("/", data={"a": "1"}).json() == [{"body": "a=1", "more_body": False}]


def test_streamed_request_body(test_client_factory: TestClientFactory) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"one"
        yield b"two"

    client = test_client_factory(echo_body_app)
    assert client.post("/", content=chunks()).json() == [
        {"body": "one", "more_body": True},
        {"body": "two", "more_body": False},
    ]


def test_disconnect_after_the_response(test_client_factory: TestClientFactory) -> None:
    messages: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        messages.append(await receive())
        await PlainTextResponse("ok")(scope, receive, send)
        # Only once the response is complete does the client "disconnect".
        messages.append(await receive())

    client = test_client_factory(app)
    assert client.post("/", content=b"x").text == "ok"
    assert messages == [
        {"type": "http.request", "body": b"x", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_response_headers_and_status(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"x-a", b"1"), (b"x-a", b"2"), (b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 418, "headers": headers})
        await send({"type": "http.response.body", "body": b"part1", "more_body": True})
        await send({"type": "http.response.body", "body": b"part2"})

    response = test_client_factory(app).get("/")
    assert response.status_code == 418
    assert response.headers.get_list("x-a") == ["1", "2"]
    assert response.text == "part1part2"


def test_start_message_without_headers(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    response = test_client_factory(app).get("/")
    assert response.status_code == 204
    assert response.content == b""


def test_server_exception_is_raised(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    client = test_client_factory(app)
    with pytest.raises(ValueError, match="boom"):
        client.get("/")


def test_server_exception_as_500(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.content == b""


def test_server_exception_after_start(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    with pytest.raises(ValueError, match="mid-stream"):
        test_client_factory(app).get("/")
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 200
    assert response.content == b"partial"


def test_exception_after_response_complete(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("done")(scope, receive, send)
        raise ValueError("background")

    with pytest.raises(ValueError, match="background"):
        test_client_factory(app).get("/")
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.text == "done"


def test_background_task_runs_before_the_call_returns(
    test_client_factory: TestClientFactory,
) -> None:
    from starlette.background import BackgroundTask

    done: list[str] = []

    async def task() -> None:
        done.append("task")

    client = test_client_factory(PlainTextResponse("ok", background=BackgroundTask(task)))
    assert client.get("/").text == "ok"
    assert done == ["task"]


def test_no_response(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    with pytest.raises(AssertionError, match=r"TestClient did not receive any response\."):
        test_client_factory(app).get("/")
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert response.status_code == 500


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        (
            [{"type": "http.response.body", "body": b"x"}],
            'Received "http.response.body" without "http.response.start".',
        ),
        (
            [
                {"type": "http.response.start", "status": 200},
                {"type": "http.response.start", "status": 200},
            ],
            'Received multiple "http.response.start" messages.',
        ),
        (
            [
                {"type": "http.response.start", "status": 200},
                {"type": "http.response.body", "body": b"x"},
                {"type": "http.response.body", "body": b"y"},
            ],
            'Received "http.response.body" after response completed.',
        ),
    ],
)
def test_protocol_errors(
    test_client_factory: TestClientFactory, messages: list[Message], error: str
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)

    # Upstream's texts, raised as AssertionError as upstream does.
    with pytest.raises(AssertionError) as info:
        test_client_factory(app).get("/")
    assert str(info.value) == error


def test_unknown_messages_are_ignored(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.early_hint", "links": ["</style.css>; rel=preload"]})
        await PlainTextResponse("ok")(scope, receive, send)

    assert test_client_factory(app).get("/").text == "ok"


def test_redirects(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response: Response
        if scope["path"] == "/old":
            response = RedirectResponse("/new")
        else:
            response = PlainTextResponse(scope["path"])
        await response(scope, receive, send)

    client = test_client_factory(app)
    response = client.get("/old")
    assert response.text == "/new"
    assert [r.status_code for r in response.history] == [307]
    assert client.get("/old", follow_redirects=False).status_code == 307
    no_follow = test_client_factory(app, follow_redirects=False)
    response = no_follow.get("/old")
    assert response.status_code == 307
    assert response.headers["location"] == "/new"
    assert no_follow.get("/old", follow_redirects=True).text == "/new"


def test_debug_extension(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert "http.response.debug" in scope["extensions"]
        info = {"template": "index.html", "context": {"name": "x"}}
        await send({"type": "http.response.debug", "info": info})
        await PlainTextResponse("page")(scope, receive, send)

    response = test_client_factory(app).get("/")
    assert response.template == "index.html"  # type: ignore[attr-defined]
    assert response.context == {"name": "x"}  # type: ignore[attr-defined]


def test_no_debug_attributes_without_debug_message(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(PlainTextResponse("x")).get("/")
    assert not hasattr(response, "template")


def test_trailers(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"trailer", b"X-Checksum, x-extra")]
        await send(
            {"type": "http.response.start", "status": 200, "headers": headers, "trailers": True}
        )
        await send({"type": "http.response.body", "body": b"data", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        trailers = [(b"X-Checksum", b"abc")]
        await send({"type": "http.response.trailers", "headers": trailers, "more_trailers": True})
        await send({"type": "http.response.trailers", "headers": [(b"x-extra", b"1")]})

    response = test_client_factory(app).get("/")
    assert response.content == b"data"
    # Upstream's form: the raw pairs of every trailers message, names in their original case.
    assert response.extensions["http.response.trailers"] == [
        (b"X-Checksum", b"abc"),
        (b"x-extra", b"1"),
    ]


def test_trailers_announced_but_empty(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers"})

    response = test_client_factory(app).get("/")
    assert response.content == b"data"
    assert response.extensions["http.response.trailers"] == []


def test_trailers_announced_but_never_sent(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})

    response = test_client_factory(app).get("/")
    assert response.content == b"data"
    assert response.extensions["http.response.trailers"] == []


def test_trailers_of_a_head_request(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]})

    response = test_client_factory(app).head("/")
    assert response.content == b""
    assert response.extensions["http.response.trailers"] == [(b"x-sum", b"1")]


def test_no_trailers_extension_without_trailers(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(PlainTextResponse("x")).get("/")
    assert "http.response.trailers" not in response.extensions


class ASGI2App:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    async def __call__(self, receive: Receive, send: Send) -> None:
        await PlainTextResponse(f"asgi2 {self.scope['path']}")(self.scope, receive, send)


class ASGI3ClassApp:
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope, self.receive, self.send = scope, receive, send

    def __await__(self) -> Any:
        response = PlainTextResponse(f"asgi3 {self.scope['path']}")
        return response(self.scope, self.receive, self.send).__await__()


def test_asgi2_class(test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(ASGI2App).get("/x").text == "asgi2 /x"


def test_asgi2_function(test_client_factory: TestClientFactory) -> None:
    def app(scope: Scope) -> Callable[[Receive, Send], Any]:
        return ASGI2App(scope)

    assert test_client_factory(app).get("/y").text == "asgi2 /y"


def test_asgi3_awaitable_class(test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(ASGI3ClassApp).get("/z").text == "asgi3 /z"


def test_asgi3_instance_with_async_call(test_client_factory: TestClientFactory) -> None:
    assert test_client_factory(PlainTextResponse("instance")).get("/").text == "instance"


def test_testclient_is_not_collected_by_pytest() -> None:
    assert TestClient.__test__ is False


def test_portal_is_per_request_outside_a_with_block(
    test_client_factory: TestClientFactory,
) -> None:
    import threading

    threads: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        threads.append(threading.get_ident())
        await PlainTextResponse("ok")(scope, receive, send)

    client = test_client_factory(app)
    assert client.portal is None
    client.get("/")
    client.get("/")
    with client:
        assert client.portal is not None
        client.get("/")
        client.get("/")
    assert client.portal is None
    # Inside the block, one event loop thread served both requests.
    assert threads[2] == threads[3]
    assert threading.get_ident() not in threads


def test_messages_after_start_that_are_not_body_are_ignored(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.debug", "info": {"template": "late"}})
        await send({"type": "http.response.body", "body": b"ok"})

    response = test_client_factory(app).get("/")
    assert response.content == b"ok"
    assert not hasattr(response, "template")


def test_closing_a_response_twice(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(PlainTextResponse("x")).get("/")
    assert response.is_closed
    response.stream.close()  # type: ignore[union-attr]
    assert response.text == "x"
