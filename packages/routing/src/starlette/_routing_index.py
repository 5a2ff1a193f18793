"""The router's index: which routes can match a path, or build a URL for a name.

A router consults only the routes the index returns, in their original order, so its answer is
the one a linear scan would give. `_routing_resolver.py` decides where each route is filed (it
knows the route classes) and when an index is stale; this module only stores, looks up and
counts changes. Each half of the index (paths, names) describes the routes as they were at its
first lookup: a route object mutated afterwards (its `path`, `name` or regex) is not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, SupportsIndex, TypeVar

_R = TypeVar("_R")
_Entry = tuple[int, _R]


class Changes:
    """The process-wide count of changes a router's index or resolution cache may depend on.

    Every resolver compares it with the value it last saw (its staleness token): one integer
    per request, however many routers and mounts an answer crossed.
    """

    count = 0


def note_change() -> None:
    """Record a change: a route list mutated or replaced, a mount's or router's app replaced."""
    Changes.count += 1


class RouteList(list[_R]):
    """A list that counts its mutations, so the routers notice any change to their routes."""

    # A class default: copies made by `copy`/`pickle` mutate before `__init__` ever runs.
    version = 0

    def _changed(self) -> None:
        self.version += 1
        note_change()

    def append(self, item: _R, /) -> None:
        super().append(item)
        self._changed()

    def extend(self, items: Iterable[_R], /) -> None:
        super().extend(items)
        self._changed()

    def insert(self, index: SupportsIndex, item: _R, /) -> None:
        super().insert(index, item)
        self._changed()

    def remove(self, item: _R, /) -> None:
        super().remove(item)
        self._changed()

    def pop(self, index: SupportsIndex = -1, /) -> _R:
        item = super().pop(index)
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._changed()

    def reverse(self) -> None:
        super().reverse()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, items: Iterable[_R]) -> RouteList[_R]:  # type: ignore[override, misc]
        super().__iadd__(items)
        self._changed()
        return self

    def __imul__(self, count: SupportsIndex) -> RouteList[_R]:
        super().__imul__(count)
        self._changed()
        return self


# Where a route is filed: ("exact", path), ("prefix", the literal text before its first parameter,
# cut after its last "/"), or None (always consult). Lookups try the request path up to each "/".
PathKey = tuple[str, str] | None

# The prefixes, as a tree of their "/"-separated segments: a node maps the next segment to the
# candidates of a path whose walk ends there (the routes filed under the prefixes down to it, then
# `always`, in route order: merged once, when the paths are filed) and the node of the longer
# prefixes (None when there are none). A path's segments, split once, walk it with one dict
# lookup each. While the paths are filed, a node holds its own bucket (or None) instead.
_Node = dict[str, "tuple[Any, _Node[_R] | None]"]


# A bucket of the index: one entry alone (most keys name one route), or a list of several.
_Bucket = _Entry[_R] | list[_Entry[_R]]


def _file(table: dict[str, _Bucket[_R]], key: str, entry: _Entry[_R]) -> None:
    bucket = table.get(key)
    if bucket is None:
        table[key] = entry
    elif type(bucket) is list:
        bucket.append(entry)
    else:
        table[key] = [bucket, entry]  # type: ignore[list-item]


def _merge(found: list[_Bucket[_R]]) -> list[_Entry[_R]]:
    """The entries of several buckets, back in route order."""
    found = [bucket for bucket in found if bucket]
    if not found:
        return []
    if len(found) == 1:
        bucket = found[0]
        return bucket if type(bucket) is list else [bucket]  # type: ignore[list-item]
    merged: list[_Entry[_R]] = []
    for bucket in found:
        if type(bucket) is list:
            merged += bucket
        else:
            merged.append(bucket)  # type: ignore[arg-type]
    # Each route is filed once, so positions differ: tuples compare by position alone.
    merged.sort()
    return merged


class RouteIndex(Generic[_R]):
    """Routes filed by path (exact, or by literal prefix ending with a "/") and by name.

    Each half is built on its first lookup: many apps never build a URL, and a router whose
    routes change before a lookup never files them.
    """

    def __init__(
        self,
        routes: Sequence[_R],
        path_key: Callable[[_R], PathKey],
        name_key: Callable[[_R], str | None],
    ) -> None:
        self._routes = routes
        self._path_key = path_key
        self._name_key = name_key
        # The path half holds routes, not entries, once filed: their order is settled then.
        # (While the paths are filed, `always` and the tree hold entries, to merge in order.)
        self.exact: dict[str, tuple[_R, ...]] = {}  # exact path -> all its candidates
        self.tree: _Node[_R] = {}
        self.always: Any = ()  # the candidates of a path no filed prefix takes
        self._positions: dict[int, int] | None = None  # id of a route -> its position
        self.named: dict[str, _Bucket[_R]] = {}
        self.unnamed: list[_Entry[_R]] = []
        # Bounds for the walks below: a long path or name costs no more than the longest key.
        self.deepest_prefix = 0  # the most "/" in a prefix
        self.longest_name = 0
        self._paths_filed = self._names_filed = False

    def _file_paths(self) -> None:
        exact: dict[str, _Bucket[_R]] = {}
        prefixed: dict[str, _Bucket[_R]] = {}
        always: list[_Entry[_R]] = []
        path_key = self._path_key
        for entry in enumerate(self._routes):
            key = path_key(entry[1])
            if key is None:
                always.append(entry)
                continue
            kind, text = key
            _file(exact if kind == "exact" else prefixed, text, entry)
        for prefix, bucket in prefixed.items():
            self._plant(prefix, bucket)
        # What a lookup answers, merged now rather than per request: each node's candidates
        # (see `_Node`), and each exact path's (its bucket's, then those of its walk).
        self._gather(self.tree, always)
        self.always = always
        exact_entries = {path: _merge([bucket, self._walk(path)]) for path, bucket in exact.items()}
        self._routes_only(exact_entries)
        self._paths_filed = True

    def _plant(self, prefix: str, bucket: _Bucket[_R]) -> None:
        """Put `prefix` (which ends with "/") in the tree, with its bucket."""
        segments = prefix.split("/")
        segments.pop()  # "/a/b/" -> ["", "a", "b"]
        if len(segments) > self.deepest_prefix:
            self.deepest_prefix = len(segments)
        last = segments.pop()
        node = self.tree
        for segment in segments:
            step = node.get(segment)
            if step is None:
                children: _Node[_R] = {}
                node[segment] = (None, children)
            elif step[1] is None:
                children = {}
                node[segment] = (step[0], children)
            else:
                children = step[1]
            node = children
        step = node.get(last)
        node[last] = (bucket, None if step is None else step[1])

    def _gather(self, node: _Node[_R], above: list[_Entry[_R]]) -> None:
        """Replace each bucket below `node` by the node's candidates: `above` (those of the
        prefixes above it, with `always`), merged with its bucket. A node without a bucket
        shares the list above it."""
        for segment, (bucket, children) in node.items():
            candidates = above if bucket is None else _merge([above, bucket])
            node[segment] = (candidates, children)
            if children is not None:
                self._gather(children, candidates)

    def _routes_only(self, exact: dict[str, list[_Entry[_R]]]) -> None:
        """Turn the lists of candidates (the tree's, `always`, those of `exact`, which become
        `self.exact`) from entries into tuples of routes, keeping shared lists shared.

        A tuple of exactly the routes, where the entries were a list of (position, route)
        tuples: most prefixes file one route, and its candidates cost one small tuple."""
        # id of a list of entries -> it, and its routes (holding it keeps its id its own).
        converted: dict[int, tuple[list[_Entry[_R]], tuple[_R, ...]]] = {}
        lists = [self.always, *exact.values()]
        nodes = [self.tree]
        while nodes:  # no recursion: a nested function calling itself would be a cycle
            for entries, children in nodes.pop().values():
                lists.append(entries)
                if children is not None:
                    nodes.append(children)
        for entries in lists:
            if id(entries) not in converted:
                converted[id(entries)] = (entries, tuple([route for _, route in entries]))
        self.always = converted[id(self.always)][1]
        self.exact = {path: converted[id(entries)][1] for path, entries in exact.items()}
        nodes = [self.tree]
        while nodes:
            node = nodes.pop()
            for segment, (entries, children) in node.items():
                node[segment] = (converted[id(entries)][1], children)
                if children is not None:
                    nodes.append(children)

    def _file_names(self) -> None:
        named, unnamed = self.named, self.unnamed
        name_key = self._name_key
        for entry in enumerate(self._routes):
            name = name_key(entry[1])
            if name is None:
                unnamed.append(entry)
                continue
            _file(named, name, entry)
        self.longest_name = max(map(len, named), default=0)
        self._names_filed = True

    def for_path(self, path: str) -> Sequence[_R]:
        """The routes that may match `path`, in route order."""
        if not self._paths_filed:
            self._file_paths()
        exact = self.exact
        if exact:
            if path[-1:] == "\n":
                return self._with_final_newline(path)
            hit = exact.get(path)
            if hit is not None:
                return hit
        candidates: Sequence[_R] = self._walk(path)
        return candidates

    def _walk(self, path: str) -> Any:
        """The candidates of the deepest node that the segments of `path` reach (`always` if
        none): those of its prefixes. Entries while the paths are filed, then routes."""
        candidates = self.always
        node: _Node[_R] | None = self.tree
        if node:
            # Every part but the last is followed by a "/" in the path: each is a prefix.
            parts = path.split("/", self.deepest_prefix)
            parts.pop()
            for part in parts:
                step = node.get(part)
                if step is None:
                    break
                candidates, node = step
                if node is None:
                    break
        return candidates

    def _with_final_newline(self, path: str) -> Sequence[_R]:
        """The candidates of a path ending with a newline: a path regex ends with "$", which
        also matches before it, so the exact routes of the path without it are candidates too.
        Put back in route order by the routes' positions, made on the first such path."""
        positions = self._positions
        if positions is None:
            positions = self._positions = {id(route): i for i, route in enumerate(self._routes)}
        found = {
            id(route): route
            for candidates in (self.exact.get(path), self.exact.get(path[:-1]), self._walk(path))
            if candidates
            for route in candidates
        }
        return [found[key] for key in sorted(found, key=positions.__getitem__)]

    def for_name(self, name: str) -> list[_Entry[_R]]:
        """The routes that may build a URL for `name` ("mount:child" tries "mount" too)."""
        if not self._names_filed:
            self._file_names()
        found: list[_Bucket[_R]] = []
        named = self.named
        hit = named.get(name)
        if hit is not None:
            found.append(hit)
        end = self.longest_name + 1
        colon = name.find(":", 0, end)
        while colon != -1:
            hit = named.get(name[:colon])
            if hit is not None:
                found.append(hit)
            colon = name.find(":", colon + 1, end)
        if self.unnamed:
            found.append(self.unnamed)
        return _merge(found)
