from __future__ import annotations

import io
from typing import Any

import pytest

from starlette.datastructures import (
    FormData,
    ImmutableMultiDict,
    MultiDict,
    QueryParams,
    UploadFile,
)


def test_immutable_multidict_last_value_wins() -> None:
    d = ImmutableMultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert d["a"] == "2"
    assert d.get("a") == "2"
    assert d.get("missing", "x") == "x"
    assert d.getlist("a") == ["1", "2"]
    assert d.getlist("missing") == []
    assert list(d.keys()) == ["a", "b"]
    assert list(d.values()) == ["2", "3"]
    assert list(d.items()) == [("a", "2"), ("b", "3")]
    assert list(d) == ["a", "b"]
    assert len(d) == 2
    assert "a" in d
    assert "missing" not in d
    assert d.multi_items() == [("a", "1"), ("a", "2"), ("b", "3")]


def test_immutable_multidict_multi_items_is_a_copy() -> None:
    d = ImmutableMultiDict([("a", "1")])
    d.multi_items().append(("b", "2"))
    assert d.multi_items() == [("a", "1")]


def test_immutable_multidict_sources() -> None:
    assert ImmutableMultiDict().multi_items() == []
    assert ImmutableMultiDict({"a": "1"}).multi_items() == [("a", "1")]
    assert ImmutableMultiDict(a="1").multi_items() == [("a", "1")]
    nested = ImmutableMultiDict(ImmutableMultiDict([("a", "1"), ("a", "2")]))
    assert nested.multi_items() == [("a", "1"), ("a", "2")]
    assert ImmutableMultiDict(iter([("a", "1")])).multi_items() == [("a", "1")]
    merged = ImmutableMultiDict([("a", "1")], a="2", b="3")
    assert merged.multi_items() == [("a", "1"), ("a", "2"), ("b", "3")]
    assert merged["a"] == "2"


def test_multidict_from_a_list_keeps_its_own_copy() -> None:
    pairs: list[tuple[str, str | UploadFile]] = [("a", "1")]
    d = MultiDict(pairs)
    d.append("b", "2")
    pairs.append(("c", "3"))
    assert pairs == [("a", "1"), ("c", "3")]
    assert d.multi_items() == [("a", "1"), ("b", "2")]
    assert FormData(pairs).multi_items() == pairs
    assert FormData([]).multi_items() == []
    # Other empty sources give the same empty form.
    assert FormData({}).multi_items() == ImmutableMultiDict(()).multi_items() == []


def test_immutable_multidict_list_subclass_is_read_as_what_it_offers() -> None:
    # Only a plain list is taken as pairs straight away; a subclass with `keys` is a mapping.
    class Pairs(list[tuple[str, str]]):
        def keys(self) -> list[str]:
            return ["a"]

        def items(self) -> list[tuple[str, str]]:
            return [("a", "from items")]

    assert ImmutableMultiDict(Pairs([("b", "2")])).multi_items() == [("a", "from items")]


def test_immutable_multidict_too_many_arguments() -> None:
    with pytest.raises(AssertionError, match="Too many arguments"):
        ImmutableMultiDict([("a", "1")], [("b", "2")])


def test_immutable_multidict_missing_key() -> None:
    with pytest.raises(KeyError):
        ImmutableMultiDict[str, str]()["missing"]


def test_immutable_multidict_eq() -> None:
    a = ImmutableMultiDict([("a", "1"), ("b", "2")])
    assert a == ImmutableMultiDict([("b", "2"), ("a", "1")])
    assert a != ImmutableMultiDict([("a", "1")])
    assert a != ImmutableMultiDict([("a", "1"), ("c", "2")])
    assert a != ImmutableMultiDict([("a", "1"), ("b", "3")])
    assert a == MultiDict([("a", "1"), ("b", "2")])
    assert MultiDict([("a", "1"), ("b", "2")]) == a
    assert a != {"a": "1", "b": "2"}
    assert a != [("a", "1"), ("b", "2")]


