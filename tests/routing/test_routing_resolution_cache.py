"""The router's resolution cache: a path resolved once is served without matching again.

Each test sends the same request at least twice, so the second answer comes from the cache when
one is allowed, and checks it is the answer a fresh resolution gives.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import starlette._routing_resolver
import starlette.routing
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class Label:
    """An ASGI endpoint that reports its label and what routing wrote into the scope."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "served",
                "label": self.label,
                "path_params": scope["path_params"],
                "root_path": scope.get("root_path"),
                "app_root_path": scope.get("app_root_path"),
                "route": scope["route"].name,
                "endpoint": scope["endpoint"] is self,
            }
        )


def http_scope(path: str, method: str = "GET", root_path: str = "") -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "query_string": b"",
        "headers": [],
    }


async def call(app: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - no endpoint here reads the body
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    return sent


async def label_of(app: Any, scope: Scope) -> str:
    return str((await call(app, scope))[0]["label"])


async def test_a_static_route_is_served_from_the_cache_with_the_same_scope() -> None:
    router = Router([Route("/a", Label("a"), name="a")])
    first = await call(router, http_scope("/a"))
    assert router._resolver.cache is not None
    assert "/a" in router._resolver.cache
    assert await call(router, http_scope("/a")) == first
    assert first[0] == {
        "type": "served",
        "label": "a",
        "path_params": {},
        "root_path": "",
        "app_root_path": None,
        "route": "a",
        "endpoint": True,
    }


async def test_nested_mounts_resolve_from_the_cache_with_root_paths() -> None:
    inner = Router([Route("/d", Label("d"), name="d")])
    router = Router([Mount("/a", routes=[Mount("/b", routes=[Mount("/c", app=inner)])])])
    first = await call(router, http_scope("/a/b/c/d", root_path="/api"))
    second = await call(router, http_scope("/a/b/c/d", root_path="/api"))
    assert first == second
    assert first[0]["root_path"] == "/api/a/b/c"
    assert first[0]["app_root_path"] == "/api"
    assert router._resolver.cache is not None
    assert "/api/a/b/c/d" in router._resolver.cache


async def test_each_request_gets_its_own_path_params() -> None:
    seen: list[dict[str, Any]] = []

    async def endpoint(request: Request) -> Response:
        seen.append(dict(request.path_params))
        request.path_params["leaked"] = "yes"  # must not reach the next request
        return PlainTextResponse("ok")

    app = Router([Route("/a", endpoint)])
    for _ in range(3):
        sent = await call(app, http_scope("/a"))
        assert sent[0]["status"] == 200
    assert seen == [{}, {}, {}]


async def test_a_route_inserted_before_the_cached_one_wins() -> None:
    router = Router([Route("/a", Label("old"))])
    assert await label_of(router, http_scope("/a")) == "old"
    router.routes.insert(0, Route("/a", Label("new")))
    assert await label_of(router, http_scope("/a")) == "new"


async def test_a_mutated_mounted_router_is_seen() -> None:
    inner = Router([Route("/b", Label("old"))])
    router = Router([Mount("/a", app=inner)])
    assert await label_of(router, http_scope("/a/b")) == "old"
    inner.routes.insert(0, Route("/b", Label("new")))
    assert await label_of(router, http_scope("/a/b")) == "new"


async def test_a_replaced_route_list_is_seen() -> None:
    router = Router([Route("/a", Label("old"))])
    assert await label_of(router, http_scope("/a")) == "old"
    router.routes = [Route("/a", Label("new"))]
    assert await label_of(router, http_scope("/a")) == "new"


async def test_a_mount_given_another_app_is_seen() -> None:
    mount = Mount("/a", app=Router([Route("/b", Label("old"))]))
    router = Router([mount])
    assert await label_of(router, http_scope("/a/b")) == "old"
    mount.app = Router([Route("/b", Label("new"))])
    assert await label_of(router, http_scope("/a/b")) == "new"


@pytest.mark.parametrize("first_method", ["POST", "GET"])
async def test_a_method_the_cached_route_refuses_goes_to_a_later_route(first_method: str) -> None:
    router = Router(
        [
            Route("/a", Label("post"), methods=["POST"]),
            Route("/a", Label("get"), methods=["GET"]),
        ]
    )
    other_method = "GET" if first_method == "POST" else "POST"
    for method in (first_method, other_method, first_method, other_method):
        assert await label_of(router, http_scope("/a", method)) == method.lower()
    sent = await call(router, http_scope("/a", "PUT"))
    assert sent[0]["status"] == 405


async def test_another_root_path_resolves_again() -> None:
    router = Router([Route("/a", Label("a")), Mount("/r", routes=[Route("/a", Label("mounted"))])])
    assert await label_of(router, http_scope("/r/a")) == "mounted"
    # Same full path, but the server now says "/r" is the root path: the route is "/a".
    assert await label_of(router, http_scope("/a", root_path="/r")) == "a"
    assert await label_of(router, http_scope("/r/a")) == "mounted"


async def test_the_cache_stops_growing_at_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starlette._routing_resolver, "CACHE_SIZE", 2)
    router = Router([Route(f"/{n}", Label(str(n))) for n in range(4)])
    for _ in range(2):
        for n in range(4):
            assert await label_of(router, http_scope(f"/{n}")) == str(n)
    assert router._resolver.cache is not None
    assert sorted(router._resolver.cache) == ["/0", "/1"]


