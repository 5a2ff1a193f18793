from __future__ import annotations

from typing import Any

import pytest

from starlette.datastructures import URL, URLPath


def make_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "scheme": "http",
        "server": ("example.org", 80),
        "path": "/path",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    scope.update(overrides)
    return scope


def test_url_components() -> None:
    url = URL("https://user:pass@example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.scheme == "https"
    assert url.netloc == "user:pass@example.org:123"
    assert url.path == "/path/to/somewhere"
    assert url.query == "abc=123"
    assert url.fragment == "anchor"
    assert url.username == "user"
    assert url.password == "pass"
    assert url.hostname == "example.org"
    assert url.port == 123
    assert url.is_secure
    assert url.components.scheme == "https"


def test_url_without_optional_parts() -> None:
    url = URL("http://example.org")
    assert url.path == ""
    assert url.query == ""
    assert url.fragment == ""
    assert url.username is None
    assert url.password is None
    assert url.port is None
    assert not url.is_secure


@pytest.mark.parametrize(
    ("raw", "secure"),
    [("http://a", False), ("https://a", True), ("ws://a", False), ("wss://a", True)],
)
def test_url_is_secure(raw: str, secure: bool) -> None:
    assert URL(raw).is_secure is secure


def test_url_str_eq_and_hash() -> None:
    url = URL("http://example.org/a")
    assert str(url) == "http://example.org/a"
    assert url == "http://example.org/a"
    assert url == URL("http://example.org/a")
    assert url != URL("http://example.org/b")
    assert url != "http://example.org/b"
    assert hash(url) == hash("http://example.org/a")
    assert {url, URL("http://example.org/a")} == {url}


def test_url_repr_hides_password() -> None:
    assert repr(URL("http://example.org/")) == "URL('http://example.org/')"
    assert (
        repr(URL("https://user:secret@example.org/db"))
        == "URL('https://user:********@example.org/db')"
    )
    assert repr(URL("https://user@example.org/")) == "URL('https://user@example.org/')"


def test_url_replace_simple_components() -> None:
    url = URL("https://example.org:123/path/to/somewhere?abc=123#anchor")
    assert url.replace(scheme="http") == "http://example.org:123/path/to/somewhere?abc=123#anchor"
    assert url.replace(path="/new") == "https://example.org:123/new?abc=123#anchor"
    assert url.replace(query="x=1") == "https://example.org:123/path/to/somewhere?x=1#anchor"
    assert url.replace(fragment="") == "https://example.org:123/path/to/somewhere?abc=123"
    assert url.replace(netloc="other.org") == "https://other.org/path/to/somewhere?abc=123#anchor"
    assert isinstance(url.replace(path="/"), URL)


def test_url_replace_netloc_parts() -> None:
    url = URL("https://example.org:123/path")
    assert url.replace(port=None) == "https://example.org/path"
    assert url.replace(port=8000) == "https://example.org:8000/path"
    assert url.replace(hostname="other.org") == "https://other.org:123/path"
    assert url.replace(username="u") == "https://u@example.org:123/path"
    assert url.replace(username="u", password="p") == "https://u:p@example.org:123/path"
    with_user = URL("https://u:p@example.org/path")
    assert with_user.replace(port=1) == "https://u:p@example.org:1/path"
    assert with_user.replace(username=None) == "https://example.org/path"
    assert with_user.replace(password="new") == "https://u:new@example.org/path"


@pytest.mark.parametrize(
    ("start", "hostname", "expected", "port"),
    [
        ("http://example.com/p", "other.com:9000", "http://other.com:9000/p", 9000),
        (
            "http://u:p@example.com:8000/p",
            "other.com:9000",
            "http://u:p@other.com:9000:8000/p",
            None,
        ),
        ("http://example.com/p", "1.2.3.4:5", "http://1.2.3.4:5/p", 5),
        ("http://example.com/p", "host:", "http://host:/p", None),
        ("http://example.com:1/p", "fe80::1", "http://[fe80::1]:1/p", 1),
        ("http://example.com/p", "::ffff:1.2.3.4", "http://[::ffff:1.2.3.4]/p", None),
    ],
)
def test_url_replace_hostname_carrying_a_port(
    start: str, hostname: str, expected: str, port: int | None
) -> None:
    # As 1.x: only an IPv6 address gains brackets; "host:port" is written as given.
    url = URL(start).replace(hostname=hostname)
    assert str(url) == expected
    if port is not None:
        assert url.port == port


def test_url_replace_brackets_ipv6_hosts() -> None:
    url = URL("http://[::1]:8000/path")
    assert url.hostname == "::1"
    assert url.replace(port=9000) == "http://[::1]:9000/path"
    assert url.replace(port=None) == "http://[::1]/path"
    assert url.replace(hostname="::2") == "http://[::2]:8000/path"
    assert url.replace(hostname="[::3]") == "http://[::3]:8000/path"
    assert URL("http://[::1]/").replace(username="u") == "http://u@[::1]/"


def test_url_replace_without_authority() -> None:
    url = URL("/just/a/path?x=1")
    assert url.replace(port=8000) == "//:8000/just/a/path?x=1"
    assert url.replace(hostname="example.org") == "//example.org/just/a/path?x=1"
    assert url.replace(path="/other") == "/other?x=1"


def test_url_built_from_components() -> None:
    assert URL(scheme="https", netloc="example.org", path="/p") == "https://example.org/p"
    assert URL(path="/p", query="a=1") == "/p?a=1"
    with pytest.raises(AssertionError):
        URL("http://example.org", path="/p")


def test_url_query_params_helpers() -> None:
    url = URL("https://example.org/path/?page=3")
    assert url.include_query_params(page=4) == "https://example.org/path/?page=4"
    assert url.include_query_params(search="x") == "https://example.org/path/?page=3&search=x"
    assert url.replace_query_params(order="name") == "https://example.org/path/?order=name"
    assert url.remove_query_params("page") == "https://example.org/path/"


def test_url_query_params_helpers_keep_blank_and_repeated_values() -> None:
    url = URL("https://example.org/?a=1&a=2&b=&c=3")
    assert url.include_query_params(c="x") == "https://example.org/?a=1&a=2&b=&c=x"
    assert url.remove_query_params(["a", "missing"]) == "https://example.org/?b=&c=3"
    assert url.remove_query_params(("b", "c")) == "https://example.org/?a=1&a=2"
    assert url.replace_query_params() == "https://example.org/"


def test_url_query_params_helpers_encode_values() -> None:
    url = URL("https://example.org/")
    assert url.include_query_params(q="a b&c") == "https://example.org/?q=a+b%26c"


def test_url_from_scope_uses_server() -> None:
    assert URL(scope=make_scope()) == "http://example.org/path"
    assert URL(scope=make_scope(server=("example.org", 8080))) == "http://example.org:8080/path"
    https = make_scope(scheme="https", server=("example.org", 443))
    assert URL(scope=https) == "https://example.org/path"
    assert URL(scope=make_scope(scheme="https", server=("h", 80))) == "https://h:80/path"
    other_headers = make_scope(headers=[(b"accept", b"*/*"), (b"x-host", b"evil.com")])
    assert URL(scope=other_headers) == "http://example.org/path"


def test_url_from_scope_websocket_schemes() -> None:
    ws = make_scope(type="websocket", scheme="ws", server=("h", 80))
    assert URL(scope=ws) == "ws://h/path"
    wss = make_scope(type="websocket", scheme="wss", server=("h", 443))
    assert URL(scope=wss) == "wss://h/path"
    assert URL(scope=make_scope(scheme="wss", server=("h", 8443))) == "wss://h:8443/path"


def test_url_from_scope_defaults() -> None:
    scope = {"type": "http", "path": "/p"}
    assert URL(scope=scope) == "/p"
    unix = make_scope(server=("/tmp/app.sock", None))
    assert URL(scope=unix) == "http:///tmp/app.sock/path"
    ipv6 = make_scope(server=("::1", 8000))
    assert URL(scope=ipv6) == "http://[::1]:8000/path"
    assert URL(scope=ipv6).hostname == "::1"
    unknown_scheme = make_scope(scheme="custom", server=("h", 80))
    assert URL(scope=unknown_scheme) == "custom://h:80/path"


def test_url_from_scope_query_string() -> None:
    scope = make_scope(query_string=b"a=1&b=%20")
    url = URL(scope=scope)
    assert url == "http://example.org/path?a=1&b=%20"
    assert url.query == "a=1&b=%20"


def test_url_from_scope_query_string_cannot_start_a_fragment() -> None:
    url = URL(scope=make_scope(query_string=b"a=1#frag"))
    assert url.query == "a=1%23frag"
    assert url.fragment == ""


def test_url_from_scope_uses_host_header() -> None:
    scope = make_scope(headers=[(b"host", b"api.example.com:8000")])
    assert URL(scope=scope) == "http://api.example.com:8000/path"
    first_wins = make_scope(headers=[(b"host", b"one.com"), (b"host", b"two.com")])
    assert URL(scope=first_wins) == "http://one.com/path"


@pytest.mark.parametrize(
    "host",
    ["[::1]:8000", "[::1]", "127.0.0.1:80", "EXAMPLE.com", "my_host.local", "xn--bcher-kva.de"],
)
def test_url_from_scope_accepts_valid_host_headers(host: str) -> None:
    scope = make_scope(headers=[(b"host", host.encode())])
    assert URL(scope=scope) == f"http://{host}/path"


@pytest.mark.parametrize(
    "host",
    [
        b"evil.com/path",
        b"user@evil.com",
        b"evil.com?x=1",
        b"evil.com#frag",
        b"a b",
        b"host:port",
        b"host:123456",
        b"[::1",
        b"evil.com\\x",
        b"",
        b"caf\xe9.com",
        b"localhost:1@evil.com",
        b"127.0.0.1:abc",
        b"127.0.0.1:",
        b"localhost:8000/../x",
        b"[::1]evil.example.com",
        b"[:::]",
        b"[1.2.3.4]",
        b"localhost:65536",
        b"localhost:99999",
        b":8000",
    ],
)
def test_url_from_scope_ignores_malformed_host_header(host: bytes) -> None:
    scope = make_scope(server=("10.0.0.1", 8000), headers=[(b"host", host)])
    assert URL(scope=scope) == "http://10.0.0.1:8000/path"


def test_url_from_scope_root_path() -> None:
    # ASGI: root_path is part of path.
    mounted = make_scope(root_path="/api", path="/api/users")
    assert URL(scope=mounted) == "http://example.org/api/users"
    # Servers that leave root_path out of path still produce the full URL.
    legacy = make_scope(root_path="/api", path="/users")
    assert URL(scope=legacy) == "http://example.org/api/users"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a?b", "/a%3Fb"),
        ("/a#b", "/a%23b"),
        ("/a\\b", "/a%5Cb"),
        ("/ok/path", "/ok/path"),
        ("/a%20b", "/a%20b"),
    ],
)
def test_url_from_scope_encodes_path_delimiters(path: str, expected: str) -> None:
    url = URL(scope=make_scope(path=path, query_string=b"q=1"))
    assert url.path == expected
    assert url.hostname == "example.org"
    assert url.query == "q=1"
    assert url.fragment == ""


