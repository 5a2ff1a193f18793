"""Real servers for the integration tests: the demo of `examples/` in a subprocess.

`start_demo` picks a free loopback port, starts uvicorn or hypercorn on it, waits (with a
deadline) until the demo answers, and `DemoServer.stop` always ends the process group it started.
The server's output goes to a file, so a failure message can show it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET_KEY = "integration-tests-secret-key"
STARTUP_DEADLINE = 30.0
STOP_DEADLINE = 20.0
# Every network call of these tests is bounded.
TIMEOUT = httpx.Timeout(10.0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DemoServer:
    kind: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def worker_pids(self, event: str = "startup") -> list[int]:
        """The processes that ran the demo's lifespan `event`, in the order they logged it."""
        pattern = rf"demo\[(\d+)\]: lifespan {event}"
        return [int(pid) for pid in re.findall(pattern, self.output())]

    def client(self, **kwargs: Any) -> httpx.Client:
        # trust_env=False: a proxy configured in the environment must not see loopback calls.
        return httpx.Client(base_url=self.base_url, timeout=TIMEOUT, trust_env=False, **kwargs)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the server with `sig` and return its exit code; kill it past the deadline."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.wait(STOP_DEADLINE)

    def kill(self) -> None:
        """Kill the server and its workers (its own process group) while it still runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(STOP_DEADLINE)


def server_command(kind: str, port: int, workers: int) -> list[str]:
    if kind == "serve":  # what `make run` runs; the port comes from DEMO_PORT
        return [sys.executable, str(EXAMPLES / "serve.py")]
    if kind == "uvicorn":
        command = [sys.executable, "-m", "uvicorn", "demo.app:app", "--app-dir", str(EXAMPLES)]
        command += ["--host", "127.0.0.1", "--port", str(port), "--timeout-graceful-shutdown", "5"]
        return command + (["--workers", str(workers)] if workers > 1 else [])
    assert kind == "hypercorn"
    assert workers == 1
    command = [sys.executable, "-m", "hypercorn", "demo.app:app", "--bind", f"127.0.0.1:{port}"]
    return [*command, "--graceful-timeout", "5"]


def demo_environment(tmp_path: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEMO_")}
    env_file = tmp_path / "demo.env"
    # The `.env` file the demo's `Config` reads: the site name comes only from here.
    env_file.write_text('DEMO_SITE_NAME="Integration demo"\n')
    env.update(
        PYTHONPATH=str(EXAMPLES),
        PYTHONUNBUFFERED="1",
        DEMO_ENV_FILE=str(env_file),
        DEMO_SECRET_KEY=SECRET_KEY,
        DEMO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DEMO_CORS_ORIGIN="http://allowed.example",
    )
    env.update(settings)
    return env


def wait_until_ready(server: DemoServer, workers: int) -> bool:
    """True once the demo answers (every worker has started); False if the process died."""
    deadline = time.monotonic() + STARTUP_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with server.client() as client:
                answered = client.get("/api/stats", timeout=1.0).status_code == 200
        except httpx.TransportError:
            answered = False
        if answered and len(set(server.worker_pids())) >= workers:
            return True
        time.sleep(0.05)  # polling a port with a deadline, not timing
    server.kill()
    raise AssertionError(f"{server.kind} did not start in time:\n{server.output()}")


def start_demo(
    kind: str, tmp_path: Path, workers: int = 1, settings: dict[str, str] | None = None
) -> DemoServer:
    env = demo_environment(tmp_path, settings or {})
    # Another process may take the probed port before the server binds it: then try another.
    for attempt in range(3):
        port = free_port()
        log_path = tmp_path / f"{kind}-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                server_command(kind, port, workers),
                env={**env, "DEMO_PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        server = DemoServer(kind, port, process, log_path)
        if wait_until_ready(server, workers):
            return server
        server.kill()
        if "address already in use" not in server.output().lower() or attempt == 2:
            break
    raise AssertionError(f"{kind} exited at startup:\n{server.output()}")


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoServer]:
    """The demo under each server, shared by the tests of a module."""
    server = start_demo(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield server
    finally:
        server.stop()
