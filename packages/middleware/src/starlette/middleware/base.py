"""`BaseHTTPMiddleware`: write middleware as `async def dispatch(request, call_next)`."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from starlette._utils import collapse_excgroups
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BaseHTTPMiddleware", "DispatchFunction", "RequestResponseEndpoint"]

RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]

_DISCONNECT: Message = {"type": "http.disconnect"}


class _CachedRequest(Request):
    """The `Request` that `dispatch` gets; it shares one read position with the application.

    Only a body that `dispatch` read whole with `await request.body()` is kept, and handed to
    the application as one message. Chunks that `dispatch` streamed are not kept: the
    application reads on from where `dispatch` stopped (after a complete stream it gets an
    empty body), so a streamed upload costs no memory here. A subclass, so that it can look at
    the body state `Request` keeps about itself.
    """

    _handed_over = False
    _disconnect_seen = False

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope, self._shared_receive, send)
        self._server_receive = receive

    async def _shared_receive(self) -> Message:
        if self._disconnect_seen:
            # The client has gone: say so as often as asked, without waiting on the server.
            return _DISCONNECT
        message = await self._server_receive()
        if message["type"] == "http.disconnect":
            self._disconnect_seen = True
        return message

    async def app_receive(self) -> Message:
        """The application's `receive()`: what `dispatch` left for it, then the server's."""
        message = None
        if not self._handed_over:
            self._handed_over = True
            message = self._left_by_dispatch()
        if message is None:
            message = await self._shared_receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            # The application has the end of the body: streaming it again in `dispatch` fails
            # at once ("Stream consumed") instead of waiting for a message that never comes.
            self._stream_consumed = True
        return message

    def _left_by_dispatch(self) -> Message | None:
        if hasattr(self, "_body"):
            return {"type": "http.request", "body": self._body, "more_body": False}
        if self._stream_consumed:
            return {"type": "http.request", "body": b"", "more_body": False}
        # A chunk that `is_disconnected()` took early and nobody has read yet.
        pending, self._pending = self._pending, None
        return pending


class _StreamingResponse(StreamingResponse):
    """What `call_next` returns: the application's response, streamed through `dispatch`."""

    def __init__(
        self,
        content: _BodyIterator,
        status_code: int,
        raw_headers: list[tuple[bytes, bytes]],
        info: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(content, status_code=status_code)
        self.raw_headers = raw_headers
        self.info = info
        self.app_body = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.info is not None:
            await send({"type": "http.response.debug", "info": self.info})
        # No disconnect listener here: the application's own response already listens, and
        # ends this body stream when the client goes. ASGI 2.4 servers raise OSError from
        # `send` once the client has gone: there is nobody left to answer.
        with contextlib.suppress(OSError):
            if self.body_iterator is self.app_body:
                # The application's body as it sent it: a pathsend stays one (zero-copy).
                await send(
                    {
                        "type": "http.response.start",
                        "status": self.status_code,
                        "headers": self.raw_headers,
                    }
                )
                await self.app_body.forward(send)
            else:
                await self.stream_response(send)
        if self.background is not None:
            await self.background()


class BaseHTTPMiddleware:
    """Middleware written as `dispatch(request, call_next) -> Response`.

    `call_next(request)` runs the rest of the application and returns its response, whose body
    is streamed from the application as `dispatch`'s response is sent. A body that `dispatch`
    reads with `await request.body()` is read again by the application; one it streams is
    not (the application reads on from there). Background tasks of the application's response
    run after the response has been sent. An exception of the application is raised from
    `call_next`, or after `dispatch` returns if it came later.
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
        await _Call(self, scope, receive, send).run()


class _Call:
    """The state of one request through a `BaseHTTPMiddleware`."""

    def __init__(self, middleware: BaseHTTPMiddleware, scope: Scope, receive: Receive, send: Send):
        self.middleware = middleware
        self.scope = scope
        self.send = send
        self.request = _CachedRequest(scope, receive, send)
        # Set once the application's output is no longer wanted: `dispatch`'s response is sent,
        # or `dispatch` closed the body iterator.
        self.app_released = anyio.Event()
        self.receive_scopes: set[anyio.CancelScope] = set()
        self.send_stream, self.recv_stream = anyio.create_memory_object_stream[Message]()
        self.app_exc: Exception | None = None
        self.app_exc_raised = False
        self.app_started = False
        self.task_group: anyio.abc.TaskGroup | None = None

    async def run(self) -> None:
        """Run `dispatch`, send its response, then raise an application error not yet raised."""
        # Only the task group's own wrapping is removed: a user's `ExceptionGroup` stays one.
        with self.recv_stream, self.send_stream, collapse_excgroups():
            async with anyio.create_task_group() as self.task_group:
                response = await self.middleware.dispatch_func(self.request, self.call_next)
                await response(self.scope, self.request.receive, self.send)
                self.release_app()
        if self.app_exc is not None and not self.app_exc_raised:
            # Raised here, outside any `except` block, so its `__context__` stays its own.
            raise self.app_exc

    def release_app(self) -> None:
        """Let the application finish: its sends go nowhere and `receive()` says disconnect."""
        self.app_released.set()
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
        message = await self.next_message()
        if message is not None and message["type"] == "http.response.debug":
            info = message.get("info")
            message = await self.next_message()
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

    async def next_message(self) -> Message | None:
        """The application's next message; None once it has finished (or was released)."""
        try:
            return await self.recv_stream.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None

    async def _run_app(self) -> None:
        with self.send_stream:
            try:
                await self.middleware.app(self.scope, self._app_receive, self._app_send)
            except Exception as exc:
                self.app_exc = exc

    async def _app_receive(self) -> Message:
        if self.app_released.is_set():
            return _DISCONNECT
        with anyio.CancelScope() as cancel_scope:
            # Cancelled once the application is released: a disconnect listener must not wait
            # for a client message that may never come.
            self.receive_scopes.add(cancel_scope)
            try:
                return await self.request.app_receive()
            finally:
                self.receive_scopes.discard(cancel_scope)
        return _DISCONNECT

    async def _app_send(self, message: Message) -> None:
        if message["type"] == "http.response.early_hint":
            # Informational, sent before the response starts: straight to the client.
            await self.send(message)
            return
        try:
            await self.send_stream.send(message)
        except anyio.BrokenResourceError:
            # The application was released and the stream closed: the rest goes nowhere.
            return
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            # Hold the application (and its background tasks) until the response is out.
            await self.app_released.wait()


class _BodyIterator:
    """The body of the application's response, chunk by chunk.

    An iterator object rather than an async generator: `dispatch` may stop reading it half way
    (to send another response), and an abandoned generator would be finalized noisily. A file
    the application sent by path (`http.response.pathsend`) is read in chunks when `dispatch`
    iterates; sent untouched, the response forwards the pathsend itself.
    """

    def __init__(self, call: _Call) -> None:
        self.call = call
        self.done = False
        self.path: str | None = None
        self.offset = 0

    def __aiter__(self) -> _BodyIterator:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self.path is not None:
                chunk = await anyio.to_thread.run_sync(_read_chunk, self.path, self.offset)
                self.offset += len(chunk)
                if len(chunk) < _FILE_CHUNK_SIZE:
                    self.path = None  # the end of the file
                if chunk:
                    return chunk
                continue
            message = await self._next_body_message()
            if message is None:
                raise StopAsyncIteration
            if message["type"] == "http.response.pathsend":
                self.path = message["path"]
            elif body := message.get("body", b""):
                return body  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop the body here: the application's further output is dropped, and it is let go."""
        self.done = True
        self.path = None
        self.call.release_app()

    async def forward(self, send: Send) -> None:
        """Send the rest of the body as the application sends it."""
        while self.path is None and (message := await self._next_body_message()) is not None:
            if message["type"] == "http.response.pathsend":
                await send(message)
                return
            if body := message.get("body", b""):
                await send({"type": "http.response.body", "body": body, "more_body": True})
        # The rest of a file `dispatch` began to read, if any; then the body ends.
        async for chunk in self:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _next_body_message(self) -> Message | None:
        """The application's next body or pathsend message; None once the body has ended."""
        while not self.done:
            message = await self.call.next_message()
            if message is None:
                self._end()
            elif message["type"] == "http.response.body":
                self.done = not message.get("more_body", False)
                return message
            elif message["type"] == "http.response.pathsend":
                self.done = True
                return message
            # Other messages (trailers) cannot pass through a `Response`: dropped.
        return None

    def _end(self) -> None:
        self.done = True
        call = self.call
        if call.app_exc is not None:
            # The application failed mid-response: fail the response rather than end it
            # cleanly, so the client sees a truncated body for what it is.
            call.app_exc_raised = True
            raise call.app_exc


_FILE_CHUNK_SIZE = 64 * 1024


def _read_chunk(path: str, offset: int) -> bytes:
    # Each read opens the file anew, so no handle is left open if `dispatch` stops early.
    with open(path, "rb") as file:
        file.seek(offset)
        return file.read(_FILE_CHUNK_SIZE)
