from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import starlette.routing
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.types import Message, Scope

TestClientFactory = Callable[..., Any]


async def show_state(request: Request) -> Response:
    return PlainTextResponse(str(request.scope.get("state", {}).get("db")))


async def run_lifespan(
    app: Any, scope: Scope | None = None, fail_on: str | None = None
) -> list[Message]:
    """Drive the lifespan protocol by hand; returns what the app sent."""
    messages: list[Message] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        messages.append(message)

    await app({"type": "lifespan", "state": {}, **(scope or {})}, receive, send)
    return messages


def test_lifespan_context_manager_with_state(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    seen_app: list[Any] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        seen_app.append(app)
        events.append("startup")
        yield {"db": "connected"}
        events.append("shutdown")

    router = Router([Route("/", show_state)], lifespan=lifespan)
    with test_client_factory(router) as client:
        assert events == ["startup"]
        assert client.get("/").text == "connected"
    assert events == ["startup", "shutdown"]
    assert seen_app == [router]


def test_lifespan_without_state(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield

    router = Router([Route("/", show_state)], lifespan=lifespan)
    with test_client_factory(router) as client:
        assert client.get("/").text == "None"


@pytest.mark.anyio
async def test_lifespan_receives_scope_app() -> None:
    seen: list[Any] = []
    marker = object()

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        seen.append(app)
        yield

    messages = await run_lifespan(Router(lifespan=lifespan), {"app": marker})
    assert seen == [marker]
    assert [m["type"] for m in messages] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


@pytest.mark.anyio
async def test_lifespan_state_unsupported_by_server() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"db": 1}

    router = Router(lifespan=lifespan)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError, match='The server does not support "state" in the lifespan'):
        await router({"type": "lifespan"}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert 'does not support "state"' in sent[0]["message"]


@pytest.mark.anyio
async def test_lifespan_startup_failed() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        raise ValueError("database down")
        yield  # pragma: no cover

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="database down"):
        await Router(lifespan=lifespan)({"type": "lifespan", "state": {}}, receive, send)
    assert len(sent) == 1
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "Traceback" in sent[0]["message"]
    assert "ValueError: database down" in sent[0]["message"]


