"""Exceptions that applications raise to produce HTTP errors or WebSocket closes."""

from __future__ import annotations

import http
from collections.abc import Mapping

__all__ = ["HTTPException", "StarletteDeprecationWarning", "WebSocketException"]


class StarletteDeprecationWarning(UserWarning):
    """An API that still works but will go; shown by default, unlike DeprecationWarning."""


# What `http.HTTPStatus(code).phrase` answers, read from a dict: a 404 raised by the router is
# built on every request for an unknown path.
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}


class HTTPException(Exception):
    """An error answered with `status_code`; `detail` defaults to the reason phrase."""

    def __init__(
        self,
        status_code: int,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if detail is None:
            try:
                detail = _PHRASES[status_code]
            except (KeyError, TypeError):
                # Non-standard codes (499, 599, ...) have no phrase: an empty detail, not a crash.
                detail = ""
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        class_name = self.__class__.__name__
        return f"{class_name}(status_code={self.status_code!r}, detail={self.detail!r})"


class WebSocketException(Exception):
    """Closes a WebSocket with `code` and an optional `reason`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        class_name = self.__class__.__name__
        return f"{class_name}(code={self.code!r}, reason={self.reason!r})"