async def test_routes_with_parameters_are_not_cached() -> None:
    async def user(request: Request) -> Response:
        return JSONResponse(request.path_params)

    router = Router([Route("/users/{id:int}", user)])
    for user_id in (1, 2, 1):
        sent = await call(router, http_scope(f"/users/{user_id}"))
        assert sent[1]["body"] == b'{"id":%d}' % user_id
    assert router._resolver.cache is None


async def test_a_router_below_a_mount_with_parameters_does_not_cache() -> None:
    inner = Router([Route("/b", Label("b"))])
    router = Router([Mount("/{tenant}", app=inner)])
    for tenant in ("x", "y"):
        sent = await call(router, http_scope(f"/{tenant}/b"))
        assert sent[0]["path_params"] == {"tenant": tenant}
    assert router._resolver.cache is None
    assert inner._resolver.cache is None


async def test_a_router_inside_a_mounted_app_does_not_cache() -> None:
    # The sub-application's router receives a scope shaped by the outer mount.
    sub = Router([Route("/b", Label("b"))])

    async def sub_app(scope: Scope, receive: Receive, send: Send) -> None:
        await sub(scope, receive, send)

    router = Router([Mount("/a", app=sub_app)])
    for _ in range(2):
        assert await label_of(router, http_scope("/a/b")) == "b"
    assert sub._resolver.cache is None
    assert router._resolver.cache is None  # an ASGI app, not a plain router: not crossed


async def test_a_route_behind_a_custom_route_is_not_cached() -> None:
    class HeaderRoute(Route):
        def matches(self, scope: Scope) -> tuple[starlette.routing.Match, Scope]:
            if (b"x-special", b"1") in scope["headers"]:
                return super().matches(scope)
            return starlette.routing.Match.NONE, {}

    router = Router([HeaderRoute("/a", Label("special")), Route("/a", Label("plain"))])
    plain = http_scope("/a")
    special = {**plain, "headers": [(b"x-special", b"1")]}
    assert await label_of(router, plain) == "plain"
    assert await label_of(router, special) == "special"
    assert await label_of(router, plain) == "plain"
    assert router._resolver.cache is None


async def test_websocket_and_partial_matches_are_not_cached() -> None:
    router = Router([Route("/a", Label("a"), methods=["POST"])])
    sent = await call(router, http_scope("/a", "GET"))
    assert sent[0]["status"] == 405
    sent = await call(router, {**http_scope("/a"), "type": "websocket"})
    assert sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert router._resolver.cache is None


async def test_a_scope_with_an_app_root_path_is_not_cached() -> None:
    router = Router([Route("/a", Label("a"))])
    scope = {**http_scope("/a"), "app_root_path": "/outer"}
    for _ in range(2):
        sent = await call(router, scope)
        assert sent[0]["app_root_path"] == "/outer"
    assert router._resolver.cache is None


async def test_a_mounted_router_with_middleware_runs_its_middleware() -> None:
    calls: list[str] = []

    class Count:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            calls.append(scope["path"])
            await self.app(scope, receive, send)

    inner = Router([Route("/b", Label("b"))], middleware=[Middleware(Count)])
    router = Router([Mount("/a", app=inner)])
    for _ in range(2):
        assert await label_of(router, http_scope("/a/b")) == "b"
    assert calls == ["/a/b", "/a/b"]
    assert router._resolver.cache is None


