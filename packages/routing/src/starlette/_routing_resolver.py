"""The router's resolver: which route answers a scope, and when an earlier answer may be reused.

Each `Router` has one `Resolver`. It owns the router's index (`_routing_index.RouteIndex`), its
path cache and one staleness token, and every condition under which an answer is cached or
reused is written here:

- The token is the process-wide count of changes (`Changes.count`): a route list mutated or
  replaced, a router's `middleware_stack` or a mount's `app` assigned. When it moved since the
  resolver last looked, index and cache are dropped together, whichever router changed. Such
  changes happen while an application is assembled, rarely afterwards, so one integer compared
  per request replaces checking every router and mount an answer crossed.
- Only HTTP requests that reach this router straight from the server (or the app) are cached:
  no `path_params` or `app_root_path` set by an outer mount shapes their matching (`find`).
- Only static answers are cached: every route consulted was a plain `Route` or `Mount`, the
  route found has no path parameters and accepts the method, every mount crossed has no
  parameters of its own and serves a plain router (a `Router` without middleware).
- An entry is reused for the same path and root path, and only for a method its route accepts:
  a request it refuses may belong to a later route.
- The cache holds at most `CACHE_SIZE` paths; once full, further paths are resolved each time
  (nothing is evicted: the entries are the static routes, which are few).

Resolving walks the router's *items*: its routes, except that a plain mount (no parameters of
its own, serving a plain router whose routes are all plain `Route`s, `WebSocketRoute`s or such
mounts) is replaced by the routes below it (`_Below`, matched against the path below the mounts'
joined prefix) and a `_MountEnd` after them (a path under the mount that none of them answers is
the mount's: resolution goes on in its router, which answers 404, 405 or a redirect). The items
are indexed by their full paths, so a request below three mounts costs one lookup, as a route of
the router itself would, instead of one resolution per mount.

Routes mutated in place (their `path`, regex or endpoint) are not seen, as by the index: replace
the route instead.

This module imports the route classes; `routing.py` imports it as a module at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from re import Pattern
from typing import Any, final

from starlette._routing_index import Changes, PathKey, RouteIndex
from starlette._utils import get_route_path
from starlette.routing import (
    BaseRoute,
    Host,
    Match,
    Mount,
    Route,
    Router,
    WebSocketRoute,
    _compile_path,
    _filed_under,
    _match_route,
    _path_only_remainder,
)
from starlette.types import ASGIApp, Scope

# The scope types a Mount routes.
_MOUNTED_TYPES = ("http", "websocket")

# Enough for every static route of a large app (twice: a final "\n" also matches a route).
CACHE_SIZE = 4096


@final
class Resolved:
    """How a path resolved: the route reached, below which mounts' root path if any.

    A class with slots, not a NamedTuple: every cached request reads its fields, and a slot is
    read for a fraction of a named field's cost.
    """

    __slots__ = ("mounted_root_path", "root_path", "route")

    def __init__(self, root_path: str, route: Route, mounted_root_path: str | None) -> None:
        self.root_path = root_path
        self.route = route
        self.mounted_root_path = mounted_root_path  # the scope's root path below the mounts


# The items are classes with slots (as `Resolved`), read by every request below a mount.


@final
class _Below:
    """An item: a route of a router mounted below this one through plain mounts."""

    __slots__ = ("mounts", "prefix", "route")

    def __init__(
        self, route: Route | WebSocketRoute, prefix: str, mounts: tuple[Mount, ...]
    ) -> None:
        self.route = route
        self.prefix = prefix  # the mounts' paths joined: what they take off the front of the path
        self.mounts = mounts  # outermost first


@final
class _MountEnd:
    """An item after the routes below `mount`: a path under it that none of them answered."""

    __slots__ = ("mount", "mounts", "prefix")

    def __init__(self, mount: Mount, prefix: str, mounts: tuple[Mount, ...]) -> None:
        self.mount = mount
        self.prefix = prefix
        self.mounts = mounts  # outermost first, `mount` last


_Item = BaseRoute | _Below | _MountEnd


class Resolver:
    """Finds the app that answers a scope for one router: look up, else resolve."""

    __slots__ = ("cache", "index", "item_index", "items", "router", "token")

    def __init__(self, router: Router) -> None:
        self.router = router
        self.index: RouteIndex[BaseRoute] | None = None
        # What resolving consults (see the module's docstring), and their index: made on first
        # use. The items are the routes themselves when no mount was flattened.
        self.items: list[BaseRoute] | list[_Item] | None = None
        self.item_index: RouteIndex[Any] | None = None
        # Request path -> how it resolved (see `remember`); made on first use.
        self.cache: dict[str, Resolved] | None = None
        self.token = Changes.count

    def _check_token(self) -> None:
        """Drop the indexes and the cache if anything they may depend on changed since."""
        if self.token != Changes.count:
            self.token = Changes.count
            self.index = None
            self.items = None
            self.item_index = None
            self.cache = None

    def route_index(self) -> RouteIndex[BaseRoute]:
        """The index of the router's routes, as they are now."""
        self._check_token()
        index = self.index
        if index is None:
            index = self.index = RouteIndex(self.router._routes, _path_key, _name_key)
        return index

    def candidates(self, scope: Scope) -> Iterable[BaseRoute]:
        """The routes that may match `scope`, in order."""
        routes = self.router._routes
        if len(routes) <= self.router._scan_limit or "path" not in scope:
            return routes
        return self.route_index().for_path(get_route_path(scope))

    def item_candidates(self, path: str) -> Iterable[_Item]:
        """The items that may match the route path `path`, in order."""
        if self.token != Changes.count:  # `_check_token`'s test, without its call
            self._check_token()
        items = self.items
        if items is None:
            # The first lookup after a change scans: filing a hundred routes costs more than
            # scanning them once, and many routers answer a single request (a test's app).
            items = self.items = _flatten(self.router._routes)
            return items
        if len(items) <= self.router._scan_limit:
            return items
        index = self.item_index
        if index is None:
            if items is self.router._routes:  # nothing flattened: the route index serves
                index = self.route_index()
            else:
                index = RouteIndex(items, _item_path_key, _no_name)
            self.item_index = index
        return index.for_path(path)

    def find(self, scope: Scope) -> ASGIApp:
        """The app that answers `scope`, with `scope` updated as routing does: what an earlier
        request with this path reached when that may be reused, else `resolve`'s answer."""
        # What may be cached: HTTP requests that reach this router straight from the server or
        # the app, with no `path_params` or `app_root_path` from an outer mount shaping their
        # matching. Decided here once, for the lookup and for `resolve`.
        cacheable = (
            scope["type"] == "http" and "path_params" not in scope and "app_root_path" not in scope
        )
        cache = self.cache
        if cacheable and cache is not None:
            # The lookup, inline: every request of a static route is answered here.
            if self.token != Changes.count:
                self._check_token()  # drops the cache: this request refills it
            else:
                entry = cache.get(scope["path"])
                if entry is not None and scope.get("root_path", "") == entry.root_path:
                    route = entry.route
                    methods = route.methods
                    if not methods or scope["method"] in methods:
                        # What resolving writes, in the same order (a fresh `path_params`).
                        mounted_root_path = entry.mounted_root_path
                        if mounted_root_path is None:
                            scope["endpoint"] = route.endpoint
                            scope["path_params"] = {}
                        else:
                            scope["path_params"] = {}
                            scope["app_root_path"] = entry.root_path
                            scope["root_path"] = mounted_root_path
                            scope["endpoint"] = route.endpoint
                        scope["route"] = route
                        return route.app
        return self.resolve(scope, cacheable)

    def resolve(self, scope: Scope, cacheable: bool) -> ASGIApp:
        """The app that answers `scope`, with `scope` updated as routing does; remembered when
        `cacheable` (see `find`) and the answer may be reused.

        Plain routers below plain mounts are resolved here too, in this frame, as
        `Mount.handle` -> `Router.__call__` -> `Router.app` would.
        """
        root_path = scope.get("root_path", "")
        resolver = self
        while True:
            route, static = resolver.first_match(scope)
            if route is None:
                return resolver.router._unmatched_app(scope)
            if type(route) is Route:
                methods = route.methods
                if not methods or scope["method"] in methods:
                    if cacheable and static:
                        # A cacheable request came without `app_root_path`: a mount set it.
                        self.remember(scope, root_path, route, "app_root_path" in scope)
                    # Route.handle's own path, without its frame.
                    return route.app
            elif type(route) is Mount:
                child = _plain_router(route.app)
                if child is not None:
                    cacheable = cacheable and static
                    resolver = child._resolver
                    continue
            return route.handle

    def remember(self, scope: Scope, root_path: str, route: Route, crossed: bool) -> None:
        """Cache how `scope`'s path resolved: the route reached, the scope keys it set."""
        # A small router is scanned, not indexed: its token may not have been checked yet.
        self._check_token()
        cache = self.cache
        if cache is None:
            cache = self.cache = {}
        if len(cache) >= CACHE_SIZE:
            return
        cache[scope["path"]] = Resolved(root_path, route, scope["root_path"] if crossed else None)

    def first_match(self, scope: Scope) -> tuple[BaseRoute | None, bool]:
        """The first full match, else the first partial one, with `scope` updated; or None.

        The flag says whether the answer depended on the path alone (every route consulted
        was a plain Route or Mount) and the route found has no path parameters: only such
        answers may be cached by path.
        """
        static = True
        partial: BaseRoute | None = None
        partial_scope: Scope | None = None  # set with `partial`
        # A lifespan scope has no path: no Route or Mount matches it, only custom routes may.
        path: str = get_route_path(scope) if "path" in scope else ""
        # With a newline in the path, a mount's regex answers in ways a joined prefix does not
        # (its `.*` takes none, its `$` takes a final one): the routes are crossed one by one.
        candidates = self.item_candidates(path) if "\n" not in path else self.candidates(scope)
        for route in candidates:
            if type(route) is Route:
                # Route.matches without its Match tuple and child scope, the path read once:
                # every request runs this loop.
                if scope["type"] != "http":
                    continue
                params = _match_route(route, path)
                if params is None:
                    continue
                if params:
                    static = False
                outer = scope.get("path_params")
                if outer:
                    params = {**outer, **params}
                methods = route.methods
                if methods and scope["method"] not in methods:
                    static = False
                    if partial is None:
                        partial = route
                        partial_scope = {
                            "endpoint": route.endpoint,
                            "path_params": params,
                            "route": route,
                        }
                    continue
                scope["endpoint"] = route.endpoint
                scope["path_params"] = params
                scope["route"] = route
                return route, static
            if type(route) is _Below:
                below = _below(route, scope, path)
                if below is None:
                    continue
                below_path, params = below
                found = route.route
                if type(found) is Route and found.methods and scope["method"] not in found.methods:
                    # Left to the mount's router, reached through the `_MountEnd`: it answers
                    # 405 when no later route below the mount matches.
                    static = False
                    continue
                if params:
                    static = False
                outer = scope.get("path_params")
                params = {**outer, **params} if outer else params
                _cross(scope, path, below_path, params, found.endpoint, found)
                return found, static
            if type(route) is _MountEnd:
                # Under the mount, answered by none of the routes below it: its router's.
                if scope["type"] not in _MOUNTED_TYPES:
                    continue
                remaining_path = _remainder(route.prefix, path)
                if remaining_path is None:
                    continue
                mount = route.mount
                params = dict(scope.get("path_params", {}))
                _cross(scope, path, remaining_path, params, mount.app, mount)
                return mount, static
            if type(route) is Mount and route._path_only and scope["type"] in _MOUNTED_TYPES:
                # Mount.matches for a mount without parameters of its own, inlined as Route's
                # is above: every request crossing a mount runs it.
                # tests/routing/test_routing_mount_inline.py pins the two to each other.
                remaining_path = _path_only_remainder(route, path)
                if remaining_path is None:
                    continue
                params = dict(scope.get("path_params", {}))
                _cross(scope, path, remaining_path, params, route.app, route)
                return route, static
            matched, child_scope = route.matches(scope)
            if type(route) is not Mount:
                static = False  # only a Route's or a Mount's answer depends on the path alone
            if matched is Match.FULL:
                scope.update(child_scope)
                scope["route"] = route
                # A mount with parameters of its own puts them in `path_params`.
                return route, static and type(route) is Mount and route._path_only
            if matched is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            assert partial_scope is not None
            scope.update(partial_scope)
            scope["route"] = partial
        return partial, False


