"""The deprecation warnings of starlette-routing, as users' `filterwarnings` see them.

Each row is one feature: the exact text, the category and the module the warning names are
those upstream Starlette emits for it (0.47.3 for the APIs 1.x removed, 1.x for the others),
observed by running upstream in a separate virtualenv.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

import starlette.routing
from starlette.exceptions import StarletteDeprecationWarning
from starlette.routing import Router, iscoroutinefunction_or_partial


async def async_gen_lifespan(app: Any) -> AsyncIterator[None]:
    yield  # pragma: no cover


def gen_lifespan(app: Any) -> Iterator[None]:
    yield  # pragma: no cover


WARNINGS: list[tuple[str, Callable[[], object], type[Warning], str]] = [
    (
        "on_startup",
        lambda: Router(on_startup=[lambda: None]),
        DeprecationWarning,
        "The on_startup and on_shutdown parameters are deprecated, and they will be removed on "
        "version 1.0. Use the lifespan parameter instead. See more about it on "
        "https://www.starlette.io/lifespan/.",
    ),
    (
        "on_shutdown",
        lambda: Router(on_shutdown=[lambda: None]),
        DeprecationWarning,
        "The on_startup and on_shutdown parameters are deprecated, and they will be removed on "
        "version 1.0. Use the lifespan parameter instead. See more about it on "
        "https://www.starlette.io/lifespan/.",
    ),
    (
        "async generator lifespan",
        lambda: Router(lifespan=async_gen_lifespan),  # type: ignore[arg-type]
        StarletteDeprecationWarning,
        "async generator function lifespans are deprecated, "
        "use an @contextlib.asynccontextmanager function instead",
    ),
    (
        "generator lifespan",
        lambda: Router(lifespan=gen_lifespan),  # type: ignore[arg-type]
        StarletteDeprecationWarning,
        "generator function lifespans are deprecated, "
        "use an @contextlib.asynccontextmanager function instead",
    ),
    (
        "on_event",
        lambda: Router().on_event("startup"),
        DeprecationWarning,
        "The `on_event` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/lifespan/ for recommended approach.",
    ),
    (
        "route",
        lambda: Router().route("/"),
        DeprecationWarning,
        # No space after "1.0.0.": upstream's text exactly.
        "The `route` decorator is deprecated, and will be removed in version 1.0.0."
        "Refer to https://www.starlette.io/routing/#http-routing for the recommended approach.",
    ),
    (
        "websocket_route",
        lambda: Router().websocket_route("/ws"),
        DeprecationWarning,
        "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
        "Refer to https://www.starlette.io/routing/#websocket-routing for the recommended "
        "approach.",
    ),
    (
        "iscoroutinefunction_or_partial",
        lambda: iscoroutinefunction_or_partial(len),
        DeprecationWarning,
        "iscoroutinefunction_or_partial is deprecated, and will be removed in a future release.",
    ),
]


@pytest.mark.parametrize(
    ("trigger", "category", "message"),
    [row[1:] for row in WARNINGS],
    ids=[row[0] for row in WARNINGS],
)
def test_deprecation_matches_upstream(
    trigger: Callable[[], object], category: type[Warning], message: str
) -> None:
    with pytest.warns(category, match=f"^{re.escape(message)}$") as record:
        trigger()
    assert len(record) == 1
    warning = record[0]
    # The category itself, not a subclass: a DeprecationWarning is hidden by default and a
    # StarletteDeprecationWarning (a UserWarning) is not; filters on either must act as upstream.
    assert warning.category is category
    # Upstream names starlette.routing itself: filters with a module regex match that.
    assert warning.filename == starlette.routing.__file__


@pytest.mark.parametrize("module", ["starlette.routing", "starlette"])
def test_module_filters_match_as_upstream(module: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
        Router().on_event("startup")


def test_removed_apis_that_never_warned_still_do_not() -> None:
    router = Router()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        router.add_event_handler("startup", lambda: None)
        anyio.run(router.startup)
        anyio.run(router.shutdown)
