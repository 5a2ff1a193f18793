"""`make load`: load and fault runs of the load target (benchmarks/load_app.py) under uvicorn.

1. uvicorn serves the app on a free loopback port, in a subprocess of its own.
2. A short wrk warm-up, then the server's RSS (the baseline).
3. wrk drives the route mix of `wrk_mix.lua` for `--duration` seconds over `--connections`.
4. `--ws-clients` concurrent WebSocket clients each exchange `--ws-messages` echoes.
5. RSS again: growth from the baseline must stay under 10%.
6. The fault run: clients drop mid-upload, mid-stream and mid-WebSocket, and background tasks
   raise; then the server must still answer and its file descriptors and threads (from /proc)
   must be back to their count before the faults.

It prints a table and writes benchmarks/LOAD.md. Timings are reported here, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
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
HOST = "127.0.0.1"
MAX_RSS_GROWTH = 0.10
# anyio runs at most 40 worker threads at once (its default limiter) and keeps idle ones.
ANYIO_WORKER_THREADS = 40
SETTLE_SECONDS = 30.0


@dataclass
class Server:
    """uvicorn serving `app` (an import string) on a free loopback port."""

    app: str
    app_dir: Path
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
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
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


# -- wrk ----------------------------------------------------------------------------------------


def run_wrk(
    port: int, duration: int, connections: int, threads: int, paths: tuple[str, ...] = ()
) -> dict[str, Any]:
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
        *(["--", *paths] if paths else []),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    data: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    data["errors"] = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    url = command.index(f"http://{HOST}:{port}")
    data["command"] = shlex.join([*command[:url], "http://127.0.0.1:<port>", *command[url + 1 :]])
    return data


def wrk_errors(result: dict[str, Any]) -> str:
    kinds = ("connect", "read", "write", "status", "timeout")
    detail = ", ".join(f"{kind} {result[kind]}" for kind in kinds if result[kind])
    return f"{result['errors']} ({detail})" if detail else "0"


# -- WebSocket echo clients ---------------------------------------------------------------------


async def websocket_client(url: str, ident: int, messages: int, latencies: list[float]) -> None:
    async with connect(url, open_timeout=30, ping_interval=None) as websocket:
        for number in range(messages):
            text = f"client {ident} message {number}"
            started = time.perf_counter()
            await websocket.send(text)
            reply = await websocket.recv()
            latencies.append(time.perf_counter() - started)
            if reply != text:
                raise AssertionError(f"echo mismatch: {reply!r} != {text!r}")


async def run_websockets(port: int, clients: int, messages: int) -> dict[str, Any]:
    latencies: list[float] = []
    url = f"ws://{HOST}:{port}/ws"
    started = time.perf_counter()
    results = await asyncio.gather(
        *(websocket_client(url, ident, messages, latencies) for ident in range(clients)),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - started
    errors = [result for result in results if isinstance(result, BaseException)]
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "clients": clients,
        "messages": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted({type(error).__name__ for error in errors}),
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
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
        b"POST /upload HTTP/1.1\r\nHost: load\r\n"
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
    writer.write(b"GET /endless HTTP/1.1\r\nHost: load\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    await reader.readexactly(4096)
    if number % 2:
        writer.transport.abort()
    else:
        writer.close()


async def background_raises(port: int, number: int) -> None:
    response = await _request(
        port, b"GET /background-fail HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n"
    )
    if not response.startswith(b"HTTP/1.1 200 ") or not response.endswith(b"accepted"):
        raise AssertionError(f"background-fail answered {response[:80]!r}")


async def drop_mid_websocket(port: int, number: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b"GET /ws HTTP/1.1\r\nHost: load\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101 "):
        raise AssertionError(f"WebSocket upgrade answered {head[:80]!r}")
    # A masked text frame "hi", then the TCP connection vanishes without a close frame.
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


async def still_answers(port: int, count: int) -> int:
    ok = 0
    for _ in range(count):
        response = await _request(
            port, b"GET /plain HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n"
        )
        ok += response.startswith(b"HTTP/1.1 200 ") and response.endswith(b"Hello, world!")
    return ok


def settle(pid: int, fds: int, threads: int) -> dict[str, float]:
    """Counts once they are back at `fds`/`threads`, or at the deadline (a leak)."""
    started = time.monotonic()
    while True:
        now_fds, now_threads = fd_count(pid), thread_count(pid)
        waited = time.monotonic() - started
        if (now_fds <= fds and now_threads <= threads) or waited > SETTLE_SECONDS:
            return {"fds": now_fds, "threads": now_threads, "rss": rss_kib(pid), "waited": waited}
        time.sleep(0.5)  # polling /proc until the server closed what the faults opened


FAULTS: dict[str, Callable[[int, int], Awaitable[None]]] = {
    "client drops mid-upload (512 KiB of 4 MB sent)": drop_mid_upload,
    "client drops mid-stream (endless response)": drop_mid_stream,
    "background task raises after the response": background_raises,
    "WebSocket client vanishes without a close frame": drop_mid_websocket,
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

    The first round may start anyio's worker threads (uploads spool to disk in them); that pool
    is bounded (40) and kept for reuse, so the second round must end where the first did.
    """
    pid = server.pid
    before = {"fds": fd_count(pid), "threads": thread_count(pid), "rss": rss_kib(pid)}
    rows = fault_round(1, server.port, count)
    # Round 1 may grow the worker-thread pool: wait for the descriptors only.
    first = settle(pid, before["fds"], sys.maxsize)
    rows += fault_round(2, server.port, count)
    answered = asyncio.run(still_answers(server.port, 100))
    second = settle(pid, int(first["fds"]), int(first["threads"]))
    logged = server.output().count("RuntimeError: background task failure")
    return {
        "rows": rows,
        "before": before,
        "first": first,
        "second": second,
        "answered": answered,
        "background_logged": logged,
    }