def _cross(
    scope: Scope,
    path: str,
    remaining_path: str,
    path_params: dict[str, Any],
    endpoint: Any,
    route: BaseRoute,
) -> None:
    """Update `scope` as crossing plain mounts does (the route path `path`, below which
    `remaining_path` is), then reaching `route`: `Mount.matches`' child scope, in its order."""
    root_path = scope.get("root_path", "")
    scope["path_params"] = path_params
    scope["app_root_path"] = scope.get("app_root_path", root_path)
    scope["root_path"] = root_path + path[: len(path) - len(remaining_path)]
    scope["endpoint"] = endpoint
    scope["route"] = route


def _remainder(prefix: str, path: str) -> str | None:
    """The path below mounts whose paths joined are `prefix`, or None if it is not below.

    What crossing them one by one answers for a path without a newline (see `first_match`).
    """
    end = len(prefix)
    if path.startswith(prefix) and path[end : end + 1] == "/":
        return path[end:]
    return None


def _below(item: _Below, scope: Scope, path: str) -> tuple[str, dict[str, Any]] | None:
    """The path below the item's mounts and the route's parameters, when its route matches
    the scope's type and path (whatever the method); else None."""
    route = item.route
    if type(route) is Route:
        if scope["type"] != "http":
            return None
    elif scope["type"] != "websocket":
        return None
    remaining_path = _remainder(item.prefix, path)
    if remaining_path is None:
        return None
    params = _match_route(route, remaining_path)
    if params is None:
        return None
    return remaining_path, params


