"""sse-starlette's `EventSourceResponse`, streaming from Starlette and FastAPI apps on
starlette-full."""

import functools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sse_starlette import EventSourceResponse, JSONServerSentEvent, ServerSentEvent

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.routing import Route


@pytest.fixture
def client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    backend: Any = anyio_backend_name
    return functools.partial(TestClient, backend=backend)


def parse_events(body: str) -> list[dict[str, str]]:
    """Split an event stream into events, each a dict of its fields (comments under ":")."""
    events = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        if not chunk:
            continue
        fields: dict[str, str] = {}
        for line in chunk.split("\n"):
            name, _, value = line.partition(":")
            value = value.lstrip()
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value
        events.append(fields)
    return events


async def ticks(request: Request) -> EventSourceResponse:
    count = int(request.query_params.get("count", "3"))

    async def generate() -> AsyncIterator[Any]:
        yield {"event": "start", "data": "begin"}
        for i in range(count):
            yield ServerSentEvent(data=f"tick {i}", id=str(i), event="tick")
        yield "line one\nline two"
        yield ServerSentEvent(comment="done", retry=1500)

    return EventSourceResponse(generate(), headers={"X-Stream": "ticks"})


def test_event_source_response_streams_events(client_factory) -> None:
    app = Starlette(routes=[Route("/events", ticks)])
    with client_factory(app).stream("GET", "/events?count=2") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["x-stream"] == "ticks"
        assert response.headers["cache-control"] == "no-store"
        body = response.read().decode()
    assert parse_events(body) == [
        {"event": "start", "data": "begin"},
        {"id": "0", "event": "tick", "data": "tick 0"},
        {"id": "1", "event": "tick", "data": "tick 1"},
        {"data": "line one\nline two"},
        {"": "done", "retry": "1500"},
    ]


def test_gzip_middleware_leaves_event_streams_alone(client_factory) -> None:
    app = Starlette(
        routes=[Route("/events", ticks)], middleware=[Middleware(GZipMiddleware, minimum_size=1)]
    )
    response = client_factory(app).get("/events?count=50", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert len(parse_events(response.text)) == 53


def test_fastapi_endpoint_streams_json_events_and_runs_background(client_factory) -> None:
    finished: list[str] = []
    app = FastAPI()

    @app.get("/prices/{symbol}")
    async def prices(symbol: str) -> EventSourceResponse:
        async def generate() -> AsyncIterator[JSONServerSentEvent]:
            for price in (1.5, 2.25):
                yield JSONServerSentEvent(data={"symbol": symbol, "price": price})

        async def done() -> None:
            finished.append(symbol)

        return EventSourceResponse(generate(), background=BackgroundTask(done))

    response = client_factory(app).get("/prices/ACME")
    events = parse_events(response.text)
    assert [json.loads(event["data"]) for event in events] == [
        {"symbol": "ACME", "price": 1.5},
        {"symbol": "ACME", "price": 2.25},
    ]
    assert finished == ["ACME"]


def test_closing_the_stream_stops_an_endless_generator(client_factory) -> None:
    state: dict[str, Any] = {"sent": 0, "closed": False}

    async def endless(request: Request) -> EventSourceResponse:
        async def generate() -> AsyncIterator[dict[str, str]]:
            try:
                while True:
                    state["sent"] += 1
                    yield {"data": str(state["sent"])}
                    await anyio.sleep(0)
            finally:
                state["closed"] = True

        return EventSourceResponse(generate())

    app = Starlette(routes=[Route("/endless", endless)])
    received = []
    with client_factory(app).stream("GET", "/endless") as response:
        for line in response.iter_lines():
            if line.startswith("data:"):
                received.append(line)
            if len(received) == 3:
                break
    assert received == ["data: 1", "data: 2", "data: 3"]
    assert state["closed"] is True
