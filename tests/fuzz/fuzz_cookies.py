"""Fuzz target: `cookie_parser` and `Request.cookies` on any `Cookie` header bytes.

Checks: no exception; names and values are stripped `str`; a header rebuilt from plain pairs
parses back to the same pairs; several `Cookie` headers merge, the later one winning.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["starlette"]):
    from starlette.requests import Request, cookie_parser

SEEDS = [
    b"a=1; b=2",
    b'session="eyJ1c2VyIjogMX0=\\054abc"; theme=dark',
    b"=novalue; ;; justvalue; x = y ",
    b'q="\\"quoted\\"\\012"; r="unterminated',
    b"\xff\xfe=\x00; caf\xc3\xa9=cr\xc3\xa8me",
]


def _is_plain(text: str) -> bool:
    # No separator, no surrounding space, no quoting: such a pair must survive a round trip.
    return text == text.strip() and not any(c in text for c in ';="\\') and text.isprintable()


def check_parser(header: str) -> dict[str, str]:
    cookies = cookie_parser(header)
    for name, value in cookies.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise AssertionError(f"non-str cookie {name!r}={value!r}")
        if name != name.strip():
            raise AssertionError(f"unstripped cookie name {name!r}")
    plain = {k: v for k, v in cookies.items() if k and _is_plain(k) and _is_plain(v)}
    rebuilt = "; ".join(f"{k}={v}" for k, v in plain.items())
    if cookie_parser(rebuilt) != plain:
        raise AssertionError(f"round trip of {plain!r} gave {cookie_parser(rebuilt)!r}")
    return cookies


def TestOneInput(data: bytes) -> None:
    first, _, second = data.partition(b"\n")
    expected = check_parser(first.decode("latin-1"))
    request = Request({"type": "http", "headers": [(b"cookie", first)]})
    if request.cookies != expected:
        raise AssertionError(f"Request.cookies {request.cookies!r} != {expected!r}")
    merged = Request({"type": "http", "headers": [(b"cookie", first), (b"cookie", second)]})
    later = check_parser(second.decode("latin-1"))
    for name, value in later.items():
        if merged.cookies.get(name) != value:
            raise AssertionError(f"merged cookies lost {name!r}={value!r}: {merged.cookies!r}")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