def test_url_from_scope_leading_double_slash_without_server() -> None:
    url = URL(scope={"type": "http", "path": "//evil.com/x"})
    assert url.netloc == ""
    assert url.path == "/%2Fevil.com/x"
    assert str(url) == "/%2Fevil.com/x"


def test_url_from_scope_keeps_a_leading_double_slash_after_an_authority() -> None:
    # As 1.x: after "http://host" a leading "//" is an empty segment, not another authority.
    with_host = URL(scope=make_scope(path="//evil.com/x", headers=[(b"host", b"h.example")]))
    assert str(with_host) == "http://h.example//evil.com/x"
    assert with_host.netloc == "h.example"
    assert with_host.path == "//evil.com/x"
    with_server = URL(scope=make_scope(path="//evil.com/x", server=("10.0.0.1", 8000)))
    assert str(with_server) == "http://10.0.0.1:8000//evil.com/x"
    assert with_server.netloc == "10.0.0.1:8000"
    # A malformed Host falls back to the server: still an authority, still the right host.
    bad_host = make_scope(path="//evil.com/x", headers=[(b"host", b"[:::]")])
    assert str(URL(scope=bad_host)) == "http://example.org//evil.com/x"


def test_url_from_scope_never_raises_on_a_malformed_bracketed_host() -> None:
    # "Host: [:::]" once reached urlsplit, which raised (a 500 for any endpoint).
    url = URL(scope=make_scope(headers=[(b"host", b"[:::]")]))
    assert url.hostname == "example.org"
    assert url.port is None


