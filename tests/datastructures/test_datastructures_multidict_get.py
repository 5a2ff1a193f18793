"""The multidicts answer `get` from their dict, not through `Mapping.get` and `__getitem__`:
the same answers as `Mapping.get`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from starlette.datastructures import FormData, ImmutableMultiDict, MultiDict, QueryParams

MULTIDICTS: list[ImmutableMultiDict[Any, Any]] = [
    QueryParams("a=1&a=2&b=&c=%20"),
    FormData([("a", "1"), ("a", "2"), ("b", "")]),
    MultiDict([("a", 1), ("b", None)]),
    ImmutableMultiDict({"a": "x"}),
    ImmutableMultiDict(),
]


@pytest.mark.parametrize("multidict", MULTIDICTS)
@pytest.mark.parametrize("key", ["a", "b", "c", "missing", 1])
def test_get_answers_as_mapping_get(multidict: ImmutableMultiDict[Any, Any], key: Any) -> None:
    assert multidict.get(key) == Mapping.get(multidict, key)
    assert multidict.get(key, "default") == Mapping.get(multidict, key, "default")


def test_get_of_an_unhashable_key_raises_as_mapping_get() -> None:
    unhashable: Any = []
    params: Any = QueryParams("a=1")
    with pytest.raises(TypeError):
        Mapping.get(params, unhashable)
    with pytest.raises(TypeError):
        params.get(unhashable)
