"""Property tests: the indexed router answers exactly like a linear scan of its routes.

Route tables are generated as plain data, then built twice: once with `Router` (indexed) and once
with a reference router whose candidates are every route, in order. Both see the same requests and
the same mutations of their route lists; every sent message and every `url_path_for` must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.routing import (
    BaseRoute,
    Host,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
)
from starlette.types import Message, Receive, Scope, Send


class LinearRouter(Router):
    """The reference: every route is a candidate, and names are tried on every route.

    It dispatches through `matches` and `handle` only: no index, no inlined matching, no mounts
    crossed in one frame, no resolution cache.
    """

    def _candidates(self, scope: Scope) -> Iterable[BaseRoute]:
        return self.routes

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("router", self)
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope.update(child_scope)
                scope["route"] = route
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:
            scope.update(partial[1])
            scope["route"] = partial[0]
            await partial[0].handle(scope, receive, send)
            return
        await self._unmatched_app(scope)(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


class Label:
    """An ASGI endpoint that says which route served the request."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = sorted((key, str(value)) for key, value in scope.get("path_params", {}).items())
        await send({"type": "served", "label": self.label, "params": params})
        await send(
            {
                "type": "root",
                "root_path": scope.get("root_path", ""),
                "app_root_path": scope.get("app_root_path"),
                "route": getattr(scope.get("route"), "name", None),
            }
        )


class PrefixRoute(BaseRoute):
    """A custom route class: its `matches` is opaque to the index."""

    def __init__(self, prefix: str, label: str) -> None:
        self.prefix = prefix
        self.name = label
        self.app = Label(label)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and get_route_path(scope).startswith(self.prefix):
            return Match.FULL, {}
        return Match.NONE, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if name != self.name or path_params:
            raise NoMatchFound(name, path_params)
        return URLPath(self.prefix)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class DemotingRoute(Route):
    """A Route subclass overriding `matches`: full matches become partial ones."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        return (Match.PARTIAL if match is Match.FULL else match), child_scope


class PlainSubRoute(Route):
    """A Route subclass keeping `Route.matches`: the index files it like a Route."""


@pytest.fixture(autouse=True)
def always_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small routers are scanned: here every router, whatever its size, uses its index."""
    monkeypatch.setattr(Router, "_scan_limit", 0)


# --- route tables as data --------------------------------------------------------------------

SEGMENTS = ["a", "b", "ab", "a{}", "{}", "{}:int}", "{}:path}"]
METHODS = st.sampled_from([None, ("GET",), ("POST",), ("GET", "POST")])


@st.composite
def route_paths(draw: st.DrawFn, allow_empty: bool = False) -> str:
    count = draw(st.integers(min_value=0 if allow_empty else 1, max_value=3))
    parts: list[str] = []
    for position in range(count):
        segment = draw(st.sampled_from(SEGMENTS))
        name = f"p{position}"
        parts.append(segment.replace("{}:", "{" + name + ":").replace("{}", "{" + name + "}"))
    path = "/" + "/".join(parts)
    trailing_slash = draw(st.booleans())
    if parts and trailing_slash:
        path += "/"
    empty: bool = allow_empty and path == "/" and draw(st.booleans())
    return "" if empty else path


def leaf_specs() -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        st.tuples(st.just("route"), route_paths(), METHODS),
        st.tuples(st.just("ws"), route_paths()),
        st.tuples(st.just("sub"), route_paths(), METHODS),
        st.tuples(st.just("demote"), route_paths(), METHODS),
        st.tuples(st.just("prefix"), st.sampled_from(["/", "/a", "/ab/", "/b/1"])),
        st.tuples(st.just("mount-app"), route_paths(allow_empty=True)),
    )


def specs() -> st.SearchStrategy[tuple[Any, ...]]:
    return st.recursive(
        leaf_specs(),
        lambda children: st.one_of(
            st.tuples(
                st.just("mount"),
                route_paths(allow_empty=True),
                st.lists(children, max_size=4),
                st.booleans(),
            ),
            st.tuples(
                st.just("host"),
                st.sampled_from(["example.org", "h{sub}.example.com"]),
                st.lists(children, max_size=3),
                st.booleans(),
            ),
        ),
        max_leaves=12,
    )


class Builder:
    """Builds a spec into routes; `router_class` decides indexed or linear nested routers."""

    def __init__(self, router_class: type[Router]) -> None:
        self.router_class = router_class
        self.count = 0

    def label(self) -> str:
        self.count += 1
        return f"r{self.count}"

    def build(self, spec: tuple[Any, ...]) -> BaseRoute:
        kind, label = spec[0], self.label()
        if kind == "route":
            return Route(spec[1], Label(label), methods=spec[2], name=label)
        if kind == "sub":
            return PlainSubRoute(spec[1], Label(label), methods=spec[2], name=label)
        if kind == "demote":
            return DemotingRoute(spec[1], Label(label), methods=spec[2], name=label)
        if kind == "ws":
            return WebSocketRoute(spec[1], Label(label), name=label)
        if kind == "prefix":
            return PrefixRoute(spec[1], label)
        if kind == "mount-app":
            return Mount(spec[1], app=Label(label), name=label)
        router = self.router_class([self.build(child) for child in spec[2]])
        name = label if spec[3] else None
        if kind == "mount":
            return Mount(spec[1], app=router, name=name)
        return Host(spec[1], app=router, name=name)

    def build_all(self, table: list[tuple[Any, ...]]) -> list[BaseRoute]:
        return [self.build(spec) for spec in table]


