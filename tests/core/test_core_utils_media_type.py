from __future__ import annotations

import pytest

from starlette._utils import media_type


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html", "text/html"),
        ("Text/HTML; charset=utf-8", "text/html"),
        ("  application/JSON  ;charset=UTF-8; q=1", "application/json"),
        ("image/*", "image/*"),
        ("; charset=utf-8", ""),
        ("", ""),
    ],
)
def test_media_type(content_type: str, expected: str) -> None:
    assert media_type(content_type) == expected