def test_immutable_multidict_eq_repeated_keys_is_order_sensitive_per_key() -> None:
    # As in 1.x: the order of a repeated key's values is significant, the order of keys is not.
    assert ImmutableMultiDict([("a", "1"), ("a", "2")]) != ImmutableMultiDict(
        [("a", "2"), ("a", "1")]
    )
    assert ImmutableMultiDict([("a", "1"), ("b", "x"), ("a", "2")]) == ImmutableMultiDict(
        [("b", "x"), ("a", "1"), ("a", "2")]
    )
    assert ImmutableMultiDict([("a", "1"), ("a", "1")]) != ImmutableMultiDict(
        [("a", "1"), ("a", "2")]
    )


def test_immutable_multidict_eq_unorderable_values_does_not_raise() -> None:
    file = UploadFile(io.BytesIO(b""))
    left = ImmutableMultiDict([("f", file), ("f", "text"), ("n", None)])
    right = ImmutableMultiDict([("n", None), ("f", file), ("f", "text")])
    assert left == right
    assert left != ImmutableMultiDict([("n", None), ("f", "text"), ("f", file)])
    other = ImmutableMultiDict([("f", UploadFile(io.BytesIO(b""))), ("f", "text"), ("n", None)])
    assert left != other
    unhashable = ImmutableMultiDict([("a", [1]), ("a", {"x": 1})])
    assert unhashable == ImmutableMultiDict([("a", [1]), ("a", {"x": 1})])
    assert unhashable != ImmutableMultiDict([("a", {"x": 1}), ("a", [1])])


def test_immutable_multidict_is_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(ImmutableMultiDict())


def test_immutable_multidict_repr() -> None:
    d = ImmutableMultiDict([("a", "1"), ("a", "2")])
    assert repr(d) == "ImmutableMultiDict([('a', '1'), ('a', '2')])"
    assert repr(MultiDict([("a", "1")])) == "MultiDict([('a', '1')])"


def test_multidict_setitem_replaces_all_values() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    d["a"] = "x"
    assert d.multi_items() == [("b", "2"), ("a", "x")]
    assert d["a"] == "x"


def test_multidict_delitem() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    del d["a"]
    assert d.multi_items() == [("b", "2")]
    assert "a" not in d
    with pytest.raises(KeyError):
        del d["a"]


def test_multidict_pop() -> None:
    d = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert d.pop("a") == "2"
    assert d.multi_items() == [("b", "3")]
    assert d.pop("missing") is None
    assert d.pop("missing", "default") == "default"


def test_multidict_popitem() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("b", "3")])
    assert d.popitem() == ("b", "3")
    assert d.multi_items() == [("a", "1")]
    d.popitem()
    with pytest.raises(KeyError):
        d.popitem()


def test_multidict_poplist() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    assert d.poplist("a") == ["1", "3"]
    assert d.multi_items() == [("b", "2")]
    assert d.poplist("missing") == []


def test_multidict_clear() -> None:
    d = MultiDict([("a", "1")])
    d.clear()
    assert d.multi_items() == []
    assert len(d) == 0


def test_multidict_setdefault() -> None:
    d = MultiDict([("a", "1")])
    assert d.setdefault("a", "x") == "1"
    assert d.setdefault("b", "2") == "2"
    assert d.setdefault("c") is None
    assert d.multi_items() == [("a", "1"), ("b", "2"), ("c", None)]


def test_multidict_setlist() -> None:
    d = MultiDict([("a", "1"), ("b", "2")])
    d.setlist("a", ["x", "y"])
    assert d.multi_items() == [("b", "2"), ("a", "x"), ("a", "y")]
    assert d["a"] == "y"
    d.setlist("a", [])
    assert d.multi_items() == [("b", "2")]
    assert "a" not in d
    d.setlist("missing", [])
    assert d.multi_items() == [("b", "2")]


def test_multidict_append() -> None:
    d = MultiDict([("a", "1")])
    d.append("a", "2")
    assert d["a"] == "2"
    assert d.getlist("a") == ["1", "2"]


