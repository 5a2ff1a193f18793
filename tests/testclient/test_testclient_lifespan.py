"""TestClient as a context manager runs the lifespan protocol, and shares one event loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from starlette.responses import JSONResponse
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]


def make_app(events: list[str], **failures: str) -> Callable[[Scope, Receive, Send], object]:
    """A raw app with lifespan support; `startup=`/`shutdown=` make that step fail."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                step = message["type"].split(".")[1]
                events.append(step)
                if step in failures:
                    failed: Message = {"type": f"lifespan.{step}.failed"}
                    if failures[step]:
                        failed["message"] = failures[step]
                    await send(failed)
                    return
                if step == "startup":
                    scope["state"]["db"] = "connected"
                    scope["state"]["counter"] = [0]
                await send({"type": f"lifespan.{step}.complete"})
                if step == "shutdown":
                    return
        scope["state"]["db"] = "changed by a request"
        scope["state"]["counter"][0] += 1
        await JSONResponse({"counter": scope["state"]["counter"][0]})(scope, receive, send)

    return app


def test_startup_and_shutdown(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(make_app(events))
    with client as entered:
        assert entered is client
        assert events == ["startup"]
        assert client.get("/").json() == {"counter": 1}
        assert client.get("/").json() == {"counter": 2}
    assert events == ["startup", "shutdown"]


def test_state_is_shallow_copied_per_request(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app([]))
    with client:
        client.get("/")
        # Rebinding a key in a request does not leak; mutating a shared object does.
        assert client.app_state["db"] == "connected"
        assert client.app_state["counter"] == [1]


def test_startup_failed_message(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(make_app(events, startup="no database"))
    with pytest.raises(RuntimeError, match="no database"):
        client.__enter__()
    assert events == ["startup"]
    assert client.portal is None


def test_startup_failed_without_message(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(make_app([], startup=""))
    with pytest.raises(RuntimeError, match=r"lifespan\.startup\.failed"), client:
        pass  # pragma: no cover


def test_shutdown_failed_message(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(make_app(events, shutdown="could not flush"))
    with pytest.raises(RuntimeError, match="could not flush"), client:
        assert client.get("/").status_code == 200
    assert events == ["startup", "shutdown"]
    assert client.portal is None


def test_startup_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        # Starlette's router reports the failure, then re-raises: the exception wins.
        await send({"type": "lifespan.startup.failed", "message": "Traceback..."})
        raise ValueError("startup crashed")

    with pytest.raises(ValueError, match="startup crashed"), test_client_factory(app):
        pass  # pragma: no cover


def test_shutdown_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        raise ValueError("after shutdown")

    client = test_client_factory(app)
    with pytest.raises(ValueError, match="after shutdown"), client:
        pass


def test_app_without_lifespan_support(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await JSONResponse({"type": scope["type"]})(scope, receive, send)

    with test_client_factory(app) as client:
        assert client.get("/").json() == {"type": "http"}


def test_app_rejecting_lifespan_raises(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http", "http only"

    with pytest.raises(AssertionError, match="http only"), test_client_factory(app):
        pass  # pragma: no cover


def test_unexpected_lifespan_message(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})

    with pytest.raises(RuntimeError) as info, test_client_factory(app):
        pass  # pragma: no cover
    assert str(info.value) == (
        'Expected ASGI message "lifespan.startup.complete" or "lifespan.startup.failed", '
        "but got 'http.response.start'."
    )


def test_lifespan_scope(test_client_factory: TestClientFactory) -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    client = test_client_factory(app)
    with client:
        pass
    assert scopes[0]["type"] == "lifespan"
    assert scopes[0]["asgi"] == {"version": "3.0", "spec_version": "2.0"}
    assert scopes[0]["state"] is client.app_state


def test_app_returning_after_startup(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        events.append("returned")

    with test_client_factory(app):
        pass
    assert events == ["returned"]


def test_client_reusable_after_exit(test_client_factory: TestClientFactory) -> None:
    events: list[str] = []
    client = test_client_factory(make_app(events))
    with client:
        pass
    with client:
        pass
    assert events == ["startup", "shutdown", "startup", "shutdown"]


def test_messages_after_shutdown_complete_are_ignored(
    test_client_factory: TestClientFactory,
) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        await send({"type": "lifespan.shutdown.complete"})

    client = test_client_factory(app)
    with client:
        pass
    assert client.portal is None
