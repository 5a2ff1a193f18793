"""Application settings read from the environment, then from an optional `.env` file."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, TypeVar, overload

__all__ = ["Config", "Environ", "EnvironError", "environ", "undefined"]

T = TypeVar("T")


class undefined:
    """Sentinel: "no default was given" (distinct from `default=None`)."""


class EnvironError(Exception):
    """Raised when changing an environment variable that configuration has already read."""


class Environ(MutableMapping[str, str]):
    """`os.environ` that refuses to change a key once read, so settings cannot drift silently."""

    def __init__(self, environ: MutableMapping[str, str] = os.environ):
        self._environ = environ
        self._has_been_read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self._has_been_read.add(key)
        return self._environ.__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(
                f"Attempting to set environ['{key}'], but the value has already been read."
            )
        self._environ.__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(
                f"Attempting to delete environ['{key}'], but the value has already been read."
            )
        self._environ.__delitem__(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


environ = Environ()

_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _unquote(value: str) -> str:
    # Exactly one pair of matching outer quotes: '"a"' -> 'a', '""a""' -> '"a"', '"a\'' unchanged.
    if len(value) >= 2 and value[0] == value[-1] and value[0] in ("'", '"'):
        return value[1:-1]
    return value


def _read_env_file(path: str | Path, encoding: str) -> dict[str, str]:
    values: dict[str, str] = {}
    with open(path, encoding=encoding) as env_file:
        for raw_line in env_file:
            line = raw_line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            key = key.strip()
            if key.startswith("export "):
                # Files shared with shells often say `export KEY=value`.
                key = key[len("export ") :].strip()
            values[key] = _unquote(value.strip())
    return values


class Config:
    """Read settings: `config("DEBUG", cast=bool, default=False)`.

    Lookup order: the environment (keys prefixed with `env_prefix`), then `env_file`, then
    `default`. The env file holds `KEY=value` lines; blank lines and `#` comments are skipped, an
    `export ` prefix is allowed, and one pair of matching outer quotes is stripped from the value.
    """

    def __init__(
        self,
        env_file: str | Path | None = None,
        environ: Mapping[str, str] = environ,
        env_prefix: str = "",
        encoding: str = "utf-8",
    ) -> None:
        self.environ = environ
        self.env_prefix = env_prefix
        self.file_values: dict[str, str] = {}
        if env_file is not None:
            if os.path.isfile(env_file):
                self.file_values = _read_env_file(env_file, encoding)
            else:
                # Named after starlette.config, as upstream's: filters match that module.
                warnings.warn(f"Config file '{env_file}' not found.", UserWarning, stacklevel=1)

    @overload
    def __call__(self, key: str, cast: Callable[[Any], T], default: Any = undefined) -> T: ...

    @overload
    def __call__(self, key: str, cast: None = None, default: str = ...) -> str: ...

    @overload
    def __call__(self, key: str, cast: None = None, default: T = ...) -> str | T: ...

    def __call__(
        self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined
    ) -> Any:
        return self.get(key, cast, default)

    @overload
    def get(self, key: str, cast: Callable[[Any], T], default: Any = undefined) -> T: ...

    @overload
    def get(self, key: str, cast: None = None, default: str = ...) -> str: ...

    @overload
    def get(self, key: str, cast: None = None, default: T = ...) -> str | T: ...

    def get(
        self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined
    ) -> Any:
        """The value of `key`, converted with `cast`; `default` (also cast) when it is unset."""
        key = self.env_prefix + key
        if key in self.environ:
            return self._perform_cast(key, self.environ[key], cast)
        if key in self.file_values:
            return self._perform_cast(key, self.file_values[key], cast)
        if default is not undefined:
            return self._perform_cast(key, default, cast)
        raise KeyError(f"Config '{key}' is missing, and has no default.")

    def _perform_cast(self, key: str, value: Any, cast: Callable[[Any], Any] | None) -> Any:
        if cast is None or value is None:
            return value
        if cast is bool and isinstance(value, str):
            try:
                return _BOOLEANS[value.lower()]
            except KeyError:
                raise ValueError(f"Config '{key}' has value '{value}'. Not a valid bool.") from None
        try:
            return cast(value)
        except (TypeError, ValueError) as exc:
            cast_name = getattr(cast, "__name__", repr(cast))
            raise ValueError(
                f"Config '{key}' has value '{value}'. Not a valid {cast_name}."
            ) from exc
