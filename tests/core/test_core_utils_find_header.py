from __future__ import annotations

import pytest

from starlette._utils import find_header

RAW = [(b"host", b"example.com"), (b"vary", b"Origin"), (b"vary", b"Cookie")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (b"host", b"example.com"),
        (b"vary", b"Origin"),  # the first of repeated values, as Headers.get
        (b"origin", None),
        (b"Host", None),  # names are compared as given: ASGI header names are lower-case
    ],
)
def test_find_header(name: bytes, expected: bytes | None) -> None:
    assert find_header(RAW, name) == expected


def test_find_header_in_a_tuple_of_headers() -> None:
    assert find_header(((b"a", b"1"),), b"a") == b"1"
    assert find_header((), b"a") is None
