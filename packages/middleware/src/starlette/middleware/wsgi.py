"""Run a WSGI application inside an ASGI one (deprecated: use a2wsgi)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

import anyio.from_thread
import anyio.to_thread

from starlette._utils import DEFAULT_PORTS, get_route_path, warn_deprecated
from starlette.types import Message, Receive, Scope, Send

__all__ = ["WSGIMiddleware", "WSGIResponder", "build_environ"]

# Upstream warns once, when the module is imported, naming the importing module.
warn_deprecated(
    "starlette.middleware.wsgi is deprecated and will be removed in a future release. "
    "Please refer to https://github.com/abersheeran/a2wsgi as a replacement.",
    stacklevel=2,
)


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of an ASGI HTTP request whose whole body is `body`."""
    # PATH_INFO is the path below `root_path`, cut only at a segment boundary: with root_path
    # "/app", "/app/x" gives "/x" but "/application" stays whole.
    path_info = get_route_path(scope)
    script_name: str = scope.get("root_path", "")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        # WSGI strings are "bytes as latin-1": the UTF-8 bytes of the path, one char per byte.
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path_info.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }

    # Without a server address, localhost on the port of plain `http` whatever the scheme, as
    # upstream; a server address without a port gets that port too (upstream writes "None").
    server = scope.get("server") or ("localhost", None)
    environ["SERVER_NAME"] = server[0]
    environ["SERVER_PORT"] = str(DEFAULT_PORTS["http"] if server[1] is None else server[1])

    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]

    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        if "_" in name:
            # `X_Forwarded_For` would pose as `X-Forwarded-For` once mapped to HTTP_*: drop it,
            # as WSGI servers do.
            continue
        if name == "content-length":
            key = "CONTENT_LENGTH"
        elif name == "content-type":
            key = "CONTENT_TYPE"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key in environ:
            separator = "; " if key == "HTTP_COOKIE" else ","
            value = environ[key] + separator + value
        environ[key] = value
    return environ


class WSGIMiddleware:
    """Serve a WSGI application; it runs in a worker thread, its output streamed as produced.

    Deprecated: use a2wsgi (https://github.com/abersheeran/a2wsgi), which also streams the
    request body.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # WSGI has no WebSockets: refuse the handshake.
            await send({"type": "websocket.close", "code": 1000})
            return
        if scope["type"] != "http":
            raise RuntimeError(f"WSGIMiddleware cannot handle {scope['type']!r} scopes.")
        responder = WSGIResponder(self.app, scope)
        await responder(receive, send)


class WSGIResponder:
    """One request to the WSGI application."""

    def __init__(self, app: Callable[..., Any], scope: Scope) -> None:
        self.app = app
        self.scope = scope
        self.status: int | None = None
        self.response_headers: list[tuple[bytes, bytes]] | None = None
        self.response_started = False
        self.exc_info: Any = None
        self._send: Send | None = None

    async def __call__(self, receive: Receive, send: Send) -> None:
        body = bytearray()
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # nobody is left to answer
            body += message.get("body", b"")
            more_body = message.get("more_body", False)
        environ = build_environ(self.scope, bytes(body))
        await self.sender(send)
        await anyio.to_thread.run_sync(self.wsgi, environ, self.start_response)
        if self.exc_info is not None:
            raise self.exc_info[1].with_traceback(self.exc_info[2])

    async def sender(self, send: Send) -> None:
        """Use `send` for the messages that the worker thread sends."""
        self._send = send

    def _send_from_thread(self, message: Message) -> None:
        # Runs `send` on the event loop and waits for it: the application cannot run ahead of
        # the client (back pressure), and a failed send stops the application.
        anyio.from_thread.run(self._send_async, message)

    async def _send_async(self, message: Message) -> None:
        assert self._send is not None
        await self._send(message)

    def start_response(
        self,
        status: str,
        response_headers: list[tuple[str, str]],
        exc_info: Any = None,
    ) -> None:
        """The WSGI `start_response` callable."""
        self.exc_info = exc_info
        if self.response_started:
            return
        self.response_started = True
        status_code_string, _, _ = status.partition(" ")
        self.status = int(status_code_string)
        self.response_headers = [
            (name.strip().lower().encode("latin-1"), value.strip().encode("latin-1"))
            for name, value in response_headers
        ]
        self._send_from_thread(
            {"type": "http.response.start", "status": self.status, "headers": self.response_headers}
        )

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> None:
        """Run the WSGI application (in a worker thread), sending its output chunk by chunk."""
        output: Iterable[bytes] = self.app(environ, start_response)
        try:
            for chunk in output:
                if chunk:
                    self._send_from_thread(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            self._send_from_thread({"type": "http.response.body", "body": b""})
        finally:
            close = getattr(output, "close", None)
            if close is not None:
                close()
