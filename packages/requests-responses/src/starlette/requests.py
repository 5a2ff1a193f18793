"""`Request` and its base `HTTPConnection`: read-only views over an ASGI connection scope."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import anyio

from starlette._utils import (
    AwaitableOrContextManager,
    AwaitableOrContextManagerWrapper,
    find_header,
    media_type,
)
from starlette.datastructures import URL, Address, FormData, Headers, QueryParams, State
from starlette.exceptions import HTTPException
from starlette.formparsers import (
    FormParser,
    MultiPartException,
    MultiPartParser,
    _fields_within_limits,
)
from starlette.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

__all__ = [
    "ClientDisconnect",
    "HTTPConnection",
    "Request",
    "cookie_parser",
    "empty_receive",
    "empty_send",
]

# Request headers a pushed resource's request inherits (HTTP/2 server push).
SERVER_PUSH_HEADERS_TO_COPY = (
    "accept",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "user-agent",
)

# An escape inside a quoted cookie value, `\ooo` (octal) or `\c`, as `http.cookies` reads it.
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))")


def _unescape_cookie_char(match: re.Match[str]) -> str:
    octal = match[1]
    return chr(int(octal, 8)) if octal else match[2]


def _unquote_cookie(value: str) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    return _COOKIE_ESCAPE.sub(_unescape_cookie_char, value[1:-1])


def cookie_parser(cookie_string: str) -> dict[str, str]:
    """Parse a `Cookie` header leniently, as browsers send it (not RFC 6265's strict grammar).

    A chunk without `=` is a value with an empty name; when a name repeats, the last one wins.
    """
    cookie_dict: dict[str, str] = {}
    for chunk in cookie_string.split(";"):
        if "=" in chunk:
            key, value = chunk.split("=", 1)
        else:
            key, value = "", chunk
        key, value = key.strip(), value.strip()
        if key or value:
            cookie_dict[key] = _unquote_cookie(value)
    return cookie_dict


_json_decoder = json.JSONDecoder()
_json_whitespace = re.compile(r"[ \t\n\r]*").match  # json.decoder.WHITESPACE


def _json_loads(body: bytes) -> Any:
    """`json.loads(body)`, skipping its encoding detection where the answer is known.

    A body starting with "{" or "[" and no NUL byte after it is UTF-8 for
    `json.detect_encoding` too; anything else takes `json.loads` itself.
    """
    if body[:1] not in (b"{", b"[") or body[1:2] == b"\x00":
        return json.loads(body)
    text = body.decode("utf-8", "surrogatepass")
    value, end = _json_decoder.raw_decode(text)
    trailing = _json_whitespace(text, end)  # never None: the pattern matches empty text
    if trailing is None or trailing.end() != len(text):
        raise json.JSONDecodeError("Extra data", text, end if trailing is None else trailing.end())
    return value


class _InvalidJSONBody(json.JSONDecodeError, HTTPException):
    """A body that `request.json()` cannot decode, read inside an application.

    Both things at once: a `json.JSONDecodeError` (so `except json.JSONDecodeError` around
    `request.json()` still catches it) and an `HTTPException(400)`, which the application's
    exception middleware answers with a plain 400 instead of a 500 and a logged traceback.
    Handlers match it by its MRO as usual: one registered for `ValueError` comes first.
    """

    def __init__(self, detail: str, msg: str, doc: str, pos: int) -> None:
        json.JSONDecodeError.__init__(self, msg, doc, pos)
        HTTPException.__init__(self, 400, detail)

    # What a JSONDecodeError says (the parser's position); the client only sees `detail`.
    __str__ = json.JSONDecodeError.__str__

    def __reduce__(self) -> tuple[type[_InvalidJSONBody], tuple[str, str, str, int]]:
        return _InvalidJSONBody, (self.detail, self.msg, self.doc, self.pos)


def _invalid_json(exc: ValueError | RecursionError, body: bytes) -> _InvalidJSONBody:
    if isinstance(exc, json.JSONDecodeError):
        return _InvalidJSONBody("Invalid JSON body.", exc.msg, exc.doc, exc.pos)
    doc = body.decode("latin-1")
    if isinstance(exc, RecursionError):
        return _InvalidJSONBody("JSON body nested too deeply.", str(exc), doc, 0)
    return _InvalidJSONBody("Invalid JSON body.", str(exc), doc, 0)  # not UTF-8 (or -16, -32)


class ClientDisconnect(Exception):
    """The client went away while the request body was being read."""


async def empty_receive() -> NoReturn:
    raise RuntimeError("Receive channel has not been made available")


async def empty_send(message: Message) -> NoReturn:
    raise RuntimeError("Send channel has not been made available")


class HTTPConnection(Mapping[str, Any]):
    """What HTTP requests and WebSocket connections share: URL, headers, cookies, state...

    Every property is computed on first access and cached on the instance.
    """

    _base_url: URL
    _state: State
    # Class-level defaults, replaced on first access: a miss read as None costs far less than
    # the AttributeError an unset attribute raises (these are read on most requests).
    _url: URL | None = None
    _headers: Headers | None = None
    _query_params: QueryParams | None = None
    _cookies: dict[str, str] | None = None

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        assert scope["type"] in ("http", "websocket")
        self.scope = scope

    def __class_getitem__(cls, item: Any) -> Any:
        # `Request[MyState]` annotations, which upstream's generic classes allow, work at runtime.
        return cls

    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    # A connection is equal only to itself; two connections over equal scopes are distinct.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        return self.scope["app"]

    @property
    def url(self) -> URL:
        url = self._url
        if url is None:
            url = self._url = URL(scope=self.scope)
        return url

    @property
    def base_url(self) -> URL:
        """The application's root URL, with a trailing slash: what `url_for` builds on."""
        try:
            return self._base_url
        except AttributeError:
            # Inside a Mount `root_path` grows; `app_root_path` keeps the application's own.
            root_path = self.scope.get("app_root_path", self.scope.get("root_path", ""))
            path = root_path if root_path.endswith("/") else root_path + "/"
            base_scope = {**self.scope, "path": path, "query_string": b"", "root_path": root_path}
            self._base_url = URL(scope=base_scope)
            return self._base_url

    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers(scope=self.scope)
        return headers

    @property
    def query_params(self) -> QueryParams:
        query_params = self._query_params
        if query_params is None:
            query_params = self._query_params = QueryParams(self.scope["query_string"])
        return query_params

    @property
    def path_params(self) -> dict[str, Any]:
        return self.scope.get("path_params", {})  # type: ignore[no-any-return]

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from every `Cookie` header (HTTP/2 clients may send several)."""
        cookies = self._cookies
        if cookies is None:
            cookie_headers = self.headers.getlist("cookie")
            cookies = cookie_parser("; ".join(cookie_headers)) if cookie_headers else {}
            self._cookies = cookies
        return cookies

    @property
    def client(self) -> Address | None:
        host_port = self.scope.get("client")
        if host_port is not None:
            return Address(*host_port)
        return None

    @property
    def session(self) -> dict[str, Any]:
        assert "session" in self.scope, (
            "SessionMiddleware must be installed to access request.session"
        )
        return self.scope["session"]  # type: ignore[no-any-return]

    @property
    def auth(self) -> Any:
        assert "auth" in self.scope, (
            "AuthenticationMiddleware must be installed to access request.auth"
        )
        return self.scope["auth"]

    @property
    def user(self) -> Any:
        assert "user" in self.scope, (
            "AuthenticationMiddleware must be installed to access request.user"
        )
        return self.scope["user"]

    @property
    def state(self) -> State:
        """Per-connection state; it starts as a copy of the lifespan state, when there is one."""
        try:
            return self._state
        except AttributeError:
            self._state = State(self.scope.setdefault("state", {}))
            return self._state

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the route called `name`, built by the router or the app."""
        provider = self.scope.get("router") or self.scope.get("app")
        if provider is None:
            raise RuntimeError(
                "The `url_for` method can only be used inside a Starlette application "
                "or with a router."
            )
        url_path: URLPath = provider.url_path_for(name, **path_params)
        return url_path.make_absolute_url(base_url=self.base_url)


# Set by ExceptionMiddleware (every application has one): the request is "inside an
# application", whose handlers answer an HTTPException. Outside one, errors propagate as raised.
_HANDLERS_KEY = "starlette.exception_handlers"


class Request(HTTPConnection):
    """An incoming HTTP request: the scope, plus the body read from `receive`."""

    _body: bytes
    _json: Any
    # Class-level defaults: an instance sets its own only when one changes, so the Request built
    # for every request costs three attribute writes.
    _form: FormData | None = None
    _stream_consumed = False
    _is_disconnected = False
    # A body message that `is_disconnected()` received early, for `stream()` to yield.
    _pending: Message | None = None

    def __init__(self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send):
        assert scope["type"] == "http"
        self.scope = scope
        self._receive = receive
        self._send = send

    @property
    def method(self) -> str:
        return self.scope["method"]  # type: ignore[no-any-return]

    @property
    def receive(self) -> Receive:
        return self._receive

    async def _next_message(self) -> Message:
        message = self._pending
        if message is None:
            return await self._receive()
        self._pending = None
        return message

    async def stream(self) -> AsyncGenerator[bytes, None]:
        """The body, chunk by chunk as it arrives; always ends with `b""`.

        Raises `ClientDisconnect` if the client leaves, and `RuntimeError` if the body was
        already streamed (and not kept by `body()`).
        """
        if hasattr(self, "_body"):
            yield self._body
            yield b""
            return
        if self._stream_consumed:
            raise RuntimeError("Stream consumed")
        while not self._stream_consumed:
            message = await self._next_message()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if not message.get("more_body", False):
                    self._stream_consumed = True
                if body:
                    yield body
            elif message["type"] == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()
        yield b""

    async def body(self) -> bytes:
        """The whole body, read once and kept."""
        if not hasattr(self, "_body"):
            body = await self._body_in_one_message()
            if body is None:
                body = b"".join([chunk async for chunk in self.stream()])
            self._body = body
        return self._body

    async def _body_in_one_message(self) -> bytes | None:
        """The whole body, when it is kept or comes in the one message `stream()` would read
        next; else None, and `stream()` goes on from where this left off.

        Most bodies come in one message: taken without running the stream generator, they are
        what `stream()` would have yielded (and the stream is consumed alike).
        """
        if hasattr(self, "_body"):
            return self._body
        if (
            type(self).stream is not Request.stream
            or self._stream_consumed
            or self._pending is not None
        ):
            return None
        message = await self._receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._stream_consumed = True
            body = message.get("body", b"")
            return body if type(body) is bytes else bytes(body)
        self._pending = message  # anything else: `stream()` takes it from here
        return None

    async def json(self) -> Any:
        """The body decoded as JSON, kept after the first call.

        A body that is not JSON raises what `json.loads` raises; inside an application (its
        exception middleware put handlers in the scope) that is a `json.JSONDecodeError` that
        is also an `HTTPException(400)`, so the client gets a 400, not a 500.
        """
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = _json_loads(body)
            except (ValueError, RecursionError) as exc:
                if _HANDLERS_KEY not in self.scope:
                    raise
                raise _invalid_json(exc, body) from exc
        return self._json

    async def _get_form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> FormData:
        if self._form is None:
            if type(self).headers is HTTPConnection.headers:
                # What `self.headers.get("content-type", "")` answers, without a Headers.
                raw = find_header(self.scope.get("headers") or (), b"content-type")
                content_type = media_type(raw.decode("latin-1") if raw is not None else "")
            else:
                content_type = media_type(self.headers.get("content-type", ""))
            try:
                if content_type == "multipart/form-data":
                    multipart_parser = MultiPartParser(
                        self.headers,
                        self.stream(),
                        max_files=max_files,
                        max_fields=max_fields,
                        max_part_size=max_part_size,
                    )
                    self._form = await multipart_parser.parse()
                elif content_type == "application/x-www-form-urlencoded":
                    body = await self._body_in_one_message()
                    items = None
                    if body is not None:
                        # Bytes in hand that cannot break a limit: no parser, no generator.
                        items = _fields_within_limits(body, max_fields, max_part_size)
                    if items is not None:
                        self._form = FormData(items)
                    else:
                        form_parser = FormParser(
                            self.headers,
                            self.stream(),
                            max_fields=max_fields,
                            max_part_size=max_part_size,
                        )
                        if body is None:
                            self._form = await form_parser.parse()
                        else:
                            # The stream left unstarted: bytes in hand need no generator.
                            self._form = form_parser._parse_body(body)
                else:
                    self._form = FormData()
            except MultiPartException as exc:
                # Inside an application, a client error its middleware answers with 400;
                # outside one, upstream's exception, for `except MultiPartException`.
                if _HANDLERS_KEY not in self.scope:
                    raise
                raise HTTPException(status_code=400, detail=exc.message) from exc
        return self._form

    def form(
        self,
        *,
        max_files: int | float = 1000,
        max_fields: int | float = 1000,
        max_part_size: int = 1024 * 1024,
    ) -> AwaitableOrContextManager[FormData]:
        """The parsed form body; `async with request.form() as form:` also closes its files.

        A form over a limit, or malformed, raises `MultiPartException` naming the problem;
        inside an application, `HTTPException(400)` with that text, answered with a 400.
        """
        return AwaitableOrContextManagerWrapper(
            self._get_form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
        )

    async def close(self) -> None:
        """Close the uploaded files of the parsed form, if any."""
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """Whether the client has gone, checked without waiting for a message."""
        if not self._is_disconnected and self._pending is None:
            message: Message = {}
            # A cancelled scope: take a message only if one is already waiting.
            with anyio.CancelScope() as cancel_scope:
                cancel_scope.cancel()
                message = await self._receive()
            if message.get("type") == "http.disconnect":
                self._is_disconnected = True
            elif message:
                # A body chunk must not be lost: `stream()` yields it next.
                self._pending = message
        return self._is_disconnected

    async def send_push_promise(self, path: str) -> None:
        """Ask an HTTP/2 server to push `path`, when the server offers server push."""
        if "http.response.push" in (self.scope.get("extensions") or {}):
            raw_headers = [
                (name.encode("latin-1"), value.encode("latin-1"))
                for name in SERVER_PUSH_HEADERS_TO_COPY
                for value in self.headers.getlist(name)
            ]
            await self._send({"type": "http.response.push", "path": path, "headers": raw_headers})

    async def send_early_hints(self, link: str, /, *additional_links: str) -> None:
        """Send a `103 Early Hints` with these `Link` values, when the server supports it."""
        if "http.response.early_hint" in (self.scope.get("extensions") or {}):
            links = [value.encode("latin-1") for value in (link, *additional_links)]
            await self._send({"type": "http.response.early_hint", "links": links})
