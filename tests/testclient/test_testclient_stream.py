"""`client.stream()` hands the response over before the app finishes; closing early cancels it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from starlette.responses import StreamingResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

TestClientFactory = Callable[..., TestClient]


def test_stream_returns_before_the_app_finishes(test_client_factory: TestClientFactory) -> None:
    events: dict[str, anyio.Event] = {}
    progress: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return  # no lifespan support: the client carries on without it
        events["go"] = anyio.Event()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await events["go"].wait()
        progress.append("released")
        await send({"type": "http.response.body", "body": b"second"})
        progress.append("finished")

    with test_client_factory(app) as client, client.stream("GET", "/") as response:
        assert response.status_code == 200
        chunks = response.iter_bytes()
        assert next(chunks) == b"first"
        # The app is still blocked on the event: the test got the chunk first.
        assert progress == []
        assert client.portal is not None
        client.portal.call(events["go"].set)
        assert next(chunks) == b"second"
        assert list(chunks) == []
    assert progress == ["released", "finished"]


def test_closing_early_cancels_the_app(test_client_factory: TestClientFactory) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        try:
            # Nothing will come: the body is not finished, so no disconnect either.
            await receive()
            await receive()
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")
            raise

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        assert next(response.iter_bytes()) == b"first"
    assert seen == ["cancelled"]


def test_closing_early_inside_a_with_block(test_client_factory: TestClientFactory) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")
            raise

    with test_client_factory(app) as client:
        with client.stream("GET", "/") as response:
            assert response.status_code == 200
        assert seen == ["cancelled"]
        # The shared portal is still usable.
        with client.stream("GET", "/") as response:
            pass
    assert seen == ["cancelled", "cancelled"]


def test_exception_while_streaming(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        raise ValueError("broken stream")

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        chunks = response.iter_bytes()
        assert next(chunks) == b"first"
        with pytest.raises(ValueError, match="broken stream"):
            next(chunks)


def test_streaming_response_chunks(test_client_factory: TestClientFactory) -> None:
    async def numbers() -> Any:
        for number in range(3):
            yield f"{number},"

    client = test_client_factory(StreamingResponse(numbers(), media_type="text/plain"))
    with client.stream("GET", "/") as response:
        assert list(response.iter_text()) == ["0,", "1,", "2,"]


def test_trailers_arrive_after_the_body(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "trailers": True})
        await send({"type": "http.response.body", "body": b"data"})
        await send({"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]})

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        trailers = response.extensions["http.response.trailers"]
        assert trailers == []
        assert response.read() == b"data"
        # The same list, filled in place.
        assert response.extensions["http.response.trailers"] is trailers
        assert trailers == [(b"x-sum", b"1")]


def test_closing_an_unread_complete_response_waits_for_the_app(
    test_client_factory: TestClientFactory,
) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b"all"})
        await anyio.sleep(0)
        seen.append("after response")

    client = test_client_factory(app)
    with client.stream("GET", "/") as response:
        assert response.status_code == 200
    assert seen == ["after response"]
