"""The demo under uvicorn and under hypercorn, over TCP: httpx and the `websockets` client.

Every test runs against both servers (the `demo` fixture of `conftest.py`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import itsdangerous
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from .conftest import SECRET_KEY, DemoServer, start_demo

MIB = 1024 * 1024


def login(client: httpx.Client, username: str = "alice", password: str = "wonderland") -> None:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/private"


def post_once(server: DemoServer, path: str, **kwargs: Any) -> httpx.Response:
    with server.client() as client:
        return client.post(path, **kwargs)


def wait_for_stats(server: DemoServer, **expected: int) -> dict[str, int]:
    """Poll `/api/stats` (with a deadline) until it reports `expected`."""
    deadline = time.monotonic() + 10
    with server.client() as client:
        while True:
            stats: dict[str, int] = client.get("/api/stats").json()
            if all(stats[key] == value for key, value in expected.items()):
                return stats
            assert time.monotonic() < deadline, f"stats stayed {stats}, expected {expected}"
            time.sleep(0.02)


def test_homepage_from_template_with_static_assets(demo: DemoServer) -> None:
    with demo.client() as client:
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        # The site name comes from the `.env` file the demo's `Config` reads.
        assert "<title>Integration demo</title>" in page.text
        css_url = re.search(r'<link rel="stylesheet" href="([^"]+)">', page.text)
        js_url = re.search(r'<script src="([^"]+app\.js)" defer>', page.text)
        assert css_url
        assert js_url
        assert css_url[1] == f"{demo.base_url}/static/app.css"
        css, js = client.get(css_url[1]), client.get(js_url[1])
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "--paper: #fafaf5" in css.text
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "EventSource" in js.text


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/login", '<input name="password" type="password"'),
        ("/upload", 'enctype="multipart/form-data"'),
        ("/chat", '<ol id="messages" data-socket="ws://127.0.0.1:'),
        ("/static/chat.js", "new WebSocket(list.dataset.socket)"),
    ],
)
def test_pages_and_assets(demo: DemoServer, path: str, marker: str) -> None:
    with demo.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    assert marker in response.text


def test_json_api_typed_path_and_query_parameters(demo: DemoServer) -> None:
    with demo.client() as client:
        item = client.get("/api/items/7", params={"quantity": "3"})
        page = client.get("/api/items", params={"limit": "2", "offset": "10"})
        bad_query = client.get("/api/items", params={"limit": "lots"})
        missing = client.get("/api/items/999")
        not_an_int = client.get("/api/items/seven")
        echo = client.post("/api/echo", json={"a": [1, 2]})
        bad_json = client.post("/api/echo", content=b"{nope", headers={"content-type": "x/y"})
    assert item.status_code == 200
    assert item.json() == {"id": 7, "name": "Item 7", "price": 8.75, "quantity": 3, "total": 26.25}
    assert [entry["id"] for entry in page.json()["items"]] == [11, 12]
    assert page.json()["total"] == 50
    assert bad_query.status_code == 400
    assert bad_query.json() == {"detail": "limit must be an integer from 1 to 100"}
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No item 999"}
    # `{item_id:int}` does not match at all: the custom 404 handler answers, in JSON under /api/.
    assert not_an_int.status_code == 404
    assert not_an_int.json() == {"detail": "Not Found"}
    assert echo.json() == {"received": {"a": [1, 2]}}
    assert bad_json.status_code == 400
    assert bad_json.json() == {"detail": "The body must be JSON"}


def test_custom_404_and_500_pages_leave_the_server_healthy(demo: DemoServer) -> None:
    with demo.client() as client:
        missing = client.get("/no/such/page")
        api_missing = client.get("/api/nothing")
    # The server closes a connection an unhandled error went through: use a new one after it.
    with demo.client() as client:
        boom = client.get("/boom")
    with demo.client() as client:
        after = client.get("/")
    assert missing.status_code == 404
    assert "<h1>Page not found</h1>" in missing.text
    assert "<code>/no/such/page</code>" in missing.text
    assert boom.status_code == 500
    assert "<h1>Something went wrong</h1>" in boom.text
    assert "deliberate" not in boom.text  # no traceback leaks without debug
    assert api_missing.json() == {"detail": "Not Found"}
    assert after.status_code == 200
    assert "RuntimeError: the demo's deliberate error" in demo.output()


def test_gzip_for_clients_that_accept_it(demo: DemoServer) -> None:
    gzip_only = {"accept-encoding": "gzip"}
    with demo.client() as client:
        with client.stream("GET", "/api/items?limit=100", headers=gzip_only) as zipped:
            raw = b"".join(zipped.iter_raw())
        plain = client.get("/api/items?limit=100", headers={"accept-encoding": "identity"})
        small = client.get("/api/items/1", headers=gzip_only)
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert len(raw) < len(plain.content)
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert "content-encoding" not in plain.headers
    assert "content-encoding" not in small.headers  # under GZip's minimum size


def test_trusted_host_refuses_other_hosts(demo: DemoServer) -> None:
    with demo.client() as client:
        evil = client.get("/", headers={"host": "evil.example"})
        local = client.get("/api/items/1", headers={"host": f"localhost:{demo.port}"})
    assert evil.status_code == 400
    assert evil.text == "Invalid host header"
    assert local.status_code == 200
    # The socket goes to the demo; the handshake names another host.
    with (
        socket.create_connection(("127.0.0.1", demo.port), timeout=10) as sock,
        pytest.raises(InvalidStatus) as refused,
    ):
        connect(f"ws://evil.example:{demo.port}/ws/chat", sock=sock, open_timeout=10).close()
    assert refused.value.response.status_code == 400
    assert refused.value.response.body == b"Invalid host header"


def test_cors_for_the_configured_origin_only(demo: DemoServer) -> None:
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    with demo.client() as client:
        allowed = client.options(
            "/api/echo", headers={"origin": "http://allowed.example", **preflight}
        )
        other = client.options("/api/echo", headers={"origin": "http://other.example", **preflight})
        simple = client.get("/api/items/1", headers={"origin": "http://allowed.example"})
        foreign = client.get("/api/items/1", headers={"origin": "http://other.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert other.status_code == 400
    assert other.text == "Disallowed CORS origin"
    assert simple.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "origin" in simple.headers["vary"].lower()
    # The server still answers; the browser is what withholds the body from the other origin.
    assert foreign.status_code == 200
    assert "access-control-allow-origin" not in foreign.headers


def test_login_session_cookie_across_requests(demo: DemoServer) -> None:
    with demo.client() as client:
        anonymous = client.get("/private")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("http://127.0.0.1:")
        assert "/login?next=" in anonymous.headers["location"]
        assert client.get("/api/me").status_code == 403
        wrong = client.post("/login", data={"username": "alice", "password": "nope"})
        assert wrong.status_code == 401
        assert "wrong password" in wrong.text
        assert "session" not in client.cookies

        response = client.post("/login", data={"username": "alice", "password": "wonderland"})
        assert response.status_code == 303
        assert response.headers["location"] == "/private"
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("session=")
        assert "httponly" in cookie
        assert "samesite=lax" in cookie

        first, second = client.get("/private"), client.get("/private")
        assert '<p id="greeting">Hello, alice!</p>' in first.text
        assert '<span id="visits">1</span>' in first.text
        assert '<span id="visits">2</span>' in second.text
        assert client.get("/api/me").json()["user"] == "alice"

        assert client.post("/logout").status_code == 303
        assert client.get("/api/me").status_code == 403

    # A cookie signed with another key is ignored.
    with demo.client(cookies={"session": "eyJ1c2VyIjogImFsaWNlIn0=.forged.sig"}) as client:
        assert client.get("/api/me").status_code == 403


def test_login_returns_only_to_local_pages(demo: DemoServer) -> None:
    credentials = {"username": "bob", "password": "builder"}
    with demo.client() as client:
        local = client.post("/login?next=/chat", data=credentials)
        remote = client.post("/login?next=http://evil.example/x", data=credentials)
    assert local.headers["location"] == "/chat"
    assert remote.headers["location"] == "/private"


def test_upload_of_20_mib(demo: DemoServer) -> None:
    payload = bytes(range(256)) * (20 * MIB // 256)
    files = {"file": ("big.bin", payload, "application/octet-stream")}
    with demo.client() as client:
        response = client.post("/upload", files=files, data={"note": "twenty"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "big.bin",
        "content_type": "application/octet-stream",
        "size": 20 * MIB,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "note": "twenty",
    }


def test_upload_form_limits(demo: DemoServer) -> None:
    three_files = [("file", (f"{n}.txt", b"x", "text/plain")) for n in range(3)]
    long_note = {"note": "n" * (65 * 1024)}
    # A new connection for each: a refused form may be answered before its body is fully read.
    too_many = post_once(demo, "/upload", files=three_files)
    too_long = post_once(demo, "/upload", files={"file": ("a.txt", b"x")}, data=long_note)
    no_file = post_once(demo, "/upload", data={"note": "only"})
    assert too_many.status_code == 400
    assert "Too many files" in too_many.text
    assert too_long.status_code == 400
    assert "Part exceeded maximum size of 64KB." in too_long.text
    assert no_file.status_code == 400
    assert "Choose a file to upload" in no_file.text


def test_event_stream_is_read_incrementally_and_survives_a_disconnect(demo: DemoServer) -> None:
    before = wait_for_stats(demo, streams_open=0)
    events: list[dict[str, float]] = []
    with demo.client() as client:
        # An endless stream: reading three events proves they arrive before the response ends.
        with client.stream(
            "GET", "/events?interval=0.05", headers={"accept-encoding": "gzip"}
        ) as response:
            assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert "content-encoding" not in response.headers  # never buffered by GZip
            # Keep the iterator: dropping it early would close the response (httpcore does).
            lines = response.iter_lines()
            while len(events) < 3:
                line = next(lines)
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))
            wait_for_stats(demo, streams_open=1)
        # Leaving the block closed the connection mid-stream: the server notices and cleans up.
        stats = wait_for_stats(demo, streams_open=0, streams_closed=before["streams_closed"] + 1)
        assert stats["pid"] == before["pid"]
        assert [event["n"] for event in events] == [1, 2, 3]
        finite = client.get("/events?count=3&interval=0.01")
        assert finite.text.count("event: tick\n") == 3
        assert finite.text.startswith("id: 1\nevent: tick\ndata: ")
        assert client.get("/events?interval=-1").status_code == 400
        assert client.get("/").status_code == 200


def test_websocket_chat_round_trip(demo: DemoServer) -> None:
    with demo.client() as client:
        login(client)
        cookie = f"session={client.cookies['session']}"
    url = f"{demo.ws_url}/ws/chat"
    with (
        connect(url, open_timeout=10, proxy=None, close_timeout=5) as guest,
        connect(
            url, additional_headers={"cookie": cookie}, open_timeout=10, proxy=None, close_timeout=5
        ) as alice,
    ):
        assert json.loads(guest.recv(timeout=10)) == {"type": "welcome", "user": "guest"}
        assert json.loads(alice.recv(timeout=10)) == {"type": "welcome", "user": "alice"}
        alice.send(json.dumps({"text": "hello over TCP"}))
        expected = {"type": "message", "user": "alice", "text": "hello over TCP"}
        assert json.loads(alice.recv(timeout=10)) == expected
        assert json.loads(guest.recv(timeout=10)) == expected
        guest.send(json.dumps({"text": "hi"}))
        assert json.loads(alice.recv(timeout=10))["user"] == "guest"


def test_websocket_echo(demo: DemoServer) -> None:
    with connect(f"{demo.ws_url}/ws/echo", open_timeout=10, proxy=None, close_timeout=5) as echo:
        for text in ("hello", "ünïcödé ✓", "", "x" * 70_000):
            echo.send(text)
            assert echo.recv(timeout=10) == text


def test_background_task_failure_is_logged_after_a_complete_response(demo: DemoServer) -> None:
    with demo.client() as client:
        later = client.get("/boom/later")
    with demo.client() as client:
        after = client.get("/api/items/1")
    assert later.status_code == 202
    assert later.text == "accepted"
    assert after.status_code == 200
    deadline = time.monotonic() + 10
    while "RuntimeError: the demo's deliberate background error" not in demo.output():
        assert time.monotonic() < deadline, demo.output()
        time.sleep(0.02)  # polling the server's log, which it writes after the response


@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn"])
def test_graceful_shutdown_runs_the_lifespan_exit(kind: str, tmp_path: Path) -> None:
    server = start_demo(kind, tmp_path)
    try:
        with server.client() as client:
            upload = client.post("/upload", files={"file": ("a.txt", b"abc")})
        assert upload.json()["size"] == 3
        (pid,) = server.worker_pids()
        code = server.stop(signal.SIGTERM)
    finally:
        server.kill()
    output = server.output()
    # uvicorn re-raises the signal once it has shut down, so that its parent sees how it ended.
    assert code == (-signal.SIGTERM if kind == "uvicorn" else 0), output
    assert f"demo[{pid}]: lifespan shutdown: resources closed after 1 uploads" in output
    assert "Traceback" not in output


def test_secret_key_is_the_configured_one(demo: DemoServer) -> None:
    # A session signed with the configured key (as another instance would sign it) is honoured.
    data = base64.b64encode(json.dumps({"user": "bob"}).encode())
    cookie = itsdangerous.TimestampSigner(SECRET_KEY).sign(data).decode()
    with demo.client(cookies={"session": cookie}) as client:
        assert client.get("/api/me").json()["user"] == "bob"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_make_run_script_prints_the_url_and_stops_cleanly(sig: int, tmp_path: Path) -> None:
    server = start_demo("serve", tmp_path)
    try:
        with server.client() as client:
            assert client.get("/").status_code == 200
        code = server.stop(sig)
    finally:
        server.kill()
    output = server.output()
    assert f"Serving the demo on http://127.0.0.1:{server.port} (press Ctrl-C to stop)" in output
    assert code == 0, output
    assert "lifespan shutdown: resources closed" in output
    assert output.rstrip().endswith("Stopped.")
    assert "Traceback" not in output
