"""Drive an ASGI application from synchronous tests, through httpx2 (or httpx)."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import warnings
from collections.abc import Awaitable, Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TypedDict, TypeGuard, TypeVar, cast

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from starlette._utils import DEFAULT_PORTS, is_async_callable
from starlette.exceptions import StarletteDeprecationWarning
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect


def _import_httpx() -> ModuleType:
    """httpx2 when it is installed; else httpx (0.27 or 0.28), which upstream deprecates."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        pass
    try:
        module = importlib.import_module("httpx")
    except ImportError:
        raise RuntimeError(
            "The starlette.testclient module requires the httpx2 package to be installed.\n"
            "You can install this with:\n"
            "    $ pip install httpx2\n"
        ) from None
    # stacklevel 3: the module that imports starlette.testclient (import machinery is skipped).
    warnings.warn(
        "Using `httpx` with `starlette.testclient` is deprecated; install `httpx2` instead.",
        StarletteDeprecationWarning,
        stacklevel=3,
    )
    return module


if TYPE_CHECKING:
    import httpx2 as httpx
    from httpx2._types import CookieTypes
else:
    httpx = _import_httpx()

__all__ = ["TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]

ASGIInstance = Callable[[Receive, Send], Awaitable[None]]
ASGI2App = Callable[[Scope], ASGIInstance]
ASGI3App = Callable[[Scope, Receive, Send], Awaitable[None]]
_PortalFactoryType = Callable[
    [], contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]
]

# What an application task hands to the test thread: its messages, or the exception it raised.
_Item = Message | BaseException
_ClientT = TypeVar("_ClientT", bound="TestClient")

# What a relative WebSocket URL is resolved against (upstream ignores `base_url` there).
_WEBSOCKET_BASE_URL = httpx.URL("ws://testserver")

# Event-loop turns a WebSocket session gives the application, once the test has closed it, to
# finish on its own (and so to raise what it raises) before it is cancelled. A count of turns,
# not seconds (nor "until the loop is idle"): an app that waits (a timer, an event, a message
# that will never come) and one that is busy (a loop of checkpoints, which never lets the loop
# go idle) are both cancelled within about a millisecond, as promptly as upstream's, while an
# app that ends within a few awaits of the close (re-raising a WebSocketDisconnect, a task group
# unwinding) always gets to, however slow or loaded the machine. Upstream's bound is a race
# between two threads (from 2 to about 9 turns when measured); this one is deterministic, and
# generous. A worker thread the app awaits is not abandoned by the cancellation, so the block
# still waits for it, as upstream's does.
_SETTLE_TURNS = 100


def _disconnect_message(code: int, reason: str | None) -> Message:
    return {"type": "websocket.disconnect", "code": code, "reason": reason}


def _is_asgi3(app: ASGI2App | ASGI3App) -> TypeGuard[ASGI3App]:
    if inspect.isclass(app):
        return hasattr(app, "__await__")
    return is_async_callable(app)