# -- the demo application ----------------------------------------------------------------------

DEMO_DIR = ROOT / "examples"
# Pages and API routes of examples/demo that answer a plain GET without logging in.
DEMO_PATHS = ("/", "/api/items", "/api/items/1", "/api/stats", "/static/app.css", "/chat")


def run_demo(duration: int, connections: int, threads: int) -> dict[str, Any]:
    """The same wrk load on the demo (GETs of `DEMO_PATHS`), when examples/demo is importable."""
    server = Server("demo.app:app", DEMO_DIR)
    server.start()
    try:
        idle = rss_kib(server.pid)
        run_wrk(server.port, 5, connections, threads, DEMO_PATHS)
        baseline = rss_kib(server.pid)
        result = run_wrk(server.port, duration, connections, threads, DEMO_PATHS)
        result["rss"] = {"idle": idle, "baseline": baseline, "end": rss_kib(server.pid)}
        return result
    finally:
        server.stop()


def demo_importable() -> bool:
    probe = [sys.executable, "-c", "import demo.app"]
    return (DEMO_DIR / "demo").is_dir() and (
        subprocess.run(probe, cwd=DEMO_DIR, capture_output=True).returncode == 0
    )


# -- report -------------------------------------------------------------------------------------


@dataclass
class Report:
    command: str
    machine: dict[str, str]
    wrk: dict[str, Any] = field(default_factory=dict)
    websockets: dict[str, Any] = field(default_factory=dict)
    rss: dict[str, int] = field(default_factory=dict)
    faults: dict[str, Any] = field(default_factory=dict)
    demo: dict[str, Any] = field(default_factory=dict)
    load: dict[str, str] = field(default_factory=dict)

    def rss_growth(self) -> float:
        return (self.rss["end"] - self.rss["baseline"]) / self.rss["baseline"]

    def verdicts(self) -> list[tuple[str, bool]]:
        faults = self.faults
        return [
            ("wrk errors = 0", self.wrk["errors"] == 0),
            ("WebSocket errors = 0", self.websockets["errors"] == 0),
            (f"RSS growth < {MAX_RSS_GROWTH:.0%}", self.rss_growth() < MAX_RSS_GROWTH),
            ("every fault ran as planned", all(r["done"] == r["count"] for r in faults["rows"])),
            ("server answers after the faults (100/100)", faults["answered"] == 100),
            ("no fd leak", faults["second"]["fds"] <= faults["before"]["fds"]),
            (
                "no thread leak (round 2 ends at round 1's count, or at anyio's bound)",
                faults["second"]["threads"]
                <= max(faults["first"]["threads"], 1 + ANYIO_WORKER_THREADS),
            ),
        ]

    def demo_verdicts(self) -> list[tuple[str, bool]]:
        if not self.demo:
            return []
        rss = self.demo["rss"]
        growth = (rss["end"] - rss["baseline"]) / rss["baseline"]
        return [
            ("demo: wrk errors = 0", self.demo["errors"] == 0),
            (f"demo: RSS growth < {MAX_RSS_GROWTH:.0%}", growth < MAX_RSS_GROWTH),
        ]

    def demo_markdown(self) -> list[str]:
        if not self.demo:
            return ["## The demo application", "", "examples/demo was not importable: not run.", ""]
        demo, rss = self.demo, self.demo["rss"]
        growth = (rss["end"] - rss["baseline"]) / rss["baseline"]
        return [
            "## The demo application (examples/demo), same wrk load",
            "",
            f"`{demo['command']}`, from `examples/` (`demo.app:app` under the same uvicorn).",
            "",
            "| requests | seconds | requests/s | p50 | p90 | p99 | max | errors "
            "| RSS idle / baseline / end |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {demo['requests']} | {demo['duration_us'] / 1e6:.1f} | {demo['rps']:.0f} "
            f"| {demo['p50_us'] / 1000:.2f} ms | {demo['p90_us'] / 1000:.2f} ms "
            f"| {demo['p99_us'] / 1000:.2f} ms | {demo['max_us'] / 1000:.1f} ms "
            f"| {wrk_errors(demo)} | {rss['idle'] / 1024:.1f} / {rss['baseline'] / 1024:.1f} / "
            f"{rss['end'] / 1024:.1f} MiB ({growth:+.1%}) |",
            "",
        ]

    def shared_note(self) -> str:
        busiest = max(float(value.split()[0]) for value in self.load.values())
        if busiest <= (os.cpu_count() or 1):
            return ""
        return (
            " More runnable jobs than cores: other work shared the machine, so throughput and"
            " latency are lower bounds; errors, memory and leaks are what this run checks."
        )

    def markdown(self) -> str:
        wrk, ws, rss, faults = self.wrk, self.websockets, self.rss, self.faults
        lines = [
            "# Load and fault runs",
            "",
            "Written by `benchmarks/load.py` (`make load`); rerun it to refresh this page.",
            "",
            f"Command: `{self.command}`"
            + (", what `make load` runs" if self.command.endswith("load.py") else ""),
            "",
            "The load target is `benchmarks/load_app.py` (plain text, JSON with path and query "
            "parameters, a urlencoded form, a multipart upload, streaming responses, a WebSocket "
            "echo, a background task that raises), served by one uvicorn process on 127.0.0.1.",
            "",
            "Machine: " + ", ".join(f"{key} {value}" for key, value in self.machine.items()),
            "",
            f"Load average (1, 5, 15 min) at start: {self.load['start']}; at the end: "
            f"{self.load['end']}.{self.shared_note()}",
            "",
            "## HTTP: wrk, route mix of `benchmarks/wrk_mix.lua`",
            "",
            f"`{wrk['command']}` (wrk and the server share the machine's cores)",
            "",
            "| requests | seconds | requests/s | p50 | p90 | p99 | max | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {wrk['requests']} | {wrk['duration_us'] / 1e6:.1f} | {wrk['rps']:.0f} "
            f"| {wrk['p50_us'] / 1000:.2f} ms | {wrk['p90_us'] / 1000:.2f} ms "
            f"| {wrk['p99_us'] / 1000:.2f} ms | {wrk['max_us'] / 1000:.1f} ms "
            f"| {wrk_errors(wrk)} |",
            "",
            "Errors are wrk's connect, read, write, timeout and status (>= 400) errors.",
            "",
            "## WebSocket echo clients (`websockets` library, all connected at once)",
            "",
            "| clients | echoes | seconds | echoes/s | p50 | p99 | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {ws['clients']} | {ws['messages']} | {ws['seconds']:.1f} | {ws['rate']:.0f} "
            f"| {ws['p50_ms']:.2f} ms | {ws['p99_ms']:.2f} ms | {ws['errors']} |",
            "",
            "## Server memory (VmRSS of the uvicorn process)",
            "",
            "The baseline is taken after a warm-up that reaches the run's concurrency (5 s of wrk "
            f"with the same connections, then {self.websockets['clients']} WebSocket clients with "
            "one echo each): what stays above it is growth that more traffic keeps adding.",
            "",
            "| at start (idle) | baseline (after the warm-up) | after wrk | after WebSockets "
            "| growth from baseline |",
            "|---:|---:|---:|---:|---:|",
            f"| {rss['idle'] / 1024:.1f} MiB | {rss['baseline'] / 1024:.1f} MiB "
            f"| {rss['after_wrk'] / 1024:.1f} MiB | {rss['end'] / 1024:.1f} MiB "
            f"| {self.rss_growth():+.1%} |",
            "",
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
            "Each fault kind ran twice (two rounds); counts are read from `/proc/<pid>` once the "
            "server has closed what the clients left (waited "
            f"{first['waited']:.1f} s and {second['waited']:.1f} s).",
            "",
            "| | before the faults | after round 1 | after round 2 |",
            "|---|---:|---:|---:|",
            f"| open file descriptors | {before['fds']} | {first['fds']} | {second['fds']} |",
            f"| threads | {before['threads']} | {first['threads']} | {second['threads']} |",
            f"| RSS | {before['rss'] / 1024:.1f} MiB | {first['rss'] / 1024:.1f} MiB "
            f"| {second['rss'] / 1024:.1f} MiB |",
            "",
            "Threads: uvicorn serves on one thread; uploads spool to disk in anyio's worker "
            f"threads, at most {ANYIO_WORKER_THREADS} at once, kept idle for reuse. A leak shows "
            f"as growth past round 1's count and past 1 + {ANYIO_WORKER_THREADS}.",
            "",
            f"After the faults the server answered {faults['answered']}/100 plain requests; "
            f"uvicorn logged {faults['background_logged']} background-task exceptions "
            f"(one per request: they raise after the response went out).",
            "",
        ]
        lines += self.demo_markdown()
        lines += ["## Verdicts", ""]
        verdicts = self.verdicts() + self.demo_verdicts()
        lines += [f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in verdicts]
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
    parser.add_argument("--ws-clients", type=int, default=500)
    parser.add_argument("--ws-messages", type=int, default=20)
    parser.add_argument("--faults", type=int, default=200, help="clients per fault kind")
    parser.add_argument("--app", default="load_app:app", help="uvicorn import string")
    parser.add_argument("--app-dir", type=Path, default=HERE)
    parser.add_argument("--output", type=Path, default=HERE / "LOAD.md")
    parser.add_argument("--no-demo", action="store_true", help="skip the run on examples/demo")
    args = parser.parse_args()

    argv = [".venv/bin/python", "benchmarks/load.py", *sys.argv[1:]]
    command = shlex.join(argv)
    report = Report(command=command, machine=machine())
    report.load["start"] = load_average()
    server = Server(args.app, args.app_dir)
    server.start()
    try:
        report.rss["idle"] = rss_kib(server.pid)
        print(f"uvicorn pid {server.pid} on port {server.port}; warm-up...", flush=True)
        run_wrk(server.port, 5, args.connections, args.threads)
        asyncio.run(run_websockets(server.port, args.ws_clients, 1))
        report.rss["baseline"] = rss_kib(server.pid)
        print(f"wrk for {args.duration} s over {args.connections} connections...", flush=True)
        report.wrk = run_wrk(server.port, args.duration, args.connections, args.threads)
        report.rss["after_wrk"] = rss_kib(server.pid)
        print(f"{args.ws_clients} WebSocket clients...", flush=True)
        report.websockets = asyncio.run(
            run_websockets(server.port, args.ws_clients, args.ws_messages)
        )
        report.rss["end"] = rss_kib(server.pid)
        print(f"fault run, {args.faults} clients per fault...", flush=True)
        report.faults = run_faults(server, args.faults)
    finally:
        server.stop()
    if not args.no_demo and demo_importable():
        print("the same wrk load on examples/demo...", flush=True)
        report.demo = run_demo(args.duration, args.connections, args.threads)
    report.load["end"] = load_average()
    text = report.markdown()
    args.output.write_text(text)
    print(text)
    return 0 if all(ok for _, ok in report.verdicts() + report.demo_verdicts()) else 1


if __name__ == "__main__":
    sys.exit(main())
