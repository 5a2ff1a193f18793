from __future__ import annotations

import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from starlette.datastructures import URL, ImmutableMultiDict, MutableHeaders, QueryParams

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
pairs = st.lists(st.tuples(text, text), max_size=10)
header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789", min_size=1)
header_values = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=30
)


@given(pairs)
def test_query_params_round_trip_through_str(items: list[tuple[str, str]]) -> None:
    params = QueryParams(items)
    assert QueryParams(str(params)).multi_items() == items


@given(pairs, st.randoms(use_true_random=False))
def test_multidict_equality_ignores_key_order_only(
    items: list[tuple[str, str]], rnd: random.Random
) -> None:
    # Keys in any order, each key's values in their own order: still equal.
    keys = list(dict(items))
    rnd.shuffle(keys)
    regrouped = [(key, value) for key in keys for item_key, value in items if item_key == key]
    assert ImmutableMultiDict(items) == ImmutableMultiDict(regrouped)
    assert ImmutableMultiDict(items) != ImmutableMultiDict([*items, ("extra", "")])
    # Swapping two different values of one key makes them differ.
    for key in keys:
        values = [value for item_key, value in items if item_key == key]
        if len(set(values)) > 1:
            other = values.index(next(v for v in values if v != values[0]))
            values[0], values[other] = values[other], values[0]
            swapped = [(k, v) for k, v in regrouped if k != key] + [(key, v) for v in values]
            assert ImmutableMultiDict(items) != ImmutableMultiDict(swapped)


@given(st.lists(st.tuples(header_names, header_values), max_size=8), header_names, header_values)
def test_mutable_headers_setitem_leaves_exactly_one_value(
    existing: list[tuple[str, str]], name: str, value: str
) -> None:
    headers = MutableHeaders(
        raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in existing]
    )
    others = [(k, v) for k, v in headers.items() if k != name.lower()]
    headers[name] = value
    assert headers.getlist(name) == [value]
    assert [(k, v) for k, v in headers.items() if k != name.lower()] == others


@given(host=st.binary(max_size=30), path=text)
def test_url_from_scope_never_takes_an_authority_from_a_bad_host_or_path(
    host: bytes, path: str
) -> None:
    scope = {
        "type": "http",
        "scheme": "https",
        "server": ("10.0.0.1", 443),
        "path": "/" + path,
        "query_string": b"",
        "headers": [(b"host", host)],
    }
    url = URL(scope=scope)
    assert url.scheme == "https"
    assert url.path.startswith("/")
    assert url.query == ""
    assert url.fragment == ""
    assert url.username is None
    netloc = url.netloc
    assert netloc in ("10.0.0.1", host.decode("latin-1"))


URL_TEXT = st.text(alphabet="ab1:/?#[]@%. -", max_size=12)


@given(
    components=st.dictionaries(
        st.sampled_from(["scheme", "netloc", "path", "query", "fragment"]),
        URL_TEXT,
        min_size=1,
    )
)
def test_url_from_components_spells_what_replace_spells(components: dict[str, Any]) -> None:
    # URL(**components) builds the string directly; replace() on an empty URL is the reference.
    def outcome(build: Any) -> tuple[str, str]:
        try:
            return "url", str(build())
        except ValueError as exc:  # urlsplit refuses a malformed IPv6 netloc
            return "error", str(exc)

    assert outcome(lambda: URL(**components)) == outcome(
        lambda: URL("").replace(**components).components.geturl()
    )
