"""Path parameter convertors: how `{name:type}` placeholders match, convert and render."""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar, Generic, TypeVar

__all__ = [
    "CONVERTOR_TYPES",
    "Convertor",
    "FloatConvertor",
    "IntegerConvertor",
    "PathConvertor",
    "StringConvertor",
    "UUIDConvertor",
    "register_url_convertor",
]

T = TypeVar("T")


class Convertor(Generic[T]):
    """Base class: `regex` matches the raw segment, `convert` parses it, `to_string` renders it."""

    regex: ClassVar[str] = ""

    def convert(self, value: str) -> T:
        raise NotImplementedError()

    def to_string(self, value: T) -> str:
        raise NotImplementedError()


class StringConvertor(Convertor[str]):
    """One non-empty path segment (no `/`)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        value = str(value)
        assert "/" not in value, "May not contain path separators"
        assert value, "Must not be empty"
        return value


class PathConvertor(Convertor[str]):
    """The rest of the path, slashes included."""

    regex = ".*"

    def convert(self, value: str) -> str:
        return str(value)

    def to_string(self, value: str) -> str:
        return str(value)


class IntegerConvertor(Convertor[int]):
    """A non-negative decimal integer."""

    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        value = int(value)
        assert value >= 0, "Negative integers are not supported"
        return str(value)


class FloatConvertor(Convertor[float]):
    """A non-negative decimal number, written without exponent."""

    regex = r"[0-9]+(\.[0-9]+)?"

    def convert(self, value: str) -> float:
        return float(value)

    def to_string(self, value: float) -> str:
        value = float(value)
        # NaN compares false with everything, so it must be refused before the sign check.
        assert not math.isnan(value), "NaN values are not supported"
        assert not math.isinf(value), "Infinite values are not supported"
        assert value >= 0, "Negative floats are not supported"
        # Imported here: only URL building needs it, and it is a large module to keep loaded.
        import decimal

        # The shortest repr that round-trips, written out without an exponent.
        text = format(decimal.Decimal(repr(abs(value))), "f")  # abs: -0.0 renders as "0"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text


class UUIDConvertor(Convertor[uuid.UUID]):
    """A UUID: 32 hex digits (either case), hyphenated as usual or not; rendered hyphenated."""

    # Each hyphen is optional, as upstream 1.x matches: "uuid.UUID" reads every such form.
    regex = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"

    def convert(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_string(self, value: uuid.UUID) -> str:
        return str(value)


CONVERTOR_TYPES: dict[str, Convertor[Any]] = {
    "str": StringConvertor(),
    "path": PathConvertor(),
    "int": IntegerConvertor(),
    "float": FloatConvertor(),
    "uuid": UUIDConvertor(),
}


def register_url_convertor(key: str, convertor: Convertor[Any]) -> None:
    """Make `{name:key}` available in route paths compiled from now on."""
    CONVERTOR_TYPES[key] = convertor