class AddHeader:
    """Middleware adding `x-wrapped: 1` to the response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-wrapped", b"1")]
            await send(message)

        await self.app(scope, receive, send_wrapped)


@pytest.mark.parametrize("wrap_before_first_request", [True, False])
async def test_middleware_set_on_a_mounted_router_runs_for_cached_paths(
    wrap_before_first_request: bool,
) -> None:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("ok")

    inner = Router([Route("/b", endpoint)])
    router = Router([Mount("/a", app=inner)])
    if wrap_before_first_request:
        inner.middleware_stack = AddHeader(inner.app)
    else:
        for _ in range(2):  # the second answer comes from the cache
            sent = await call(router, http_scope("/a/b"))
            assert (b"x-wrapped", b"1") not in sent[0]["headers"]
        assert router._resolver.cache is not None
        inner.middleware_stack = AddHeader(inner.app)
    for _ in range(2):
        sent = await call(router, http_scope("/a/b"))
        assert (b"x-wrapped", b"1") in sent[0]["headers"]
        assert sent[1]["body"] == b"ok"


async def test_a_route_given_another_app_is_seen() -> None:
    route = Route("/a", Label("old"))
    router = Router([route])
    assert await label_of(router, http_scope("/a")) == "old"
    route.app = Label("new")
    assert await label_of(router, http_scope("/a")) == "new"


async def test_any_change_empties_a_full_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starlette._routing_resolver, "CACHE_SIZE", 2)
    router = Router([Route(f"/{n}", Label(str(n))) for n in range(4)])
    for n in range(4):
        assert await label_of(router, http_scope(f"/{n}")) == str(n)
    assert router._resolver.cache is not None
    assert sorted(router._resolver.cache) == ["/0", "/1"]
    # A change anywhere (here: another router's routes) drops every entry: paths not cached
    # before get their turn, and no stale entry lingers.
    Router().routes.append(Route("/other", Label("other")))
    for n in (3, 2, 1):
        assert await label_of(router, http_scope(f"/{n}")) == str(n)
    assert sorted(router._resolver.cache) == ["/2", "/3"]


async def test_a_new_mount_or_router_does_not_empty_the_caches() -> None:
    router = Router([Route("/a", Label("a"))])
    assert await label_of(router, http_scope("/a")) == "a"
    cache = router._resolver.cache
    Mount("/m", app=Router([Route("/b", Label("b"))]), middleware=[Middleware(AddHeader)])
    assert await label_of(router, http_scope("/a")) == "a"
    assert cache is not None
    assert router._resolver.cache is cache


async def test_a_small_router_caches_again_after_a_change() -> None:
    # Three routes or fewer are scanned, so only the cache itself notices the change.
    router = Router([Route("/a", Label("a"))])
    Router().routes.append(Route("/other", Label("other")))
    for _ in range(2):
        assert await label_of(router, http_scope("/a")) == "a"
    cache = router._resolver.cache
    assert cache is not None
    assert "/a" in cache
    Router().routes.append(Route("/other", Label("other")))
    # The next request drops the stale cache and fills a fresh one.
    assert await label_of(router, http_scope("/a")) == "a"
    fresh = router._resolver.cache
    assert fresh is not None
    assert fresh is not cache
    assert list(fresh) == ["/a"]
    assert await label_of(router, http_scope("/a")) == "a"
    assert router._resolver.cache is fresh


async def test_a_deep_copied_router_resolves_its_own_routes() -> None:
    router = Router([Route("/a", Label("original"))])
    assert await label_of(router, http_scope("/a")) == "original"
    clone = copy.deepcopy(router)
    assert clone._resolver is not router._resolver
    clone.routes = [Route("/a", Label("clone"))]
    assert await label_of(clone, http_scope("/a")) == "clone"
    assert await label_of(router, http_scope("/a")) == "original"


async def test_a_copied_router_resolves_its_own_routes() -> None:
    # copy.copy shares every attribute, as for any object, but not the resolver: once the
    # copy's routes are replaced, the copy's app serves them (as upstream does).
    router = Router([Route("/a", Label("original"), name="a")])
    assert await label_of(router, http_scope("/a")) == "original"  # the original's cache is warm
    clone = copy.copy(router)
    assert clone._resolver is not router._resolver
    assert clone.routes is router.routes  # shared until replaced, as copy.copy does
    clone.routes = [
        Route("/a", Label("clone"), name="a"),
        Route("/b", Label("clone b"), name="b"),
    ]
    assert await label_of(clone.app, http_scope("/a")) == "clone"
    assert await label_of(clone.app, http_scope("/b")) == "clone b"
    assert clone.url_path_for("b") == "/b"
    assert await label_of(router, http_scope("/a")) == "original"
    assert (await call(router, http_scope("/b")))[0]["status"] == 404
    # Like any other attribute, the middleware stack is shared: it is the original's app, so
    # calling the copy itself still serves the original's routes (upstream does the same).
    assert clone.middleware_stack == router.app
    assert await label_of(clone, http_scope("/a")) == "original"


@pytest.mark.parametrize(
    ("path", "root_path"), [("/a", ""), ("/m/b", ""), ("/m/b", "/r"), ("/m/n/c", "")]
)
def test_a_cache_hit_writes_the_scope_a_resolution_writes(path: str, root_path: str) -> None:
    inner = Router([Route("/c", Label("c"))])
    router = Router(
        [
            Route("/a", Label("a")),
            Mount("/m", routes=[Route("/b", Label("b")), Mount("/n", app=inner)]),
        ]
    )
    resolved = http_scope(path, root_path=root_path)
    app = router._resolver.find(resolved)
    assert router._resolver.cache is not None
    assert resolved["path"] in router._resolver.cache
    hit = http_scope(path, root_path=root_path)
    assert router._resolver.find(hit) is app
    assert hit == resolved
    assert list(hit) == list(resolved)  # the same keys, written in the same order
    assert hit["path_params"] is not resolved["path_params"]  # each request its own