class _WrapASGI2:
    """Runs an ASGI2 application (`app(scope)` returns `instance(receive, send)`) as ASGI3."""

    def __init__(self, app: ASGI2App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        instance = self.app(scope)
        await instance(receive, send)


class _AsyncBackend(TypedDict):
    backend: str
    backend_options: dict[str, Any]


class _Upgrade(Exception):
    # Raised through httpx by the transport, to hand the WebSocket session back to the client.
    def __init__(self, session: WebSocketTestSession) -> None:
        self.session = session


class WebSocketDenialResponse(httpx.Response, WebSocketDisconnect):  # type: ignore[misc]
    """The HTTP response an application sent instead of accepting a WebSocket connection."""


def _raise_if_cancelled(exc: BaseException) -> None:
    if isinstance(exc, anyio.get_cancelled_exc_class()):
        raise exc


class WebSocketTestSession:
    """A WebSocket connection to the application, driven from the test thread."""

    def __init__(self, app: ASGI3App, scope: Scope, portal_factory: _PortalFactoryType) -> None:
        self.app = app
        self.scope = scope
        self.portal_factory = portal_factory
        self.accepted_subprotocol: str | None = None
        self.extra_headers: list[tuple[bytes, bytes]] | None = None
        self._client_closed = False
        self._finished = False
        self._disconnect: Message | None = None

    def __enter__(self) -> WebSocketTestSession:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(self.portal_factory())
            self._future, self._cancel_scope = portal.start_task(self._run)
            # Only reached when the handshake fails: the app closed, denied, or raised.
            stack.callback(portal.call, self._drain)
            stack.callback(self._future.exception)
            stack.callback(portal.call, self._cancel_scope.cancel)
            self.send({"type": "websocket.connect"})
            message = self._receive_item()
            if message is None:
                # The application returned without answering: servers reply 403 (ASGI spec).
                raise WebSocketDenialResponse(status_code=403)
            self._raise_on_close(message)
            self.accepted_subprotocol = message.get("subprotocol")
            self.extra_headers = message.get("headers")
            self._exit_stack = stack.pop_all()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            disconnect = None
            if not self._client_closed:
                self._client_closed = True
                disconnect = _disconnect_message(1000, None)
            self.portal.call(self._settle, disconnect)
            self._future.result()
            pending = self.portal.call(self._drain)
        finally:
            self._exit_stack.close()
        if pending:
            # Like upstream: what the app raised, even the WebSocketDisconnect its receive()
            # raised after our close, fails the test (chained to the test's own error if any).
            raise pending[0]

    async def _settle(self, disconnect: Message | None) -> None:
        # The close is sent from this call, on the event loop, so the app's turns are counted
        # from it (not from whenever the test thread gets back here); then the app is
        # cancelled (the caller waits for it to end: a worker thread it awaits completes).
        if disconnect is not None:
            with contextlib.suppress(anyio.BrokenResourceError):
                # A finished application drops it, as a server would.
                self._to_app.send_nowait(disconnect)
        for _ in range(_SETTLE_TURNS):
            if self._finished:
                break
            await anyio.lowlevel.checkpoint()
        self._cancel_scope.cancel()

    async def _run(self, *, task_status: anyio.abc.TaskStatus[anyio.CancelScope]) -> None:
        to_app_send, to_app_receive = anyio.create_memory_object_stream[Message](math.inf)
        to_test_send, to_test_receive = anyio.create_memory_object_stream[_Item](math.inf)
        self._to_app = to_app_send
        self._to_test = to_test_receive

        async def receive() -> Message:
            if self._disconnect is not None:
                # Like a server: a closed connection keeps answering "disconnected".
                return dict(self._disconnect)
            message = await to_app_receive.receive()
            if message["type"] == "websocket.disconnect":
                self._disconnect = message
            return message

        async def send(message: Message) -> None:
            if self._client_closed:
                # Like upstream: what the app sends once the test has closed the connection is
                # accepted and dropped. Still a checkpoint, so an app that keeps sending can be
                # cancelled.
                await anyio.lowlevel.checkpoint()
                return
            await to_test_send.send(message)

        with to_app_receive, to_test_send, anyio.CancelScope() as cancel_scope:
            task_status.started(cancel_scope)
            try:
                await self.app(self.scope, receive, send)
            except BaseException as exc:
                _raise_if_cancelled(exc)
                to_test_send.send_nowait(exc)
            finally:
                self._finished = True

    async def _drain(self) -> list[BaseException]:
        errors: list[BaseException] = []
        ignored = (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError)
        with self._to_test, self._to_app, contextlib.suppress(*ignored):
            while True:
                item = self._to_test.receive_nowait()
                if isinstance(item, BaseException):
                    errors.append(item)
        return errors

    def _receive_item(self) -> Message | None:
        try:
            item = self.portal.call(self._to_test.receive)
        except anyio.EndOfStream:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def _raise_on_close(self, message: Message) -> None:
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(
                code=message.get("code", 1000), reason=message.get("reason", "")
            )
        if message["type"] == "websocket.http.response.start":
            body: list[bytes] = []
            while (part := self._receive_item()) is not None:
                if part["type"] != "websocket.http.response.body":
                    break
                body.append(part.get("body", b""))
                if not part.get("more_body", False):
                    break
            raise WebSocketDenialResponse(
                status_code=message["status"],
                headers=message.get("headers", []),
                content=b"".join(body),
            )

    def send(self, message: Message) -> None:
        """Send a raw ASGI message to the application."""
        if message["type"] == "websocket.disconnect":
            self._client_closed = True
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            # A finished application drops what it is sent, as a server would.
            self.portal.call(self._to_app.send, message)

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send({"type": "websocket.receive", "text": text})
        else:
            self.send({"type": "websocket.receive", "bytes": text.encode("utf-8")})

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Disconnect from the application with `code`."""
        self.send(_disconnect_message(code, reason))

    def receive(self) -> Message:
        """The next message the application sent; raises the application's exception."""
        message = self._receive_item()
        if message is None:
            # The application returned without closing: the server closes normally.
            return {"type": "websocket.close", "code": 1000, "reason": ""}
        return message

    def receive_text(self) -> str:
        message = self.receive()
        self._raise_on_close(message)
        return cast(str, message["text"])

    def receive_bytes(self) -> bytes:
        message = self.receive()
        self._raise_on_close(message)
        return cast(bytes, message["bytes"])

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        message = self.receive()
        self._raise_on_close(message)
        if mode == "text":
            return json.loads(message["text"])
        return json.loads(message["bytes"])


def _request_chunks(request: httpx.Request) -> Iterator[tuple[bytes, bool]]:
    # Yields (chunk, more_body): one look-ahead tells the app which chunk is the last.
    previous: bytes | None = None
    for chunk in cast(Iterable[bytes], request.stream):
        if previous is not None:
            yield previous, True
        previous = chunk
    yield previous or b"", False


def _protocol_error(message: str) -> AssertionError:
    # Upstream's TestClient reports a broken response message sequence as an AssertionError.
    return AssertionError(message)


class _HTTPExchange:
    """One request/response: the app runs as a task in the portal, its messages go to a stream.

    The stream has no buffer: the app's `send()` returns once the test has taken the message,
    so a streamed response never runs ahead of its reader by more than one message.
    """

    def __init__(self, app: ASGI3App, scope: Scope, request: httpx.Request) -> None:
        self.app = app
        self.scope = scope
        self.chunks = _request_chunks(request)
        self.request_complete = False
        self.response_started = False
        self.trailers_declared = False
        self.body_complete = False
        self.response_complete = False
        self.error: BaseException | None = None

    async def run(
        self,
        *,
        task_status: anyio.abc.TaskStatus[MemoryObjectReceiveStream[Message]],
    ) -> None:
        to_test_send, to_test_receive = anyio.create_memory_object_stream[Message]()
        self.to_test: MemoryObjectSendStream[Message] = to_test_send
        self.completed = anyio.Event()
        # Closing the stream when the app returns tells the test there is nothing more.
        with to_test_send, anyio.CancelScope() as cancel_scope:
            self.cancel_scope = cancel_scope
            task_status.started(to_test_receive)
            try:
                await self.app(self.scope, self.receive, self.send)
            except BaseException as exc:
                _raise_if_cancelled(exc)
                self.error = exc

    def cancel_unless_complete(self, force: bool) -> bool:
        # Runs in the event loop, so it cannot race with the app completing its response.
        if force or not self.response_complete:
            self.cancel_scope.cancel()
        return self.response_complete

    async def receive(self) -> Message:
        if self.request_complete:
            if not self.completed.is_set():
                # No checkpoint once set: `is_disconnected()` polls from a cancelled scope.
                await self.completed.wait()
            return {"type": "http.disconnect"}
        chunk, more_body = next(self.chunks)
        self.request_complete = not more_body
        return {"type": "http.request", "body": chunk, "more_body": more_body}

    def _check(self, message: Message) -> None:
        message_type = message["type"]
        if message_type == "http.response.start":
            if self.response_started:
                raise _protocol_error('Received multiple "http.response.start" messages.')
            self.response_started = True
            self.trailers_declared = bool(message.get("trailers", False))
        elif message_type == "http.response.body":
            if not self.response_started:
                raise _protocol_error(
                    'Received "http.response.body" without "http.response.start".'
                )
            if self.response_complete:
                raise _protocol_error('Received "http.response.body" after response completed.')
            if self.body_complete:
                raise _protocol_error('Received "http.response.body" after body completed.')
            self.body_complete = not message.get("more_body", False)
            self.response_complete = self.body_complete and not self.trailers_declared
        else:  # http.response.trailers
            if not self.trailers_declared:
                raise _protocol_error(
                    'Received "http.response.trailers" without declaring trailers.'
                )
            if self.response_complete:
                raise _protocol_error('Received "http.response.trailers" after response completed.')
            if not self.body_complete:
                raise _protocol_error('Received "http.response.trailers" before body completed.')
            self.response_complete = not message.get("more_trailers", False)

    async def send(self, message: Message) -> None:
        message_type = message["type"]
        if message_type in ("http.response.start", "http.response.body", "http.response.trailers"):
            self._check(message)
        elif self.response_complete:
            return  # nobody reads any more: other messages after the end are dropped
        body = message.get("body")
        if body is not None and type(body) is not bytes:
            # A bytearray or memoryview may be reused by the app once send() returns.
            message = {**message, "body": bytes(body)}
        await self.to_test.send(message)
        if self.response_complete:
            self.completed.set()


class _ExchangeHandle:
    """The test thread's side of an `_HTTPExchange`."""

    def __init__(
        self,
        exchange: _HTTPExchange,
        portal_factory: _PortalFactoryType,
        raise_exceptions: bool,
        open_handles: set[_ExchangeHandle],
    ) -> None:
        self.exchange = exchange
        self.raise_exceptions = raise_exceptions
        self.open_handles = open_handles
        self.closed = False
        self.future: Future[None]
        self.stream: MemoryObjectReceiveStream[Message]
        with contextlib.ExitStack() as stack:
            self.portal = stack.enter_context(portal_factory())
            self.future, self.stream = self.portal.start_task(exchange.run)
            self.exit_stack = stack.pop_all()
        open_handles.add(self)

    def _take_error(self) -> BaseException | None:
        error, self.exchange.error = self.exchange.error, None
        return error

    def next_message(self) -> Message | None:
        """The app's next message; None once it finished (or failed, when not raising)."""
        try:
            return self.portal.call(self.stream.receive)
        except anyio.EndOfStream:
            pass
        error = self._take_error()
        if error is not None and self.raise_exceptions:
            raise error
        return None

    def close(self, force: bool = False) -> None:
        """End the exchange; `force` also cancels an app still running after its response."""
        if self.closed:
            return
        self.closed = True
        self.open_handles.discard(self)
        try:
            complete = self.portal.call(self._finish, force)
            self.future.result()
        finally:
            self.exit_stack.close()
        # Errors after the response (background tasks) still fail the test, like upstream.
        error = self._take_error()
        if error is not None and complete and self.raise_exceptions:
            raise error

    async def _finish(self, force: bool) -> bool:
        complete = self.exchange.cancel_unless_complete(force)
        with self.stream:
            # The app runs to its end (background tasks too); what it still sends is dropped.
            async for _ in self.stream:
                pass
        return complete


class _ResponseStream(httpx.SyncByteStream):
    def __init__(
        self, handle: _ExchangeHandle, head: bool, trailers: list[tuple[bytes, bytes]] | None
    ) -> None:
        self.handle = handle
        self.head = head
        # The list in response.extensions["http.response.trailers"] when the app declared
        # trailers (filled in place, as upstream's), else None.
        self.trailers = trailers
        # What the app raised while its trailers were read: raised after the last chunk.
        self.pending_error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        # Stops at the response's last message without asking for another: the app goes on
        # (background tasks) while the reader holds the last chunk.
        while (message := self.handle.next_message()) is not None:
            if message["type"] != "http.response.body":
                continue
            body = b"" if self.head else message.get("body", b"")
            if message.get("more_body", False):
                if body:
                    yield body
                continue
            if self.trailers is not None:
                # Like upstream: the trailers are in the response before its last chunk is
                # handed over.
                self._read_trailers()
            if body:
                yield body
            error, self.pending_error = self.pending_error, None
            if error is not None:
                raise error
            return

    def _read_trailers(self) -> None:
        # Until the last trailers, or the app's end (its trailers so far are kept).
        assert self.trailers is not None
        try:
            while (message := self.handle.next_message()) is not None:
                if message["type"] == "http.response.trailers":
                    self.trailers.extend(message.get("headers", []))
                    if not message.get("more_trailers", False):
                        return
        except BaseException as exc:
            self.pending_error = exc

    def close(self) -> None:
        # A reader that stopped at the last chunk gets the app's error when it closes.
        error, self.pending_error = self.pending_error, None
        try:
            self.handle.close()
        finally:
            if error is not None:
                raise error


class _TestClientTransport(httpx.BaseTransport):
    def __init__(
        self,
        app: ASGI3App,
        portal_factory: _PortalFactoryType,
        raise_server_exceptions: bool = True,
        root_path: str = "",
        *,
        client: tuple[str, int] | None,
        app_state: dict[str, Any],
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.portal_factory = portal_factory
        self.app_state = app_state
        self.client = client
        # Streamed responses not closed yet: closing the client cancels them.
        self.open_handles: set[_ExchangeHandle] = set()

    def build_scope(self, request: httpx.Request) -> Scope:
        url = request.url
        port = url.port if url.port is not None else DEFAULT_PORTS.get(url.scheme, 80)
        raw_path = url.raw_path.split(b"?", 1)[0]
        scope: Scope = {
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "scheme": url.scheme,
            # httpx's path is already percent-decoded; raw_path keeps the bytes as sent.
            "path": url.path,
            "raw_path": raw_path,
            "root_path": self.root_path,
            "query_string": url.query,
            "headers": [(key.lower(), value) for key, value in request.headers.raw],
            "client": self.client,
            # url.host has no IPv6 brackets, which is what "server" holds; port 0 stays 0.
            "server": [url.host, port],
            "state": self.app_state.copy(),
        }
        if url.scheme in ("ws", "wss"):
            protocols = request.headers.get("sec-websocket-protocol")
            scope["type"] = "websocket"
            scope["subprotocols"] = [p.strip() for p in protocols.split(",")] if protocols else []
            scope["extensions"] = {"websocket.http.response": {}}
        else:
            scope["type"] = "http"
            scope["method"] = request.method
            scope["extensions"] = {"http.response.debug": {}, "http.response.trailers": {}}
        return scope

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scope = self.build_scope(request)
        if scope["type"] == "websocket":
            raise _Upgrade(WebSocketTestSession(self.app, scope, self.portal_factory))

        exchange = _HTTPExchange(self.app, scope, request)
        handle = _ExchangeHandle(
            exchange, self.portal_factory, self.raise_server_exceptions, self.open_handles
        )
        debug: dict[str, Any] | None = None
        try:
            while (message := handle.next_message()) is not None:
                if message["type"] == "http.response.debug":
                    debug = message.get("info", {})
                elif message["type"] == "http.response.start":
                    break
        except BaseException:
            handle.close()
            raise

        if message is None:
            handle.close()
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            return httpx.Response(500, request=request)

        # Upstream's form: the raw (name, value) pairs as the app sent them, in one list that
        # the stream fills in place; empty until they arrive, or if the app sends none.
        trailers: list[tuple[bytes, bytes]] | None = [] if message.get("trailers", False) else None
        stream = _ResponseStream(handle, head=request.method == "HEAD", trailers=trailers)
        response = httpx.Response(
            status_code=message["status"],
            headers=message.get("headers", []),
            stream=stream,
            request=request,
        )
        if trailers is not None:
            response.extensions["http.response.trailers"] = trailers
        if debug is not None:
            response.extensions["http.response.debug"] = debug
            response.template = debug.get("template")  # type: ignore[attr-defined]
            response.context = debug.get("context")  # type: ignore[attr-defined]
        return response

    def close(self) -> None:
        # Every streamed response left open: its app and background tasks are cancelled.
        while self.open_handles:
            self.open_handles.pop().close(force=True)


class TestClient(httpx.Client):
    """An httpx2 (or httpx) client whose requests run the ASGI application in-process."""

    __test__ = False
    task: Future[None]
    portal: anyio.from_thread.BlockingPortal | None = None

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        backend: Literal["asyncio", "trio"] = "asyncio",
        backend_options: dict[str, Any] | None = None,
        cookies: CookieTypes | None = None,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.async_backend = _AsyncBackend(backend=backend, backend_options=backend_options or {})
        if _is_asgi3(app):
            asgi_app: ASGI3App = app
        else:
            asgi_app = _WrapASGI2(cast(ASGI2App, app))
        self.app = asgi_app
        self.app_state: dict[str, Any] = {}
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self._asgi_transport = transport = _TestClientTransport(
            self.app,
            portal_factory=self._portal_factory,
            raise_server_exceptions=raise_server_exceptions,
            root_path=root_path,
            app_state=self.app_state,
            client=client,
        )
        headers = dict(headers or {})
        headers.setdefault("user-agent", "testclient")
        super().__init__(
            base_url=base_url,
            headers=headers,
            transport=transport,
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @contextlib.contextmanager
    def _portal_factory(self) -> Generator[anyio.from_thread.BlockingPortal, None, None]:
        if self.portal is not None:
            yield self.portal
        else:
            with anyio.from_thread.start_blocking_portal(**self.async_backend) as portal:
                yield portal

    def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        **kwargs: Any,
    ) -> httpx.Response:
        """httpx's `request()`; `timeout` has no effect here and is deprecated, as upstream."""
        if timeout is not httpx.USE_CLIENT_DEFAULT:
            warnings.warn(
                "You should not use the 'timeout' argument with the TestClient. "
                "See https://github.com/Kludex/starlette/issues/1108 for more information.",
                StarletteDeprecationWarning,
                stacklevel=2,
            )
        return super().request(method, url, timeout=timeout, **kwargs)

    def websocket(self, *args: Any, **kwargs: Any) -> NoReturn:
        """httpx2's `websocket()` speaks WebSocket over a network connection: none here."""
        raise RuntimeError(
            "TestClient cannot run httpx2's client.websocket(): it needs a network connection. "
            "Use client.websocket_connect() instead."
        )

    def websocket_connect(
        self, url: str, subprotocols: Sequence[str] | None = None, **kwargs: Any
    ) -> WebSocketTestSession:
        """Open a WebSocket session; use it as a context manager.

        Like upstream's, a relative `url` is resolved against `ws://testserver`, whatever the
        client's `base_url`; an absolute `ws://` or `wss://` URL is used as it is.
        """
        target = _WEBSOCKET_BASE_URL.join(url)
        # The handshake headers upstream's TestClient sends (no `upgrade` header among them).
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("connection", "upgrade")
        headers.setdefault("sec-websocket-key", "testserver==")
        headers.setdefault("sec-websocket-version", "13")
        if subprotocols is not None:
            headers.setdefault("sec-websocket-protocol", ", ".join(subprotocols))
        try:
            super().request("GET", target, headers=headers, **kwargs)
        except _Upgrade as exc:
            return exc.session
        # An http(s):// URL was sent as a plain HTTP request: upstream's error.
        raise RuntimeError("Expected WebSocket upgrade")

    def __enter__(self: _ClientT) -> _ClientT:
        with contextlib.ExitStack() as stack:
            self.portal = portal = stack.enter_context(
                anyio.from_thread.start_blocking_portal(**self.async_backend)
            )
            stack.callback(self._reset_portal)
            to_app_send, to_app_receive = anyio.create_memory_object_stream[Message](math.inf)
            to_test_send, to_test_receive = anyio.create_memory_object_stream[_Item | None](
                math.inf
            )
            self._lifespan_to_app: tuple[
                MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]
            ] = (to_app_send, to_app_receive)
            self._lifespan_to_test: tuple[
                MemoryObjectSendStream[_Item | None], MemoryObjectReceiveStream[_Item | None]
            ] = (to_test_send, to_test_receive)
            self._lifespan_finished = False
            stack.callback(portal.call, self._close_lifespan_streams)
            self.task = portal.start_task_soon(self.lifespan)
            portal.call(self.wait_startup)
            stack.callback(portal.call, self.wait_shutdown)
            # First of all on exit: streamed responses left open are cancelled.
            stack.callback(self._asgi_transport.close)
            self.exit_stack = stack.pop_all()
        return self

    def __exit__(self, *args: Any) -> None:
        self.exit_stack.close()

    def _reset_portal(self) -> None:
        self.portal = None

    def _close_lifespan_streams(self) -> None:
        for stream in (*self._lifespan_to_app, *self._lifespan_to_test):
            stream.close()

    async def lifespan(self) -> None:
        """Run the application's lifespan protocol (started by `__enter__`)."""
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.app_state,
        }
        to_app_receive = self._lifespan_to_app[1]
        to_test_send = self._lifespan_to_test[0]
        with to_app_receive, to_test_send:
            try:
                await self.app(scope, to_app_receive.receive, to_test_send.send)
            except BaseException as exc:
                _raise_if_cancelled(exc)
                to_test_send.send_nowait(exc)
            to_test_send.send_nowait(None)

    async def _lifespan_receive(self) -> Message | None:
        # None: the application returned (it may not support the lifespan protocol at all).
        if self._lifespan_finished:
            return None
        item = await self._lifespan_to_test[1].receive()
        if isinstance(item, BaseException):
            self._lifespan_finished = True
            raise item
        if item is None:
            self._lifespan_finished = True
        return item

    async def _raise_failure(self, message: Message) -> None:
        # The app's own exception usually follows the "failed" message: prefer it.
        await self._lifespan_receive()
        raise RuntimeError(message.get("message", "") or message["type"])

    async def _lifespan_step(self, event: str) -> None:
        with contextlib.suppress(anyio.BrokenResourceError):
            # An application that already returned (no lifespan support) cannot be told.
            await self._lifespan_to_app[0].send({"type": f"lifespan.{event}"})
        while (message := await self._lifespan_receive()) is not None:
            if message["type"] == f"lifespan.{event}.complete":
                return
            if message["type"] == f"lifespan.{event}.failed":
                await self._raise_failure(message)
            raise RuntimeError(
                f'Expected ASGI message "lifespan.{event}.complete" or '
                f'"lifespan.{event}.failed", but got {message["type"]!r}.'
            )

    async def wait_startup(self) -> None:
        """Send `lifespan.startup` and wait until the application completes (or fails) it."""
        await self._lifespan_step("startup")

    async def wait_shutdown(self) -> None:
        """Send `lifespan.shutdown` and wait until the application has finished."""
        if not self._lifespan_finished:
            await self._lifespan_step("shutdown")
            while await self._lifespan_receive() is not None:
                pass
