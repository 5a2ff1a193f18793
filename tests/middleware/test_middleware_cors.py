from __future__ import annotations

from typing import Any

import pytest

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import ALL_METHODS, PREFLIGHT_VARY, CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

ORIGIN = "https://example.org"


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        return
    response = PlainTextResponse("Homepage", headers={"Vary": "Accept-Encoding"})
    await response(scope, receive, send)


def client_for(test_client_factory: Any, **options: Any) -> Any:
    return test_client_factory(CORSMiddleware(endpoint, **options))


def preflight_headers(origin: str = ORIGIN, method: str = "GET", **extra: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, **extra}


# Simple (non-preflight) requests.


@pytest.mark.parametrize(
    "options",
    [
        {"allow_origins": [ORIGIN], "allow_credentials": True},
        {"allow_origins": ["*"]},
        {"allow_origins": ["*"], "allow_credentials": True},
    ],
)
def test_request_without_origin_only_varies_by_origin(
    test_client_factory: Any, options: dict[str, Any]
) -> None:
    # Starlette 1.x behaviour: a shared cache must not serve this CORS-less answer to a later
    # CORS request.
    client = client_for(test_client_factory, **options)
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert not [name for name in response.headers if name.startswith("access-control-")]
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_options_without_request_method_is_not_a_preflight(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=["*"])
    response = client.options("/", headers={"Origin": ORIGIN})
    assert response.text == "Homepage"
    assert response.headers["access-control-allow-origin"] == "*"


