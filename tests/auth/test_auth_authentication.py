from __future__ import annotations

import inspect
from typing import Any

import pytest

from starlette._utils import is_async_callable
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    AuthenticationMiddleware,
    BaseUser,
    SimpleUser,
    UnauthenticatedUser,
    has_required_scope,
    requires,
)
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

# --- users, credentials, backend -------------------------------------------------------------


def test_auth_credentials_scopes() -> None:
    assert AuthCredentials().scopes == []
    assert AuthCredentials(("read", "write")).scopes == ["read", "write"]


def test_simple_user() -> None:
    user = SimpleUser("tomchristie")
    assert user.username == "tomchristie"
    assert user.is_authenticated is True
    assert user.display_name == "tomchristie"
    assert user.identity == "tomchristie"


def test_unauthenticated_user() -> None:
    user = UnauthenticatedUser()
    assert user.is_authenticated is False
    assert user.display_name == ""
    assert user.identity == ""


@pytest.mark.parametrize("attribute", ["is_authenticated", "display_name", "identity"])
def test_base_user_properties_are_abstract(attribute: str) -> None:
    with pytest.raises(NotImplementedError):
        getattr(BaseUser(), attribute)


@pytest.mark.anyio
async def test_backend_authenticate_is_abstract() -> None:
    with pytest.raises(NotImplementedError):
        await AuthenticationBackend().authenticate(HTTPConnection({"type": "http"}))


def test_authentication_error_is_an_exception() -> None:
    assert issubclass(AuthenticationError, Exception)
    assert str(AuthenticationError("nope")) == "nope"


@pytest.mark.parametrize(
    ("required", "expected"),
    [
        ([], True),
        (["read"], True),
        (["read", "write"], True),
        (["admin"], False),
        (["read", "admin"], False),
    ],
)
def test_has_required_scope(required: list[str], expected: bool) -> None:
    conn = HTTPConnection({"type": "http", "auth": AuthCredentials(["read", "write"])})
    assert has_required_scope(conn, required) is expected


# --- AuthenticationMiddleware ------------------------------------------------------------------


async def whoami(request: Request) -> Response:
    return JSONResponse(
        {
            "authenticated": request.user.is_authenticated,
            "user": request.user.display_name,
            "scopes": request.auth.scopes,
        }
    )


async def ws_whoami(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json(
        {"user": websocket.user.display_name, "scopes": websocket.auth.scopes}
    )
    await websocket.close()


@pytest.fixture
def client(test_client_factory, dispatcher, backend):
    app = AuthenticationMiddleware(dispatcher({"/": whoami, "/ws": ws_whoami}), backend=backend)
    return test_client_factory(app)


def test_middleware_anonymous_user(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "user": "", "scopes": []}


def test_middleware_authenticated_user(client, auth_headers) -> None:
    response = client.get("/", headers=auth_headers("tomchristie", "read"))
    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "user": "tomchristie",
        "scopes": ["authenticated", "read"],
    }


def test_middleware_default_on_error(client, auth_headers) -> None:
    response = client.get("/", headers=auth_headers("bad"))
    assert response.status_code == 400
    assert response.text == "Invalid basic auth credentials"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_default_on_error_is_a_staticmethod() -> None:
    response = AuthenticationMiddleware.default_on_error(
        HTTPConnection({"type": "http"}), AuthenticationError("expired")
    )
    assert isinstance(response, PlainTextResponse)
    assert response.status_code == 400
    assert response.body == b"expired"


def test_middleware_custom_on_error(test_client_factory, dispatcher, backend, auth_headers) -> None:
    seen: list[tuple[str, str]] = []

    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        seen.append((conn.url.path, str(exc)))
        return JSONResponse(
            {"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Basic"}
        )

    app = AuthenticationMiddleware(dispatcher({"/": whoami}), backend=backend, on_error=on_error)
    response = test_client_factory(app).get("/", headers=auth_headers("bad"))
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid basic auth credentials"}
    assert response.headers["www-authenticate"] == "Basic"
    assert seen == [("/", "Invalid basic auth credentials")]


