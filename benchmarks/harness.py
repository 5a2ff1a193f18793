"""The framework-independent half of the benchmark: ASGI calls, timing and the worker protocol.

Every side of `make bench` (this workspace, upstream Starlette, Falcon, BlackSheep) runs its own
scenario file in its own virtual environment; each of those files builds ASGI applications with
its framework and hands them to `serve()` here, so every side is timed by the same code.

Worker protocol (`run.py` speaks it, one JSON line each way):
- on start: `{"scenarios": [names]}` once every scenario was built and answered as expected;
- `{"scenario": name, "calibrate": true}` -> `{"us": estimated microseconds per operation}`;
- `{"scenario": name, "batch": n}` -> `{"us": microseconds per operation over n operations}`;
- `{"scenario": name, "probe": true}` -> `{"status": int, "body": str}`, one run's response, so
  `run.py` can check that every side answers alike;
- `{"rss": true}` -> `{"peak_rss_kib": ru_maxrss}`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import IO, Any

Scope = dict[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]
Operation = Callable[[], Awaitable[Any]]
Builder = Callable[[str], Awaitable[dict[str, Operation]]]
Probe = Callable[[], Awaitable[tuple[int, bytes]]]


def http_scope(
    path: str,
    method: str = "GET",
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"example.com"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("example.com", 80),
        "extensions": {},
        "state": {},
    }


class Call:
    """One request: a fresh scope, a receive giving the body then waiting, a counting send."""

    __slots__ = ("app", "body", "scope")

    def __init__(self, app: ASGI, scope: Scope, body: bytes = b"") -> None:
        self.app, self.scope, self.body = app, scope, body

    async def run(self, keep: list[bytes] | None = None) -> int:
        scope = dict(self.scope)
        scope["headers"] = list(self.scope["headers"])
        scope["state"] = {}
        sent_body = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif keep is not None and message["type"] == "http.response.body":
                keep.append(bytes(message.get("body", b"")))

        await self.app(scope, receive, send)
        return status

    async def probe(self) -> tuple[int, bytes]:
        chunks: list[bytes] = []
        status = await self.run(chunks)
        return status, b"".join(chunks)


def check(status: int, expected: int, name: str) -> None:
    if status != expected:
        raise SystemExit(f"scenario {name}: status {status}, expected {expected}")


async def build_calls(
    calls: dict[str, tuple[Call, int]],
) -> tuple[dict[str, Operation], dict[str, Probe]]:
    """Each call checked once for its expected status; its run is the operation to repeat."""
    operations: dict[str, Operation] = {}
    probes: dict[str, Probe] = {}
    for name, (call, expected) in calls.items():
        check(await call.run(), expected, name)
        operations[name] = call.run
        probes[name] = call.probe
    return operations, probes


# --- timing ---------------------------------------------------------------------------------


async def timed_batch(operation: Operation, n: int) -> float:
    """Microseconds per operation over `n` back-to-back runs.

    Garbage is collected before, and the collector is off during the batch, so a collection
    triggered by earlier work never lands inside one side's measurement.
    """
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            await operation()
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed / n * 1e6


async def calibrate(operation: Operation) -> float:
    """Estimated microseconds per operation, after a warm-up; costs a few tens of ms."""
    for _ in range(20):
        await operation()
    n = 1
    # Grow the batch until it lasts 2 ms, so the clock's resolution does not matter.
    while (per_op := await timed_batch(operation, n)) * n < 2000:
        n *= 2
    return min([per_op] + [await timed_batch(operation, n) for _ in range(2)])


async def measure(operation: Operation, budget: float, batch_seconds: float) -> float:
    """Best microseconds per operation over batches of about `batch_seconds`, for `budget` s."""
    n = max(1, round(batch_seconds * 1e6 / await calibrate(operation)))
    best = float("inf")
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline:
        best = min(best, await timed_batch(operation, n))
    return best


# --- entry points ---------------------------------------------------------------------------


def answer(
    command: dict[str, Any],
    operations: dict[str, Operation],
    probes: dict[str, Probe],
    loop: Any,
) -> Any:
    if command.get("rss"):
        return {"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    name = command["scenario"]
    if command.get("probe"):
        status, body = loop.run_until_complete(probes[name]())
        return {"status": status, "body": body.decode("latin-1")}
    operation = operations[name]
    if command.get("calibrate"):
        return {"us": loop.run_until_complete(calibrate(operation))}
    return {"us": loop.run_until_complete(timed_batch(operation, int(command["batch"])))}


Built = Callable[[str], Awaitable[tuple[dict[str, Operation], dict[str, Probe]]]]


def serve(build: Built, commands: Iterable[str], out: IO[str]) -> None:
    """Worker mode: build once, then answer one JSON line per command line."""
    # One loop for the whole life of the worker; stdin is read between batches, outside it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            operations, probes = loop.run_until_complete(build(tmpdir))
            # Everything built so far lives to the end: keep it out of every later collection.
            gc.collect()
            gc.freeze()
            out.write(json.dumps({"scenarios": list(operations)}) + "\n")
            out.flush()
            for line in commands:
                out.write(json.dumps(answer(json.loads(line), operations, probes, loop)) + "\n")
                out.flush()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def standalone(build: Built, quick: bool) -> dict[str, float]:
    budget = 0.3 if quick else 1.5
    with tempfile.TemporaryDirectory() as tmpdir:
        operations, _ = await build(tmpdir)
        return {name: await measure(op, budget, 0.02) for name, op in operations.items()}


def main(build: Built) -> None:
    """`--worker`: the protocol above on stdin/stdout; otherwise measure each scenario once."""
    if "--worker" in sys.argv:
        # The protocol gets a private copy of stdout; anything the framework prints goes to
        # stderr.
        out = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        serve(build, sys.stdin, out)
    else:
        results = asyncio.run(standalone(build, "--quick" in sys.argv))
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"results": results, "peak_rss_kib": peak_kib}))