@pytest.mark.anyio
async def test_lifespan_shutdown_failed() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        raise ValueError("flush failed")

    sent: list[Message] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="flush failed"):
        await Router(lifespan=lifespan)({"type": "lifespan", "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "ValueError: flush failed" in sent[1]["message"]


def test_lifespan_failure_through_test_client(test_client_factory: TestClientFactory) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("no startup")
        yield  # pragma: no cover

    with (
        pytest.raises(RuntimeError, match="no startup"),
        test_client_factory(Router(lifespan=lifespan)),
    ):
        pass  # pragma: no cover


def test_async_generator_lifespan_is_deprecated(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        events.append("startup")
        yield {"db": "agen"}
        events.append("shutdown")

    with pytest.warns(
        StarletteDeprecationWarning, match="async generator function lifespans are deprecated"
    ):
        router = Router([Route("/", show_state)], lifespan=lifespan)  # type: ignore[arg-type]
    with test_client_factory(router) as client:
        assert client.get("/").text == "agen"
    assert events == ["startup", "shutdown"]


def test_generator_lifespan_is_deprecated(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    def lifespan(app: Any) -> Iterator[dict[str, str]]:
        events.append("startup")
        yield {"db": "gen"}
        events.append("shutdown")

    with pytest.warns(
        StarletteDeprecationWarning, match="^generator function lifespans are deprecated"
    ):
        router = Router([Route("/", show_state)], lifespan=lifespan)  # type: ignore[arg-type]
    with test_client_factory(router) as client:
        assert client.get("/").text == "gen"
    assert events == ["startup", "shutdown"]


def test_on_startup_and_on_shutdown_are_deprecated(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    def sync_startup() -> None:
        events.append("sync startup")

    async def async_startup() -> None:
        events.append("async startup")

    async def shutdown() -> None:
        events.append("shutdown")

    def sync_shutdown() -> None:
        events.append("sync shutdown")

    with pytest.warns(DeprecationWarning, match="on_startup and on_shutdown parameters"):
        router = Router(
            on_startup=[sync_startup, async_startup], on_shutdown=[shutdown, sync_shutdown]
        )
    with test_client_factory(router):
        assert events == ["sync startup", "async startup"]
    assert events == ["sync startup", "async startup", "shutdown", "sync shutdown"]


@pytest.mark.parametrize(
    "handlers",
    [{"on_startup": True}, {"on_shutdown": True}, {"on_startup": True, "on_shutdown": True}],
)
def test_lifespan_wins_over_event_handlers_with_a_warning(
    test_client_factory: TestClientFactory, handlers: dict[str, bool]
) -> None:
    # 0.47 code passing both: 0.47 warned and ran the lifespan alone; so does the router.
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("lifespan startup")
        yield
        events.append("lifespan shutdown")

    kwargs = {key: [lambda key=key: events.append(key)] for key in handlers}
    with (
        pytest.warns(DeprecationWarning, match="on_startup and on_shutdown parameters"),
        pytest.warns(
            UserWarning,
            match=r"^The `lifespan` parameter cannot be used with `on_startup` or `on_shutdown`\. "
            r"Both `on_startup` and `on_shutdown` will be ignored\.$",
        ) as records,
    ):
        router = Router(lifespan=lifespan, **kwargs)  # type: ignore[arg-type]
    # Named after starlette.routing, as 0.47.3 names it (users' `filterwarnings` entries match
    # the module), not after this caller.
    (ignored,) = [r for r in records if "cannot be used with" in str(r.message)]
    assert ignored.filename == starlette.routing.__file__
    with test_client_factory(router):
        assert events == ["lifespan startup"]
    assert events == ["lifespan startup", "lifespan shutdown"]


def test_lifespan_with_empty_event_lists_does_not_warn() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield  # pragma: no cover

    router = Router(on_startup=[], on_shutdown=[], lifespan=lifespan)
    assert router.lifespan_context is lifespan


def test_on_event_and_add_event_handler(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    router = Router()

    with pytest.warns(DeprecationWarning, match="The `on_event` decorator is deprecated"):

        @router.on_event("startup")
        async def startup() -> None:
            events.append("startup")

    # 0.47's add_event_handler never warned: neither does ours (under "error" filters too).
    router.add_event_handler("shutdown", lambda: events.append("shutdown"))

    with test_client_factory(router):
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


def test_unknown_event_type() -> None:
    router = Router()
    with pytest.raises(AssertionError, match="Unknown event type 'restart'"):
        router.add_event_handler("restart", lambda: None)


@pytest.mark.anyio
async def test_startup_and_shutdown_methods_run_the_handlers_without_warning() -> None:
    events: list[str] = []
    with pytest.warns(DeprecationWarning, match="on_startup and on_shutdown parameters"):
        router = Router(
            on_startup=[lambda: events.append("up")], on_shutdown=[lambda: events.append("down")]
        )
    # As in 0.47: the methods themselves never warned.
    await router.startup()
    await router.shutdown()
    assert events == ["up", "down"]


def test_default_lifespan_without_handlers(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(Router([Route("/", show_state)])) as client:
        assert client.get("/").status_code == 200


@pytest.mark.anyio
async def test_lifespan_of_mounted_router_is_not_run() -> None:
    # Only the outermost router gets the lifespan scope; mounts are not consulted for it.
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def inner_lifespan(app: Any) -> AsyncIterator[None]:
        events.append("inner")  # pragma: no cover
        yield  # pragma: no cover

    inner = Router(lifespan=inner_lifespan)
    outer = Router([Mount("/inner", app=inner)])
    messages = await run_lifespan(outer)
    assert messages[-1]["type"] == "lifespan.shutdown.complete"
    assert events == []
