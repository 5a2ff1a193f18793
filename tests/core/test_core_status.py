from __future__ import annotations

import http
import re
import sys
import warnings

import pytest

from starlette import status
from starlette.exceptions import StarletteDeprecationWarning

DEPRECATED = {
    "HTTP_413_REQUEST_ENTITY_TOO_LARGE": "HTTP_413_CONTENT_TOO_LARGE",
    "HTTP_414_REQUEST_URI_TOO_LONG": "HTTP_414_URI_TOO_LONG",
    "HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE": "HTTP_416_RANGE_NOT_SATISFIABLE",
    "HTTP_422_UNPROCESSABLE_ENTITY": "HTTP_422_UNPROCESSABLE_CONTENT",
}


@pytest.mark.parametrize("name", status.__all__)
def test_every_constant_resolves_to_the_code_in_its_name(name: str) -> None:
    match = re.fullmatch(r"(HTTP|WS)_(\d+)_[A-Z0-9_]+", name)
    assert match is not None
    value = getattr(status, name)
    assert type(value) is int
    assert value == int(match.group(2))


def test_http_constants_cover_the_standard_library_codes() -> None:
    codes = {getattr(status, name) for name in status.__all__ if name.startswith("HTTP_")}
    assert {code.value for code in http.HTTPStatus} <= codes | {102}
    assert len(codes) == len([name for name in status.__all__ if name.startswith("HTTP_")])


def test_rfc9110_and_websocket_names() -> None:
    assert status.HTTP_413_CONTENT_TOO_LARGE == 413
    assert status.HTTP_422_UNPROCESSABLE_CONTENT == 422
    assert status.HTTP_418_IM_A_TEAPOT == 418
    assert status.HTTP_103_EARLY_HINTS == 103
    assert status.WS_1000_NORMAL_CLOSURE == 1000
    assert status.WS_1008_POLICY_VIOLATION == 1008
    assert status.WS_1015_TLS_HANDSHAKE == 1015
    ws_codes = [getattr(status, name) for name in status.__all__ if name.startswith("WS_")]
    assert ws_codes == [*range(1000, 1004), *range(1005, 1016)]


@pytest.mark.parametrize(("old", "new"), DEPRECATED.items())
def test_old_spellings_warn_and_return_the_same_code(old: str, new: str) -> None:
    message = f"'{old}' is deprecated. Use '{new}' instead."
    with pytest.warns(StarletteDeprecationWarning, match=f"^{re.escape(message)}$") as record:
        value = getattr(status, old)
    assert value == getattr(status, new)
    # Upstream 1.x's category exactly: a UserWarning, not a DeprecationWarning.
    assert record[0].category is StarletteDeprecationWarning


def read_old_spelling() -> int:
    return status.HTTP_422_UNPROCESSABLE_ENTITY


def test_old_spelling_warning_names_the_caller_of_the_reading_function() -> None:
    # As upstream 1.x: the frame above the one that read the old name (what module filters see).
    with pytest.warns(StarletteDeprecationWarning) as record:
        read_old_spelling()
    assert (record[0].filename, record[0].lineno) == (__file__, sys._getframe().f_lineno - 1)


def test_old_spelling_from_import_warns() -> None:
    with pytest.warns(StarletteDeprecationWarning, match="HTTP_413_CONTENT_TOO_LARGE"):
        from starlette.status import HTTP_413_REQUEST_ENTITY_TOO_LARGE
    assert HTTP_413_REQUEST_ENTITY_TOO_LARGE == 413


def test_new_spellings_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert status.HTTP_413_CONTENT_TOO_LARGE == 413


def test_unknown_name_raises_attribute_error() -> None:
    with pytest.raises(
        AttributeError, match=r"module 'starlette\.status' has no attribute 'HTTP_999_NOPE'"
    ):
        status.HTTP_999_NOPE  # noqa: B018


def test_dir_lists_current_and_deprecated_names() -> None:
    names = dir(status)
    assert names == sorted(names)
    assert set(status.__all__) <= set(names)
    assert set(DEPRECATED) <= set(names)
    assert len(names) == len(status.__all__) + len(DEPRECATED)


def test_star_import_exports_only_current_names() -> None:
    namespace: dict[str, object] = {}
    exec("from starlette.status import *", namespace)
    exported = {name for name in namespace if not name.startswith("__")}
    assert exported == set(status.__all__)
