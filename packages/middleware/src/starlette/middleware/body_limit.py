"""`RequestBodyLimitMiddleware`: answers 413 to request bodies larger than `max_body_size` bytes."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_SIZE_SCOPE_KEY", "RequestBodyLimitMiddleware", "RequestBodyLimitResponder"]

# The scope key holding the limit in force while the app runs, for code that wants to know it
# (FastAPI reads it). Each limiter sets it on the way in and puts the previous value back on the
# way out, so the innermost one (app < mount < route) is what the endpoint sees.
MAX_BODY_SIZE_SCOPE_KEY = "starlette.max_body_size"
# The family's 0.x name of the same key.
SCOPE_KEY = MAX_BODY_SIZE_SCOPE_KEY
# The outermost limiter's responder: nested limiters only change its limit, so the body is counted
# once however many limits a request passes through (a limiter reached through a receive that is
# not the responder's, such as a replayed body, counts what that receive delivers as well).
_RESPONDER_SCOPE_KEY = "starlette._body_limit_responder"

_DETAIL = "Content Too Large"
_MISSING = object()


class _RequestBodyTooLarge(HTTPException):
    """Raised from the limited `receive()` once the body, or its declared length, is too large.

    An `HTTPException(413)`, so exception handlers answer it like any other; FastAPI recognises
    the class by name to let it through instead of reporting a body that failed to parse.
    """

    def __init__(self) -> None:
        super().__init__(413, detail=_DETAIL)


class _RequestBodyLimitResponseSent(Exception):
    """Raised into the app from `send()` once the limiter has answered 413 itself: the app stops.

    The limiter that answered swallows it; FastAPI recognises the class by name.
    """


class RequestBodyLimitMiddleware:
    """Limits HTTP request bodies; other scopes pass through untouched."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        if max_body_size < 0:
            raise ValueError(f"max_body_size must be >= 0, not {max_body_size!r}.")
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        outer = scope.get(_RESPONDER_SCOPE_KEY)
        if isinstance(outer, RequestBodyLimitResponder):
            if getattr(receive, "__self__", None) is not outer:
                # A layer between the limiters gave the app a receive of its own, which may
                # replay a body that layer read under the outer limit: count it here too.
                receive = outer.counting(receive)
            await outer.call_with_limit(self.app, self.max_body_size, scope, receive, send)
            return
        responder = RequestBodyLimitResponder(self.app, self.max_body_size)
        await responder(scope, receive, send)


class RequestBodyLimitResponder:
    """Handles one request: counts the body as the app reads it, raising 413 past the limit.

    Streamed bytes are counted lazily: an app that never reads the body never fails because of
    them. A declared `Content-Length` over the limit fails the first `receive()`, and is answered
    413 when the app starts its response even if it never read the body. A 413 nothing handled
    is answered here too, unless a response has already started.
    """

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.response_started = False
        self.bytes_received = 0
        self._declared: int | None = None
        self._error: _RequestBodyTooLarge | None = None
        self._answered = False

    @property
    def scope(self) -> Scope:
        return self._scope

    @property
    def receive(self) -> Receive:
        return self._receive

    @property
    def send(self) -> Send:
        return self._send

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._declared = _declared_length(scope)
        scope[_RESPONDER_SCOPE_KEY] = self
        try:
            await self.call_with_limit(
                self.app, self.max_body_size, scope, self.receive_with_limit, self.send_with_limit
            )
        except _RequestBodyTooLarge:
            if self.response_started:
                raise
            await self._answer_413()
        except _RequestBodyLimitResponseSent:
            if not self._answered:
                raise
        finally:
            del scope[_RESPONDER_SCOPE_KEY]

    async def call_with_limit(
        self, app: ASGIApp, limit: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run `app` with `limit` in force, then restore the limit that was in force before."""
        previous_limit = self.max_body_size
        previous_key = scope.get(MAX_BODY_SIZE_SCOPE_KEY, _MISSING)
        self.max_body_size = limit
        scope[MAX_BODY_SIZE_SCOPE_KEY] = limit
        try:
            await app(scope, receive, send)
        finally:
            self.max_body_size = previous_limit
            if previous_key is _MISSING:
                scope.pop(MAX_BODY_SIZE_SCOPE_KEY, None)
            else:
                scope[MAX_BODY_SIZE_SCOPE_KEY] = previous_key

    def _declared_too_large(self) -> bool:
        return self._declared is not None and self._declared > self.max_body_size

    def _too_large(self) -> _RequestBodyTooLarge:
        # Kept: every later receive() re-raises it.
        self._error = _RequestBodyTooLarge()
        return self._error

    async def _answer_413(self) -> None:
        self.response_started = self._answered = True
        await PlainTextResponse(_DETAIL, status_code=413)(self._scope, self._receive, self._send)

    def _check_declared(self) -> None:
        if self._error is not None:
            raise self._error
        if self._declared_too_large():
            raise self._too_large()

    async def receive_with_limit(self) -> Message:
        """The wrapped `receive`: raises `_RequestBodyTooLarge` once the body exceeds the limit."""
        self._check_declared()
        message = await self._receive()
        if message["type"] == "http.request":
            self.bytes_received += len(message.get("body", b""))
            if self.bytes_received > self.max_body_size:
                raise self._too_large()
        return message

    def counting(self, receive: Receive) -> Receive:
        """`receive` counted against the limit in force, for a receive that is not ours."""
        received = 0

        async def counted() -> Message:
            nonlocal received
            self._check_declared()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_size:
                    raise self._too_large()
            return message

        return counted

    async def send_with_limit(self, message: Message) -> None:
        """The wrapped `send`: a response to a body declared too large becomes the 413."""
        if self._answered:
            # The 413 is complete; nothing the app sends after it may reach the client.
            raise _RequestBodyLimitResponseSent()
        if message["type"] == "http.response.start":
            if self._declared_too_large():
                await self._answer_413()
                raise _RequestBodyLimitResponseSent()
            self.response_started = True
        await self._send(message)


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                # A malformed length proves nothing; the streamed bytes are still counted.
                return None
    return None
