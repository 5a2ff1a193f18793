"""`ServerErrorMiddleware`: the outermost layer, turning unhandled exceptions into 500 responses."""

from __future__ import annotations

import html
import inspect
import traceback
from typing import cast

from starlette._exception_handler import ResponseTracker
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

# The debug page's building blocks, module-level so that code can customise the page: each is
# read when a page is built. `STYLES` (CSS) and `JS` (a <script> element) are inserted as they
# are; the others are `str.format` templates, with the fields their names below say.

STYLES = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; color: #b00020; }
h2 { font-size: 1.1em; font-weight: normal; }
.frame { border: 1px solid #ccc; border-radius: 4px; margin: 0.6em 0; }
.frame-title { background: #f3f3f3; margin: 0; padding: 0.4em 0.6em; }
.frame-title code { font-family: ui-monospace, monospace; }
.collapse-button { float: right; min-width: 2em; cursor: pointer; }
.source { margin: 0; padding: 0.4em 0; background: #fafafa; }
.source.collapsed { display: none; }
.line { display: block; white-space: pre; padding: 0 0.6em; }
.line.current { background: #ffe7e7; font-weight: bold; }
.lineno { color: #888; display: inline-block; min-width: 4em; }
"""

# Shows or hides a frame's source when its button is pressed.
JS = """<script>
document.addEventListener("click", function (event) {
  var button = event.target.closest(".collapse-button");
  if (button === null) {
    return;
  }
  var source = button.closest(".frame").querySelector(".source");
  var hidden = source.classList.toggle("collapsed");
  button.textContent = hidden ? "+" : "\u2212";
});
</script>"""

# Fields: styles (STYLES), error (the escaped exception line), exc_html (the frames), js (JS).
TEMPLATE = """<!DOCTYPE html>
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
<div class="traceback">{exc_html}</div>
{js}
</body>
</html>
"""

# Fields: frame_filename, frame_lineno, frame_name (escaped), collapse_button (its label),
# collapsed ("collapsed" for a hidden source, else empty), code_context (the LINEs).
FRAME_TEMPLATE = """<div class="frame">
<p class="frame-title"><code>{frame_filename}</code>, line <b>{frame_lineno}</b>, \
in <code>{frame_name}</code>
<button type="button" class="collapse-button" title="Show or hide the source">\
{collapse_button}</button></p>
<pre class="source {collapsed}">{code_context}</pre>
</div>
"""

# Fields: lineno, line (escaped). CENTER_LINE is the line being run in the frame.
LINE = '<span class="line"><span class="lineno">{lineno}.</span>{line}</span>'
CENTER_LINE = '<span class="line current"><span class="lineno">{lineno}.</span>{line}</span>'


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

        # What `track` answers for an HTTP scope, without calling it (nor `cast`) per request.
        tracker = send if type(send) is ResponseTracker else ResponseTracker(send)
        try:
            await self.app(scope, receive, tracker)
        except Exception as exc:
            await self._answer_escaped(exc, tracker.started, scope, receive, send)
            raise

    async def _answer_escaped(
        self, exc: Exception, started: bool, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """What `__call__` does with an exception that escaped the app, before re-raising it:
        the 500 response, or only the handler's call once the response has `started`.

        `Starlette` calls it too, when it runs this middleware's `__call__` in its own frame.
        """
        if not started:
            response = await self._build_response(Request(scope), exc)
            await response(scope, receive, send)
        elif self.handler is not None and not self.debug:
            # Once headers are out, a second response would break the protocol; the
            # handler still sees the error (to log or report it), its response is dropped.
            await self._call_handler(self.handler, Request(scope), exc)

    async def _build_response(self, request: Request, exc: Exception) -> Response:
        if self.debug:
            # Rendering reads source files: keep that off the event loop.
            return await run_in_threadpool(self.debug_response, request, exc)
        if self.handler is None:
            return self.error_response(request, exc)
        return await self._call_handler(self.handler, request, exc)

    async def _call_handler(
        self, handler: ExceptionHandler, request: Request, exc: Exception
    ) -> Response:
        handler = cast("HTTPExceptionHandler", handler)
        if is_async_callable(handler):
            response: Response = await handler(request, exc)
            return response
        return cast(Response, await run_in_threadpool(handler, request, exc))

    def format_line(self, index: int, line: str, frame_lineno: int, frame_index: int) -> str:
        """One numbered, html-escaped source line; highlighted if it is the failing one."""
        lineno = frame_lineno - frame_index + index
        text = html.escape(line.rstrip("\r\n")) or " "
        template = CENTER_LINE if index == frame_index else LINE
        return template.format(lineno=lineno, line=text)

    def generate_frame_html(self, frame: inspect.FrameInfo, is_collapsed: bool) -> str:
        """One traceback frame: location and the source lines around it (no local variables)."""
        context = frame.code_context or []
        frame_index = frame.index if frame.index is not None else 0
        lines = "".join(
            self.format_line(index, line, frame.lineno, frame_index)
            for index, line in enumerate(context)
        )
        return FRAME_TEMPLATE.format(
            frame_filename=html.escape(frame.filename),
            frame_lineno=frame.lineno,
            frame_name=html.escape(frame.function),
            collapse_button="+" if is_collapsed else "\u2212",
            collapsed="collapsed" if is_collapsed else "",
            code_context=lines,
        )

    def generate_html(self, exc: Exception, limit: int = 7) -> str:
        """The debug page: the exception, then its frames innermost first, the first one open.

        Built from the module's `TEMPLATE`, `FRAME_TEMPLATE`, `LINE`, `CENTER_LINE`, `STYLES`
        and `JS`, read at each call.
        """
        frames_html = []
        if exc.__traceback__ is not None:
            frames = inspect.getinnerframes(exc.__traceback__, limit)
            for position, frame in enumerate(reversed(frames)):
                frames_html.append(self.generate_frame_html(frame, is_collapsed=position > 0))
        error = html.escape(f"{type(exc).__name__}: {exc}")
        return TEMPLATE.format(styles=STYLES, error=error, exc_html="".join(frames_html), js=JS)

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