def test_allow_all_without_credentials_answers_star(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=["*"], expose_headers=["X-Status"])
    response = client.get("/", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-Status"
    assert "access-control-allow-credentials" not in response.headers
    # A constant answer still varies by origin: without an Origin, there is none (as 1.x).
    assert response.headers["vary"] == "Accept-Encoding, Origin"


@pytest.mark.parametrize("origin", [ORIGIN, "https://other.example"])
def test_allow_all_with_cookie_answers_star(test_client_factory: Any, origin: str) -> None:
    # Starlette 1.x behaviour: credentials are not allowed, so a request carrying cookies gets
    # the same constant `*` as any other, never its own origin named.
    client = client_for(test_client_factory, allow_origins=["*"], expose_headers=["X-Status"])
    response = client.get("/", headers={"Origin": origin, "Cookie": "a=b"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == "X-Status"
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding, Origin"

    preflight = client.options("/", headers=preflight_headers(origin, Cookie="a=b"))
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    assert preflight.headers["vary"] == PREFLIGHT_VARY


@pytest.mark.parametrize("origin", [ORIGIN, "https://other.example"])
def test_allow_all_with_credentials_never_answers_star(
    test_client_factory: Any, origin: str
) -> None:
    client = client_for(test_client_factory, allow_origins=["*"], allow_credentials=True)
    response = client.get("/", headers={"Origin": origin})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_specific_origin_allowed(test_client_factory: Any) -> None:
    client = client_for(
        test_client_factory,
        allow_origins=[ORIGIN],
        allow_credentials=True,
        expose_headers=["X-A", "X-B"],
    )
    response = client.get("/", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "X-A, X-B"
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_disallowed_origin_still_varies_by_origin(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=[ORIGIN], allow_credentials=True)
    response = client.get("/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert response.text == "Homepage"
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding, Origin"


def test_origin_regex_is_a_full_match(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origin_regex=r"https://.*\.example\.org")
    allowed = client.get("/", headers={"Origin": "https://api.example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://api.example.org"
    for origin in ("https://api.example.org.evil.com", "http://api.example.org"):
        response = client.get("/", headers={"Origin": origin})
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["vary"] == "Accept-Encoding, Origin"


@pytest.mark.anyio
async def test_response_start_without_headers_key() -> None:
    async def bare(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    messages: list[Any] = []

    async def receive() -> Any:  # pragma: no cover - never called
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"origin", ORIGIN.encode())],
    }
    await CORSMiddleware(bare, allow_origins=[ORIGIN])(scope, receive, send)
    headers = Headers(raw=messages[0]["headers"])
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["vary"] == "Origin"
    assert messages[1] == {"type": "http.response.body"}


# Preflight requests.


def test_preflight_allowed(test_client_factory: Any) -> None:
    client = client_for(
        test_client_factory,
        allow_origins=[ORIGIN],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Example"],
        allow_credentials=True,
        max_age=42,
    )
    response = client.options(
        "/",
        headers=preflight_headers(method="POST", **{"Access-Control-Request-Headers": "X-Example"}),
    )
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    assert response.headers["access-control-allow-headers"] == (
        "Accept, Accept-Language, Content-Language, Content-Type, X-Example"
    )
    assert response.headers["access-control-max-age"] == "42"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_preflight_never_reaches_the_app(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=["*"])
    response = client.options("/", headers=preflight_headers())
    assert response.text == "OK"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_preflight_allow_all_with_credentials_names_the_origin(test_client_factory: Any) -> None:
    client = client_for(
        test_client_factory,
        allow_origins=["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    response = client.options(
        "/",
        headers=preflight_headers(
            method="DELETE", **{"Access-Control-Request-Headers": "X-A, X-B"}
        ),
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == ", ".join(ALL_METHODS)
    # With every header allowed, the requested ones are reflected.
    assert response.headers["access-control-allow-headers"] == "X-A, X-B"
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_preflight_allow_all_headers_without_requested_headers(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=["*"], allow_headers=["*"])
    response = client.options("/", headers=preflight_headers())
    assert response.status_code == 200
    assert "access-control-allow-headers" not in response.headers
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_preflight_headers_are_case_insensitive(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=[ORIGIN], allow_headers=["X-Token"])
    response = client.options(
        "/",
        headers=preflight_headers(**{"Access-Control-Request-Headers": "x-token, content-type,"}),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "text"),
    [
        (preflight_headers(origin="https://evil.example"), "Disallowed CORS origin"),
        (preflight_headers(method="PUT"), "Disallowed CORS method"),
        (
            preflight_headers(**{"Access-Control-Request-Headers": "X-Secret"}),
            "Disallowed CORS headers",
        ),
        (
            preflight_headers(
                origin="https://evil.example",
                method="PUT",
                **{"Access-Control-Request-Headers": "X-Secret"},
            ),
            "Disallowed CORS origin, method, headers",
        ),
    ],
)
def test_preflight_refused(test_client_factory: Any, headers: dict[str, str], text: str) -> None:
    client = client_for(test_client_factory, allow_origins=[ORIGIN])
    response = client.options("/", headers=headers)
    assert response.status_code == 400
    assert response.text == text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    if "origin" in text:
        assert "access-control-allow-origin" not in response.headers


def test_preflight_private_network(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=[ORIGIN], allow_private_network=True)
    response = client.options(
        "/", headers=preflight_headers(**{"Access-Control-Request-Private-Network": "true"})
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-private-network"] == "true"
    assert response.headers["vary"] == PREFLIGHT_VARY

    plain = client.options("/", headers=preflight_headers())
    assert "access-control-allow-private-network" not in plain.headers
    assert plain.headers["vary"] == PREFLIGHT_VARY


@pytest.mark.parametrize("origins", [[ORIGIN], ["*"]])
def test_preflight_private_network_not_allowed_is_refused(
    test_client_factory: Any, origins: list[str]
) -> None:
    # Starlette 1.x behaviour: refused (400) like any other disallowed preflight.
    client = client_for(test_client_factory, allow_origins=origins)
    response = client.options(
        "/", headers=preflight_headers(**{"Access-Control-Request-Private-Network": "true"})
    )
    assert response.status_code == 400
    assert response.text == "Disallowed CORS private-network"
    assert "access-control-allow-private-network" not in response.headers
    assert response.headers["vary"] == PREFLIGHT_VARY


def test_allow_methods_star_means_every_standard_method(test_client_factory: Any) -> None:
    middleware = CORSMiddleware(endpoint, allow_methods=["*"])
    assert middleware.allow_methods == ALL_METHODS
    assert ALL_METHODS == ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY")


def test_allow_methods_star_allows_query(test_client_factory: Any) -> None:
    client = client_for(test_client_factory, allow_origins=["*"], allow_methods=["*"])
    response = client.options("/", headers=preflight_headers(method="QUERY"))
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == (
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY"
    )
    refused = client_for(test_client_factory, allow_origins=["*"]).options(
        "/", headers=preflight_headers(method="QUERY")
    )
    assert refused.status_code == 400
    assert refused.text == "Disallowed CORS method"


def test_is_allowed_origin() -> None:
    middleware = CORSMiddleware(
        endpoint, allow_origins=[ORIGIN], allow_origin_regex=r"https://a\.b"
    )
    assert middleware.is_allowed_origin(ORIGIN)
    assert middleware.is_allowed_origin("https://a.b")
    assert not middleware.is_allowed_origin("https://a.bc")
    assert CORSMiddleware(endpoint, allow_origins=["*"]).is_allowed_origin("null")


@pytest.mark.anyio
async def test_non_http_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        pass

    middleware = CORSMiddleware(inner, allow_origins=["*"])
    await middleware({"type": "lifespan"}, receive, send)
    await middleware({"type": "websocket", "headers": [(b"origin", b"x")]}, receive, send)
    assert seen == ["lifespan", "websocket"]


# Exact headers, in 1.x's order (observed on upstream 1.x as a black box).


async def raw_call(app: Any, method: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    messages: list[Any] = []

    async def receive() -> Any:  # pragma: no cover - never called
        return {"type": "http.request"}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
    }
    await app(scope, receive, send)
    return [(k.decode(), v.decode()) for k, v in messages[0]["headers"]]


async def plain(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("app")(scope, receive, send)


BODY_HEADERS = [("content-length", "3"), ("content-type", "text/plain; charset=utf-8")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "origin", "expected"),
    [
        ({"allow_origins": ["*"]}, None, [("vary", "Origin")]),
        (
            {"allow_origins": ["*"], "expose_headers": ["X-Bar"]},
            "https://a.example",
            [
                ("access-control-allow-origin", "*"),
                ("access-control-expose-headers", "X-Bar"),
                ("vary", "Origin"),
            ],
        ),
        (
            {"allow_origins": ["*"], "allow_credentials": True, "expose_headers": ["X-Bar"]},
            "https://a.example",
            [
                ("access-control-allow-origin", "https://a.example"),
                ("access-control-allow-credentials", "true"),
                ("access-control-expose-headers", "X-Bar"),
                ("vary", "Origin"),
            ],
        ),
        (
            {
                "allow_origins": ["https://a.example"],
                "allow_credentials": True,
                "expose_headers": ["X-Bar"],
            },
            "https://a.example",
            [
                ("access-control-allow-credentials", "true"),
                ("access-control-expose-headers", "X-Bar"),
                ("access-control-allow-origin", "https://a.example"),
                ("vary", "Origin"),
            ],
        ),
        ({"allow_origins": ["https://a.example"]}, "https://evil.example", [("vary", "Origin")]),
    ],
)
async def test_simple_response_headers_in_order(
    options: dict[str, Any], origin: str | None, expected: list[tuple[str, str]]
) -> None:
    request = [] if origin is None else [("Origin", origin)]
    assert await raw_call(CORSMiddleware(plain, **options), "GET", request) == [
        *BODY_HEADERS,
        *expected,
    ]


@pytest.mark.anyio
async def test_simple_response_keeps_an_existing_vary_in_place() -> None:
    async def varying(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("app", headers={"Vary": "Accept-Encoding"})(scope, receive, send)

    assert await raw_call(CORSMiddleware(varying, allow_origins=["*"]), "GET", []) == [
        ("vary", "Accept-Encoding, Origin"),
        *BODY_HEADERS,
    ]


PREFLIGHT_TEXT = [("content-type", "text/plain; charset=utf-8")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "request_headers", "expected", "text"),
    [
        (
            {"allow_origins": ["*"]},
            [("Origin", "https://a.example"), ("Access-Control-Request-Method", "GET")],
            [
                ("access-control-allow-origin", "*"),
                ("access-control-allow-methods", "GET"),
                ("access-control-max-age", "600"),
                (
                    "access-control-allow-headers",
                    "Accept, Accept-Language, Content-Language, Content-Type",
                ),
                ("content-length", "2"),
            ],
            "OK",
        ),
        (
            {"allow_origins": ["https://a.example"], "allow_credentials": True},
            [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")],
            [
                ("access-control-allow-methods", "GET"),
                ("access-control-max-age", "600"),
                (
                    "access-control-allow-headers",
                    "Accept, Accept-Language, Content-Language, Content-Type",
                ),
                ("access-control-allow-credentials", "true"),
                ("content-length", "22"),
            ],
            "Disallowed CORS origin",
        ),
        (
            {
                "allow_origin_regex": r"https://.*\.example",
                "allow_credentials": True,
                "allow_headers": ["*"],
                "allow_private_network": True,
            },
            [
                ("Origin", "https://a.example"),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "X-Foo"),
                ("Access-Control-Request-Private-Network", "true"),
            ],
            [
                ("access-control-allow-methods", "GET"),
                ("access-control-max-age", "600"),
                ("access-control-allow-credentials", "true"),
                ("access-control-allow-origin", "https://a.example"),
                ("access-control-allow-headers", "X-Foo"),
                ("access-control-allow-private-network", "true"),
                ("content-length", "2"),
            ],
            "OK",
        ),
        (
            {"allow_origins": ["https://a.example"]},
            [
                ("Origin", "https://evil.example"),
                ("Access-Control-Request-Method", "QUERY"),
                ("Access-Control-Request-Headers", "X-Nope"),
                ("Access-Control-Request-Private-Network", "true"),
            ],
            [
                ("access-control-allow-methods", "GET"),
                ("access-control-max-age", "600"),
                (
                    "access-control-allow-headers",
                    "Accept, Accept-Language, Content-Language, Content-Type",
                ),
                ("content-length", "56"),
            ],
            "Disallowed CORS origin, method, headers, private-network",
        ),
    ],
)
async def test_preflight_headers_in_order(
    options: dict[str, Any],
    request_headers: list[tuple[str, str]],
    expected: list[tuple[str, str]],
    text: str,
) -> None:
    headers = await raw_call(CORSMiddleware(plain, **options), "OPTIONS", request_headers)
    assert headers == [("vary", PREFLIGHT_VARY), *expected, *PREFLIGHT_TEXT]
    assert int(dict(headers)["content-length"]) == len(text)


@pytest.mark.parametrize("value", ["true", "false", "TRUE"])
def test_private_network_preflight_is_read_by_presence(
    test_client_factory: Any, value: str
) -> None:
    # As 1.x: any value of the request header makes a PNA preflight.
    request = preflight_headers(**{"Access-Control-Request-Private-Network": value})
    allowed = client_for(test_client_factory, allow_origins=[ORIGIN], allow_private_network=True)
    assert (
        allowed.options("/", headers=request).headers["access-control-allow-private-network"]
        == "true"
    )
    refused = client_for(test_client_factory, allow_origins=[ORIGIN]).options("/", headers=request)
    assert refused.status_code == 400


def test_allow_explicit_origin_names_the_origin_and_varies() -> None:
    headers = MutableHeaders({"Vary": "Accept-Encoding"})
    CORSMiddleware.allow_explicit_origin(headers, ORIGIN)
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["vary"] == "Accept-Encoding, Origin"
