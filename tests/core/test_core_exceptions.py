from __future__ import annotations

import http
import warnings

import pytest

from starlette.exceptions import HTTPException, StarletteDeprecationWarning, WebSocketException


def test_http_exception_default_detail_is_the_reason_phrase() -> None:
    exc = HTTPException(404)
    assert exc.status_code == 404
    assert exc.detail == "Not Found"
    assert exc.headers is None
    assert str(exc) == "404: Not Found"
    assert repr(exc) == "HTTPException(status_code=404, detail='Not Found')"


def test_http_exception_explicit_detail_and_headers() -> None:
    exc = HTTPException(401, detail="Go away", headers={"WWW-Authenticate": "Basic"})
    assert exc.detail == "Go away"
    assert exc.headers == {"WWW-Authenticate": "Basic"}
    assert str(exc) == "401: Go away"
    assert repr(exc) == "HTTPException(status_code=401, detail='Go away')"


def test_http_exception_empty_detail_is_kept() -> None:
    assert HTTPException(400, detail="").detail == ""


@pytest.mark.parametrize("status_code", [499, 599, 299])
def test_http_exception_non_standard_code_without_detail(status_code: int) -> None:
    exc = HTTPException(status_code)
    assert exc.detail == ""
    assert str(exc) == f"{status_code}: "
    assert repr(exc) == f"HTTPException(status_code={status_code}, detail='')"


def test_http_exception_repr_uses_subclass_name() -> None:
    class NotFound(HTTPException):
        pass

    assert repr(NotFound(404)) == "NotFound(status_code=404, detail='Not Found')"


def test_http_exception_can_be_raised_and_caught() -> None:
    with pytest.raises(HTTPException) as info:
        raise HTTPException(413)
    assert info.value.status_code == 413
    assert info.value.detail == http.HTTPStatus(413).phrase


def test_websocket_exception() -> None:
    exc = WebSocketException(1008)
    assert exc.code == 1008
    assert exc.reason == ""
    assert str(exc) == "1008: "
    assert repr(exc) == "WebSocketException(code=1008, reason='')"


def test_websocket_exception_with_reason() -> None:
    exc = WebSocketException(code=1011, reason="boom")
    assert exc.reason == "boom"
    assert str(exc) == "1011: boom"
    assert repr(exc) == "WebSocketException(code=1011, reason='boom')"

    class Custom(WebSocketException):
        pass

    assert repr(Custom(1000, None)) == "Custom(code=1000, reason='')"


def test_starlette_deprecation_warning_is_a_user_warning() -> None:
    assert issubclass(StarletteDeprecationWarning, UserWarning)
    with pytest.warns(StarletteDeprecationWarning, match="old"):
        warnings.warn("old", StarletteDeprecationWarning, stacklevel=1)
