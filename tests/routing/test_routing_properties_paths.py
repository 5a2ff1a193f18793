"""Properties of path convertors, `url_path_for` and `matches`: what one builds the other reads.

Each test states what must hold for every input; only the declared exceptions may escape.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.convertors import CONVERTOR_TYPES
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Mount, NoMatchFound, Route, Router, compile_path

SETTINGS = settings(max_examples=100, deadline=None)

# `url_path_for` escapes "\\" (browsers read it as "/"), so it does not round-trip; the path
# regexes, like Starlette's, do not match a newline.
segments = st.text(
    alphabet=st.characters(exclude_characters="/\\\n", exclude_categories=["Cs"]), min_size=1
)
path_values = st.text(alphabet=st.characters(exclude_characters="\\\n", exclude_categories=["Cs"]))
values = {
    "str": segments,
    "path": path_values,
    "int": st.integers(min_value=0, max_value=10**30),
    "float": st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    "uuid": st.uuids(),
}


@SETTINGS
@given(data=st.data(), kind=st.sampled_from(sorted(values)))
def test_convertor_round_trips_and_renders_what_its_regex_accepts(
    data: st.DataObject, kind: str
) -> None:
    convertor = CONVERTOR_TYPES[kind]
    value = data.draw(values[kind])
    text = convertor.to_string(value)
    assert re.fullmatch(convertor.regex, text)
    assert convertor.convert(text) == value
    assert convertor.to_string(convertor.convert(text)) == text


@SETTINGS
@given(text=st.from_regex(r"[0-9]{1,25}(\.[0-9]{1,12})?", fullmatch=True))
def test_float_convertor_reads_every_string_its_regex_accepts(text: str) -> None:
    convertor = CONVERTOR_TYPES["float"]
    value = convertor.convert(text)
    assert value == float(text)
    assert convertor.convert(convertor.to_string(value)) == value


async def endpoint(request):  # pragma: no cover - never called: only paths are matched
    return PlainTextResponse("")


ROUTE = Route("/users/{name:str}/items/{item:int}/{rest:path}", endpoint, name="item")
ROUTER = Router(
    routes=[
        Mount("/api/{version:int}", routes=[ROUTE, Route("/ids/{id:uuid}", endpoint, name="id")]),
        Route("/prices/{price:float}", endpoint, name="price"),
    ]
)


def scope_for(path: str) -> dict[str, Any]:
    return {"type": "http", "method": "GET", "path": path, "root_path": ""}


@SETTINGS
@given(name=segments, item=values["int"], rest=path_values)
def test_route_url_path_for_and_matches_round_trip(name: str, item: int, rest: str) -> None:
    url_path = ROUTE.url_path_for("item", name=name, item=item, rest=rest)
    assert url_path.protocol == "http"
    match, child_scope = ROUTE.matches(scope_for(str(url_path)))
    assert match is Match.FULL
    assert child_scope["path_params"] == {"name": name, "item": item, "rest": rest}


@SETTINGS
@given(
    version=values["int"],
    name=segments,
    item=values["int"],
    rest=path_values,
    ident=st.uuids(),
    price=values["float"],
)
def test_router_url_path_for_and_matches_round_trip_through_mounts(
    version: int, name: str, item: int, rest: str, ident: uuid.UUID, price: float
) -> None:
    cases: list[tuple[str, dict[str, Any]]] = [
        ("item", {"version": version, "name": name, "item": item, "rest": rest}),
        ("id", {"version": version, "id": ident}),
        ("price", {"price": price}),
    ]
    for route_name, params in cases:
        url_path = ROUTER.url_path_for(route_name, **params)
        found = {}
        scope = scope_for(str(url_path))
        for route in ROUTER.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                found = child_scope["path_params"]
                if isinstance(route, Mount):  # descend to its routes
                    inner = {**scope, **child_scope}
                    for child in route.routes:
                        child_match, grandchild = child.matches(inner)
                        if child_match is Match.FULL:
                            found = grandchild["path_params"]
                            break
                break
        assert found == params


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(["name", "item", "rest", "other"]), segments))
def test_url_path_for_with_wrong_params_raises_no_match_found(params: dict[str, str]) -> None:
    if (
        set(params) == {"name", "item", "rest"}
        and params["item"].isascii()
        and params["item"].isdigit()
    ):
        return  # these are right
    try:
        ROUTE.url_path_for("item", **params)
    except (NoMatchFound, ValueError, AssertionError):
        # NoMatchFound for the wrong names; the int convertor refuses what is not an integer.
        return
    raise AssertionError(f"url_path_for accepted {params!r}")  # pragma: no cover


@SETTINGS
@given(path=st.text(max_size=40))
def test_compile_path_of_any_literal_path_matches_only_itself(path: str) -> None:
    if "{" in path or "}" in path:
        return
    regex, path_format, convertors = compile_path("/" + path)
    assert convertors == {}
    assert path_format == "/" + path
    assert regex.match("/" + path)
    assert not regex.match("/" + path + "x")


@SETTINGS
@given(value=st.text(alphabet=st.characters(exclude_categories=["Cs"])))
def test_url_path_for_never_builds_a_network_path_or_a_backslash(value: str) -> None:
    route = Route("/{anything:path}", endpoint, name="anything")
    url_path = route.url_path_for("anything", anything=value)
    assert url_path.startswith("/")
    assert not url_path.startswith("//")
    assert "\\" not in url_path
