from __future__ import annotations

from typing import Any

import pytest

from starlette.datastructures import Headers, MutableHeaders


def test_headers_from_mapping() -> None:
    headers = Headers({"Content-Type": "text/plain", "X-Token": "abc"})
    assert headers.raw == [(b"content-type", b"text/plain"), (b"x-token", b"abc")]
    assert headers["content-type"] == "text/plain"
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers.get("x-token") == "abc"
    assert headers.get("missing") is None
    assert "X-TOKEN" in headers
    assert "missing" not in headers
    assert len(headers) == 2


def test_headers_multiple_values() -> None:
    raw = [(b"a", b"123"), (b"a", b"456"), (b"b", b"789")]
    headers = Headers(raw=raw)
    assert headers["a"] == "123"
    assert headers.getlist("A") == ["123", "456"]
    assert headers.getlist("missing") == []
    assert headers.keys() == ["a", "a", "b"]
    assert headers.values() == ["123", "456", "789"]
    assert headers.items() == [("a", "123"), ("a", "456"), ("b", "789")]
    assert list(headers) == ["a", "a", "b"]
    assert len(headers) == 3
    assert headers.raw is raw


def test_headers_missing_key_raises_keyerror() -> None:
    headers = Headers({"a": "1"})
    with pytest.raises(KeyError, match="nope"):
        headers["nope"]


def test_headers_non_latin1_lookup_is_absent() -> None:
    headers = Headers({"a": "1"})
    assert "ключ" not in headers
    assert headers.get("ключ") is None
    assert headers.getlist("ключ") == []
    assert 123 not in headers  # type: ignore[comparison-overlap]


def test_headers_latin1_values() -> None:
    headers = Headers(raw=[(b"x-name", "café".encode("latin-1"))])
    assert headers["x-name"] == "café"


def test_headers_empty() -> None:
    headers = Headers()
    assert len(headers) == 0
    assert headers.raw == []
    assert repr(headers) == "Headers({})"


def test_headers_from_scope_shares_the_list() -> None:
    raw = [(b"host", b"example.org")]
    scope: dict[str, Any] = {"type": "http", "headers": raw}
    headers = Headers(scope=scope)
    assert headers.raw is raw
    assert headers["host"] == "example.org"


def test_headers_from_scope_with_tuple_stores_a_list() -> None:
    scope: dict[str, Any] = {"type": "http", "headers": ((b"a", b"1"),)}
    headers = Headers(scope=scope)
    assert headers["a"] == "1"
    assert scope["headers"] == [(b"a", b"1")]
    assert headers.raw is scope["headers"]


def test_headers_from_message_without_headers() -> None:
    message: dict[str, Any] = {"type": "http.response.start", "status": 200}
    headers = MutableHeaders(scope=message)
    assert len(headers) == 0
    headers["x-added"] = "1"
    assert message["headers"] == [(b"x-added", b"1")]


def test_headers_only_one_source() -> None:
    with pytest.raises(AssertionError, match='"headers" and "raw"'):
        Headers(headers={"a": "1"}, raw=[])
    with pytest.raises(AssertionError, match='"headers" and "scope"'):
        Headers(headers={"a": "1"}, scope={"headers": []})
    with pytest.raises(AssertionError, match='"raw" and "scope"'):
        Headers(raw=[], scope={"headers": []})


def test_headers_eq_keeps_the_order_of_a_repeated_header() -> None:
    # Beyond 1.x (where Headers compare as sorted lists): the order of the values of one
    # header is significant, the order of different headers is not.
    first = Headers(raw=[(b"accept", b"a"), (b"host", b"h"), (b"accept", b"b")])
    assert first == Headers(raw=[(b"host", b"h"), (b"accept", b"a"), (b"accept", b"b")])
    assert first != Headers(raw=[(b"accept", b"b"), (b"host", b"h"), (b"accept", b"a")])
    assert first != Headers(raw=[(b"accept", b"a"), (b"host", b"h")])


def test_headers_eq() -> None:
    assert Headers({"a": "1", "b": "2"}) == Headers(raw=[(b"b", b"2"), (b"a", b"1")])
    assert Headers({"a": "1"}) != Headers({"a": "2"})
    assert Headers({"a": "1"}) != {"a": "1"}
    assert Headers({"a": "1"}) == MutableHeaders({"a": "1"})


def test_headers_repr() -> None:
    assert repr(Headers({"a": "1"})) == "Headers({'a': '1'})"
    repeated = Headers(raw=[(b"a", b"1"), (b"a", b"2")])
    assert repr(repeated) == "Headers(raw=[(b'a', b'1'), (b'a', b'2')])"
    assert repr(MutableHeaders({"a": "1"})) == "MutableHeaders({'a': '1'})"


def test_headers_are_immutable() -> None:
    headers: Any = Headers({"a": "1"})
    with pytest.raises(TypeError):
        headers["a"] = "2"
    with pytest.raises(AttributeError):
        headers.append("a", "2")