def _flatten(routes: list[BaseRoute]) -> list[BaseRoute] | list[_Item]:
    """A router's items (see the module's docstring): `routes` itself when no mount flattens."""
    items: list[_Item] = []
    flattened = False
    for route in routes:
        block = _flat_block(route, "", (), set()) if type(route) is Mount else None
        if block is None:
            items.append(route)
        else:
            items += block
            flattened = True
    return items if flattened else routes


def _flat_block(
    route: BaseRoute, prefix: str, mounts: tuple[Mount, ...], seen: set[int]
) -> list[_Item] | None:
    """The items standing for `route` when it is a mount that flattens (with every route
    below it), else None."""
    if type(route) is not Mount or not route._path_only or _path_key(route) is None:
        return None
    child = _plain_router(route.app)
    if child is None or id(child) in seen:  # a router mounted inside itself stays a mount
        return None
    prefix += route.path
    mounts += (route,)
    items: list[_Item] = []
    for inner in child._routes:
        if type(inner) is Route or type(inner) is WebSocketRoute:
            if _path_key(inner) is None:
                return None
            items.append(_Below(inner, prefix, mounts))
            continue
        block = _flat_block(inner, prefix, mounts, seen | {id(child)})
        if block is None:
            return None
        items += block
    items.append(_MountEnd(route, prefix, mounts))
    return items


