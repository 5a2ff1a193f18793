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
# bucket of the prefix that ends there (or None), the node of the longer prefixes (None when
# there are none) and, once every path is filed, the candidates of a path whose walk ends there.
# A path's segments, split once, walk it with one dict lookup each: no slice per "/" to hash.
_Node = dict[str, "tuple[_Bucket[_R] | None, _Node[_R] | None, list[_Entry[_R]]]"]


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
        self.exact: dict[str, _Bucket[_R]] = {}
        # Exact path -> every candidate of that path (its bucket, its prefixes', `always`).
        self.exact_candidates: dict[str, list[_Entry[_R]]] = {}
        self.tree: _Node[_R] = {}
        # Prefix -> the candidates of its node: a path's longest possible prefix, tried first.
        self.prefix_candidates: dict[str, list[_Entry[_R]]] = {}
        self.always: list[_Entry[_R]] = []
        self.named: dict[str, _Bucket[_R]] = {}
        self.unnamed: list[_Entry[_R]] = []
        # Bounds for the walks below: a long path or name costs no more than the longest key.
        self.deepest_prefix = 0  # the most "/" in a prefix
        self.longest_name = 0
        self._paths_filed = self._names_filed = False

    def _file_paths(self) -> None:
        exact, always = self.exact, self.always
        prefixed: dict[str, _Bucket[_R]] = {}
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
        # What `for_path` answers, merged now rather than per request: the candidates of a path
        # whose walk ends at a node are those of the prefixes down to it and `always`; those of
        # an exact path are known whole.
        self._gather(self.tree, always, "")
        for path in exact:
            self.exact_candidates[path] = _merge(self._buckets(path))
        self._paths_filed = True

    def _gather(self, node: _Node[_R], above: list[_Entry[_R]], prefix: str) -> None:
        """Give each node of `node` (the one of `prefix`) its candidates: `above` (those of the
        prefixes above it, with `always`) and its own bucket's, in route order."""
        for segment, (bucket, children, _) in node.items():
            candidates = above if bucket is None else _merge([above, bucket])
            node[segment] = (bucket, children, candidates)
            self.prefix_candidates[prefix + segment + "/"] = candidates
            if children is not None:
                self._gather(children, candidates, prefix + segment + "/")

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
                node[segment] = (None, children, [])
            elif step[1] is None:
                children = {}
                node[segment] = (step[0], children, [])
            else:
                children = step[1]
            node = children
        step = node.get(last)
        node[last] = (bucket, None if step is None else step[1], [])

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

    def for_path(self, path: str) -> list[_Entry[_R]]:
        """The routes that may match `path` (with their positions), in route order."""
        if not self._paths_filed:
            self._file_paths()
        # What `_merge(self._buckets(path))` answers, read from what `_file_paths` merged.
        exact = self.exact_candidates
        if exact:
            if path[-1:] == "\n":  # also a candidate: the exact path without its newline
                return _merge(self._buckets(path))
            hit = exact.get(path)
            if hit is not None:
                return hit
        candidates = self.always
        node: _Node[_R] | None = self.tree
        if node:
            parts = path.split("/", self.deepest_prefix)
            # The longest prefix the path may have, first: most requests that match a route
            # find their candidates there, in one lookup ("/api/users/" for "/api/users/42").
            hit = self.prefix_candidates.get(path[: len(path) - len(parts.pop())])
            if hit is not None:
                return hit
            for part in parts:
                step = node.get(part)
                if step is None:
                    break
                node, candidates = step[1], step[2]
                if node is None:
                    break
        return candidates

    def _buckets(self, path: str) -> list[_Bucket[_R]]:
        """The buckets whose routes may match `path`: its exact one, its prefixes', `always`."""
        found: list[_Bucket[_R]] = []
        hit = self.exact.get(path)
        if hit is not None:
            found.append(hit)
        # A path regex ends with "$", which also matches before a final newline.
        if path.endswith("\n"):
            hit = self.exact.get(path[:-1])
            if hit is not None:
                found.append(hit)
        node = self.tree
        if node:
            # Every part but the last is followed by a "/" in the path: each is a prefix.
            parts = path.split("/", self.deepest_prefix)
            parts.pop()
            for part in parts:
                step = node.get(part)
                if step is None:
                    break
                hit, children, _ = step
                if hit is not None:
                    found.append(hit)
                if children is None:
                    break
                node = children
        if self.always:
            found.append(self.always)
        return found

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
