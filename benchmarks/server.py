"""`make bench-server`: the same application under real servers, ours against upstream.

`server_app.py` (hello and the demo's JSON endpoint, behind the demo's middleware) is served by
uvicorn (httptools parser) and by granian (ASGI interface), one worker each, on a free loopback
port, from two virtual environments of `benchmarks/`: `.venv-server-ours` (the family's
distributions, installed editable from `packages/`, so a later run serves the code as it is
then) and `.venv-server-upstream` (upstream Starlette 1.10.0, the API level the family
implements).
wrk drives each endpoint for `--duration` seconds over `--connections` connections; the server
is pinned to one CPU and wrk to the other. Sides alternate, `--rounds` times each, and the best
round is kept (host noise only ever slows a round down). Every run must end with 0 errors
(connect, read, write, timeout, non-2xx), or the run fails. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"
SERVERS_REQUIREMENTS = ["uvicorn==0.54.0", "httptools", "granian==2.8.9"]
SIDES: dict[str, list[str]] = {
    # Editable: the environment is made once, and must serve the working tree as it is now.
    "ours": [
        argument
        for path in sorted((ROOT / "packages").iterdir())
        if (path / "pyproject.toml").exists()
        for argument in ("-e", str(path))
    ],
    "upstream": ["starlette==1.10.0", "itsdangerous"],
}
ENDPOINTS = {"hello": "/", "json": "/api/items/7?quantity=3"}


def ensure(side: str) -> Path:
    venv = HERE / f".venv-server-{side}"
    python = venv / "bin" / "python"
    if not python.exists():
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        uv = [sys.executable, "-m", "uv"]
        subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, venv], check=True)
        # --no-config: the workspace settings (its override that drops upstream `starlette`, its
        # editable members) must not apply to these environments.
        install: list[str | Path] = [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--no-config",
            "--python",
            python,
        ]
        subprocess.run([*install, *SIDES[side], *SERVERS_REQUIREMENTS], check=True, env=env)
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def command(server: str, python: Path, port: int) -> list[str]:
    if server == "uvicorn":
        return [
            str(python), "-m", "uvicorn", "server_app:app", "--host", HOST, "--port", str(port),
            "--http", "httptools", "--loop", "asyncio", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    return [
        str(python), "-m", "granian", "--interface", "asgi", "--host", HOST, "--port", str(port),
        "--workers", "1", "--loop", "asyncio", "--no-ws", "--log-level", "warning",
        "server_app:app",
    ]  # fmt: skip


class Server:
    """One server process serving `server_app:app`, pinned to `cpu`, stopped on exit."""

    def __init__(self, server: str, python: Path, cpu: int | None) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(command(server, python, self.port), cwd=HERE)
        if cpu is not None:
            os.sched_setaffinity(self.process.pid, {cpu})
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError as exc:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"{server} did not start: {exc}") from exc
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wrk(port: int, path: str, seconds: int, connections: int, cpu: int | None) -> dict[str, Any]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    args += ["-s", str(HERE / "wrk_report.lua"), f"http://{HOST}:{port}{path}"]
    if cpu is not None:
        args = ["taskset", "-c", str(cpu), *args]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    data: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    data["errors"] = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="runs per side, alternating")
    parser.add_argument("--output", type=Path, default=HERE / "server-results.json")
    options = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu, wrk_cpu = (cpus[-1], cpus[0]) if len(cpus) > 1 else (None, None)
    pythons = {side: ensure(side) for side in SIDES}
    rows: list[dict[str, Any]] = []
    failed = False
    for server in ("uvicorn", "granian"):
        for endpoint, path in ENDPOINTS.items():
            best: dict[str, dict[str, Any]] = {}
            for i in range(options.rounds):
                for side in list(SIDES)[:: 1 if i % 2 == 0 else -1]:
                    running = Server(server, pythons[side], server_cpu)
                    try:
                        wrk(running.port, path, 1, options.connections, wrk_cpu)  # warm-up
                        run = wrk(
                            running.port, path, options.duration, options.connections, wrk_cpu
                        )
                    finally:
                        running.stop()
                    failed |= run["errors"] > 0
                    if side not in best or run["rps"] > best[side]["rps"] or run["errors"]:
                        best[side] = run
            row: dict[str, Any] = {"server": server, "endpoint": endpoint, **best}
            rows.append(row)
            print(f"{server} {endpoint}: done", file=sys.stderr)
    options.output.write_text(
        json.dumps({"connections": options.connections, "rows": rows}, indent=2)
    )
    print(f"\n{'server':<9}{'endpoint':<9}{'ours req/s':>12}{'upstream req/s':>16}{'ratio':>8}"
          f"{'ours p99':>10}{'upstream p99':>14}{'errors':>8}")  # fmt: skip
    for row in rows:
        ours, upstream = row["ours"], row["upstream"]
        print(
            f"{row['server']:<9}{row['endpoint']:<9}{ours['rps']:>12.0f}{upstream['rps']:>16.0f}"
            f"{ours['rps'] / upstream['rps']:>7.2f}x{ours['p99_us'] / 1000:>8.2f}ms"
            f"{upstream['p99_us'] / 1000:>12.2f}ms{ours['errors'] + upstream['errors']:>8}"
        )
    print(f"\nresults written to {options.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
