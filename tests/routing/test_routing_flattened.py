"""Plain mounts are flattened into the router's items: the routes below them are matched against
the full path in one lookup, with a `_MountEnd` after them for the paths under the mount that
none of them answers. Resolving must answer exactly as crossing each mount in turn does: the same
app, and the same scope (keys, their order and values)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starlette._routing_resolver as resolver_module
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Host, Mount, Route, Router, WebSocketRoute
from starlette.types import ASGIApp, Scope


async def endpoint(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def session(websocket: Any) -> None:
    await websocket.close()


def resolve(router: Router, scope: Scope) -> tuple[ASGIApp, Scope]:
    resolved = dict(scope)
    return router._resolver.find(resolved), resolved


def level_by_level(
    build: Any, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> tuple[ASGIApp, Scope]:
    """The reference: the same table, resolved with no mount flattened."""
    with monkeypatch.context() as patch:
        patch.setattr(resolver_module, "_flatten", lambda routes: routes)
        return resolve(build(), scope)


def http(path: str, method: str = "GET", **extra: Any) -> Scope:
    return {"type": "http", "method": method, "path": path, "headers": [], **extra}


def api() -> Router:
    users = [
        Route("/", endpoint, name="users"),
        Route("/{user_id:int}", endpoint, methods=["GET", "PUT"], name="user"),
        Route("/{user_id:int}", endpoint, methods=["POST"], name="user_post"),
        WebSocketRoute("/{user_id:int}/live", session, name="live"),
    ]
    v1 = [Route("/status", endpoint), Mount("/users", routes=users), Route("/users/x", endpoint)]
    return Router(
        routes=[
            Route("/", endpoint),
            Route("/api/v1/users/shadowed", endpoint),  # before the mount: it wins
            Mount("/api", routes=[Route("/health", endpoint), Mount("/v1", routes=v1)]),
            Route("/api/v1/after", endpoint),  # after the mount: never reached
            Mount("", routes=[Route("/root-mounted/{x}", endpoint)]),
        ]
    )


SCOPES = [
    http("/api/v1/users/42"),
    http("/api/v1/users/42", "PUT"),
    http("/api/v1/users/42", "POST"),
    http("/api/v1/users/42", "DELETE"),  # 405 from the users router
    http("/api/v1/users/"),
    http("/api/v1/users"),  # the v1 router: a slash redirect
    http("/api/v1/users/x"),  # under /users: its 404, not v1's later route
    http("/api/v1/users/shadowed"),
    http("/api/v1/after"),  # under /api/v1: v1's 404
    http("/api/v1/status"),
    http("/api/health"),
    http("/api/health\n"),  # `$` takes a final newline
    http("/api/v1/users/4\n2"),  # a mount's `.*` takes no other newline
    http("/api/v1/users/42\n"),
    http("/root-mounted/a"),
    http("/nowhere"),
    http("/"),
    http("/sub/api/v1/users/7", root_path="/sub"),
    http("/api/v1/users/7", path_params={"tenant": "t"}, app_root_path="/app"),
    {"type": "websocket", "path": "/api/v1/users/3/live", "headers": []},
    {"type": "websocket", "path": "/api/v1/users/3", "headers": []},
]


@pytest.mark.parametrize("request_scope", SCOPES)
def test_flattened_mounts_resolve_as_level_by_level(
    request_scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, scope = resolve(api(), request_scope)
    expected_app, expected_scope = level_by_level(api, request_scope, monkeypatch)
    assert describe(app, scope) == describe(expected_app, expected_scope)
    assert plain(scope) == plain(expected_scope)
    assert list(scope) == list(expected_scope)


def test_the_mounts_are_flattened() -> None:
    router = api()
    resolve(router, http("/api/v1/users/42"))
    items = router._resolver.items
    assert items is not None
    kinds = [type(item).__name__ for item in items]
    assert kinds.count("_MountEnd") == 4  # /api, /api/v1, /api/v1/users and ""
    assert "Mount" not in kinds


def test_a_mount_with_other_routes_below_is_crossed_as_before() -> None:
    x = Route("/x", endpoint)
    inner = Router([x, Host("h.example.org", app=Router())])
    router = Router([Route("/a", endpoint), Mount("/m", app=inner)])
    app, scope = resolve(router, http("/m/x"))
    assert app == x.app
    assert scope["root_path"] == "/m"
    assert router._resolver.items is router.routes  # nothing flattened


def test_a_router_mounted_inside_itself_stays_a_mount() -> None:
    a = Route("/a", endpoint)
    router = Router([a])
    router.routes.append(Mount("/again", app=router))
    app, scope = resolve(router, http("/again/a"))
    assert app == a.app
    assert scope["root_path"] == "/again"


def test_changes_below_a_flattened_mount_are_seen() -> None:
    by_id, one = Route("/{user_id:int}", endpoint), Route("/1", endpoint)
    users = Router([by_id])
    router = Router([Route("/", endpoint), Mount("/users", app=users)])
    app, _ = resolve(router, http("/users/1"))
    assert app == by_id.app
    users.routes.insert(0, one)
    app, _ = resolve(router, http("/users/1"))
    assert app == one.app  # the new route, first
    users.middleware_stack = users.app  # assigned again: still plain, still flattened
    app, _ = resolve(router, http("/users/2"))
    assert app == by_id.app


# Generated tables of plain routes and plain mounts only: every mount flattens.
SEGMENTS = ["a", "b", "ab", "{p}", "{n:int}"]


@st.composite
def paths(draw: st.DrawFn, mount: bool = False) -> str:
    drawn = draw(st.lists(st.sampled_from(SEGMENTS if not mount else ["a", "b", "ab"]), max_size=2))
    # Parameter names differ within a path.
    parts = [part.replace("{", "{" + f"x{index}") for index, part in enumerate(drawn)]
    path = "/" + "/".join(parts)
    if mount:
        return "" if path == "/" else path
    slash: bool = bool(parts) and draw(st.booleans())
    return path + ("/" if slash else "")


def tables() -> st.SearchStrategy[Any]:
    leaf = st.one_of(
        st.tuples(st.just("route"), paths(), st.sampled_from([None, ["GET"], ["POST"]])),
        st.tuples(st.just("ws"), paths()),
    )
    return st.lists(
        st.recursive(
            leaf,
            lambda children: st.tuples(
                st.just("mount"), paths(mount=True), st.lists(children, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=4,
    )


def build(table: Any) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for spec in table:
        if spec[0] == "route":
            routes.append(Route(spec[1], endpoint, methods=spec[2]))
        elif spec[0] == "ws":
            routes.append(WebSocketRoute(spec[1], session))
        else:
            routes.append(Mount(spec[1], routes=build(spec[2])))
    return routes


REQUESTS = st.builds(
    lambda parts, end, kind, method: (
        ({"type": "http", "method": method} if kind == "http" else {"type": "websocket"})
        | {"path": "/" + "/".join(parts) + end, "headers": []}
    ),
    st.lists(st.sampled_from(["a", "b", "ab", "1", "x", ""]), max_size=4),
    st.sampled_from(["", "/", "\n"]),
    st.sampled_from(["http", "http", "websocket"]),
    st.sampled_from(["GET", "POST", "PUT"]),
)


@settings(max_examples=300, deadline=None)
@given(tables(), st.lists(REQUESTS, min_size=1, max_size=6))
def test_generated_tables_resolve_as_level_by_level(table: Any, requests: list[Scope]) -> None:
    router, reference = Router(build(table)), Router(build(table))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Router, "_scan_limit", 0)  # the index, whatever the size
        for request in requests:  # the same sequence: both caches fill alike
            app, scope = resolve(router, request)
            expected_app, expected_scope = level_by_level(lambda: reference, request, patch)
            assert describe(app, scope) == describe(expected_app, expected_scope)
            assert plain(scope) == plain(expected_scope)
            assert list(scope) == list(expected_scope)


def describe(app: ASGIApp, scope: Scope) -> str:
    """What answers, in words that hold for two builds of one table."""
    route = scope.get("route")
    if route is not None and app is getattr(route, "app", None):
        return f"the app of {route!r}"
    if route is not None and app == getattr(route, "handle", None):
        return f"the handle of {route!r}"
    if isinstance(app, Response):
        return f"{app.status_code} to {app.headers.get('location')}"
    owner = getattr(app, "__self__", None)
    assert isinstance(owner, Router), app
    return f"{getattr(app, '__name__', app)} of the router of {unplaced(owner.routes)}"


def plain(scope: Scope) -> dict[str, Any]:
    """The scope, its objects by their repr (the two builds are equal, not identical)."""
    return {key: unplaced(value) for key, value in scope.items()}


def unplaced(value: Any) -> str:
    """`repr(value)` without the memory addresses of the objects in it."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def test_a_small_router_scans_its_items() -> None:
    # Two items (the route below the mount and its end): scanned, not looked up.
    router = Router([Mount("/a", routes=[Route("/x", endpoint)])])
    app, scope = resolve(router, http("/b"))
    assert app == router.not_found
    assert "root_path" not in scope
    app, scope = resolve(router, {"type": "websocket", "path": "/a/x", "headers": []})
    assert app == router.routes[0].app.not_found  # type: ignore[attr-defined]
    assert scope["root_path"] == "/a"
    assert router._resolver.items is not router.routes  # flattened


