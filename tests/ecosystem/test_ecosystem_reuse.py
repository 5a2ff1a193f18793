"""The examples of docs/guides/reuse-in-other-frameworks.md, run exactly as the page shows them,
then their `app` driven further on asyncio and on trio."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import anyio

from starlette.datastructures import Headers

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "reuse-in-other-frameworks.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TITLES = ["router", "datastructures", "middleware", "testclient"]


def page_examples() -> dict[str, str]:
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == len(TITLES)
    return dict(zip(TITLES, blocks, strict=True))


def run_example(name: str) -> dict[str, Any]:
    """Run one example as a script would run (its own asserts included); return its globals."""
    namespace: dict[str, Any] = {"__name__": f"reuse_example_{name}"}
    exec(compile(page_examples()[name], f"{PAGE.name}:{name}", "exec"), namespace)
    return namespace


def test_router_as_the_whole_app(test_client_factory) -> None:
    app = run_example("router")["app"]
    with test_client_factory(app) as client:
        assert client.get("/users/bob").status_code == 404
        response = client.get("/users", follow_redirects=False)
        assert response.status_code == 307
        assert response.headers["location"] == "http://testserver/users/"
        response = client.delete("/users/")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.text == "Method Not Allowed"
        assert client.head("/").status_code == 200
    assert app.url_path_for("user", user_id=3) == "/users/3"


def test_datastructures_in_a_hand_written_asgi_callable(anyio_backend_name: str) -> None:
    app = run_example("datastructures")["app"]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "root_path": "",
        "path": "/caf\u00e9",
        "query_string": b"tag=x%20y",
        "headers": [(b"host", b"localhost:8000"), (b"user-agent", b"probe")],
    }
    anyio.run(app, scope, receive, send, backend=anyio_backend_name)
    start, body = sent
    assert start["status"] == 200
    headers = Headers(raw=start["headers"])
    assert headers["location"] == "http://localhost:8000/next?tag=x+y&page=2"
    assert body["body"] == "/caf\u00e9 tags=x y agent=probe".encode()
    assert headers["content-length"] == str(len(body["body"]))


def test_cors_and_gzip_around_a_foreign_app(test_client_factory) -> None:
    client = test_client_factory(run_example("middleware")["app"])
    with client.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert "access-control-allow-origin" not in response.headers
    assert gzip.decompress(raw).startswith(b'{"items": ["item", ')
    assert int(response.headers["content-length"]) == len(raw)
    assert "Accept-Encoding" in response.headers["vary"]

    response = client.get("/", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert len(response.json()["items"]) == 200

    preflight = client.options(
        "/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 400
    assert preflight.text == "Disallowed CORS origin"


def test_testclient_drives_a_plain_asgi_app(test_client_factory) -> None:
    namespace = run_example("testclient")
    app, events = namespace["app"], namespace["events"]
    events.clear()
    with test_client_factory(app) as client:
        response = client.put("/x", content=b"abc")
        assert (response.status_code, response.text) == (201, "cba")
        assert response.headers["x-method"] == "PUT"
        with client.stream("POST", "/x", content=[b"12", b"34"]) as streamed:
            assert streamed.read() == b"4321"
    assert events == ["lifespan.startup", "lifespan.shutdown"]
