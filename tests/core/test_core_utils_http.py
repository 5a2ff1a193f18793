"""The HTTP helpers of `_utils`: the one Host parser and the default ports."""

from __future__ import annotations

import pytest

from starlette._utils import DEFAULT_PORTS, parse_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("localhost", ("localhost", None)),
        ("LocalHost:8000", ("localhost", 8000)),
        ("127.0.0.1", ("127.0.0.1", None)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("example.com:65535", ("example.com", 65535)),
        ("xn--bcher-kva.example:443", ("xn--bcher-kva.example", 443)),
        ("a_b.example", ("a_b.example", None)),
        ("%41.example", ("%41.example", None)),
        ("[::1]", ("[::1]", None)),
        ("[::1]:8000", ("[::1]", 8000)),
        ("[2001:DB8::1]:443", ("[2001:db8::1]", 443)),
        ("[::ffff:1.2.3.4]", ("[::ffff:1.2.3.4]", None)),
    ],
)
def test_parse_host_valid(value: str, expected: tuple[str, int | None]) -> None:
    assert parse_host(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        ":8000",
        "localhost:1@evil.com",
        "user@localhost",
        "127.0.0.1:abc",
        "127.0.0.1:",
        "localhost:8000/../x",
        "localhost/x",
        "[::1]evil.example.com",
        "[::1]:80:80",
        "[:::]",
        "[1.2.3.4]",
        "[::1",
        "::1",
        "[fe80::1%25eth0]",
        "localhost:65536",
        "localhost:99999",
        "localhost:123456",
        "local host",
        " localhost",
        "localhost\r\nx",
        "h\u00e9.example",
        "%zz.example",
    ],
)
def test_parse_host_malformed(value: str) -> None:
    assert parse_host(value) is None


def test_default_ports() -> None:
    assert DEFAULT_PORTS == {"http": 80, "https": 443, "ws": 80, "wss": 443}
