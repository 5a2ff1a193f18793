"""sentry-sdk's Starlette and FastAPI integrations on starlette-full.

Sentry reads `starlette.__version__` to decide whether Starlette is installed and which code path
to take; without it the integrations quietly disable themselves. Events go to an in-memory
transport (no network). The SDK patches Starlette's classes for good when it starts, so each
scenario runs in a fresh interpreter instead of patching the classes of this test session.
"""

import json
import subprocess
import sys
from typing import Any

SCENARIO = r"""
import json, sys
import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.transport import Transport

events = []


class MemoryTransport(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                events.append(item.payload.json)


sentry_sdk.init(
    dsn="https://public@sentry.invalid/1",
    transport=MemoryTransport,
    integrations=[StarletteIntegration(), FastApiIntegration()],
    default_integrations=False,
    auto_enabling_integrations=False,
)
enabled = sorted(sentry_sdk.get_client().integrations)

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

if sys.argv[1] == "fastapi":
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def fail(item_id: int):
        raise ZeroDivisionError("no items today")

    @app.get("/ok")
    async def ok():
        return {"ok": True}
else:
    async def fail(request):
        raise ZeroDivisionError("no items today")

    async def ok(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/items/{item_id:int}", fail), Route("/ok", ok)])

client = TestClient(app, raise_server_exceptions=False)
statuses = [client.get("/ok").status_code, client.get("/items/3").status_code]
sentry_sdk.flush()
print(json.dumps({"enabled": enabled, "statuses": statuses, "events": events}))
"""


def run(kind: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", SCENARIO, kind], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    output: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return output


def test_starlette_integration_captures_a_failing_request() -> None:
    result = run("starlette")
    assert "starlette" in result["enabled"]
    assert result["statuses"] == [200, 500]
    (event,) = result["events"]
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ZeroDivisionError", "no items today")
    assert exception["mechanism"]["type"] == "starlette"
    assert exception["mechanism"]["handled"] is False
    assert event["request"]["url"] == "http://testserver/items/3"
    assert event["request"]["method"] == "GET"
    assert event["transaction"] == "/items/{item_id:int}"


def test_fastapi_integration_captures_a_failing_request() -> None:
    result = run("fastapi")
    assert {"fastapi", "starlette"} <= set(result["enabled"])
    assert result["statuses"] == [200, 500]
    (event,) = result["events"]
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("ZeroDivisionError", "no items today")
    assert exception["mechanism"]["handled"] is False
    assert event["request"]["url"] == "http://testserver/items/3"
    assert event["transaction"] == "/items/{item_id}"