def test_headers_mutablecopy_is_independent() -> None:
    headers = Headers({"a": "1"})
    copy = headers.mutablecopy()
    assert isinstance(copy, MutableHeaders)
    copy["a"] = "2"
    copy["b"] = "3"
    assert headers["a"] == "1"
    assert "b" not in headers
    assert copy.items() == [("a", "2"), ("b", "3")]


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b"])
def test_headers_refuse_cr_lf_nul_in_values(value: str) -> None:
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL characters"):
        Headers({"x": value})
    headers = MutableHeaders()
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL characters"):
        headers["x"] = value
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL characters"):
        headers.append("x", value)
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL characters"):
        headers.setdefault("x", value)
    with pytest.raises(ValueError, match="must not contain CR, LF or NUL characters"):
        headers.update({"x": value})
    assert headers.raw == []


@pytest.mark.parametrize("key", ["x\r\ny", "x\ny", "x:y", "x\x00y"])
def test_headers_refuse_invalid_names(key: str) -> None:
    with pytest.raises(ValueError, match="not a valid field name"):
        Headers({key: "v"})
    headers = MutableHeaders()
    with pytest.raises(ValueError, match="not a valid field name"):
        headers[key] = "v"
    with pytest.raises(ValueError, match="not a valid field name"):
        headers.append(key, "v")
    assert headers.raw == []


def test_headers_refuse_non_latin1_values() -> None:
    with pytest.raises(UnicodeEncodeError):
        MutableHeaders()["x"] = "€"


def test_mutable_headers_setitem_replaces_every_value_in_place() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"2"), (b"a", b"3")])
    headers["A"] = "new"
    assert headers.raw == [(b"a", b"new"), (b"b", b"2")]
    headers["c"] = "4"
    assert headers.raw == [(b"a", b"new"), (b"b", b"2"), (b"c", b"4")]


def test_mutable_headers_edit_the_scope_list() -> None:
    raw = [(b"a", b"1")]
    message: dict[str, Any] = {"type": "http.response.start", "headers": raw}
    headers = MutableHeaders(scope=message)
    headers["a"] = "2"
    headers.append("b", "3")
    del headers["a"]
    assert message["headers"] is raw
    assert raw == [(b"b", b"3")]


def test_mutable_headers_delitem() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"2"), (b"a", b"3")])
    del headers["A"]
    assert headers.raw == [(b"b", b"2")]
    del headers["missing"]
    assert headers.raw == [(b"b", b"2")]
    del headers["ключ"]
    assert headers.raw == [(b"b", b"2")]


def test_mutable_headers_append_keeps_existing() -> None:
    headers = MutableHeaders({"set-cookie": "a=1"})
    headers.append("Set-Cookie", "b=2")
    assert headers.getlist("set-cookie") == ["a=1", "b=2"]


def test_mutable_headers_setdefault() -> None:
    headers = MutableHeaders({"a": "1"})
    assert headers.setdefault("A", "2") == "1"
    assert headers.setdefault("b", "3") == "3"
    assert headers.raw == [(b"a", b"1"), (b"b", b"3")]


def test_mutable_headers_update() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"a", b"2")])
    headers.update({"A": "3", "b": "4"})
    assert headers.raw == [(b"a", b"3"), (b"b", b"4")]


def test_mutable_headers_or_operators() -> None:
    headers = MutableHeaders({"a": "1"})
    merged = headers | {"b": "2"}
    assert isinstance(merged, MutableHeaders)
    assert merged.items() == [("a", "1"), ("b", "2")]
    assert headers.items() == [("a", "1")]

    same = headers
    headers |= {"a": "x", "c": "3"}
    assert headers is same
    assert headers.items() == [("a", "x"), ("c", "3")]


def test_mutable_headers_or_operators_refuse_non_mappings() -> None:
    headers: Any = MutableHeaders()
    with pytest.raises(TypeError, match="Expected a mapping but got list"):
        headers | [("a", "1")]
    with pytest.raises(TypeError, match="Expected a mapping but got str"):
        headers |= "a"


def test_mutable_headers_raw_property() -> None:
    headers = MutableHeaders({"a": "1"})
    assert headers.raw == [(b"a", b"1")]
    headers.raw.append((b"b", b"2"))
    assert headers["b"] == "2"


def test_add_vary_header_sets_when_absent() -> None:
    headers = MutableHeaders()
    headers.add_vary_header("Origin")
    assert headers["vary"] == "Origin"


def test_add_vary_header_appends_and_does_not_duplicate() -> None:
    headers = MutableHeaders({"Vary": "Accept-Encoding"})
    headers.add_vary_header("Origin")
    assert headers["vary"] == "Accept-Encoding, Origin"
    headers.add_vary_header("origin")
    assert headers["vary"] == "Accept-Encoding, Origin"
    headers.add_vary_header("Cookie, Accept-Encoding")
    assert headers["vary"] == "Accept-Encoding, Origin, Cookie"


def test_add_vary_header_keeps_every_existing_vary_value() -> None:
    headers = MutableHeaders(raw=[(b"vary", b"Accept"), (b"x", b"1"), (b"vary", b"Cookie, ")])
    headers.add_vary_header("Origin")
    assert headers.getlist("vary") == ["Accept, Cookie, Origin"]
    assert headers.raw == [(b"vary", b"Accept, Cookie, Origin"), (b"x", b"1")]
