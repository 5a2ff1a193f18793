"""Signed-cookie sessions: `request.session` is a dict stored in the client's cookie."""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any, Literal

try:
    import itsdangerous
    from itsdangerous.exc import BadSignature
except ImportError as exc:
    raise ImportError(
        'SessionMiddleware requires itsdangerous: pip install "starlette-middleware[sessions]"'
    ) from exc

from starlette.datastructures import MutableHeaders, Secret
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Session", "SessionMiddleware"]

_EXPIRED_COOKIE = "null; path={path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; {flags}"


class Session(dict[str, Any]):
    """The session data; it records whether it was read (`accessed`) or changed (`modified`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accessed = False
        self.modified = False

    def mark_accessed(self) -> None:
        self.accessed = True

    def mark_modified(self) -> None:
        self.accessed = True
        self.modified = True

    # Reads.

    def __getitem__(self, key: str) -> Any:
        self.mark_accessed()
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.mark_accessed()
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.mark_accessed()
        return super().__contains__(key)

    def __iter__(self) -> Any:
        self.mark_accessed()
        return super().__iter__()

    def __len__(self) -> int:
        self.mark_accessed()
        return super().__len__()

    def keys(self) -> Any:
        self.mark_accessed()
        return super().keys()

    def values(self) -> Any:
        self.mark_accessed()
        return super().values()

    def items(self) -> Any:
        self.mark_accessed()
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.mark_accessed()
        return dict(super().items())

    def __eq__(self, other: object) -> bool:
        self.mark_accessed()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self.mark_accessed()
        return super().__ne__(other)

    def __or__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self.mark_accessed()
        return dict(super().items()) | other  # type: ignore[no-any-return]

    def __ror__(self, other: Any) -> dict[str, Any]:  # type: ignore[override]
        self.mark_accessed()
        return other | dict(super().items())  # type: ignore[no-any-return]

    def __reversed__(self) -> Any:
        self.mark_accessed()
        return super().__reversed__()

    def __repr__(self) -> str:
        self.mark_accessed()
        return super().__repr__()

    # Writes.

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    def pop(self, key: str, *args: Any) -> Any:
        # Popping a missing key (the `flash = session.pop("flash", None)` idiom) changes
        # nothing, so it is neither a change nor a read.
        if super().__contains__(key):
            self.mark_modified()
        return super().pop(key, *args)

    def popitem(self) -> tuple[str, Any]:
        self.mark_modified()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if super().__contains__(key):
            self.mark_accessed()
        else:
            self.mark_modified()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.mark_modified()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> Session:  # type: ignore[override]
        self.update(other)
        return self


class SessionMiddleware:
    """Keep `scope["session"]` in a signed cookie that expires after `max_age` seconds.

    The cookie holds base64 JSON signed (not encrypted) with `secret_key`: the client can read it
    but not change it. A tampered or expired cookie gives an empty session. The cookie is sent
    when the application changed the session, and cleared when it empties a session that came
    with the request. With `sliding_expiry=True` (the 0.47 behaviour) it is also sent again on
    every response while the session is not empty, so `max_age` counts from the last request.
    WebSocket connections get the session too, read only: a handshake cannot set a cookie
    afterwards.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | Secret,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,  # 14 days, in seconds
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
        partitioned: bool = False,
        *,
        sliding_expiry: bool = False,
    ) -> None:
        self.app = app
        self.sliding_expiry = sliding_expiry
        self.signer = itsdangerous.TimestampSigner(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        self.security_flags = "httponly; samesite=" + same_site
        if https_only:  # Secure flag can be used with HTTPS only
            self.security_flags += "; secure"
        if domain is not None:
            self.security_flags += f"; domain={domain}"
        if partitioned:
            self.security_flags += "; partitioned"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        session = self._load(HTTPConnection(scope).cookies.get(self.session_cookie))
        loaded = bool(dict.__len__(session))
        scope["session"] = session
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self._with_cookie(message, scope["session"], loaded)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _load(self, cookie: str | None) -> Session:
        if not cookie:
            return Session()
        try:
            data = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age)
            content = json.loads(b64decode(data, validate=True))
        except (BadSignature, ValueError):
            # Tampered, expired, or signed with another key: start afresh, never fail.
            return Session()
        return Session(content) if isinstance(content, dict) else Session()

    def _with_cookie(self, message: Message, session: Any, loaded: bool) -> Message:
        if isinstance(session, Session):
            accessed, modified = session.accessed, session.modified
            data = dict(dict.items(session))
        else:
            # The application replaced the session with a plain mapping: treat it as changed.
            accessed = modified = True
            data = dict(session)

        if not accessed and not (self.sliding_expiry and data):
            return message
        headers = MutableHeaders(raw=list(message.get("headers", ())))
        if accessed:
            # The response depends on the session, hence on the Cookie header.
            headers.add_vary_header("Cookie")
        if data and (modified or self.sliding_expiry):
            headers.append("Set-Cookie", self._cookie(data))
        elif modified and loaded:
            # The session came with the request and is now empty: delete the cookie.
            expired = _EXPIRED_COOKIE.format(path=self.path, flags=self.security_flags)
            headers.append("Set-Cookie", f"{self.session_cookie}={expired}")
        return {**message, "headers": headers.raw}

    def _cookie(self, data: dict[str, Any]) -> str:
        value = self.signer.sign(b64encode(json.dumps(data).encode("utf-8"))).decode("utf-8")
        max_age = f"Max-Age={self.max_age}; " if self.max_age is not None else ""
        return f"{self.session_cookie}={value}; path={self.path}; {max_age}{self.security_flags}"
