"""The demo under `uvicorn --workers 2`: a session made by one worker is honoured by the other.

Sessions are signed cookies, so any worker (or any replica behind a load balancer) that shares the
secret key reads them. Which worker accepts a connection is the kernel's choice; to make each step
deterministic the test pauses one worker (SIGSTOP) so the next connection can only go to the other.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import DemoServer, start_demo


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    server = start_demo("uvicorn", tmp_path_factory.mktemp("workers"), workers=2)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def paused(pid: int) -> Iterator[None]:
    """Stop worker `pid` so that only the other worker accepts connections, then resume it."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def me(server: DemoServer, cookies: httpx.Cookies) -> dict[str, object]:
    # A fresh client each time: a new connection, so the kernel picks the worker anew.
    with server.client(cookies=cookies) as client:
        response = client.get("/api/me")
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def test_two_worker_processes_serve_the_demo(workers: DemoServer) -> None:
    pids = workers.worker_pids()
    assert len(pids) == 2
    assert workers.process.pid not in pids
    for pid in pids:
        other = next(p for p in pids if p != pid)
        with paused(other), workers.client() as client:
            assert client.get("/api/stats").json()["pid"] == pid


def test_a_session_from_one_worker_is_honoured_by_the_other(workers: DemoServer) -> None:
    first, second = workers.worker_pids()
    with paused(second), workers.client() as client:
        login = client.post("/login", data={"username": "alice", "password": "wonderland"})
        assert login.status_code == 303
        cookies = client.cookies
        assert me(workers, cookies) == {"user": "alice", "visits": 1, "pid": first}

    # The second worker never saw the login: the signed cookie is all it needs.
    with paused(first):
        assert me(workers, cookies) == {"user": "alice", "visits": 1, "pid": second}

    # A session changed by the second worker is read back by the first.
    with paused(first), workers.client(cookies=cookies) as client:
        assert client.get("/api/me").json()["visits"] == 1
        assert client.get("/api/me").json() == {"user": "alice", "visits": 2, "pid": second}
        cookies = client.cookies
    with paused(second):
        assert me(workers, cookies) == {"user": "alice", "visits": 3, "pid": first}


def test_both_workers_run_the_lifespan_exit_on_shutdown(tmp_path: Path) -> None:
    server = start_demo("uvicorn", tmp_path, workers=2)
    try:
        started = sorted(server.worker_pids())
        code = server.stop(signal.SIGTERM)
    finally:
        server.kill()
    output = server.output()
    assert code in (0, -signal.SIGTERM), output
    assert sorted(server.worker_pids("shutdown")) == started, output
