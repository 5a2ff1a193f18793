"""HTTPException reads its default detail from a table of `http.HTTPStatus` phrases: it must
answer what `HTTPStatus(code).phrase` answers, and "" where that raises."""

from __future__ import annotations

import http
from typing import Any

from starlette.exceptions import HTTPException


def reference(status_code: Any) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return ""


def test_default_detail_is_the_status_phrase() -> None:
    codes: list[Any] = [*range(1000), 404.0, True, "404", [404], None]
    assert [HTTPException(code).detail for code in codes] == [reference(code) for code in codes]
