"""A route path without parameters is matched by comparing strings, and a mount without
parameters of its own by its literal prefix: both must answer exactly what their regexes answer
(`$` also matches before a final newline; a mount's `.*` takes no newline)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from starlette.responses import PlainTextResponse
from starlette.routing import (
    Mount,
    Route,
    WebSocketRoute,
    _convert_params,
    _match_route,
    _path_only_remainder,
)


async def endpoint(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def session(websocket: Any) -> None:
    await websocket.close()


STATIC = ["/", "/health", "/a/b/", "/a.b+c(d)", "/ü", "/a b"]
MOUNTS = ["", "/api", "/a/b", "/a.b", "/ü"]
# Paths near each literal: equal, with a final newline, with a newline inside, longer, shorter.
SAMPLES = [
    "",
    "/",
    "/\n",
    "/health",
    "/health\n",
    "/health\n\n",
    "/healthx",
    "/healt",
    "/a/b/",
    "/a/b/\n",
    "/a/b",
    "/a.b+c(d)",
    "/aXb+c(d)",
    "/ü",
    "/ü\n",
    "/a b",
    "/api",
    "/api/",
    "/api/x",
    "/api/x\n",
    "/api/x\ny",
    "/api\n/x",
    "/apix/y",
    "/a/b/c",
    "/a.b/c",
    "/aXb/c",
    "/ü/x",
]
PATHS = st.one_of(
    st.sampled_from(SAMPLES),
    st.builds(
        lambda base, tail: base + tail,
        st.sampled_from(SAMPLES),
        st.text(alphabet="/ab\nü.", max_size=6),
    ),
)


def regex_params(route: Route | WebSocketRoute, path: str) -> dict[str, Any] | None:
    match = route.path_regex.match(path)
    return None if match is None else _convert_params(match, route.param_convertors)


def regex_remainder(mount: Mount, path: str) -> str | None:
    match = mount.path_regex.match(path)
    return None if match is None else "/" + match.group("path")


@given(st.sampled_from(STATIC), PATHS)
def test_static_route_matches_as_its_regex(route_path: str, path: str) -> None:
    for route in (Route(route_path, endpoint), WebSocketRoute(route_path, session)):
        assert route._index_key is not None
        assert route._index_key[1] == "exact"  # the shortcut applies
        assert _match_route(route, path) == regex_params(route, path)


@given(st.sampled_from(MOUNTS), PATHS)
def test_mount_prefix_matches_as_its_regex(mount_path: str, path: str) -> None:
    mount = Mount(mount_path, routes=[])
    assert mount._path_only
    assert _path_only_remainder(mount, path) == regex_remainder(mount, path)


def test_a_regex_replaced_after_construction_is_the_one_used() -> None:
    # The shortcut stands for the regex compiled with the route; a route whose regex was
    # replaced (as some frameworks do) is matched by that regex.
    route = Route("/health", endpoint)
    route.path_regex = re.compile("^/other$")
    assert _match_route(route, "/health") is None
    assert _match_route(route, "/other") == {}
    mount = Mount("/api", routes=[])
    mount.path_regex = re.compile("^/v2/(?P<path>.*)$")
    assert _path_only_remainder(mount, "/api/x") is None
    assert _path_only_remainder(mount, "/v2/x") == "/x"


def test_a_route_built_without_its_init_is_matched_by_its_regex() -> None:
    route = Route.__new__(Route)
    route.path_regex = re.compile("^/health$")
    route.param_convertors = {}
    assert _match_route(route, "/health") == {}
    assert _match_route(route, "/other") is None
