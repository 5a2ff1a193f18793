"""`BaseHTTPMiddleware`: write middleware as `async def dispatch(request, call_next)`."""

from __future__ import annotations

import contextlib
import sys
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

__all__ = ["BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"]

RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]

_DISCONNECT: Message = {"type": "http.disconnect"}


class _BodyReplay:
    """Shares the request body between `dispatch` and the wrapped application.

    Messages that `dispatch` reads (through its `Request`) are kept and replayed, in order, to
    the application, which then reads on from the client. Nothing is kept for an application
    that reads the body itself, so streaming an upload through the middleware costs no memory.
    """

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._kept: deque[Message] = deque()
        self._app_reading = False

    async def dispatch_receive(self) -> Message:
        if self._app_reading:
            # The application owns the stream now; `dispatch` sees what is left (a disconnect).
            return await self._receive()
        message = await self._receive()
        self._kept.append(message)
        return message

    async def app_receive(self) -> Message:
        self._app_reading = True
        if not self._kept:
            return await self._receive()
        if self._kept[0]["type"] == "http.disconnect":
            # The client has gone: say so as often as asked, without waiting on the server.
            return self._kept[0]
        return self._kept.popleft()


class _StreamingResponse(StreamingResponse):
    """What `call_next` returns: the application's response, streamed through `dispatch`."""

    def __init__(
        self,
        content: AsyncIterator[bytes],
        status_code: int,
        raw_headers: list[tuple[bytes, bytes]],
        info: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code)
        self.raw_headers = raw_headers
        self.info = info

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.info is not None:
            await send({"type": "http.response.debug", "info": self.info})
        # No disconnect listener here: the application's own response already listens, and
        # ends this body stream when the client goes. ASGI 2.4 servers raise OSError from
        # `send` once the client has gone: there is nobody left to answer.
        with contextlib.suppress(OSError):
            await self.stream_response(send)
        if self.background is not None:
            await self.background()


class BaseHTTPMiddleware:
    """Middleware written as `dispatch(request, call_next) -> Response`.

    `call_next(request)` runs the rest of the application and returns its response, whose body
    is streamed from the application as `dispatch`'s response is sent. The request body may be
    read both in `dispatch` (before `call_next`) and by the application. Background tasks of the
    application's response run after the response has been sent. An exception of the
    application is raised from `call_next`, or after `dispatch` returns if it came later.
    """

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        """Override this (or pass `dispatch=`): return a response, usually `call_next`'s."""
        raise NotImplementedError()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exc = await _Call(self, scope, receive, send).run()
        if exc is not None:
            # Raised here, outside any `except` block, so its `__context__` stays its own.
            raise exc


