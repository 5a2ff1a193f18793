"""`ServerErrorMiddleware`: the outermost layer, turning unhandled exceptions into 500 responses."""

from __future__ import annotations

import html
import inspect
import traceback
from typing import cast

from starlette._exception_handler import ResponseTracker, track
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import (
    ASGIApp,
    ExceptionHandler,
    HTTPExceptionHandler,
    Receive,
    Scope,
    Send,
)

__all__ = ["ServerErrorMiddleware"]

_STYLES = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; color: #b00020; }
h2 { font-size: 1.1em; font-weight: normal; }
.frame { border: 1px solid #ccc; border-radius: 4px; margin: 0.6em 0; }
.frame summary { background: #f3f3f3; padding: 0.4em 0.6em; cursor: pointer; }
.frame code { font-family: ui-monospace, monospace; }
.source { margin: 0; padding: 0.4em 0; background: #fafafa; }
.line { display: block; white-space: pre; padding: 0 0.6em; }
.line.current { background: #ffe7e7; font-weight: bold; }
.lineno { color: #888; display: inline-block; min-width: 4em; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>500 Server Error</title>
<style>{styles}</style>
</head>
<body>
<h1>500 Server Error</h1>
<h2>{error}</h2>
<p>Traceback, most recent call first:</p>
{frames}
</body>
</html>
"""

_FRAME = """<details class="frame"{open}>
<summary><code>{filename}</code>, line <b>{lineno}</b>, in <code>{function}</code></summary>
<pre class="source">{lines}</pre>
</details>
"""

_LINE = '<span class="{classes}"><span class="lineno">{lineno}.</span>{line}</span>'


class ServerErrorMiddleware:
    """Answers 500 to any exception that escapes the app, then re-raises it for the server to log.

    With `debug=True` the answer is a traceback (an HTML page for browsers, plain text otherwise);
    else `handler(request, exc)` builds it, or a plain "Internal Server Error".
    """

    def __init__(
        self,
        app: ASGIApp,
        handler: ExceptionHandler | None = None,
        debug: bool = False,
    ) -> None:
        self.app = app
        self.handler = handler
        self.debug = debug

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        tracker = cast(ResponseTracker, track(scope, send))  # an HTTP scope: always one
        try:
            await self.app(scope, receive, tracker)
        except Exception as exc:
            # Once headers are out, a second response would break the protocol: only re-raise.
            if not tracker.started:
                response = await self._build_response(Request(scope), exc)
                await response(scope, receive, send)
            raise

    async def _build_response(self, request: Request, exc: Exception) -> Response:
        if self.debug:
            # Rendering reads source files: keep that off the event loop.
            return await run_in_threadpool(self.debug_response, request, exc)
        if self.handler is None:
            return self.error_response(request, exc)
        handler = cast("HTTPExceptionHandler", self.handler)
        if is_async_callable(handler):
            response: Response = await handler(request, exc)
            return response
        return cast(Response, await run_in_threadpool(handler, request, exc))

    def format_line(self, index: int, line: str, frame_lineno: int, frame_index: int) -> str:
        """One numbered, html-escaped source line; highlighted if it is the failing one."""
        lineno = frame_lineno - frame_index + index
        classes = "line current" if index == frame_index else "line"
        text = html.escape(line.rstrip("\r\n")) or " "
        return _LINE.format(classes=classes, lineno=lineno, line=text)

    def generate_frame_html(self, frame: inspect.FrameInfo, is_collapsed: bool) -> str:
        """One traceback frame: location and the source lines around it (no local variables)."""
        context = frame.code_context or []
        frame_index = frame.index if frame.index is not None else 0
        lines = "".join(
            self.format_line(index, line, frame.lineno, frame_index)
            for index, line in enumerate(context)
        )
        return _FRAME.format(
            open="" if is_collapsed else " open",
            filename=html.escape(frame.filename),
            lineno=frame.lineno,
            function=html.escape(frame.function),
            lines=lines,
        )

    def generate_html(self, exc: Exception, limit: int = 7) -> str:
        """The debug page: the exception, then its frames innermost first, the first one open."""
        frames_html = []
        if exc.__traceback__ is not None:
            frames = inspect.getinnerframes(exc.__traceback__, limit)
            for position, frame in enumerate(reversed(frames)):
                frames_html.append(self.generate_frame_html(frame, is_collapsed=position > 0))
        error = html.escape(f"{type(exc).__name__}: {exc}")
        return _PAGE.format(styles=_STYLES, error=error, frames="".join(frames_html))

    def generate_plain_text(self, exc: Exception) -> str:
        """The standard Python traceback of `exc`."""
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    def debug_response(self, request: Request, exc: Exception) -> Response:
        """The traceback as HTML when the client accepts it, else as plain text; status 500."""
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            return HTMLResponse(self.generate_html(exc), status_code=500)
        return PlainTextResponse(self.generate_plain_text(exc), status_code=500)

    def error_response(self, request: Request, exc: Exception) -> Response:
        """The answer when no handler is set and debug is off."""
        return PlainTextResponse("Internal Server Error", status_code=500)
