"""The hot-path shortcuts of `QueryParams` and `Headers.get` give what the general code gives."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.datastructures import Headers, MutableHeaders, QueryParams

# Query strings built from the characters that matter to parsing, with and without escapes.
query_strings = st.text(alphabet="ab=&%+2F;é ", max_size=30)


@settings(deadline=None)
@given(query_strings)
def test_query_params_equal_parse_qsl_with_blank_values(query: str) -> None:
    params = QueryParams(query)
    expected = parse_qsl(query, keep_blank_values=True)
    assert params.multi_items() == expected
    assert dict(params) == dict(expected)
    # Bytes are read as latin-1, as servers hand the raw query string over.
    assert QueryParams(query.encode("latin-1")) == params


@pytest.mark.parametrize(
    ("query", "items"),
    [
        ("", []),
        ("a", [("a", "")]),
        ("a=", [("a", "")]),
        ("=b", [("", "b")]),
        ("&&a=1&&b=2&", [("a", "1"), ("b", "2")]),
        ("a=1=2&a=3", [("a", "1=2"), ("a", "3")]),
        ("a=b;c=d", [("a", "b;c=d")]),
        ("a=%20&b=+", [("a", " "), ("b", " ")]),
    ],
)
def test_query_params_plain_and_escaped(query: str, items: list[tuple[str, str]]) -> None:
    params = QueryParams(query.encode("latin-1"))
    assert params.multi_items() == items
    assert params.getlist("a") == [value for key, value in items if key == "a"]


def test_query_params_keyword_arguments_still_merge() -> None:
    params = QueryParams("a=1", b="2")
    assert params.multi_items() == [("a", "1"), ("b", "2")]


def test_query_params_shortcut_result_is_not_shared_between_instances() -> None:
    first = QueryParams("a=1")
    second = QueryParams("a=1")
    assert first == second
    assert first._list is not second._list


def test_headers_get_hit_miss_and_default() -> None:
    headers = Headers(
        raw=[(b"content-type", b"text/plain"), (b"x-twice", b"1"), (b"x-twice", b"2")]
    )
    assert headers.get("Content-Type") == "text/plain"
    assert headers.get("x-twice") == "1"
    assert headers.get("missing") is None
    assert headers.get("missing", "fallback") == "fallback"
    # A name that cannot be latin-1 encoded cannot be present.
    assert headers.get("ünïcødé\u20ac", 0) == 0


def test_headers_get_non_string_key_raises_as_getitem_does() -> None:
    headers = Headers(raw=[(b"a", b"1")])
    with pytest.raises(AttributeError):
        headers.get(1)  # type: ignore[call-overload]


def test_headers_get_sees_later_mutations() -> None:
    headers = MutableHeaders()
    assert headers.get("x-a") is None
    headers["x-a"] = "1"
    assert headers.get("x-a") == "1"
    del headers["x-a"]
    assert headers.get("x-a", "gone") == "gone"


def test_headers_get_over_a_scope_follows_the_scope_list() -> None:
    raw = [(b"host", b"example.com")]
    headers = Headers(scope={"type": "http", "headers": raw})
    assert headers.get("host") == "example.com"
    raw.append((b"x-late", b"yes"))
    assert headers.get("x-late") == "yes"


@pytest.mark.parametrize(
    ("existing", "vary", "expected"),
    [
        ([], "Origin", [(b"vary", b"Origin")]),
        ([(b"x-a", b"1")], "Origin", [(b"x-a", b"1"), (b"vary", b"Origin")]),
        ([(b"vary", b"Cookie")], "Origin", [(b"vary", b"Cookie, Origin")]),
        ([(b"vary", b"origin")], "Origin", [(b"vary", b"origin")]),
        ([], "Origin, Cookie", [(b"vary", b"Origin, Cookie")]),
        ([], " Origin ", [(b"vary", b"Origin")]),
        ([], "", [(b"vary", b"")]),
    ],
)
def test_add_vary_header(
    existing: list[tuple[bytes, bytes]], vary: str, expected: list[tuple[bytes, bytes]]
) -> None:
    headers = MutableHeaders(raw=list(existing))
    headers.add_vary_header(vary)
    assert headers.raw == expected


def test_add_vary_header_refuses_a_line_break() -> None:
    with pytest.raises(ValueError):
        MutableHeaders().add_vary_header("Origin\r\nX-Injected: 1")
