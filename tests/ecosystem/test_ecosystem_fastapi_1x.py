"""What FastAPI does with Starlette 1.x, on starlette-full, at both ends of the supported range.

The workspace runs the newest FastAPI; `make test-ecosystem-oldest` runs this file again with
FastAPI 0.116. Where the two differ (`max_body_size` arrived with FastAPI 0.164) the test checks
the version and asserts each one's behaviour. No `from __future__ import annotations`: FastAPI
reads the annotations of endpoints at run time.
"""

import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import fastapi
import pytest
from fastapi import (
    BackgroundTasks,
    Depends,
    FastAPI,
    HTTPException,
    Request,
    WebSocket,
    WebSocketException,
    status,
)
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

import starlette
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY, RequestBodyLimitMiddleware
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

FASTAPI = tuple(int(part) for part in fastapi.__version__.split(".")[:2])
# FastAPI 0.164 requires Starlette 1.6 and added `max_body_size` to FastAPI, APIRouter and routes.
HAS_MAX_BODY_SIZE = FASTAPI >= (0, 164)


@pytest.fixture
def client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    backend: Any = anyio_backend_name
    return functools.partial(TestClient, backend=backend)


class Item(BaseModel):
    name: str


def echo_app(**kwargs: Any) -> FastAPI:
    app = FastAPI(**kwargs)

    @app.post("/items")
    async def create(item: Item) -> dict[str, str]:
        return {"name": item.name}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"length": len(body), "limit": request.scope.get(MAX_BODY_SIZE_SCOPE_KEY)}

    @app.post("/ignore")
    async def ignore() -> dict[str, str]:
        return {"read": "nothing"}

    return app


def test_starlette_version_is_the_1x_api_level() -> None:
    assert starlette.__version__.startswith("1.")
    assert FASTAPI >= (0, 116)


def test_body_limit_middleware_on_a_fastapi_app(client_factory: Callable[..., TestClient]) -> None:
    app = echo_app()
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=20)
    client = client_factory(app)
    assert client.post("/items", json={"name": "small"}).json() == {"name": "small"}
    for path in ("/items", "/raw", "/ignore"):
        response = client.post(path, json={"name": "x" * 50})
        assert response.status_code == 413, path
        assert response.text == "Content Too Large"
    # Streamed without a Content-Length: counted as FastAPI reads it.
    response = client.post("/raw", content=iter([b"x" * 15, b"x" * 15]))
    assert response.status_code == 413
    assert client.post("/raw", content=iter([b"x" * 10, b"x" * 5])).json() == {
        "length": 15,
        "limit": 20,
    }


def test_max_body_size_on_the_app(client_factory: Callable[..., TestClient]) -> None:
    if not HAS_MAX_BODY_SIZE and FASTAPI >= (0, 117):
        # The releases between refuse unknown keyword arguments (the lock takes 0.162 on 3.10).
        with pytest.raises(TypeError, match="max_body_size"):
            echo_app(max_body_size=20)
        return
    client = client_factory(echo_app(max_body_size=20))
    response = client.post("/raw", content=b"x" * 50)
    if HAS_MAX_BODY_SIZE:
        assert response.status_code == 413
        assert response.text == "Content Too Large"
        assert client.post("/raw", content=b"x" * 20).json() == {"length": 20, "limit": 20}
        streamed = client.post("/items", content=iter([b'{"name": "', b"x" * 30, b'"}']))
        assert streamed.status_code == 413
    else:
        # Older FastAPI keeps unknown keyword arguments in `app.extra`: no limit at all.
        assert response.json() == {"length": 50, "limit": None}