class _Call:
    """The state of one request through a `BaseHTTPMiddleware`."""

    def __init__(self, middleware: BaseHTTPMiddleware, scope: Scope, receive: Receive, send: Send):
        self.middleware = middleware
        self.scope = scope
        self.send = send
        self.body = _BodyReplay(receive)
        self.request = Request(scope, self.body.dispatch_receive, send)
        self.response_sent = anyio.Event()
        self.receive_scopes: set[anyio.CancelScope] = set()
        self.send_stream, self.recv_stream = anyio.create_memory_object_stream[Message]()
        self.app_exc: Exception | None = None
        self.app_exc_raised = False
        self.app_started = False
        self.task_group: anyio.abc.TaskGroup | None = None

    async def run(self) -> BaseException | None:
        """Run `dispatch` and send its response; return the exception to raise, if any."""
        try:
            with self.recv_stream, self.send_stream:
                async with anyio.create_task_group() as self.task_group:
                    response = await self.middleware.dispatch_func(self.request, self.call_next)
                    await response(self.scope, self.body.dispatch_receive, self.send)
                    self._response_done()
        except BaseExceptionGroup as group:
            return _unwrap(group)
        if self.app_exc is not None and not self.app_exc_raised:
            return self.app_exc
        return None

    def _response_done(self) -> None:
        self.response_sent.set()
        self.recv_stream.close()
        for cancel_scope in list(self.receive_scopes):
            cancel_scope.cancel()

    async def call_next(self, request: Request) -> Response:
        assert self.task_group is not None
        if self.app_started:
            # The application's messages flow through one stream, used up by the first call.
            raise RuntimeError("call_next() can only be called once per request.")
        self.app_started = True
        self.task_group.start_soon(self._run_app)

        info = None
        message = await self._next_message()
        if message is not None and message["type"] == "http.response.debug":
            info = message.get("info")
            message = await self._next_message()
        if message is None:
            if self.app_exc is None:
                raise RuntimeError("No response returned.")
            self.app_exc_raised = True
            raise self.app_exc
        if message["type"] != "http.response.start":
            raise RuntimeError(f"Unexpected message: {message['type']!r}")
        return _StreamingResponse(
            _BodyIterator(self),
            status_code=message["status"],
            raw_headers=list(message.get("headers", ())),
            info=info,
        )

    async def _next_message(self) -> Message | None:
        try:
            return await self.recv_stream.receive()
        except anyio.EndOfStream:
            return None

    async def _run_app(self) -> None:
        with self.send_stream:
            try:
                await self.middleware.app(self.scope, self._app_receive, self._app_send)
            except Exception as exc:
                self.app_exc = exc

    async def _app_receive(self) -> Message:
        if self.response_sent.is_set():
            return _DISCONNECT
        with anyio.CancelScope() as cancel_scope:
            # Cancelled once the response is sent: a disconnect listener must not wait for
            # a client message that may never come.
            self.receive_scopes.add(cancel_scope)
            try:
                return await self.body.app_receive()
            finally:
                self.receive_scopes.discard(cancel_scope)
        return _DISCONNECT

    async def _app_send(self, message: Message) -> None:
        try:
            await self.send_stream.send(message)
        except anyio.BrokenResourceError:
            # `dispatch`'s response is sent and the stream closed: the rest goes nowhere.
            return
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            # Hold the application (and its background tasks) until the response is out.
            await self.response_sent.wait()


class _BodyIterator:
    """The body of the application's response, chunk by chunk.

    An iterator object rather than an async generator: `dispatch` may stop reading it half way
    (to send another response), and an abandoned generator would be finalized noisily.
    """

    def __init__(self, call: _Call) -> None:
        self.call = call
        self.done = False
        self.path: str | None = None
        self.offset = 0

    def __aiter__(self) -> _BodyIterator:
        return self

    async def __anext__(self) -> bytes:
        while not self.done:
            if self.path is not None:
                return await self._next_file_chunk(self.path)
            message = await self.call._next_message()
            if message is None:
                self._end()
            elif message["type"] == "http.response.pathsend":
                self.path = message["path"]
            elif message["type"] == "http.response.body":
                self.done = not message.get("more_body", False)
                if body := message.get("body", b""):
                    return body  # type: ignore[no-any-return]
            # Other messages (trailers) cannot pass through a `Response`: dropped.
        raise StopAsyncIteration

    def _end(self) -> None:
        self.done = True
        call = self.call
        if call.app_exc is not None:
            # The application failed mid-response: fail the response rather than end it
            # cleanly, so the client sees a truncated body for what it is.
            call.app_exc_raised = True
            raise call.app_exc

    async def _next_file_chunk(self, path: str) -> bytes:
        # Each read opens the file anew, so no handle is left open if `dispatch` stops early.
        chunk = await anyio.to_thread.run_sync(_read_chunk, path, self.offset)
        self.offset += len(chunk)
        if len(chunk) < _FILE_CHUNK_SIZE:
            self.done = True
        if not chunk:
            raise StopAsyncIteration
        return chunk


_FILE_CHUNK_SIZE = 64 * 1024


def _read_chunk(path: str, offset: int) -> bytes:
    with open(path, "rb") as file:
        file.seek(offset)
        return file.read(_FILE_CHUNK_SIZE)


def _unwrap(group: BaseExceptionGroup[BaseException]) -> BaseException:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
