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
        "; partitioned"
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


# What upstream Starlette 1.x sent for the same options (observed as a black box):
# the attributes after the signed value when setting, and the whole text when clearing.
UPSTREAM_COOKIES = [
    (
        {},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=lax",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {"max_age": None},
        "session",
        "; path=/; httponly; samesite=lax",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {"max_age": 100},
        "session",
        "; path=/; Max-Age=100; httponly; samesite=lax",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {"max_age": 0},
        "session",
        "; path=/; Max-Age=0; httponly; samesite=lax",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {"path": "/sub"},
        "session",
        "; path=/sub; Max-Age=1209600; httponly; samesite=lax",
        "session=null; path=/sub; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {"same_site": "strict"},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=strict",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=strict",
    ),
    (
        {"same_site": "none"},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=none",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=none",
    ),
    (
        {"https_only": True},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=lax; secure",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT"
        "; httponly; samesite=lax; secure",
    ),
    (
        {"domain": "example.com"},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=lax; domain=example.com",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT"
        "; httponly; samesite=lax; domain=example.com",
    ),
    (
        {"partitioned": True},
        "session",
        "; path=/; Max-Age=1209600; httponly; samesite=lax; partitioned",
        "session=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT"
        "; httponly; samesite=lax; partitioned",
    ),
    (
        {"session_cookie": "sid"},
        "sid",
        "; path=/; Max-Age=1209600; httponly; samesite=lax",
        "sid=null; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly; samesite=lax",
    ),
    (
        {
            "max_age": None,
            "path": "/p",
            "same_site": "none",
            "https_only": True,
            "domain": "ex.org",
            "partitioned": True,
        },
        "session",
        "; path=/p; httponly; samesite=none; secure; domain=ex.org; partitioned",
        "session=null; path=/p; expires=Thu, 01 Jan 1970 00:00:00 GMT"
        "; httponly; samesite=none; secure; domain=ex.org; partitioned",
    ),
]


@pytest.mark.parametrize(("options", "name", "attributes", "cleared"), UPSTREAM_COOKIES)
def test_set_cookie_text_is_upstreams(
    test_client_factory: Any, options: dict[str, Any], name: str, attributes: str, cleared: str
) -> None:
    app = SessionMiddleware(session_app, secret_key="example", **options)
    # One clock for signing and checking: with `max_age=0` a cookie is valid only within the
    # second it was signed in, and the two requests may straddle a second.
    app.signer.get_timestamp = lambda: 1_700_000_000  # type: ignore[method-assign]
    response = test_client_factory(app).post("/", json={"a": 1})
    cookie_name, _, rest = response.headers["set-cookie"].partition("=")
    value, _, tail = rest.partition(";")
    assert (cookie_name, ";" + tail) == (name, attributes)

    response = test_client_factory(app, cookies={name: value}).delete("/")
    assert response.headers["set-cookie"] == cleared


def test_signed_value_is_upstreams(
    test_client_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Upstream 1.x, same secret, data and clock, sent exactly this cookie.
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1700000000)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        Request(scope).session.update({"user": "ada", "n": [1, 2], "é": "ü"})
        await JSONResponse(None)(scope, receive, send)

    response = test_client_factory(SessionMiddleware(app, secret_key="example")).get("/")
    assert response.headers["set-cookie"] == (
        "session=eyJ1c2VyIjogImFkYSIsICJuIjogWzEsIDJdLCAiXHUwMGU5IjogIlx1MDBmYyJ9.ZVPxAA"
        ".ZsIqWFZsURuuXZM0S9cqH_yuvhM; path=/; Max-Age=1209600; httponly; samesite=lax"
    )


def counting_app(action: str) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        session = Request(scope).session
        if action == "set":
            session["a"] = 1
        elif action == "read":
            session.get("a")
        await JSONResponse(None)(scope, receive, send)

    return app