def test_max_body_size_on_routes_and_routers(client_factory: Callable[..., TestClient]) -> None:
    # Typed as Any: the signatures differ between the FastAPI releases mypy may see.
    if not HAS_MAX_BODY_SIZE:
        older: Any = FastAPI()
        with pytest.raises(TypeError, match="max_body_size"):
            older.post("/", max_body_size=10)
        return
    app: Any = FastAPI(max_body_size=10)
    router: Any = fastapi.APIRouter(max_body_size=100)

    @router.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @router.post("/tiny", max_body_size=3)
    async def tiny(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.post("/small")
    async def small(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    app.include_router(router, prefix="/r")
    client = client_factory(app)
    assert client.post("/small", content=b"x" * 50).status_code == 413
    assert client.post("/r/upload", content=b"x" * 50).json() == {"length": 50}
    assert client.post("/r/upload", content=b"x" * 101).status_code == 413
    assert client.post("/r/tiny", content=b"x" * 5).status_code == 413
    assert client.post("/r/tiny", content=b"xyz").json() == {"length": 3}


def test_too_large_is_not_reported_as_a_parse_error(
    client_factory: Callable[..., TestClient],
) -> None:
    # FastAPI turns errors while reading a body into 400 "There was an error parsing the body";
    # the limiter's 413 must come through as a 413.
    app = echo_app()
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=5)
    client = client_factory(app)
    response = client.post("/items", content=iter([b'{"name": ', b'"abcdef"}']))
    assert response.status_code == 413
    assert response.json() == {"detail": "Content Too Large"}


def test_websocket_dependency_raising_websocket_exception(
    client_factory: Callable[..., TestClient],
) -> None:
    def token(websocket: WebSocket) -> str:
        value = websocket.query_params.get("token")
        if value != "secret":
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="bad token")
        return value

    app = FastAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, value: Annotated[str, Depends(token)]) -> None:
        await websocket.accept()
        await websocket.send_text(f"hello {value}")
        await websocket.close()

    client = client_factory(app)
    with client.websocket_connect("/ws?token=secret") as session:
        assert session.receive_text() == "hello secret"
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover - the handshake is refused
    assert (info.value.code, info.value.reason) == (1008, "bad token")


def test_websocket_dependency_raising_http_exception(
    client_factory: Callable[..., TestClient],
) -> None:
    def user(websocket: WebSocket) -> str:
        if "authorization" not in websocket.headers:
            raise HTTPException(status_code=401, detail="Not authenticated")
        return websocket.headers["authorization"]

    app = FastAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, who: Annotated[str, Depends(user)]) -> None:
        await websocket.accept()
        await websocket.send_text(who)
        await websocket.close()

    client = client_factory(app)
    with client.websocket_connect("/ws", headers={"authorization": "alice"}) as session:
        assert session.receive_text() == "alice"
    # The handler's response is the denial response: the client sees 401 and the JSON body.
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover - the handshake is refused
    assert info.value.status_code == 401
    assert info.value.json() == {"detail": "Not authenticated"}


def test_security_dependencies(client_factory: Callable[..., TestClient]) -> None:
    bearer = HTTPBearer()
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")
    app = FastAPI()

    @app.get("/bearer")
    async def with_bearer(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
    ) -> dict[str, str]:
        return {"scheme": credentials.scheme, "token": credentials.credentials}

    @app.get("/oauth2")
    async def with_oauth2(token: Annotated[str, Depends(oauth2)]) -> dict[str, str]:
        return {"token": token}

    client = client_factory(app)
    assert client.get("/bearer", headers={"Authorization": "Bearer abc"}).json() == {
        "scheme": "Bearer",
        "token": "abc",
    }
    assert client.get("/oauth2", headers={"Authorization": "Bearer xyz"}).json() == {"token": "xyz"}
    for path in ("/bearer", "/oauth2"):
        response = client.get(path)
        assert response.status_code in (401, 403), path
        assert response.json() == {"detail": "Not authenticated"}
    missing = client.get("/oauth2")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"


def test_streaming_and_background_tasks(client_factory: Callable[..., TestClient]) -> None:
    done: list[str] = []
    app = FastAPI()

    def numbers() -> Iterator[bytes]:
        for number in range(3):
            yield f"{number}\n".encode()

    @app.get("/stream")
    async def stream(tasks: BackgroundTasks) -> StreamingResponse:
        tasks.add_task(done.append, "after the stream")
        return StreamingResponse(numbers(), media_type="text/plain", background=tasks)

    @app.post("/later")
    async def later(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(done.append, "after the response")
        return {"queued": "yes"}

    client = client_factory(app)
    with client.stream("GET", "/stream") as response:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert list(response.iter_lines()) == ["0", "1", "2"]
    assert client.post("/later").json() == {"queued": "yes"}
    assert done == ["after the stream", "after the response"]
