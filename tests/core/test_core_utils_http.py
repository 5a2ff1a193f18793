"""The HTTP helpers of `_utils`: the Host parser, default ports, header values, URL paths."""

from __future__ import annotations

import pytest

from starlette._utils import (
    DEFAULT_PORTS,
    check_header_name,
    check_header_value,
    has_unsafe_header_chars,
    is_ipv6_address,
    parse_host,
    quote_path,
    request_host,
)
from starlette.types import Scope


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


def test_parse_host_is_cached() -> None:
    value = "cached.example:8443"
    assert parse_host(value) is parse_host(value)


@pytest.mark.parametrize(
    ("address", "expected"),
    [("::1", True), ("2001:db8::1", True), (":::", False), ("1.2.3.4", False)],
)
def test_is_ipv6_address(address: str, expected: bool) -> None:
    assert is_ipv6_address(address) is expected


@pytest.mark.parametrize("value", ["", "text/html; charset=utf-8", "a\tb", "caf\u00e9", "a\x7fb"])
def test_check_header_value_accepts(value: str) -> None:
    assert check_header_value(value) is value


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_check_header_value_refuses_cr_lf_nul(value: str) -> None:
    with pytest.raises(
        ValueError, match=r"^Header value must not contain CR, LF or NUL characters: "
    ):
        check_header_value(value)
    with pytest.raises(ValueError) as info:
        check_header_value(value, "Content type")
    assert str(info.value) == f"Content type must not contain CR, LF or NUL characters: {value!r}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", False), ("a\tb", False), ("a:b; c", False), ("a\rb", True), ("a\nb", True), ("\0", True)],
)
def test_has_unsafe_header_chars(text: str, expected: bool) -> None:
    assert has_unsafe_header_chars(text) is expected


@pytest.mark.parametrize("name", ["x-name", "X-Name", "a b", "caf\u00e9", ""])
def test_check_header_name_accepts(name: str) -> None:
    assert check_header_name(name) is name


@pytest.mark.parametrize("name", ["x:y", ":authority", "x\r\ny", "x\ny", "x\ry", "x\x00y"])
def test_check_header_name_refuses_cr_lf_nul_and_colon(name: str) -> None:
    with pytest.raises(ValueError) as info:
        check_header_name(name)
    assert str(info.value) == (
        f"Header name {name!r} is not a valid field name: it must not contain "
        "CR, LF or NUL characters, nor ':'."
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([(b"host", b"Example.ORG:8000")], ("Example.ORG:8000", "example.org")),
        ([(b"accept", b"*/*"), (b"host", b"[::1]")], ("[::1]", "[::1]")),
        # The first Host header decides, as Headers.get does.
        ([(b"host", b"a.example"), (b"host", b"b.example")], ("a.example", "a.example")),
        ([], None),
        ([(b"host", b" example.org")], None),  # whitespace is not stripped: malformed
        ([(b"host", b"example.org ")], None),
        ([(b"host", b"a@evil.example")], None),
        ([(b"host", b"example.org:65536")], None),
        ([(b"host", b"")], None),
        ([(b"Host", b"example.org")], None),  # ASGI header names are lower-case
    ],
)
def test_request_host(headers: list[tuple[bytes, bytes]], expected: tuple[str, str] | None) -> None:
    scope: Scope = {"type": "http", "headers": headers}
    assert request_host(scope) == expected


def test_request_host_without_headers() -> None:
    assert request_host({"type": "http"}) is None
    assert request_host({"type": "http", "headers": None}) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a/b", "/a/b"),
        ("", ""),
        ("/a\\b", "/a%5Cb"),
        ("//evil.com/x", "/%2Fevil.com/x"),
        ("/a?b#c", "/a?b#c"),
        ("*", "*"),
    ],
)
def test_quote_path(path: str, expected: str) -> None:
    assert quote_path(path) == expected


@pytest.mark.parametrize(
    ("path", "decoded", "authority", "expected"),
    [
        ("/a?b#c", True, False, "/a%3Fb%23c"),
        ("/a?b#c", True, True, "/a%3Fb%23c"),
        ("//evil.com/x", True, True, "//evil.com/x"),
        ("//evil.com/x", True, False, "/%2Fevil.com/x"),
        ("//evil.com/x", False, True, "//evil.com/x"),
        ("*", True, True, "/*"),
        ("", True, False, ""),
        ("/\\evil.com", True, True, "/%5Cevil.com"),
    ],
)
def test_quote_path_options(path: str, decoded: bool, authority: bool, expected: str) -> None:
    assert quote_path(path, decoded=decoded, authority=authority) == expected