def test_multidict_update() -> None:
    d = MultiDict([("a", "1"), ("b", "2"), ("a", "3")])
    d.update([("a", "x"), ("a", "y")], c="z")
    assert d.multi_items() == [("b", "2"), ("a", "x"), ("a", "y"), ("c", "z")]
    assert d["a"] == "y"
    d.update({"b": "new"})
    assert d.multi_items() == [("a", "x"), ("a", "y"), ("c", "z"), ("b", "new")]
    d.update(MultiDict([("c", "1")]))
    assert d.getlist("c") == ["1"]


def test_query_params_from_string() -> None:
    q = QueryParams("a=123&a=456&b=789&empty=&space=a+b&enc=%26")
    assert q["a"] == "456"
    assert q.getlist("a") == ["123", "456"]
    assert q["empty"] == ""
    assert q["space"] == "a b"
    assert q["enc"] == "&"
    assert str(q) == "a=123&a=456&b=789&empty=&space=a+b&enc=%26"
    assert repr(q) == "QueryParams('a=123&a=456&b=789&empty=&space=a+b&enc=%26')"


def test_query_params_from_bytes() -> None:
    q = QueryParams(b"a=1&b=%C3%A9")
    assert q["a"] == "1"
    assert q["b"] == "é"


def test_query_params_from_mapping_list_and_kwargs() -> None:
    assert QueryParams({"a": "1"}).multi_items() == [("a", "1")]
    assert QueryParams([("a", "1"), ("a", "2")]).getlist("a") == ["1", "2"]
    assert QueryParams(a="1", b="2").multi_items() == [("a", "1"), ("b", "2")]
    assert QueryParams("a=1", b="2").multi_items() == [("a", "1"), ("b", "2")]
    assert QueryParams().multi_items() == []
    assert str(QueryParams()) == ""


def test_query_params_stringify_keys_and_values() -> None:
    q = QueryParams([(1, 2), ("none", None)])
    assert q.multi_items() == [("1", "2"), ("none", "None")]
    assert q["1"] == "2"


def test_query_params_too_many_arguments() -> None:
    with pytest.raises(AssertionError, match="Too many arguments"):
        QueryParams("a=1", "b=2")


def test_query_params_repeated_keys_compare_in_order() -> None:
    assert QueryParams("a=1&a=2") != QueryParams("a=2&a=1")
    assert QueryParams("a=1&b=2&a=3") == QueryParams("b=2&a=1&a=3")
    assert QueryParams("a=1&a=2") != QueryParams("a=1&a=3")
    assert QueryParams("a=1") == QueryParams({"a": "1"})
    assert QueryParams("a=1") != "a=1"


def test_form_data_holds_strings_and_files() -> None:
    upload = UploadFile(io.BytesIO(b"data"), filename="f.txt")
    form = FormData([("name", "x"), ("file", upload), ("name", "y")])
    assert form["name"] == "y"
    assert form.getlist("name") == ["x", "y"]
    assert form["file"] is upload
    assert FormData({"a": "1"}) == FormData(a="1")
    assert FormData(form) == form
    assert repr(FormData([("a", "1")])) == "FormData([('a', '1')])"


def test_form_data_with_repeated_keys_and_files_compares_in_order() -> None:
    one = UploadFile(io.BytesIO(b"1"), filename="1")
    two = UploadFile(io.BytesIO(b"2"), filename="2")
    assert FormData([("f", one), ("f", two)]) == FormData([("f", one), ("f", two)])
    assert FormData([("f", one), ("f", two)]) != FormData([("f", two), ("f", one)])
    assert FormData([("f", one), ("g", "x")]) == FormData([("g", "x"), ("f", one)])
    assert FormData([("f", one)]) != FormData([("f", two)])


@pytest.mark.anyio
async def test_form_data_close_closes_every_file() -> None:
    first = io.BytesIO(b"1")
    second = io.BytesIO(b"2")
    form = FormData(
        [("a", UploadFile(first)), ("text", "value"), ("a", UploadFile(second))],
    )
    await form.close()
    assert first.closed
    assert second.closed


def test_multidict_generic_annotations() -> None:
    typed: ImmutableMultiDict[str, int] = ImmutableMultiDict([("a", 1)])
    value: int = typed["a"]
    assert value == 1
    anything: Any = MultiDict()
    anything["k"] = 1
    assert anything == MultiDict({"k": 1})
