"""GZip matches content types against precomputed exclusions as the pattern-by-pattern rule does."""

from __future__ import annotations

import pytest

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, _is_excluded


def excluded_by_scan(content_type: str, excluded: tuple[str, ...]) -> bool:
    """The rule, pattern by pattern, as the documentation states it."""
    media_type = content_type.partition(";")[0].strip().lower()
    if not media_type:
        return False
    for pattern in excluded:
        if pattern.endswith("/*"):
            if media_type.startswith(pattern[:-1]):
                return True
        elif media_type == pattern or media_type.startswith(pattern + "+"):
            return True
    return False


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/plain",
        "text/html; charset=utf-8",
        "image/png",
        "IMAGE/PNG",
        "video/mp4",
        "application/json",
        "application/grpc",
        "application/grpc+proto",
        "application/grpcx",
        "text/event-stream",
        "text/event-stream; charset=utf-8",
        "application/zip",
        " font/woff2 ",
    ],
)
def test_exclusions_match_the_pattern_by_pattern_rule(content_type: str) -> None:
    for excluded in (DEFAULT_EXCLUDED_CONTENT_TYPES, ("text/*",), ("application/json",), ()):
        assert _is_excluded(content_type, excluded) == excluded_by_scan(content_type, excluded)


def test_exclusions_accept_a_list() -> None:
    assert _is_excluded("image/png", ["image/*"])  # type: ignore[arg-type]
    assert not _is_excluded("text/plain", ["image/*"])  # type: ignore[arg-type]