def _item_path_key(item: _Item) -> PathKey:
    """Where an item is filed: a route's own key, or the key of its full path."""
    if type(item) is _Below:
        key = _path_key(item.route)
        assert key is not None  # only routes with a key are flattened
        return (key[0], item.prefix + key[1])
    if type(item) is _MountEnd:
        return ("prefix", item.prefix + "/")
    return _path_key(item)


def _no_name(item: _Item) -> str | None:
    """Items are never looked up by name: `url_path_for` uses the route index."""
    return None


def _plain_router(app: Any) -> Router | None:
    """`app` when it is a Router serving requests without middleware of its own, else None."""
    if type(app) is Router and app._serves_plain:
        return app
    return None


# Routes of these classes (and subclasses that keep these methods) are filed in the index by
# their path regex and their name; any other route is consulted for every request and every name.
_INDEXED_MATCHES = (Route.matches, WebSocketRoute.matches, Mount.matches)
_INDEXED_URL_PATH_FOR = (
    Route.url_path_for,
    WebSocketRoute.url_path_for,
    Mount.url_path_for,
    Host.url_path_for,
)


def _path_key(route: BaseRoute) -> PathKey:
    if type(route).matches not in _INDEXED_MATCHES:
        return None
    # The key describes the regex compiled in `__init__`, if the route still uses that one.
    regex = getattr(route, "path_regex", None)
    # (regex, kind, text): one flat tuple per route, the smallest way to keep it.
    stored: tuple[Pattern[str], str, str] | None = getattr(route, "_index_key", None)
    if stored is not None and stored[0] is regex:
        return (stored[1], stored[2])
    return _derived_path_key(route, regex)


def _derived_path_key(route: BaseRoute, regex: Any) -> PathKey:
    """The key of a route built without its class's `__init__` (FastAPI's routes), or None.

    Such a route is filed only if its regex is exactly the one `compile_path` makes of its path.
    """
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not isinstance(regex, Pattern):
        return None
    if type(route).matches is Mount.matches:
        path += "/{path:path}"
    try:
        expected, _, _, prefix = _compile_path(path)
    except (AssertionError, ValueError, re.error):
        return None
    if (expected.pattern, expected.flags) != (regex.pattern, regex.flags):
        return None
    return _filed_under(path, prefix)


def _name_key(route: BaseRoute) -> str | None:
    if type(route).url_path_for not in _INDEXED_URL_PATH_FOR:
        return None
    # A Mount or Host without a name may hold any name; a Route always has one.
    name = getattr(route, "name", None)
    return name if isinstance(name, str) else None