def test_set_cookie_only_when_the_session_changes(test_client_factory: Any) -> None:
    setter = test_client_factory(SessionMiddleware(counting_app("set"), secret_key="k"))
    assert "set-cookie" in setter.post("/").headers
    # Setting the same value again is a change too (as upstream).
    assert "set-cookie" in setter.post("/").headers

    app = SessionMiddleware(counting_app("read"), secret_key="k")
    response = test_client_factory(app, cookies=setter.cookies).get("/")
    assert "set-cookie" not in response.headers
    assert response.headers["vary"] == "Cookie"

    app = SessionMiddleware(counting_app("none"), secret_key="k")
    response = test_client_factory(app, cookies=setter.cookies).get("/")
    assert "set-cookie" not in response.headers
    assert "vary" not in response.headers


def test_vary_comes_before_set_cookie(test_client_factory: Any) -> None:
    client = test_client_factory(SessionMiddleware(counting_app("set"), secret_key="k"))
    names = [name for name, _ in client.get("/").headers.multi_items()]
    assert names[-2:] == ["vary", "set-cookie"]


def test_sliding_expiry_is_opt_in(
    test_client_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def at(offset: int) -> None:
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: 1700000000 + offset)

    at(0)
    setter = test_client_factory(SessionMiddleware(counting_app("set"), secret_key="k", max_age=60))
    setter.post("/")
    at(30)
    plain = SessionMiddleware(session_app, secret_key="k", max_age=60)
    response = test_client_factory(plain, cookies=setter.cookies).get("/")
    assert "set-cookie" not in response.headers

    sliding = SessionMiddleware(session_app, secret_key="k", max_age=60, sliding_expiry=True)
    client = test_client_factory(sliding, cookies=setter.cookies)
    response = client.get("/")
    assert response.json() == {"session": {"a": 1}}
    assert response.headers["vary"] == "Cookie"
    assert response.headers["set-cookie"].endswith("; path=/; Max-Age=60; httponly; samesite=lax")
    at(80)
    # The re-sent cookie counts from the last request, the first one from when it was set.
    assert client.get("/").json() == {"session": {"a": 1}}
    reader = test_client_factory(plain, cookies=setter.cookies)
    assert reader.get("/").json() == {"session": {}}

    # Re-sent even when the application does not touch the session (then without Vary).
    untouched = SessionMiddleware(counting_app("none"), secret_key="k", sliding_expiry=True)
    response = test_client_factory(untouched, cookies=client.cookies).get("/")
    assert "set-cookie" in response.headers
    assert "vary" not in response.headers
    # An empty session is not sent.
    assert "set-cookie" not in test_client_factory(untouched).get("/").headers


def test_pop_of_a_missing_key_is_not_access(test_client_factory: Any) -> None:
    session = Session({"a": 1})
    assert session.pop("missing", None) is None
    assert (session.accessed, session.modified) == (False, False)
    assert session.pop("a", None) == 1
    assert (session.accessed, session.modified) == (True, True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        flash = Request(scope).session.pop("flash", None)
        await JSONResponse(flash)(scope, receive, send)

    client = test_client_factory(SessionMiddleware(app, secret_key="example"))
    response = client.get("/")
    assert response.json() is None
    assert "vary" not in response.headers
    assert "set-cookie" not in response.headers


def test_comparisons_and_copies_are_reads() -> None:
    # As upstream, where any use of the session adds `Vary: Cookie`.
    reads = [
        (lambda s: s == {"a": 1}, True),
        (lambda s: s != {"a": 1}, False),
        (lambda s: s | {"b": 2}, {"a": 1, "b": 2}),
        (lambda s: {"b": 2} | s, {"b": 2, "a": 1}),
        (lambda s: list(reversed(s)), ["a"]),
        (repr, "{'a': 1}"),
    ]
    for read, result in reads:
        session = Session({"a": 1})
        assert read(session) == result  # type: ignore[no-untyped-call]
        assert (session.accessed, session.modified) == (True, False)
    assert type(Session({"a": 1}) | {}) is dict
