from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from starlette.convertors import (
    CONVERTOR_TYPES,
    Convertor,
    FloatConvertor,
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    UUIDConvertor,
    register_url_convertor,
)


def full_match(convertor: Convertor[Any], value: str) -> bool:
    return re.fullmatch(convertor.regex, value) is not None


def test_string_convertor() -> None:
    convertor = StringConvertor()
    assert full_match(convertor, "abc")
    assert not full_match(convertor, "a/b")
    assert not full_match(convertor, "")
    assert convertor.convert("abc") == "abc"
    assert convertor.to_string("abc") == "abc"


def test_string_convertor_refuses_separators_and_empty_values() -> None:
    convertor = StringConvertor()
    with pytest.raises(AssertionError, match="May not contain path separators"):
        convertor.to_string("a/b")
    with pytest.raises(AssertionError, match="Must not be empty"):
        convertor.to_string("")


def test_path_convertor() -> None:
    convertor = PathConvertor()
    assert full_match(convertor, "a/b/c")
    assert full_match(convertor, "")
    assert convertor.convert("a/b") == "a/b"
    assert convertor.to_string("a/b") == "a/b"


def test_integer_convertor() -> None:
    convertor = IntegerConvertor()
    assert full_match(convertor, "123")
    assert not full_match(convertor, "-1")
    assert not full_match(convertor, "1.5")
    assert convertor.convert("0042") == 42
    assert convertor.to_string(42) == "42"
    with pytest.raises(AssertionError, match="Negative integers are not supported"):
        convertor.to_string(-1)


def test_float_convertor() -> None:
    convertor = FloatConvertor()
    assert full_match(convertor, "1")
    assert full_match(convertor, "1.25")
    assert not full_match(convertor, "1.")
    assert not full_match(convertor, "1e5")
    assert convertor.convert("1.25") == 1.25
    assert convertor.to_string(1.5) == "1.5"
    assert convertor.to_string(2.0) == "2"
    assert convertor.to_string(0.1) == "0.1"
    assert convertor.to_string(1e20) == "100000000000000000000"
    assert convertor.to_string(1e-7) == "0.0000001"
    assert convertor.to_string(-0.0) == "0"
    assert convertor.to_string(3) == "3"
    with pytest.raises(AssertionError, match="Negative floats are not supported"):
        convertor.to_string(-0.5)


@pytest.mark.parametrize(
    "value", [0.0, 0.1, 0.3, 1 / 3, 2.5e-9, 5e-324, 123456789.125, 1e22, 1.7976931348623157e308]
)
def test_float_convertor_round_trips(value: float) -> None:
    convertor = FloatConvertor()
    text = convertor.to_string(value)
    assert full_match(convertor, text)
    assert convertor.convert(text) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "NaN values are not supported"),
        (math.inf, "Infinite values are not supported"),
        (-math.inf, "Infinite values are not supported"),
    ],
)
def test_float_convertor_refuses_nan_and_infinity(value: float, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        FloatConvertor().to_string(value)


def test_uuid_convertor() -> None:
    convertor = UUIDConvertor()
    value = "8a4b3c2d-1e0f-4a5b-9c8d-7e6f5a4b3c2d"
    assert full_match(convertor, value)
    assert full_match(convertor, value.upper())
    assert not full_match(convertor, "not-a-uuid")
    assert convertor.convert(value) == uuid.UUID(value)
    assert convertor.to_string(uuid.UUID(value)) == value


def test_base_convertor_is_abstract() -> None:
    convertor: Convertor[Any] = Convertor()
    with pytest.raises(NotImplementedError):
        convertor.convert("x")
    with pytest.raises(NotImplementedError):
        convertor.to_string("x")


def test_builtin_convertor_types() -> None:
    assert set(CONVERTOR_TYPES) >= {"str", "path", "int", "float", "uuid"}
    assert isinstance(CONVERTOR_TYPES["int"], IntegerConvertor)


@pytest.fixture
def restore_convertors() -> Iterator[None]:
    saved = dict(CONVERTOR_TYPES)
    yield
    CONVERTOR_TYPES.clear()
    CONVERTOR_TYPES.update(saved)


@pytest.mark.usefixtures("restore_convertors")
def test_register_url_convertor() -> None:
    class HexConvertor(Convertor[int]):
        regex = "[0-9a-f]+"

        def convert(self, value: str) -> int:
            return int(value, 16)

        def to_string(self, value: int) -> str:
            return format(value, "x")

    convertor = HexConvertor()
    register_url_convertor("hex", convertor)
    assert CONVERTOR_TYPES["hex"] is convertor