# --- requests ----------------------------------------------------------------------------------

REQUEST_SEGMENTS = ["a", "b", "ab", "a1", "1", "12", "x", ""]


@st.composite
def requests(draw: st.DrawFn) -> Scope:
    parts = draw(st.lists(st.sampled_from(REQUEST_SEGMENTS), max_size=4))
    path = "/" + "/".join(parts)
    path += draw(st.sampled_from(["", "", "/", "\n"]))
    root_path = draw(st.sampled_from(["", "", "/r"]))
    kind = draw(st.sampled_from(["http", "http", "http", "websocket"]))
    host = draw(st.sampled_from(["example.org", "h1.example.com", "hx.example.com", "other"]))
    scope: Scope = {
        "type": kind,
        "path": root_path + path,
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "scheme": "http" if kind == "http" else "ws",
        "server": ("testserver", 80),
    }
    if kind == "http":
        scope["method"] = draw(st.sampled_from(["GET", "POST", "PUT", "HEAD"]))
    return scope


def run(app: Callable[..., Any], scope: Scope) -> list[Message]:
    """Drive the app to completion without an event loop (nothing here awaits real I/O)."""
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover - no endpoint here reads the body
        raise AssertionError("unexpected receive")

    async def send(message: Message) -> None:
        sent.append(message)

    coroutine = app(dict(scope), receive, send)
    try:
        coroutine.send(None)
    except StopIteration:
        return sent
    coroutine.close()  # pragma: no cover
    raise AssertionError("the app suspended")  # pragma: no cover


def linear_choice(routes: Iterable[BaseRoute], scope: Scope) -> tuple[Match, BaseRoute | None]:
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return match, route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (Match.NONE, None) if partial is None else (Match.PARTIAL, partial)


def check_same_answers(ours: Router, reference: Router, scopes: list[Scope]) -> None:
    for scope in scopes:
        candidates = list(ours._candidates(dict(scope)))
        assert linear_choice(candidates, scope) == linear_choice(ours.routes, scope)
        expected = run(reference, scope)
        # Twice: the second request may be answered from the router's resolution cache.
        assert run(ours, scope) == expected, scope
        assert run(ours, scope) == expected, scope


def all_names(routes: Iterable[BaseRoute], prefix: str = "") -> Iterable[str]:
    for route in routes:
        name = getattr(route, "name", None)
        if name is not None:
            yield prefix + name
        inner = getattr(route, "routes", [])
        yield from all_names(inner, prefix if name is None else prefix + name + ":")


def url_answer(router: Router, name: str, params: dict[str, Any]) -> tuple[str, str]:
    try:
        url = router.url_path_for(name, **params)
    except NoMatchFound as exc:
        return "none", str(exc)
    except AssertionError as exc:  # a convertor refusing a value
        return "refused", str(exc)
    return url.protocol, str(url)


MUTATIONS = st.sampled_from(["append", "insert", "delete", "setitem", "slice", "replace", "nested"])


def mutate(router: Router, mutation: str, new: BaseRoute, position: int) -> None:
    routes = router.routes
    at = position % (len(routes) + 1)
    if mutation == "append":
        routes.append(new)
    elif mutation == "insert":
        routes.insert(at, new)
    elif mutation == "delete" and routes:
        del routes[at % len(routes)]
    elif mutation == "setitem" and routes:
        routes[at % len(routes)] = new
    elif mutation == "slice":
        routes[at:] = [new]
    elif mutation == "replace":
        router.routes = [new, *routes]
    else:
        mounts = [route for route in routes if isinstance(route, (Mount, Host)) and route.routes]
        (mounts[0].routes if mounts else routes).insert(0, new)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        # `always_index` sets the same class attribute for every example.
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    table=st.lists(specs(), max_size=8),
    scopes=st.lists(requests(), min_size=1, max_size=6),
    redirect_slashes=st.booleans(),
    changes=st.lists(st.tuples(MUTATIONS, leaf_specs(), st.integers(0, 10)), max_size=3),
    lookups=st.lists(
        st.tuples(st.integers(0, 50), st.sets(st.sampled_from(["p0", "p1", "p2", "sub", "path"]))),
        max_size=4,
    ),
)
def test_index_answers_like_a_linear_scan(
    table: list[tuple[Any, ...]],
    scopes: list[Scope],
    redirect_slashes: bool,
    changes: list[tuple[str, tuple[Any, ...], int]],
    lookups: list[tuple[int, set[str]]],
) -> None:
    ours_builder, reference_builder = Builder(Router), Builder(LinearRouter)
    ours = Router(ours_builder.build_all(table), redirect_slashes=redirect_slashes)
    reference = LinearRouter(reference_builder.build_all(table), redirect_slashes=redirect_slashes)
    check_same_answers(ours, reference, scopes)

    for mutation, spec, position in changes:
        mutate(ours, mutation, ours_builder.build(spec), position)
        mutate(reference, mutation, reference_builder.build(spec), position)
        check_same_answers(ours, reference, scopes)

    names = [*all_names(reference.routes), "nowhere", "r1:r2", ":"]
    for choice, keys in lookups:
        name = names[choice % len(names)]
        params = {key: "/1" if key == "path" else 1 for key in keys}
        assert url_answer(ours, name, params) == url_answer(reference, name, params)
