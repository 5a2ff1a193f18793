"""Regressions found by the fuzz targets of tests/fuzz (see tests/fuzz/README.md)."""

from __future__ import annotations

import pytest

from starlette.datastructures import URL


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # fuzz_request: "[" right after the authority made urlsplit raise "Invalid IPv6 URL",
        # a 500 in every middleware that reads request.url (HTTPSRedirectMiddleware here).
        ("[:x;/a", "http://127.0.0.1:8000/[:x;/a"),
        ("*", "http://127.0.0.1:8000/*"),
        ("@evil.example/x", "http://127.0.0.1:8000/@evil.example/x"),
        ("", "http://127.0.0.1:8000"),
    ],
)
def test_url_from_scope_path_without_leading_slash_stays_a_path(path: str, expected: str):
    scope = {
        "type": "http",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "path": path,
        "query_string": b"",
        "headers": [(b"host", b"h\x00.example.org")],
    }
    url = URL(scope=scope)
    assert str(url) == expected
    assert url.netloc == "127.0.0.1:8000"
    assert url.hostname == "127.0.0.1"
    assert url.port == 8000


def test_url_from_scope_with_host_header_and_relative_path():
    scope = {"type": "http", "path": "x", "headers": [(b"host", b"example.com")]}
    url = URL(scope=scope)
    assert str(url) == "http://example.com/x"
    assert url.path == "/x"