def test_middleware_websocket_authenticated(client, auth_headers) -> None:
    with client.websocket_connect("/ws", headers=auth_headers("ada", "chat")) as websocket:
        assert websocket.receive_json() == {"user": "ada", "scopes": ["authenticated", "chat"]}


def test_middleware_websocket_anonymous(client) -> None:
    with client.websocket_connect("/ws") as websocket:
        assert websocket.receive_json() == {"user": "", "scopes": []}


def test_middleware_websocket_error_closes(
    test_client_factory, dispatcher, backend, auth_headers
) -> None:
    errors: list[str] = []

    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        errors.append(str(exc))
        return PlainTextResponse("never sent", status_code=401)

    app = AuthenticationMiddleware(
        dispatcher({"/ws": ws_whoami}), backend=backend, on_error=on_error
    )
    client = test_client_factory(app)
    with (
        pytest.raises(WebSocketDisconnect) as exc_info,
        client.websocket_connect("/ws", headers=auth_headers("bad")),
    ):
        pass  # pragma: no cover - the connection is refused
    assert exc_info.value.code == 1000
    assert errors == ["Invalid basic auth credentials"]


@pytest.mark.anyio
async def test_middleware_passes_lifespan_through() -> None:
    class FailingBackend(AuthenticationBackend):
        async def authenticate(self, conn: HTTPConnection) -> None:
            raise AssertionError("lifespan is not authenticated")  # pragma: no cover

    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    async def receive() -> Message:
        raise AssertionError("not called")  # pragma: no cover

    async def send(message: Message) -> None:
        raise AssertionError("not called")  # pragma: no cover

    scope: Scope = {"type": "lifespan"}
    await AuthenticationMiddleware(app, FailingBackend())(scope, receive, send)
    assert seen == [{"type": "lifespan"}]


# --- @requires -----------------------------------------------------------------------------------


@requires("authenticated")
async def async_dashboard(request: Request) -> Response:
    return PlainTextResponse(f"Hello, {request.user.display_name}")


@requires("authenticated")
def sync_dashboard(request: Request) -> Response:
    return PlainTextResponse(f"Hello, {request.user.display_name}")


@requires(["authenticated", "admin"])
async def admin_only(request: Request) -> Response:
    return PlainTextResponse("admin area")


@requires("admin", status_code=404)
async def hidden(request: Request) -> Response:
    return PlainTextResponse("hidden area")


@requires("authenticated", redirect="login")
async def async_redirecting(request: Request) -> Response:
    return PlainTextResponse("members")


@requires("authenticated", redirect="login")
def sync_redirecting(request: Request) -> Response:
    return PlainTextResponse("members")


@requires("authenticated")
async def ws_protected(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text(f"Hello, {websocket.user.display_name}")
    await websocket.close()


@pytest.fixture
def requires_client(test_client_factory, dispatcher, backend):
    routes = {
        "/async": async_dashboard,
        "/sync": sync_dashboard,
        "/admin": admin_only,
        "/hidden": hidden,
        "/async-redirect": async_redirecting,
        "/sync-redirect": sync_redirecting,
        "/ws": ws_protected,
    }
    app = AuthenticationMiddleware(dispatcher(routes), backend=backend)
    return test_client_factory(app, follow_redirects=False)


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_requires_denies_anonymous_with_403(requires_client, path: str) -> None:
    response = requires_client.get(path)
    assert response.status_code == 403
    assert response.text == "Forbidden"


@pytest.mark.parametrize("path", ["/async", "/sync"])
def test_requires_allows_authenticated(requires_client, auth_headers, path: str) -> None:
    response = requires_client.get(path, headers=auth_headers("tomchristie"))
    assert response.status_code == 200
    assert response.text == "Hello, tomchristie"


def test_requires_every_scope(requires_client, auth_headers) -> None:
    assert requires_client.get("/admin", headers=auth_headers("ada")).status_code == 403
    response = requires_client.get("/admin", headers=auth_headers("ada", "admin"))
    assert response.status_code == 200
    assert response.text == "admin area"


def test_requires_custom_status_code(requires_client, auth_headers) -> None:
    response = requires_client.get("/hidden", headers=auth_headers("ada"))
    assert response.status_code == 404
    assert response.text == "Not Found"
    assert requires_client.get("/hidden", headers=auth_headers("ada", "admin")).status_code == 200


@pytest.mark.parametrize("path", ["/async-redirect", "/sync-redirect"])
def test_requires_redirect_carries_next(requires_client, auth_headers, path: str) -> None:
    response = requires_client.get(f"{path}?page=2")
    assert response.status_code == 303
    next_url = f"http%3A%2F%2Ftestserver{path.replace('/', '%2F')}%3Fpage%3D2"
    assert response.headers["location"] == f"http://testserver/login?next={next_url}"

    response = requires_client.get(path, headers=auth_headers("ada"))
    assert response.status_code == 200
    assert response.text == "members"


def test_requires_websocket_allows_authenticated(requires_client, auth_headers) -> None:
    with requires_client.websocket_connect("/ws", headers=auth_headers("ada")) as websocket:
        assert websocket.receive_text() == "Hello, ada"


def test_requires_websocket_closes_anonymous(requires_client) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as exc_info,
        requires_client.websocket_connect("/ws"),
    ):
        pass  # pragma: no cover - the connection is refused
    assert exc_info.value.code == 1000


