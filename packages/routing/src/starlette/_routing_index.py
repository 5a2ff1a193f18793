"""The router's index: which routes can match a path, or build a URL for a name.

A router consults only the routes the index returns, in their original order, so its answer is
the one a linear scan would give. `routing.py` decides where each route is filed (it knows the
route classes); this module only stores and looks up. The index describes the routes as they were
when it was built: a route object mutated afterwards (its `path`, `name` or regex) is not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, Generic, SupportsIndex, TypeVar

_R = TypeVar("_R")
_Entry = tuple[int, _R]
_by_position = itemgetter(0)


class RouteList(list[_R]):
    """A list that counts its mutations, so the router notices any change to its routes."""

    # A class default: copies made by `copy`/`pickle` mutate before `__init__` ever runs.
    version = 0

    def _changed(self) -> None:
        self.version += 1

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


# Where a route is filed: ("exact", path), ("prefix", literal prefix), or None (always consult).
PathKey = tuple[str, str] | None


def _merge(found: list[list[_Entry[_R]]]) -> list[_Entry[_R]]:
    """The entries of several buckets, back in route order."""
    if len(found) == 1:
        return found[0]
    merged = [entry for bucket in found for entry in bucket]
    merged.sort(key=_by_position)
    return merged


class RouteIndex(Generic[_R]):
    """Routes filed by path (exact, or by literal prefix cut at a "/") and by name."""

    def __init__(
        self,
        routes: Sequence[_R],
        path_key: Callable[[_R], PathKey],
        name_key: Callable[[_R], str | None],
    ) -> None:
        self.exact: dict[str, list[_Entry[_R]]] = {}
        self.prefixed: dict[str, list[_Entry[_R]]] = {}
        self.always: list[_Entry[_R]] = []
        self.named: dict[str, list[_Entry[_R]]] = {}
        self.unnamed: list[_Entry[_R]] = []
        for position, route in enumerate(routes):
            entry = (position, route)
            key = path_key(route)
            if key is None:
                self.always.append(entry)
            elif key[0] == "exact":
                self.exact.setdefault(key[1], []).append(entry)
            else:
                # Cut at the last "/": lookups try the request path up to each of its slashes.
                prefix = key[1][: key[1].rfind("/") + 1]
                self.prefixed.setdefault(prefix, []).append(entry)
            name = name_key(route)
            if name is None:
                self.unnamed.append(entry)
            else:
                self.named.setdefault(name, []).append(entry)
        # Bounds for the walks below: a long path or name costs no more than the longest key.
        self.longest_prefix = max(map(len, self.prefixed), default=0)
        self.longest_name = max(map(len, self.named), default=0)

    def for_path(self, path: str) -> list[_Entry[_R]]:
        """The routes that may match `path` (with their positions), in route order."""
        found: list[list[_Entry[_R]]] = []
        if self.exact:
            hit = self.exact.get(path)
            if hit is not None:
                found.append(hit)
            # A path regex ends with "$", which also matches before a final newline.
            if path.endswith("\n"):
                hit = self.exact.get(path[:-1])
                if hit is not None:
                    found.append(hit)
        if self.prefixed:
            prefixed = self.prefixed
            end = self.longest_prefix
            slash = path.find("/", 0, end)
            while slash != -1:
                hit = prefixed.get(path[: slash + 1])
                if hit is not None:
                    found.append(hit)
                slash = path.find("/", slash + 1, end)
        if self.always:
            found.append(self.always)
        return _merge(found) if found else []

    def for_name(self, name: str) -> list[_Entry[_R]]:
        """The routes that may build a URL for `name` ("mount:child" tries "mount" too)."""
        found: list[list[_Entry[_R]]] = []
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
        return _merge(found) if found else []