def test_a_lifespan_scope_matches_no_item() -> None:
    router = Router([Mount("/a", routes=[Route("/x", endpoint)])])
    route, _ = router._resolver.first_match({"type": "lifespan"})
    assert route is None


def test_a_route_whose_regex_is_not_its_path_keeps_its_mount() -> None:
    # Built without __init__, with a regex of its own: it cannot be filed by its path.
    odd = Route.__new__(Route)
    odd.__dict__.update(Route("/x", endpoint).__dict__)
    odd.path_regex = re.compile("^/y$")
    del odd.__dict__["_index_key"]
    router = Router([Route("/", endpoint), Mount("/a", routes=[odd]), Route("/b", endpoint)])
    app, _ = resolve(router, http("/a/y"))
    assert app == odd.app
    assert any(type(item) is Mount for item in router._resolver.items or ())


def test_names_are_found_through_the_routes_not_the_items() -> None:
    router = api()
    resolve(router, http("/api/v1/users/42"))  # scans the items
    resolve(router, http("/api/v1/users/42"))  # files them
    index = router._resolver.item_index
    assert index is not None
    assert index is not router._resolver.route_index()
    # Items carry no names: were it asked, the item index would offer every item.
    assert [item for _, item in index.for_name("user")] == router._resolver.items
    assert router.url_path_for("user", user_id=3) == "/api/v1/users/3"


def test_the_first_lookup_scans_and_the_next_one_files() -> None:
    router = api()
    resolve(router, http("/api/v1/users/42"))
    assert router._resolver.items is not None
    assert router._resolver.item_index is None
    _, scope = resolve(router, http("/api/v1/users/43"))
    assert router._resolver.item_index is not None
    assert scope["path_params"] == {"user_id": 43}
