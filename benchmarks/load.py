"""`make load`: load and fault runs of the demo application (examples/demo) under uvicorn.

1. uvicorn serves `demo.app:app` on a free loopback port, in a subprocess of its own, on the
   demo's default settings.
2. A warm-up that reaches the run's concurrency (wrk, WebSocket echo clients, chat members),
   then the server's RSS (the baseline).
3. wrk drives the route mix of `wrk_mix.lua` (pages, JSON API, static files, a login form, an
   upload) for `--duration` seconds over `--connections`.
4. `--ws-clients` concurrent WebSocket clients each exchange `--ws-messages` echoes on
   `/ws/echo`; then as many members join the chat (`/ws/chat`) and each sends one message,
   which the chat broadcasts to every member.
5. RSS again: growth from the baseline must stay under 10%.
6. The fault run: clients drop mid-upload, mid-stream and mid-WebSocket, and background tasks
   raise; then the server must still answer, every stream the clients left must be closed, and
   its file descriptors and threads (from /proc) must be back to their count before the faults.

It prints the report and writes benchmarks/LOAD.md. Timings are reported here, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO_DIR = ROOT / "examples"
HOST = "127.0.0.1"
MAX_RSS_GROWTH = 0.10
# anyio runs at most 40 worker threads at once (its default limiter) and keeps idle ones.
ANYIO_WORKER_THREADS = 40
SETTLE_SECONDS = 30.0
CLIENT_SECONDS = 120.0
BACKGROUND_ERROR = "RuntimeError: the demo's deliberate background error"

# What `wrk_mix.lua` sends, in its order (each wrk thread cycles through them).
MIX = (
    ("GET", "/", "homepage (Jinja2 template, `url_for`)"),
    ("GET", "/api/items?limit=5", "JSON list, query parameters"),
    ("GET", "/static/app.css", "static file"),
    ("GET", "/api/items/7?quantity=3", "JSON, typed path parameter"),
    ("POST", "/api/echo", "JSON body echoed"),
    ("GET", "/chat", "chat page (template)"),
    ("GET", "/static/chat.js", "static file"),
    ("POST", "/login", "urlencoded login form: 303 and a session cookie"),
    ("GET", "/api/stats", "lifespan state"),
    ("POST", "/upload", "multipart upload of a 1 KiB file and a field"),
    ("GET", "/login", "login page (template)"),
)


@dataclass
class Server:
    """uvicorn serving the demo on a free loopback port."""

    app: str = "demo.app:app"
    app_dir: Path = DEMO_DIR
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Any = None

    def start(self) -> None:
        self.port = free_port()
        # Closed by stop(): the server's log is read until then.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--app-dir",
            str(self.app_dir),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        # The demo's defaults: no `DEMO_*` variable of this shell, no `examples/.env`.
        env = {key: value for key, value in os.environ.items() if not key.startswith("DEMO_")}
        env["DEMO_ENV_FILE"] = os.devnull
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited early:\n{self.output()}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)  # polling the port until the server listens
        raise RuntimeError("uvicorn did not start listening within 30 s")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        return str(self.log.read().decode("utf-8", "replace"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None
    return int(match[1])


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def quantiles(values: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    if len(values) < 2:
        return (values[0] * 1000, values[0] * 1000) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


# -- wrk ----------------------------------------------------------------------------------------


def run_wrk(port: int, duration: int, connections: int, threads: int) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "wrk_mix.lua"),
        f"http://{HOST}:{port}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    data: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    data["errors"] = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    shown = [*command[:-1], "http://127.0.0.1:<port>"]
    data["command"] = shlex.join(shown).replace(str(ROOT) + "/", "")
    return data


def wrk_errors(result: dict[str, Any]) -> str:
    kinds = ("connect", "read", "write", "status", "timeout")
    detail = ", ".join(f"{kind} {result[kind]}" for kind in kinds if result[kind])
    return f"{result['errors']} ({detail})" if detail else "0"


# -- WebSockets ---------------------------------------------------------------------------------


def error_kinds(results: list[Any]) -> tuple[int, list[str]]:
    errors = [result for result in results if isinstance(result, BaseException)]
    return len(errors), sorted({f"{type(error).__name__}: {error}"[:120] for error in errors})


@dataclass
class Gate:
    """Opens once all `expected` clients have arrived: connected, or failed to."""

    expected: int
    arrived: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived == self.expected:
            self.opened.set()


async def echo_client(
    url: str, ident: int, messages: int, gate: Gate, latencies: list[float]
) -> None:
    arrived = False
    try:
        async with connect(url, open_timeout=30, ping_interval=None) as websocket:
            gate.arrive()
            arrived = True
            await gate.opened.wait()  # every client is connected before the first echo
            for number in range(messages):
                text = f"client {ident} message {number}"
                started = time.perf_counter()
                await websocket.send(text)
                reply = await websocket.recv()
                latencies.append(time.perf_counter() - started)
                if reply != text:
                    raise AssertionError(f"echo mismatch: {reply!r} != {text!r}")
    finally:
        if not arrived:
            gate.arrive()


async def run_echo(port: int, clients: int, messages: int) -> dict[str, Any]:
    """`clients` connections to /ws/echo at once, each sending `messages` and awaiting each echo."""
    latencies: list[float] = []
    gate = Gate(clients)
    url = f"ws://{HOST}:{port}/ws/echo"
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            asyncio.wait_for(echo_client(url, ident, messages, gate, latencies), CLIENT_SECONDS)
            for ident in range(clients)
        ),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    errors, kinds = error_kinds(results)
    p50, p99 = quantiles(latencies)
    return {
        "clients": clients,
        "messages": len(latencies),
        "errors": errors,
        "error_kinds": kinds,
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50_ms": p50,
        "p99_ms": p99,
    }


@dataclass
class Chat:
    """One chat run: once every member has joined, the first `senders` send one message each,
    and every member waits until it has received all of them."""

    members: int
    senders: int
    gate: Gate
    latencies: list[float] = field(default_factory=list)
    delivered: int = 0


async def chat_member(url: str, ident: int, chat: Chat) -> None:
    arrived = False
    try:
        async with connect(url, open_timeout=30, ping_interval=None) as websocket:
            welcome = json.loads(await websocket.recv())
            if welcome != {"type": "welcome", "user": "guest"}:
                raise AssertionError(f"unexpected welcome {welcome!r}")
            chat.gate.arrive()
            arrived = True
            await chat.gate.opened.wait()
            text = f"member {ident}"
            started = time.perf_counter()
            if ident < chat.senders:
                await websocket.send(json.dumps({"text": text}))
            seen: set[str] = set()
            while len(seen) < chat.senders:
                message = json.loads(await websocket.recv())
                seen.add(message["text"])
                if message["text"] == text:
                    chat.latencies.append(time.perf_counter() - started)
            chat.delivered += len(seen)
    finally:
        if not arrived:
            chat.gate.arrive()


async def run_chat(port: int, members: int, senders: int) -> dict[str, Any]:
    """`members` join /ws/chat; `senders` of them send a message; all must receive every one."""
    chat = Chat(members, senders, Gate(members))
    url = f"ws://{HOST}:{port}/ws/chat"
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            asyncio.wait_for(chat_member(url, ident, chat), CLIENT_SECONDS)
            for ident in range(members)
        ),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    errors, kinds = error_kinds(results)
    p50, p99 = quantiles(chat.latencies)
    return {
        "members": members,
        "senders": senders,
        "delivered": chat.delivered,
        "expected": members * senders,
        "errors": errors,
        "error_kinds": kinds,
        "seconds": elapsed,
        "rate": chat.delivered / elapsed,
        "p50_ms": p50,
        "p99_ms": p99,
    }


# -- faults -------------------------------------------------------------------------------------


async def _request(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(raw)
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


async def drop_mid_upload(port: int, number: int) -> None:
    boundary = "fault-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    _reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Content-Type: multipart/form-data; boundary={boundary}\r\n".encode()
        + b"Content-Length: 4000000\r\n\r\n"
        + head
        + b"u" * 512 * 1024
    )
    await writer.drain()
    # Half of them close politely (FIN), half reset the connection.
    if number % 2:
        writer.transport.abort()
    else:
        writer.close()


async def drop_mid_stream(port: int, number: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    # Server-sent events every 10 ms until the client leaves.
    writer.write(b"GET /events?interval=0.01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(2048)
    if number % 2:
        writer.transport.abort()
    else:
        writer.close()


async def background_raises(port: int, number: int) -> None:
    response = await _request(
        port, b"GET /boom/later HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    if not response.startswith(b"HTTP/1.1 202 ") or not response.endswith(b"accepted"):
        raise AssertionError(f"/boom/later answered {response[:80]!r}")


async def drop_mid_websocket(port: int, number: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101 "):
        raise AssertionError(f"WebSocket upgrade answered {head[:80]!r}")
    # A masked text frame "hi", its echo, then the TCP connection vanishes without a close frame.
    writer.write(b"\x81\x82\x00\x00\x00\x00hi")
    await writer.drain()
    await reader.readexactly(4)
    writer.transport.abort()


async def run_fault(
    fault: Callable[[int, int], Awaitable[None]], port: int, count: int
) -> tuple[int, list[str]]:
    limit = asyncio.Semaphore(50)

    async def one(number: int) -> None:
        async with limit:
            await asyncio.wait_for(fault(port, number), 30)

    results = await asyncio.gather(*(one(n) for n in range(count)), return_exceptions=True)
    errors = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return count - len(errors), errors


async def get_json(port: int, target: str) -> Any:
    response = await _request(
        port,
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(),
    )
    head, _, body = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200 "):
        raise AssertionError(f"{target} answered {head[:80]!r}")
    return json.loads(body)


async def still_answers(port: int, count: int) -> int:
    ok = 0
    for _ in range(count):
        with contextlib.suppress(OSError, AssertionError, ValueError):
            ok += (await get_json(port, "/api/items/1"))["id"] == 1
    return ok


def settle(pid: int, fds: int, threads: int, port: int) -> dict[str, Any]:
    """Counts once they are back at `fds`/`threads` and no stream is open, or at the deadline."""
    started = time.monotonic()
    while True:
        now_fds, now_threads = fd_count(pid), thread_count(pid)
        stats = asyncio.run(get_json(port, "/api/stats"))
        waited = time.monotonic() - started
        if (
            now_fds <= fds and now_threads <= threads and stats["streams_open"] == 0
        ) or waited > SETTLE_SECONDS:
            return {
                "fds": now_fds,
                "threads": now_threads,
                "rss": rss_kib(pid),
                "waited": waited,
                "streams_open": stats["streams_open"],
            }
        time.sleep(0.5)  # polling /proc until the server closed what the faults opened


FAULTS: dict[str, Callable[[int, int], Awaitable[None]]] = {
    "client drops mid-upload (512 KiB of 4 MB sent to `/upload`)": drop_mid_upload,
    "client drops mid-stream (endless `/events`)": drop_mid_stream,
    "background task raises after the response (`/boom/later`)": background_raises,
    "WebSocket client vanishes without a close frame (`/ws/echo`)": drop_mid_websocket,
}


def fault_round(number: int, port: int, count: int) -> list[dict[str, Any]]:
    rows = []
    for name, fault in FAULTS.items():
        done, errors = asyncio.run(run_fault(fault, port, count))
        rows.append(
            {"round": number, "fault": name, "count": count, "done": done, "errors": errors[:3]}
        )
    return rows


def run_faults(server: Server, count: int) -> dict[str, Any]:
    """Two identical rounds of faults: a leak grows with each round.

    The first round may start anyio's worker threads (uploads spool in them); that pool is
    bounded (40) and kept for reuse, so the second round must end where the first did.
    """
    pid, port = server.pid, server.port
    before = {"fds": fd_count(pid), "threads": thread_count(pid), "rss": rss_kib(pid)}
    stats_before = asyncio.run(get_json(port, "/api/stats"))
    logged_before = server.output().count(BACKGROUND_ERROR)
    rows = fault_round(1, port, count)
    # Round 1 may grow the worker-thread pool: wait for the descriptors and streams only.
    first = settle(pid, before["fds"], sys.maxsize, port)
    rows += fault_round(2, port, count)
    answered = asyncio.run(still_answers(port, 100))
    second = settle(pid, int(first["fds"]), int(first["threads"]), port)
    stats_after = asyncio.run(get_json(port, "/api/stats"))
    return {
        "rows": rows,
        "before": before,
        "first": first,
        "second": second,
        "answered": answered,
        "streams_closed": stats_after["streams_closed"] - stats_before["streams_closed"],
        "streams_dropped": 2 * count,
        "background_logged": server.output().count(BACKGROUND_ERROR) - logged_before,
    }


# -- report -------------------------------------------------------------------------------------


@dataclass
class Report:
    command: str
    machine: dict[str, str]
    wrk: dict[str, Any] = field(default_factory=dict)
    echo: dict[str, Any] = field(default_factory=dict)
    chat: dict[str, Any] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    load: dict[str, str] = field(default_factory=dict)

    def rss_growth(self) -> float:
        return (self.rss["end"] - self.rss["baseline"]) / self.rss["baseline"]

    def verdicts(self) -> list[tuple[str, bool]]:
        faults = self.faults
        return [
            ("wrk errors = 0", self.wrk["errors"] == 0),
            ("WebSocket echo errors = 0", self.echo["errors"] == 0),
            (
                "chat: no errors, every member received every message",
                self.chat["errors"] == 0 and self.chat["delivered"] == self.chat["expected"],
            ),
            (f"RSS growth < {MAX_RSS_GROWTH:.0%}", self.rss_growth() < MAX_RSS_GROWTH),
            ("every fault ran as planned", all(r["done"] == r["count"] for r in faults["rows"])),
            ("server answers after the faults (100/100)", faults["answered"] == 100),
            (
                "every stream the clients dropped was closed",
                faults["second"]["streams_open"] == 0
                and faults["streams_closed"] == faults["streams_dropped"],
            ),
            ("no fd leak", faults["second"]["fds"] <= faults["before"]["fds"]),
            (
                "no thread leak (round 2 ends at round 1's count, or at anyio's bound)",
                faults["second"]["threads"]
                <= max(faults["first"]["threads"], 1 + ANYIO_WORKER_THREADS),
            ),
        ]

    def shared_note(self) -> str:
        busiest = max(float(value.split()[0]) for value in self.load.values())
        if busiest <= (os.cpu_count() or 1):
            return ""
        return (
            " More runnable jobs than cores: other work shared the machine, so throughput and"
            " latency are lower bounds; errors, memory and leaks are what this run checks."
        )

    def header(self) -> list[str]:
        return [
            "# Load and fault runs",
            "",
            "Written by `benchmarks/load.py` (`make load`); rerun it to refresh this page.",
            "",
            f"Command: `{self.command}`"
            + (", what `make load` runs" if self.command.endswith("load.py") else ""),
            "",
            "The target is the demo application (`examples/demo`, `demo.app:app` on its default "
            "settings: every middleware of the family around templates, a JSON API, static "
            "files, forms, uploads, sessions, server-sent events and WebSockets), served by one "
            "uvicorn process on 127.0.0.1.",
            "",
            "Machine: " + ", ".join(f"{key} {value}" for key, value in self.machine.items()),
            "",
            f"Load average (1, 5, 15 min) at start: {self.load['start']}; at the end: "
            f"{self.load['end']}.{self.shared_note()}",
            "",
        ]

    def http_section(self) -> list[str]:
        wrk = self.wrk
        lines = [
            "## HTTP: wrk, the route mix of `benchmarks/wrk_mix.lua`",
            "",
            f"`{wrk['command']}` (wrk and the server share the machine's cores). Each wrk "
            "thread cycles through:",
            "",
            "| request | what |",
            "|---|---|",
        ]
        lines += [f"| `{method} {target}` | {what} |" for method, target, what in MIX]
        lines += [
            "",
            "| requests | seconds | requests/s | p50 | p90 | p99 | max | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {wrk['requests']} | {wrk['duration_us'] / 1e6:.1f} | {wrk['rps']:.0f} "
            f"| {wrk['p50_us'] / 1000:.2f} ms | {wrk['p90_us'] / 1000:.2f} ms "
            f"| {wrk['p99_us'] / 1000:.2f} ms | {wrk['max_us'] / 1000:.1f} ms "
            f"| {wrk_errors(wrk)} |",
            "",
            "Errors are wrk's connect, read, write, timeout (10 s) and status (>= 400) errors.",
            "",
        ]
        return lines

    def websocket_section(self) -> list[str]:
        echo, chat = self.echo, self.chat
        lines = [
            "## WebSockets (`websockets` library, all clients connected at once)",
            "",
            f"Echo (`/ws/echo`): {echo['clients']} clients connect; once all are in, each sends "
            "a message and awaits its echo, in turn.",
            "",
            "| clients | echoes | seconds | echoes/s | p50 | p99 | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {echo['clients']} | {echo['messages']} | {echo['seconds']:.1f} "
            f"| {echo['rate']:.0f} | {echo['p50_ms']:.2f} ms | {echo['p99_ms']:.2f} ms "
            f"| {echo['errors']} |",
            "",
            f"Chat (`/ws/chat`): {chat['members']} members join; once all are in, "
            f"{chat['senders']} of them send one message each, which the chat broadcasts to every "
            "member (the sender included). The latency is from a sender's send to its own "
            "message coming back; seconds count from the first connection to the last delivery.",
            "",
            "| members | senders | deliveries (expected) | seconds | deliveries/s | p50 | p99 "
            "| errors |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {chat['members']} | {chat['senders']} | {chat['delivered']} ({chat['expected']}) "
            f"| {chat['seconds']:.1f} | {chat['rate']:.0f} | {chat['p50_ms']:.2f} ms "
            f"| {chat['p99_ms']:.2f} ms | {chat['errors']} |",
            "",
        ]
        for name, run in (("echo", echo), ("chat", chat)):
            if run["error_kinds"]:
                lines += [f"{name} errors: " + "; ".join(run["error_kinds"]), ""]
        return lines

    def memory_section(self) -> list[str]:
        rss = self.rss
        return [
            "## Server memory (VmRSS of the uvicorn process)",
            "",
            "The baseline is taken after a warm-up that reaches the run's concurrency (5 s of wrk "
            f"with the same connections, {self.echo['clients']} echo clients connected at once "
            f"with one echo each, a chat of {self.chat['members']} members with "
            f"{self.chat['senders']} senders): what stays above it is growth that more traffic "
            "keeps adding.",
            "",
            "| at start (idle) | baseline (after the warm-up) | after wrk | after WebSockets "
            "| growth from baseline |",
            "|---:|---:|---:|---:|---:|",
            f"| {rss['idle'] / 1024:.1f} MiB | {rss['baseline'] / 1024:.1f} MiB "
            f"| {rss['after_wrk'] / 1024:.1f} MiB | {rss['end'] / 1024:.1f} MiB "
            f"| {self.rss_growth():+.1%} |",
            "",
        ]

    def fault_section(self) -> list[str]:
        faults = self.faults
        lines = [
            "## Fault run",
            "",
            "| round | fault | clients | done as planned | first errors |",
            "|---:|---|---:|---:|---|",
        ]
        for row in faults["rows"]:
            sample = "; ".join(row["errors"]) or "-"
            lines.append(
                f"| {row['round']} | {row['fault']} | {row['count']} | {row['done']} | {sample} |"
            )
        before, first, second = faults["before"], faults["first"], faults["second"]
        lines += [
            "",
            "Each fault kind ran twice (two rounds); counts are read from `/proc/<pid>` and "
            "`/api/stats` once the server has closed what the clients left (waited "
            f"{first['waited']:.1f} s and {second['waited']:.1f} s).",
            "",
            "| | before the faults | after round 1 | after round 2 |",
            "|---|---:|---:|---:|",
            f"| open file descriptors | {before['fds']} | {first['fds']} | {second['fds']} |",
            f"| threads | {before['threads']} | {first['threads']} | {second['threads']} |",
            f"| RSS | {before['rss'] / 1024:.1f} MiB | {first['rss'] / 1024:.1f} MiB "
            f"| {second['rss'] / 1024:.1f} MiB |",
            f"| open event streams | 0 | {first['streams_open']} | {second['streams_open']} |",
            "",
            "Threads: uvicorn serves on one thread; static files and uploads use anyio's worker "
            f"threads, at most {ANYIO_WORKER_THREADS} at once, kept idle for reuse. A leak shows "
            f"as growth past round 1's count and past 1 + {ANYIO_WORKER_THREADS}.",
            "",
            f"After the faults the server answered {faults['answered']}/100 requests; the demo "
            f"counted {faults['streams_closed']} event streams closed (of "
            f"{faults['streams_dropped']} the clients dropped); uvicorn logged "
            f"{faults['background_logged']} background-task exceptions (one per request: they "
            "raise after the response went out).",
            "",
        ]
        return lines

    def markdown(self) -> str:
        lines = self.header() + self.http_section() + self.websocket_section()
        lines += self.memory_section() + self.fault_section()
        lines += ["## Verdicts", ""]
        lines += [f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in self.verdicts()]
        return "\n".join(lines) + "\n"


def machine() -> dict[str, str]:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import uvicorn

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()
    return {
        "CPU": f"{os.cpu_count()} x {cpu}",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "uvicorn": f"{uvicorn.__version__} (h11, asyncio)",
        "websockets": importlib.metadata.version("websockets"),
        "wrk": wrk[1] if len(wrk) > 1 else "?",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="wrk seconds (default 60)")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--ws-clients", type=int, default=500, help="echo clients, chat members")
    parser.add_argument("--ws-messages", type=int, default=20, help="echoes per client")
    parser.add_argument("--chat-senders", type=int, default=50, help="chat members who talk")
    parser.add_argument("--faults", type=int, default=200, help="clients per fault kind")
    parser.add_argument("--output", type=Path, default=HERE / "LOAD.md")
    args = parser.parse_args()

    command = shlex.join([".venv/bin/python", "benchmarks/load.py", *sys.argv[1:]])
    report = Report(command=command, machine=machine())
    report.load["start"] = load_average()
    server = Server()
    server.start()
    try:
        report.rss["idle"] = rss_kib(server.pid)
        print(f"uvicorn pid {server.pid} on port {server.port}; warm-up...", flush=True)
        run_wrk(server.port, 5, args.connections, args.threads)
        asyncio.run(run_echo(server.port, args.ws_clients, 1))
        asyncio.run(run_chat(server.port, args.ws_clients, args.chat_senders))
        report.rss["baseline"] = rss_kib(server.pid)
        print(f"wrk for {args.duration} s over {args.connections} connections...", flush=True)
        report.wrk = run_wrk(server.port, args.duration, args.connections, args.threads)
        report.rss["after_wrk"] = rss_kib(server.pid)
        print(f"{args.ws_clients} WebSocket echo clients, then chat members...", flush=True)
        report.echo = asyncio.run(run_echo(server.port, args.ws_clients, args.ws_messages))
        report.chat = asyncio.run(run_chat(server.port, args.ws_clients, args.chat_senders))
        report.rss["end"] = rss_kib(server.pid)
        print(f"fault run, {args.faults} clients per fault...", flush=True)
        report.faults = run_faults(server, args.faults)
    finally:
        server.stop()
    report.load["end"] = load_average()
    text = report.markdown()
    args.output.write_text(text)
    print(text)
    return 0 if all(ok for _, ok in report.verdicts()) else 1


if __name__ == "__main__":
    sys.exit(main())
