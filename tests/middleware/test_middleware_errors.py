"""`ServerErrorMiddleware`: 500 answers, debug tracebacks, custom handlers, re-raising."""

from __future__ import annotations

import string
import threading
from collections.abc import Callable
from typing import Any

import pytest

from starlette._exception_handler import ResponseTracker, track
from starlette.background import BackgroundTask
from starlette.middleware import errors
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., Any]


def http_scope(headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": headers or [],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


async def receive_empty() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("Something went <wrong>")


async def failing_after_start_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise RuntimeError("late failure")


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("fine")(scope, receive, send)


def test_unhandled_exception_answers_plain_500(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ServerErrorMiddleware(failing_app), raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_exception_is_reraised_for_the_server(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ServerErrorMiddleware(failing_app))
    with pytest.raises(RuntimeError, match="Something went <wrong>"):
        client.get("/")


def test_successful_response_passes_through(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(ServerErrorMiddleware(ok_app, debug=True))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "fine"


def test_debug_html_traceback_when_accepting_html(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        ServerErrorMiddleware(failing_app, debug=True), raise_server_exceptions=False
    )
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "<h2>RuntimeError: Something went &lt;wrong&gt;</h2>" in body
    assert "Something went <wrong>" not in body
    # The failing source line is shown, escaped, and highlighted.
    assert "raise RuntimeError(&quot;Something went &lt;wrong&gt;&quot;)" in body
    assert 'class="line current"' in body
    assert "failing_app" in body


def test_debug_plain_traceback_otherwise(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(
        ServerErrorMiddleware(failing_app, debug=True), raise_server_exceptions=False
    )
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text.startswith("Traceback (most recent call last):")
    assert response.text.rstrip().endswith("RuntimeError: Something went <wrong>")


def test_debug_takes_precedence_over_handler(test_client_factory: TestClientFactory) -> None:
    def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled", status_code=503)  # pragma: no cover

    app = ServerErrorMiddleware(failing_app, handler=handler, debug=True)
    client = test_client_factory(app, raise_server_exceptions=False)
    response = client.get("/")
    assert response.status_code == 500
    assert "RuntimeError: Something went <wrong>" in response.text


def test_sync_handler_runs_in_a_worker_thread(test_client_factory: TestClientFactory) -> None:
    seen: dict[str, Any] = {}

    def handler(request: Request, exc: Exception) -> Response:
        seen["thread"] = threading.current_thread()
        seen["exc"] = exc
        seen["path"] = request.url.path
        return JSONResponse({"error": str(exc)}, status_code=503)

    client = test_client_factory(
        ServerErrorMiddleware(failing_app, handler=handler), raise_server_exceptions=False
    )
    response = client.get("/boom")
    assert response.status_code == 503
    assert response.json() == {"error": "Something went <wrong>"}
    assert isinstance(seen["exc"], RuntimeError)
    assert seen["path"] == "/boom"
    assert seen["thread"] is not threading.main_thread()


def test_async_handler(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"custom: {exc}", status_code=500)

    client = test_client_factory(
        ServerErrorMiddleware(failing_app, handler=handler), raise_server_exceptions=False
    )
    response = client.get("/")
    assert response.status_code == 500
    assert response.text == "custom: Something went <wrong>"


def test_handler_response_still_reraises(test_client_factory: TestClientFactory) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("custom", status_code=500)

    client = test_client_factory(ServerErrorMiddleware(failing_app, handler=handler))
    with pytest.raises(RuntimeError, match="Something went"):
        client.get("/")


@pytest.mark.anyio
async def test_no_second_response_after_start() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    app = ServerErrorMiddleware(failing_after_start_app, debug=True)
    with pytest.raises(RuntimeError, match="late failure"):
        await app(http_scope(), receive_empty, send)
    assert sent == [{"type": "http.response.start", "status": 200, "headers": []}]


@pytest.mark.anyio
async def test_raw_500_messages() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError):
        await ServerErrorMiddleware(failing_app)(http_scope(), receive_empty, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 500
    assert sent[-1]["type"] == "http.response.body"
    assert b"".join(message.get("body", b"") for message in sent[1:]) == b"Internal Server Error"


@pytest.mark.anyio
@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
async def test_other_scopes_pass_through(scope_type: str) -> None:
    sent: list[Message] = []
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        raise ValueError("not http")

    async def send(message: Message) -> None:
        sent.append(message)  # pragma: no cover

    scope: Scope = {"type": scope_type}
    with pytest.raises(ValueError, match="not http"):
        await ServerErrorMiddleware(app, debug=True)(scope, receive_empty, send)
    assert seen == [scope]
    assert sent == []


@pytest.mark.anyio
async def test_debug_page_is_rendered_off_the_event_loop() -> None:
    loop_thread = threading.current_thread()
    render_threads: list[threading.Thread] = []

    class RecordingMiddleware(ServerErrorMiddleware):
        def generate_html(self, exc: Exception, limit: int = 7) -> str:
            render_threads.append(threading.current_thread())
            return super().generate_html(exc, limit)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    app = RecordingMiddleware(failing_app, debug=True)
    with pytest.raises(RuntimeError):
        await app(http_scope([(b"accept", b"text/html")]), receive_empty, send)
    assert sent[0]["status"] == 500
    assert len(render_threads) == 1
    assert render_threads[0] is not loop_thread


def raise_and_catch(func: Callable[[], None]) -> Exception:
    try:
        func()
    except Exception as exc:
        return exc
    raise AssertionError("func did not raise")  # pragma: no cover


def test_generate_html_without_traceback() -> None:
    page = ServerErrorMiddleware(ok_app).generate_html(ValueError("never raised"))
    assert "<h2>ValueError: never raised</h2>" in page
    assert 'class="frame"' not in page


def test_generate_html_frames_innermost_first_and_only_first_open() -> None:
    def inner() -> None:
        raise KeyError("k")

    def outer() -> None:
        inner()

    exc = raise_and_catch(outer)
    page = ServerErrorMiddleware(ok_app).generate_html(exc)
    assert page.index("<code>inner</code>") < page.index("<code>outer</code>")
    assert page.count('class="frame"') == 3  # inner, outer, then raise_and_catch
    assert page.count('<pre class="source collapsed">') == 2
    assert page.count('<pre class="source ">') == 1
    assert page.index('<pre class="source ">') < page.index('<pre class="source collapsed">')


def test_generate_html_limit_is_the_context_size() -> None:
    def fails() -> None:
        raise ValueError("one line")

    exc = raise_and_catch(fails)
    middleware = ServerErrorMiddleware(ok_app)
    narrow = middleware.generate_html(exc, limit=1)
    wide = middleware.generate_html(exc, limit=7)
    assert narrow.count('class="line') < wide.count('class="line')
    assert narrow.count('class="line current"') == wide.count('class="line current"') == 2


def test_generate_html_for_code_without_source() -> None:
    namespace: dict[str, Any] = {}
    source = "def dynamic():\n    raise ValueError('no source')\n"
    exec(compile(source, "<dynamic>", "exec"), namespace)
    exc = raise_and_catch(namespace["dynamic"])
    page = ServerErrorMiddleware(ok_app).generate_html(exc)
    assert "<code>&lt;dynamic&gt;</code>" in page
    assert "ValueError: no source" in page


def test_format_line_marks_and_escapes() -> None:
    middleware = ServerErrorMiddleware(ok_app)
    current = middleware.format_line(2, "    x = a < b\n", frame_lineno=10, frame_index=2)
    assert current == (
        '<span class="line current"><span class="lineno">10.</span>    x = a &lt; b</span>'
    )
    before = middleware.format_line(0, "def f():\n", frame_lineno=10, frame_index=2)
    assert before == '<span class="line"><span class="lineno">8.</span>def f():</span>'


def test_generate_plain_text_is_the_python_traceback() -> None:
    def fails() -> None:
        raise ValueError("plain")

    text = ServerErrorMiddleware(ok_app).generate_plain_text(raise_and_catch(fails))
    assert text.startswith("Traceback (most recent call last):\n")
    assert 'raise ValueError("plain")' in text
    assert text.endswith("ValueError: plain\n")


def test_error_response() -> None:
    request = Request(http_scope())
    response = ServerErrorMiddleware(ok_app).error_response(request, RuntimeError("x"))
    assert response.status_code == 500
    assert response.body == b"Internal Server Error"
    assert response.media_type == "text/plain"


def test_debug_response_chooses_by_accept() -> None:
    middleware = ServerErrorMiddleware(ok_app, debug=True)

    def fails() -> None:
        raise IndexError("list index out of range")

    exc = raise_and_catch(fails)
    html_response = middleware.debug_response(Request(http_scope([(b"accept", b"text/html")])), exc)
    assert html_response.status_code == 500
    assert html_response.media_type == "text/html"
    assert b"IndexError: list index out of range" in bytes(html_response.body)
    text_response = middleware.debug_response(Request(http_scope()), exc)
    assert text_response.status_code == 500
    assert text_response.media_type == "text/plain"
    assert bytes(text_response.body).endswith(b"IndexError: list index out of range\n")


@pytest.mark.anyio
async def test_other_scopes_complete_normally() -> None:
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["type"])

    async def send(message: Message) -> None:
        pass  # pragma: no cover

    await ServerErrorMiddleware(app)({"type": "lifespan"}, receive_empty, send)
    assert calls == ["lifespan"]


# The handler after the response has started.


def recording_handlers(calls: list[tuple[str, Exception]]) -> list[Any]:
    async def async_handler(request: Request, exc: Exception) -> Response:
        calls.append((request.url.path, exc))
        return PlainTextResponse("never sent", status_code=500)

    def sync_handler(request: Request, exc: Exception) -> Response:
        calls.append((request.url.path, exc))
        return PlainTextResponse("never sent", status_code=500)

    return [async_handler, sync_handler]


@pytest.mark.anyio
@pytest.mark.parametrize("which", [0, 1], ids=["async", "sync"])
async def test_handler_is_called_after_the_response_started_then_reraises(which: int) -> None:
    calls: list[tuple[str, Exception]] = []
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    app = ServerErrorMiddleware(failing_after_start_app, handler=recording_handlers(calls)[which])
    with pytest.raises(RuntimeError, match="late failure") as info:
        await app(http_scope(), receive_empty, send)
    assert [(path, exc) for path, exc in calls] == [("/", info.value)]
    # What the handler returned is not sent: the response had started.
    assert sent == [{"type": "http.response.start", "status": 200, "headers": []}]


def test_failing_background_task_reaches_the_handler(
    test_client_factory: TestClientFactory,
) -> None:
    calls: list[tuple[str, Exception]] = []

    def fail() -> None:
        raise ValueError("background failed")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("done", background=BackgroundTask(fail))(scope, receive, send)

    handler = recording_handlers(calls)[0]
    client = test_client_factory(ServerErrorMiddleware(app, handler=handler))
    with pytest.raises(ValueError, match="background failed"):
        client.get("/report")
    assert [(path, str(exc)) for path, exc in calls] == [("/report", "background failed")]


@pytest.mark.anyio
async def test_no_handler_call_after_start_in_debug_mode() -> None:
    calls: list[tuple[str, Exception]] = []

    async def send(message: Message) -> None:
        pass

    handler = recording_handlers(calls)[0]
    app = ServerErrorMiddleware(failing_after_start_app, handler=handler, debug=True)
    with pytest.raises(RuntimeError, match="late failure"):
        await app(http_scope(), receive_empty, send)
    assert calls == []


@pytest.mark.anyio
async def test_handler_failing_after_start_raises_its_own_error() -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        raise KeyError("handler broke")

    async def send(message: Message) -> None:
        pass

    app = ServerErrorMiddleware(failing_after_start_app, handler=handler)
    with pytest.raises(KeyError, match="handler broke") as info:
        await app(http_scope(), receive_empty, send)
    assert isinstance(info.value.__context__, RuntimeError)


# The debug page's building blocks.


def format_fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_debug_page_building_blocks_exist_with_their_fields() -> None:
    assert format_fields(errors.TEMPLATE) == {"styles", "error", "exc_html", "js"}
    assert format_fields(errors.FRAME_TEMPLATE) == {
        "frame_filename",
        "frame_lineno",
        "frame_name",
        "collapse_button",
        "collapsed",
        "code_context",
    }
    assert format_fields(errors.LINE) == {"lineno", "line"}
    assert format_fields(errors.CENTER_LINE) == {"lineno", "line"}
    assert errors.JS.startswith("<script>")
    assert errors.JS.rstrip().endswith("</script>")
    assert ".source.collapsed" in errors.STYLES


def test_debug_page_is_built_from_the_blocks() -> None:
    def fails() -> None:
        raise ValueError("built")

    page = ServerErrorMiddleware(ok_app).generate_html(raise_and_catch(fails))
    assert f"<style>{errors.STYLES}</style>" in page
    assert errors.JS in page
    assert 'class="collapse-button"' in page
    # A user can fill the page template with their own parts.
    custom = errors.TEMPLATE.format(styles="", error="E", exc_html="<p>frames</p>", js="")
    assert "<h2>E</h2>" in custom
    assert "<p>frames</p>" in custom


def test_customised_blocks_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "TEMPLATE", "[{error}]{exc_html}{styles}{js}")
    monkeypatch.setattr(errors, "STYLES", "")
    monkeypatch.setattr(errors, "JS", "")
    monkeypatch.setattr(
        errors,
        "FRAME_TEMPLATE",
        "<{frame_name}|{collapsed}|{collapse_button}|{frame_filename}:{frame_lineno}>"
        "{code_context}",
    )
    monkeypatch.setattr(errors, "LINE", "")
    monkeypatch.setattr(errors, "CENTER_LINE", "({lineno}:{line})")

    def fails() -> None:
        raise ValueError("custom")

    exc = raise_and_catch(fails)
    page = ServerErrorMiddleware(ok_app).generate_html(exc, limit=1)
    lineno = exc.__traceback__.tb_next.tb_lineno  # type: ignore[union-attr]
    assert page.startswith("[ValueError: custom]<fails||\u2212|")
    assert f":{lineno}>({lineno}:        raise ValueError(&quot;custom&quot;))" in page
    assert "<raise_and_catch|collapsed|+|" in page


@pytest.mark.anyio
async def test_tracks_the_response_as_track_does() -> None:
    # The middleware builds its ResponseTracker itself rather than calling `track`: it must pass
    # on what `track` returns, an outer tracker shared, not wrapped.
    seen: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)

    async def server_send(message: Message) -> None:  # pragma: no cover - nothing is sent
        raise AssertionError("unexpected send")

    outer = ResponseTracker(server_send)
    for send in (server_send, outer):
        await ServerErrorMiddleware(app)(http_scope(), None, send)  # type: ignore[arg-type]
    expected = track(http_scope(), server_send)
    assert type(seen[0]) is type(expected) is ResponseTracker
    assert seen[0].send is expected.send is server_send
    assert seen[1] is outer is track(http_scope(), outer)
