"""The resolver crosses a mount without parameters of its own with an inlined copy of
`Mount.matches` (every request below a mount runs it). These tests pin the copy to the
reference: the same route found and the same scope, key order included."""

from __future__ import annotations

from typing import Any

import pytest

from starlette.responses import PlainTextResponse
from starlette.routing import Host, Match, Mount, Route, Router
from starlette.types import Scope


async def endpoint(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


# A Host below the mount keeps it from being flattened into the router's items (see
# tests/routing/test_routing_flattened.py): the resolver crosses it with the inlined copy.
MOUNT = Mount(
    "/api",
    routes=[Route("/items/{item_id:int}", endpoint), Host("h.example.org", app=Router())],
)
ROUTER = Router(routes=[Route("/health", endpoint), MOUNT])


def scope(path: str, **extra: Any) -> Scope:
    return {"type": "http", "method": "GET", "path": path, "headers": [], **extra}


SCOPES = [
    scope("/api/items/1"),
    scope("/api"),
    scope("/api/"),
    scope("/apix/items/1"),  # no match: the prefix must end at a "/"
    scope("/api/items/1\n"),  # the mount's `.*$` takes a final newline...
    scope("/api/ite\nms/1"),  # ...but no other
    scope("/health"),
    scope("/sub/api/items/1", root_path="/sub"),
    scope("/sub/api/items/1", root_path="/sub/"),
    scope("/other/api/items/1", root_path="/sub"),  # root_path not a prefix of the path
    scope("/api/items/1", path_params={"tenant": "a"}),
    scope("/api/items/1", app_root_path="/app", root_path=""),
    {**scope("/api/items/1"), "type": "websocket"},
    {"type": "lifespan"},  # never resolved (the router answers it), refused all the same
]


def reference(scope: Scope) -> tuple[Any, Scope]:
    """What first_match answers with `Mount.matches` and `Route.matches`, as the general loop."""
    for route in ROUTER.routes:
        matched, child_scope = route.matches(scope)
        if matched is Match.FULL:
            scope.update(child_scope)
            scope["route"] = route
            return route, scope
    return None, scope


@pytest.mark.parametrize("request_scope", SCOPES)
def test_inlined_mount_matches_as_mount_matches(request_scope: Scope) -> None:
    inlined: Scope = dict(request_scope)
    route, _ = ROUTER._resolver.first_match(inlined)
    expected_route, expected = reference(dict(request_scope))
    assert route is expected_route
    assert inlined == expected
    assert list(inlined) == list(expected)
    if route is MOUNT:
        assert inlined["path_params"] is not request_scope.get("path_params")  # a copy


def test_a_mount_with_parameters_takes_the_general_path() -> None:
    router = Router(routes=[Mount("/t/{tenant}", routes=[Route("/x", endpoint)])])
    request_scope = scope("/t/a/x")
    route, _ = router._resolver.first_match(request_scope)
    assert route is router.routes[0]
    assert request_scope["path_params"] == {"tenant": "a"}
    assert request_scope["root_path"] == "/t/a"
