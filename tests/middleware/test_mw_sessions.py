from __future__ import annotations

import importlib
import json
import sys
import time
from base64 import b64encode
from typing import Any

import itsdangerous
import pytest

from starlette.datastructures import Secret
from starlette.middleware.sessions import Session, SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket


async def session_app(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /: show the session; POST /: merge the JSON body into it; DELETE /: clear it."""
    request = Request(scope, receive)
    if request.method == "POST":
        request.session.update(await request.json())
    elif request.method == "DELETE":
        request.session.clear()
    await JSONResponse({"session": dict(request.session)})(scope, receive, send)


def make_client(
    test_client_factory: Any, base_url: str = "http://testserver", cookies: Any = None, **kw: Any
) -> Any:
    app = SessionMiddleware(session_app, secret_key="example", **kw)
    return test_client_factory(app, base_url=base_url, cookies=cookies)


def test_round_trip(test_client_factory: Any) -> None:
    client = make_client(test_client_factory)
    assert client.get("/").json() == {"session": {}}

    response = client.post("/", json={"some": "data"})
    assert response.json() == {"session": {"some": "data"}}
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("session=")
    assert "; path=/; Max-Age=1209600; httponly; samesite=lax" in set_cookie
    assert "secure" not in set_cookie

    assert client.get("/").json() == {"session": {"some": "data"}}


def test_clearing_a_session_deletes_the_cookie(test_client_factory: Any) -> None:
    client = make_client(test_client_factory)
    client.post("/", json={"some": "data"})
    response = client.delete("/")
    assert response.json() == {"session": {}}
    assert response.headers["set-cookie"] == (
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax"
    )
    assert client.get("/").json() == {"session": {}}


def test_empty_session_sets_no_cookie(test_client_factory: Any) -> None:
    client = make_client(test_client_factory)
    response = client.delete("/")
    assert "set-cookie" not in response.headers


def test_tampered_cookie_gives_an_empty_session(test_client_factory: Any) -> None:
    client = make_client(test_client_factory)
    client.post("/", json={"role": "user"})
    value = client.cookies["session"]
    _payload, _, signature = value.partition(".")
    forged = b64encode(json.dumps({"role": "admin"}).encode()).decode()
    client.cookies.clear()
    for cookie in (forged + "." + signature, value[:-2] + "xx", "garbage", "a.b.c", ".", "%FF.x"):
        client.cookies["session"] = cookie
        response = client.get("/")
        assert response.status_code == 200
        assert response.json() == {"session": {}}
        assert "set-cookie" not in response.headers


def test_cookie_signed_with_another_key_is_ignored(test_client_factory: Any) -> None:
    other = make_client(test_client_factory)
    other.post("/", json={"a": 1})
    client = test_client_factory(SessionMiddleware(session_app, secret_key="another"))
    client.cookies["session"] = other.cookies["session"]
    assert client.get("/").json() == {"session": {}}


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b"\xff"])
def test_validly_signed_junk_gives_an_empty_session(
    test_client_factory: Any, content: bytes
) -> None:
    client = make_client(test_client_factory)
    signer = itsdangerous.TimestampSigner("example")
    client.cookies["session"] = signer.sign(b64encode(content)).decode()
    assert client.get("/").json() == {"session": {}}


def test_expired_session(test_client_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client(test_client_factory, max_age=60)
    # Sign the cookie two minutes in the past.
    now = time.time()
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now - 120)
    client.post("/", json={"some": "data"})
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now - 90)
    assert client.get("/").json() == {"session": {"some": "data"}}
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now)
    assert client.get("/").json() == {"session": {}}


def test_max_age_none_is_a_browser_session(test_client_factory: Any) -> None:
    client = make_client(test_client_factory, max_age=None)
    response = client.post("/", json={"a": 1})
    assert "max-age" not in response.headers["set-cookie"].lower()
    assert client.get("/").json() == {"session": {"a": 1}}


def test_max_age_zero(test_client_factory: Any) -> None:
    client = make_client(test_client_factory, max_age=0)
    response = client.post("/", json={"a": 1})
    assert "; Max-Age=0; " in response.headers["set-cookie"]


def test_https_only_domain_path_same_site_partitioned(test_client_factory: Any) -> None:
    client = make_client(
        test_client_factory,
        base_url="https://example.com",
        https_only=True,
        domain="example.com",
        path="/app",
        same_site="strict",
        partitioned=True,
        session_cookie="sid",
    )
    response = client.post("/app", json={"a": 1})
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("sid=")
    assert set_cookie.endswith(
        "; path=/app; Max-Age=1209600; httponly; samesite=strict; secure; domain=example.com"
        "; Partitioned"
    )
    assert client.get("/app").json() == {"session": {"a": 1}}


def test_secret_object(test_client_factory: Any) -> None:
    app = SessionMiddleware(session_app, secret_key=Secret("example"))
    client = test_client_factory(app)
    client.post("/", json={"a": 1})
    # The same secret as a plain string reads the cookie.
    assert make_client(test_client_factory, cookies=client.cookies).get("/").json() == {
        "session": {"a": 1}
    }


def mutate_app(mutation: Any) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method == "POST":
            request.session.update({"a": 1, "b": 2})
        else:
            mutation(request.session)
        await JSONResponse({"session": dict(request.session)})(scope, receive, send)

    return app


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda s: s.pop("a"), {"b": 2}),
        (lambda s: s.popitem(), {"a": 1}),
        (lambda s: s.setdefault("c", 3), {"a": 1, "b": 2, "c": 3}),
        (lambda s: s.update(c=3), {"a": 1, "b": 2, "c": 3}),
        (lambda s: s.__ior__({"a": 5}), {"a": 5, "b": 2}),
        (lambda s: s.__setitem__("a", 0), {"a": 0, "b": 2}),
        (lambda s: s.__delitem__("b"), {"a": 1}),
    ],
)
def test_every_mutation_is_persisted(
    test_client_factory: Any, mutation: Any, expected: Any
) -> None:
    client = test_client_factory(SessionMiddleware(mutate_app(mutation), secret_key="example"))
    client.post("/")
    response = client.get("/")
    assert response.json() == {"session": expected}
    assert "Cookie" in response.headers["vary"]
    reader = make_client(test_client_factory, cookies=client.cookies)
    assert reader.get("/").json() == {"session": expected}


def test_in_place_or_operator_persists(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        session = scope["session"]
        session |= {"x": 1}
        await JSONResponse(None)(scope, receive, send)

    client = test_client_factory(SessionMiddleware(app, secret_key="example"))
    client.get("/")
    assert make_client(test_client_factory, cookies=client.cookies).get("/").json() == {
        "session": {"x": 1}
    }


def test_clear_persisted(test_client_factory: Any) -> None:
    client = test_client_factory(SessionMiddleware(mutate_app(lambda s: s.clear()), secret_key="k"))
    client.post("/")
    response = client.get("/")
    assert response.json() == {"session": {}}
    assert "expires=Thu, 01 Jan 1970" in response.headers["set-cookie"]


def test_vary_cookie_only_when_the_session_is_used(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await JSONResponse("untouched", headers={"Vary": "Accept"})(scope, receive, send)

    client = test_client_factory(SessionMiddleware(app, secret_key="example"))
    assert client.get("/").headers["vary"] == "Accept"

    used = make_client(test_client_factory)
    assert used.get("/").headers["vary"] == "Cookie"


def test_replaced_by_a_plain_dict(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["session"] = {"plain": True}
        await JSONResponse(None)(scope, receive, send)

    client = test_client_factory(SessionMiddleware(app, secret_key="example"))
    response = client.get("/")
    assert response.headers["vary"] == "Cookie"
    assert make_client(test_client_factory, cookies=client.cookies).get("/").json() == {
        "session": {"plain": True}
    }


def test_websocket_reads_the_session(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await session_app(scope, receive, send)
            return
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_json(websocket.session)
        await websocket.close()

    client = test_client_factory(SessionMiddleware(app, secret_key="example"))
    client.post("/", json={"user": "ada"})
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"user": "ada"}


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[Any] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        pass

    await SessionMiddleware(inner, secret_key="k")({"type": "lifespan"}, receive, send)
    assert seen == [{"type": "lifespan"}]


def test_session_tracks_reads_and_writes() -> None:
    reads = [
        lambda s: s["a"],
        lambda s: s.get("a"),
        lambda s: "a" in s,
        lambda s: list(s),
        lambda s: len(s),
        lambda s: s.keys(),
        lambda s: s.values(),
        lambda s: s.items(),
        lambda s: s.copy(),
        lambda s: s.pop("missing", None),
        lambda s: s.setdefault("a", 5),
    ]
    for read in reads:
        session = Session({"a": 1})
        read(session)  # type: ignore[no-untyped-call]
        assert (session.accessed, session.modified) == (True, False)
        assert dict.__eq__(session, {"a": 1})

    session = Session({"a": 1})
    copy = session.copy()
    assert type(copy) is dict
    assert copy == {"a": 1}

    session = Session()
    assert (session.accessed, session.modified) == (False, False)
    session.mark_modified()
    assert (session.accessed, session.modified) == (True, True)


def test_connection_session_is_the_session_object(test_client_factory: Any) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        await JSONResponse(type(connection.session).__name__)(scope, receive, send)

    client = test_client_factory(SessionMiddleware(app, secret_key="k"))
    assert client.get("/").json() == "Session"


def test_missing_itsdangerous(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "itsdangerous", None)
    monkeypatch.delitem(sys.modules, "starlette.middleware.sessions")
    with pytest.raises(ImportError, match=r'pip install "starlette-middleware\[sessions\]"'):
        importlib.import_module("starlette.middleware.sessions")
