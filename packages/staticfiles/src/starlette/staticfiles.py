"""StaticFiles: serve the files of one or more directories, and nothing outside them."""

from __future__ import annotations

import errno
import importlib.util
import os
import stat
from email.utils import mktime_tz, parsedate_tz

import anyio.to_thread

from starlette._utils import get_route_path
from starlette.datastructures import URL, Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

__all__ = ["NotModifiedResponse", "PathLike", "StaticFiles"]

PathLike = str | os.PathLike[str]

# A name that cannot be resolved this way is a client error (404), not a server fault.
_NOT_FOUND_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ELOOP})


class NotModifiedResponse(Response):
    """A 304 carrying only the headers RFC 9110 allows on it."""

    NOT_MODIFIED_HEADERS = (
        "cache-control",
        "content-location",
        "date",
        "etag",
        "expires",
        "vary",
    )

    def __init__(self, headers: Headers):
        super().__init__(
            status_code=304,
            headers={
                name: value for name, value in headers.items() if name in self.NOT_MODIFIED_HEADERS
            },
        )


def _error_response(
    scope: Scope, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    # Under ExceptionMiddleware the application's own handlers render the error; alone, we do.
    exc = HTTPException(status_code=status_code, headers=headers)
    if "starlette.exception_handlers" in scope:
        raise exc
    return PlainTextResponse(exc.detail, status_code=status_code, headers=headers)


def _with_content(response: Response, full_path: str, content: bytes | None) -> Response:
    """Hand the bytes `StaticFiles._find` read to the FileResponse that serves that same file."""
    # An overridden `file_response` may answer with another file: the bytes are this one's only.
    if content is not None and isinstance(response, FileResponse) and response.path == full_path:
        response.preload(content)
    return response


def _entity_tag(tag: str) -> str:
    # Weak comparison (RFC 9110 8.8.3.2): `W/"x"` and `"x"` match.
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _timestamp(http_date: str) -> int | None:
    # An unparsable or out-of-range date is ignored, as RFC 9110 asks for If-Modified-Since.
    parsed = parsedate_tz(http_date)
    if parsed is None:
        return None
    try:
        return mktime_tz(parsed)
    except (ValueError, OverflowError):
        return None


class StaticFiles:
    """An ASGI app serving the files under `directory` and the `statics` of `packages`."""

    def __init__(
        self,
        *,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        self.directory = directory
        self.packages = packages
        self.all_directories = self.get_directories(directory, packages)
        self.html = html
        self.config_checked = False
        self.follow_symlink = follow_symlink
        if check_dir and directory is not None and not os.path.isdir(directory):
            raise RuntimeError(f"Directory '{directory}' does not exist")

    def get_directories(
        self,
        directory: PathLike | None = None,
        packages: list[str | tuple[str, str]] | None = None,
    ) -> list[PathLike]:
        """The directories to search, in order: `directory`, then each package's statics folder."""
        directories: list[PathLike] = []
        if directory is not None:
            directories.append(directory)

        for package in packages or []:
            if isinstance(package, tuple):
                package, statics_dir = package
            else:
                statics_dir = "statics"
            spec = importlib.util.find_spec(package)
            if spec is None or spec.origin is None:
                raise AssertionError(f"Package {package!r} could not be found.")
            package_directory = os.path.normpath(os.path.join(spec.origin, "..", statics_dir))
            if not os.path.isdir(package_directory):
                raise AssertionError(
                    f"Directory '{statics_dir}' in package {package!r} could not be found."
                )
            directories.append(package_directory)

        return directories

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await WebSocketClose()(scope, receive, send)
            return
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise RuntimeError(f"StaticFiles cannot serve {scope['type']!r} connections.")

        if not self.config_checked:
            await self.check_config()
            self.config_checked = True

        path = self.get_path(scope)
        response = await self.get_response(path, scope)
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        # Served as the top-level app there is nothing to start or stop: acknowledge both events,
        # which ASGI servers send in this order.
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    def get_path(self, scope: Scope) -> str:
        """The requested path below the mount, as a relative, normalized file system path."""
        route_path = get_route_path(scope)
        # Splitting on "/" and re-joining drops leading slashes: the result is never absolute.
        return os.path.normpath(os.path.join(*route_path.split("/")))

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The response for `path`: a file, an index.html, a redirect, a 304, or an error."""
        if scope["method"] not in ("GET", "HEAD"):
            return _error_response(scope, 405, headers={"Allow": "GET, HEAD"})

        read = scope["method"] == "GET"
        try:
            found = await anyio.to_thread.run_sync(self._find, path, read)
        except PermissionError:
            return _error_response(scope, 401)
        full_path, stat_result, content = found

        if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
            response = self.file_response(full_path, stat_result, scope)
            return _with_content(response, full_path, content)

        if stat_result is not None and stat.S_ISDIR(stat_result.st_mode) and self.html:
            index_path = os.path.join(path, "index.html")
            full_path, stat_result, content = await anyio.to_thread.run_sync(
                self._find, index_path, read
            )
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                if not scope["path"].endswith("/"):
                    # Relative links in index.html resolve against the directory, so add the slash.
                    url = URL(scope=scope)
                    return RedirectResponse(url=url.replace(path=url.path + "/"))
                response = self.file_response(full_path, stat_result, scope)
                return _with_content(response, full_path, content)

        if self.html:
            full_path, stat_result, content = await anyio.to_thread.run_sync(
                self._find, "404.html", read
            )
            if stat_result is not None and stat.S_ISREG(stat_result.st_mode):
                response = self.file_response(full_path, stat_result, scope, status_code=404)
                return _with_content(response, full_path, content)

        return _error_response(scope, 404)

    def _find(self, path: str, read: bool) -> tuple[str, os.stat_result | None, bytes | None]:
        """`lookup_path`, plus the bytes of a small regular file when `read` (blocking).

        Under load every worker-thread call waits for turns of a busy event loop: finding,
        stat'ing and reading a small file in one call makes it as quick to serve as a page.
        """
        full_path, stat_result = self.lookup_path(path)
        if (
            not read
            or stat_result is None
            or not stat.S_ISREG(stat_result.st_mode)
            or stat_result.st_size > FileResponse.chunk_size
        ):
            return full_path, stat_result, None
        try:
            with open(full_path, "rb") as file:
                # What FileResponse would send: at most the bytes the stat announced.
                return full_path, stat_result, file.read(stat_result.st_size)
        except OSError:
            # FileResponse opens it again and reports the failure as it always does.
            return full_path, stat_result, None

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        """Find `path` in the directories (blocking: run it in a worker thread).

        Returns `("", None)` when no directory holds it, or when it resolves outside them.
        """
        if "\x00" in path:
            return "", None
        for directory in self.all_directories:
            joined_path = os.path.join(directory, path)
            if self.follow_symlink:
                # Lexical resolution only: `..` cannot climb out, symlinks inside are trusted.
                full_path = os.path.abspath(joined_path)
                root = os.path.abspath(directory)
            else:
                full_path = os.path.realpath(joined_path)
                root = os.path.realpath(directory)
            if os.path.commonpath([full_path, root]) != root:
                continue
            try:
                return full_path, os.stat(full_path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                if exc.errno in _NOT_FOUND_ERRNOS:
                    continue
                raise
        return "", None

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """A `FileResponse`, or a `NotModifiedResponse` when the client's copy is current."""
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if status_code == 200 and self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

    async def check_config(self) -> None:
        """Check, once, that `directory` exists and is a directory (for `check_dir=False`)."""
        if self.directory is None:
            return
        try:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.directory)
        except FileNotFoundError:
            raise RuntimeError(
                f"StaticFiles directory '{self.directory}' does not exist."
            ) from None
        if not stat.S_ISDIR(stat_result.st_mode):
            raise RuntimeError(f"StaticFiles path '{self.directory}' is not a directory.")

    def is_not_modified(self, response_headers: Headers, request_headers: Headers) -> bool:
        """RFC 9110 13.2.2: `If-None-Match` decides when present, else `If-Modified-Since`."""
        if_none_match = request_headers.getlist("if-none-match")
        if if_none_match:
            # Repeated header lines are one comma-separated list (RFC 9110 5.3).
            tags = [tag.strip() for line in if_none_match for tag in line.split(",")]
            if tags == ["*"]:
                # Any current representation of an existing file matches; `*` is a value of its
                # own (RFC 9110 13.1.2), so inside a list (or as `W/*`) it matches nothing.
                return True
            etag = response_headers.get("etag")
            return etag is not None and _entity_tag(etag) in map(_entity_tag, tags)

        if_modified_since = request_headers.get("if-modified-since")
        last_modified = response_headers.get("last-modified")
        if if_modified_since is None or last_modified is None:
            return False
        since = _timestamp(if_modified_since)
        modified = _timestamp(last_modified)
        return since is not None and modified is not None and modified <= since
