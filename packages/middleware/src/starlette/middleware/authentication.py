"""`AuthenticationMiddleware`, re-exported from `starlette.authentication` (starlette-auth)."""

from __future__ import annotations

try:
    from starlette.authentication import AuthenticationMiddleware
except ImportError as exc:
    raise ImportError(
        "AuthenticationMiddleware is part of the starlette-auth distribution: "
        'pip install "starlette-middleware[auth]"'
    ) from exc

__all__ = ["AuthenticationMiddleware"]
