"""`RequestBodyLimitMiddleware`: answers 413 to request bodies larger than `max_body_size` bytes."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestBodyLimitMiddleware", "RequestBodyLimitResponder"]

# The scope key holding the limit in force. Every layer overwrites it on the way in, so the
# innermost one (app < mount < route) decides, and every wrapped `receive` reads it when called.
SCOPE_KEY = "starlette.max_body_size"

_DETAIL = "Content Too Large"


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
        responder = RequestBodyLimitResponder(self.app, self.max_body_size)
        await responder(scope, receive, send)


class RequestBodyLimitResponder:
    """Handles one request: counts the body as the app reads it, raising 413 past the limit.

    The limit is checked lazily: an app that never reads the body never fails. Going over raises
    `HTTPException(413)` from `receive()`, so the app's exception handlers answer it; if nothing
    does and no response has started, this responder answers 413 itself.
    """

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size
        self.response_started = False
        self.bytes_received = 0
        self._checked_length = False
        self._error: HTTPException | None = None

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
        scope[SCOPE_KEY] = self.max_body_size
        try:
            await self.app(scope, self.receive_with_limit, self.send_with_limit)
        except HTTPException as exc:
            if exc is not self._error or self.response_started:
                raise
            response = PlainTextResponse(_DETAIL, status_code=413)
            await response(scope, receive, send)

    def _limit(self) -> int:
        limit: int = self._scope.get(SCOPE_KEY, self.max_body_size)
        return limit

    def _too_large(self) -> HTTPException:
        # Kept: every later receive() re-raises it, and __call__ recognises it by identity.
        self._error = HTTPException(413, detail=_DETAIL)
        return self._error

    def _declared_length(self) -> int | None:
        for key, value in self._scope.get("headers", ()):
            if key.lower() == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    # A malformed length proves nothing; the streamed bytes are still counted.
                    return None
        return None

    async def receive_with_limit(self) -> Message:
        """The wrapped `receive`: raises `HTTPException(413)` once the body exceeds the limit."""
        if self._error is not None:
            raise self._error
        limit = self._limit()
        if not self._checked_length:
            self._checked_length = True
            declared = self._declared_length()
            if declared is not None and declared > limit:
                raise self._too_large()
        message = await self._receive()
        if message["type"] == "http.request":
            self.bytes_received += len(message.get("body", b""))
            if self.bytes_received > limit:
                raise self._too_large()
        return message

    async def send_with_limit(self, message: Message) -> None:
        """The wrapped `send`: notes when the response starts, so a late 413 is not sent twice."""
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)