def test_url_from_scope_accepts_headers_as_tuple_or_missing() -> None:
    scope = make_scope(headers=((b"host", b"h.com"),))
    assert URL(scope=scope) == "http://h.com/path"
    no_headers = make_scope()
    del no_headers["headers"]
    assert URL(scope=no_headers) == "http://example.org/path"


def test_url_refuses_both_url_and_scope() -> None:
    with pytest.raises(AssertionError, match="Cannot set both"):
        URL("http://a", scope=make_scope())
    with pytest.raises(AssertionError, match="Cannot set both"):
        URL(scope=make_scope(), path="/x")


def test_urlpath_is_a_str() -> None:
    path = URLPath("/users/1")
    assert path == "/users/1"
    assert isinstance(path, str)
    assert path.protocol == ""
    assert path.host == ""


def test_urlpath_refuses_unknown_protocol() -> None:
    with pytest.raises(AssertionError, match="Invalid protocol"):
        URLPath("/", protocol="ftp")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("protocol", "base", "expected"),
    [
        ("http", "http://example.org", "http://example.org/users"),
        ("http", "https://example.org/root/", "https://example.org/root/users"),
        ("websocket", "http://example.org", "ws://example.org/users"),
        ("websocket", "https://example.org", "wss://example.org/users"),
        ("", "https://example.org:8000", "https://example.org:8000/users"),
        ("", "ws://example.org", "ws://example.org/users"),
    ],
)
def test_urlpath_make_absolute_url(protocol: Any, base: str, expected: str) -> None:
    path = URLPath("/users", protocol=protocol)
    assert path.make_absolute_url(base_url=base) == expected
    assert path.make_absolute_url(base_url=URL(base)) == expected


def test_urlpath_make_absolute_url_uses_its_host() -> None:
    path = URLPath("/users", protocol="http", host="api.example.org")
    assert path.host == "api.example.org"
    assert path.make_absolute_url("https://example.org") == "https://api.example.org/users"


def test_url_from_components_with_netloc_parts() -> None:
    url = URL(scheme="https", hostname="::1", port=8443, username="u", path="/x")
    assert str(url) == "https://u@[::1]:8443/x"
    assert url.port == 8443