def test_requires_needs_a_request_or_websocket_parameter() -> None:
    def endpoint(conn: Any) -> None:  # pragma: no cover - never called
        pass

    with pytest.raises(
        Exception, match=r'^No "request" or "websocket" argument on function "'
    ) as info:
        requires("authenticated")(endpoint)
    assert str(info.value) == f'No "request" or "websocket" argument on function "{endpoint}"'


def authenticated_request(*scopes: str) -> Request:
    return Request({"type": "http", "auth": AuthCredentials(scopes), "user": SimpleUser("ada")})


def test_requires_finds_request_by_position_and_keyword() -> None:
    class Endpoint:
        @requires("authenticated")
        def get(self, request: Request, extra: int = 0) -> str:
            return f"{request.user.display_name} {extra}"

    endpoint = Endpoint()
    assert endpoint.get(authenticated_request("authenticated"), 1) == "ada 1"
    assert endpoint.get(request=authenticated_request("authenticated"), extra=2) == "ada 2"
    with pytest.raises(HTTPException) as exc_info:
        endpoint.get(authenticated_request())
    assert exc_info.value.status_code == 403


@pytest.mark.anyio
async def test_requires_async_keyword_request() -> None:
    response = await async_dashboard(request=authenticated_request("authenticated"))
    assert response.body == b"Hello, ada"


def test_requires_without_the_request_argument_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r'sync_dashboard\(\) was called without its "request"'):
        sync_dashboard()  # type: ignore[call-arg]


def test_requires_with_a_non_request_argument_raises_type_error() -> None:
    with pytest.raises(
        TypeError, match=r'"request" argument of sync_dashboard\(\) is not a Request'
    ):
        sync_dashboard("not a request")  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_requires_websocket_argument_checks() -> None:
    with pytest.raises(TypeError, match=r'ws_protected\(\) was called without its "websocket"'):
        await ws_protected()  # type: ignore[call-arg]
    with pytest.raises(
        TypeError, match=r'"websocket" argument of ws_protected\(\) is not a WebSocket'
    ):
        await ws_protected(authenticated_request("authenticated"))  # type: ignore[arg-type]


def test_requires_preserves_the_endpoint_identity() -> None:
    async def endpoint(request: Request, name: str = "x") -> Response:
        """Docs."""
        return PlainTextResponse(name)  # pragma: no cover

    def sync_endpoint(request: Request) -> Response:
        return PlainTextResponse("")  # pragma: no cover

    wrapped = requires("authenticated")(endpoint)
    assert wrapped.__name__ == "endpoint"
    assert wrapped.__doc__ == "Docs."
    assert inspect.signature(wrapped) == inspect.signature(endpoint)
    assert is_async_callable(wrapped)
    assert not is_async_callable(requires("authenticated")(sync_endpoint))
    assert is_async_callable(requires("authenticated")(ws_protected))
