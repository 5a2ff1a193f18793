"""FastAPI applications, written the way FastAPI's users write them, running on starlette-full.

The workspace environment installs FastAPI with the upstream `starlette` distribution overridden
away (`[tool.uv] override-dependencies` in the root pyproject), so every `starlette` import FastAPI
makes lands on this family. No `from __future__ import annotations` here: FastAPI reads the
annotations of endpoints and models at run time.
"""

import functools
import gzip
import importlib.metadata
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Cookie,
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
    status,
)
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, StreamingResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials, OAuth2PasswordBearer
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from starlette.exceptions import HTTPException as StarletteHTTPException

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client_factory(anyio_backend_name: str) -> Callable[..., TestClient]:
    """FastAPI's own `TestClient`, bound to the anyio backend of the test (asyncio and trio)."""
    backend: Any = anyio_backend_name
    return functools.partial(TestClient, backend=backend)


class Item(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(BaseModel):
    name: str
    price: float


# -- the environment --------------------------------------------------------------------------


def test_fastapi_imports_starlette_from_this_family() -> None:
    import fastapi

    import starlette.applications
    import starlette.testclient

    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("starlette")
    assert importlib.metadata.version("starlette-full")
    # Wheel installs record who provides `starlette/` (editable ones do not): only this family.
    owners = importlib.metadata.packages_distributions().get("starlette", [])
    assert all(owner.startswith("starlette-") for owner in owners)
    assert TestClient is starlette.testclient.TestClient
    assert issubclass(FastAPI, starlette.applications.Starlette)
    major, minor = (int(part) for part in fastapi.__version__.split(".")[:2])
    # The newest release in the workspace, 0.116 in `make test-ecosystem-oldest`.
    assert (major, minor) >= (0, 116)
    assert starlette.__version__.startswith("1.")


def test_root_pyproject_overrides_upstream_starlette_as_the_docs_page_shows() -> None:
    snippet = "override-dependencies = [\"starlette; sys_platform == 'never'\"]"
    assert snippet in (ROOT / "pyproject.toml").read_text()
    page = ROOT / "docs" / "guides" / "starlette-based-frameworks.md"
    assert snippet in page.read_text(encoding="utf-8")


# -- path, query, header and body parameters ---------------------------------------------------


def items_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read_item(
        item_id: int,
        q: str | None = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "limit": limit}

    @app.get("/files/{file_path:path}")
    async def read_file(file_path: str) -> dict[str, str]:
        return {"file_path": file_path}

    @app.post("/items/", status_code=status.HTTP_201_CREATED, response_model=ItemOut)
    async def create_item(item: Item) -> Item:
        return item

    @app.put("/items/{item_id}")
    async def update_item(
        item_id: int,
        item: Item,
        x_token: Annotated[str, Header()],
        session: Annotated[str | None, Cookie()] = None,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "item": item, "x_token": x_token, "session": session}

    @app.get("/search")
    async def search(tag: Annotated[list[str], Query()]) -> dict[str, list[str]]:
        return {"tag": tag}

    return app


def test_path_and_query_parameters_are_converted(client_factory) -> None:
    client = client_factory(items_app())
    response = client.get("/items/42", params={"q": "x", "limit": 5})
    assert response.status_code == 200
    assert response.json() == {"item_id": 42, "q": "x", "limit": 5}
    assert client.get("/items/7").json() == {"item_id": 7, "q": None, "limit": 10}
    assert client.get("/files/a/b/c.txt").json() == {"file_path": "a/b/c.txt"}
    assert client.get("/search?tag=a&tag=b").json() == {"tag": ["a", "b"]}


def test_invalid_path_and_query_parameters_answer_422(client_factory) -> None:
    client = client_factory(items_app())
    response = client.get("/items/abc")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["path", "item_id"]
    assert error["type"] == "int_parsing"

    response = client.get("/items/1?limit=0")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "limit"]
    assert error["type"] == "greater_than_equal"

    response = client.get("/search")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "missing"


def test_json_body_is_validated_and_filtered_by_response_model(client_factory) -> None:
    client = client_factory(items_app())
    response = client.post("/items/", json={"name": "Foo", "price": 3.5, "tags": ["a"]})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "Foo", "price": 3.5}

    response = client.post("/items/", json={"name": "", "price": -1})
    assert response.status_code == 422
    locs = sorted(tuple(error["loc"]) for error in response.json()["detail"])
    assert locs == [("body", "name"), ("body", "price")]

    response = client.post(
        "/items/", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"

    response = client.post("/items/")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_header_and_cookie_parameters(client_factory) -> None:
    client = client_factory(items_app(), cookies={"session": "abc"})
    response = client.put(
        "/items/3", json={"name": "Bar", "price": 1}, headers={"X-Token": "secret"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "item_id": 3,
        "item": {"name": "Bar", "price": 1.0, "tags": []},
        "x_token": "secret",
        "session": "abc",
    }
    response = client.put("/items/3", json={"name": "Bar", "price": 1})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "x-token"]


# -- dependencies ------------------------------------------------------------------------------


def test_dependencies_with_yield_set_up_and_tear_down(client_factory) -> None:
    events: list[str] = []

    class Session:
        def __init__(self) -> None:
            self.rows = ["row"]

    async def get_session() -> AsyncIterator[Session]:
        events.append("open")
        try:
            yield Session()
        except HTTPException:
            events.append("rollback")
            raise
        finally:
            events.append("close")

    def get_user(session: Annotated[Session, Depends(get_session)]) -> Iterator[str]:
        events.append("user")
        yield f"user-of-{len(session.rows)}"
        events.append("user done")

    app = FastAPI()

    @app.get("/rows")
    async def rows(
        user: Annotated[str, Depends(get_user)],
        session: Annotated[Session, Depends(get_session)],
    ) -> dict[str, Any]:
        events.append("endpoint")
        return {"user": user, "rows": session.rows}

    @app.get("/fail")
    async def fail(session: Annotated[Session, Depends(get_session)]) -> None:
        raise HTTPException(status_code=409, detail="conflict")

    client = client_factory(app)
    response = client.get("/rows")
    assert response.status_code == 200
    assert response.json() == {"user": "user-of-1", "rows": ["row"]}
    # The session is shared (cached) by both dependants and closed after the user dependency.
    assert events == ["open", "user", "endpoint", "user done", "close"]

    events.clear()
    response = client.get("/fail")
    assert response.status_code == 409
    assert response.json() == {"detail": "conflict"}
    assert events == ["open", "rollback", "close"]


def test_dependency_raising_http_exception_with_headers_and_overrides(client_factory) -> None:
    async def verify_token(x_token: Annotated[str | None, Header()] = None) -> str:
        if x_token != "good":
            raise HTTPException(401, "bad token", headers={"WWW-Authenticate": "Bearer"})
        return x_token

    app = FastAPI(dependencies=[Depends(verify_token)])

    @app.get("/")
    async def home(token: Annotated[str, Depends(verify_token)]) -> dict[str, str]:
        return {"token": token}

    client = client_factory(app)
    response = client.get("/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "bad token"}
    assert client.get("/", headers={"X-Token": "good"}).json() == {"token": "good"}

    app.dependency_overrides[verify_token] = lambda: "overridden"
    assert client.get("/").json() == {"token": "overridden"}


def test_security_utilities(client_factory) -> None:
    oauth2 = OAuth2PasswordBearer(tokenUrl="token")
    basic = HTTPBasic()
    app = FastAPI()

    @app.get("/me")
    async def me(token: Annotated[str, Depends(oauth2)]) -> dict[str, str]:
        return {"token": token}

    @app.get("/basic")
    def who(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> dict[str, str]:
        return {"username": credentials.username}

    client = client_factory(app)
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/me", headers={"Authorization": "Bearer t0k"}).json() == {"token": "t0k"}
    assert client.get("/basic", auth=("ann", "pw")).json() == {"username": "ann"}
    assert client.get("/basic").status_code == 401


# -- routers -----------------------------------------------------------------------------------


def test_api_router_include_router_with_prefixes_and_url_for(client_factory) -> None:
    calls: list[str] = []

    def audit(request: Request) -> None:
        calls.append(request.url.path)

    users = APIRouter(prefix="/users", tags=["users"])

    @users.get("/", name="list_users")
    async def list_users() -> list[str]:
        return ["ann", "bob"]

    @users.get("/{user_id}", name="get_user")
    async def get_user(user_id: int, request: Request) -> dict[str, Any]:
        return {"id": user_id, "self": str(request.url_for("get_user", user_id=user_id))}

    @users.delete("/{user_id}", status_code=204)
    async def delete_user(user_id: int) -> None:
        return None

    admin = APIRouter()

    @admin.get("/stats")
    def stats() -> dict[str, int]:
        return {"users": 2}

    api = APIRouter(prefix="/api", dependencies=[Depends(audit)])
    api.include_router(users)
    api.include_router(admin, prefix="/admin")
    app = FastAPI()
    app.include_router(api, prefix="/v1")

    client = client_factory(app)
    assert client.get("/v1/api/users/").json() == ["ann", "bob"]
    assert client.get("/v1/api/users/5").json() == {
        "id": 5,
        "self": "http://testserver/v1/api/users/5",
    }
    assert client.get("/v1/api/admin/stats").json() == {"users": 2}
    response = client.delete("/v1/api/users/5")
    assert response.status_code == 204
    assert response.content == b""
    assert calls == ["/v1/api/users/", "/v1/api/users/5", "/v1/api/admin/stats", "/v1/api/users/5"]
    assert app.url_path_for("list_users") == "/v1/api/users/"

    response = client.get("/v1/api/users", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/v1/api/users/"
    response = client.post("/v1/api/users/5")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    # As in Starlette, the first route that matched the path (GET, then DELETE) names the methods.
    assert response.headers["allow"] == "GET"
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_mounted_fastapi_sub_application_serves_its_own_docs(client_factory) -> None:
    sub = FastAPI()

    @sub.get("/hello")
    async def hello(request: Request) -> dict[str, str]:
        return {"root_path": request.scope["root_path"], "url": str(request.url)}

    app = FastAPI()
    app.mount("/sub", sub)
    client = client_factory(app)
    assert client.get("/sub/hello").json() == {
        "root_path": "/sub",
        "url": "http://testserver/sub/hello",
    }
    schema = client.get("/sub/openapi.json").json()
    assert schema["servers"] == [{"url": "/sub"}]
    assert "/hello" in schema["paths"]
    assert "/sub/openapi.json" in client.get("/sub/docs").text


# -- background tasks --------------------------------------------------------------------------


def test_background_tasks_run_after_the_response(client_factory) -> None:
    log: list[str] = []

    def write_log(message: str) -> None:
        log.append(message)

    async def notify(email: str) -> None:
        log.append(f"notify {email}")

    def with_tasks(background_tasks: BackgroundTasks) -> None:
        background_tasks.add_task(write_log, "from dependency")

    app = FastAPI()

    @app.post("/send/{email}", dependencies=[Depends(with_tasks)])
    async def send(email: str, background_tasks: BackgroundTasks) -> dict[str, str]:
        background_tasks.add_task(notify, email)
        background_tasks.add_task(write_log, message=f"sent {email}")
        log.append("endpoint")
        return {"message": "queued"}

    client = client_factory(app)
    response = client.post("/send/a@b.c")
    assert response.status_code == 200
    assert response.json() == {"message": "queued"}
    assert log == ["endpoint", "from dependency", "notify a@b.c", "sent a@b.c"]


# -- forms and files ---------------------------------------------------------------------------


def forms_app() -> FastAPI:
    app = FastAPI()

    @app.post("/login")
    async def login(
        username: Annotated[str, Form()], password: Annotated[str, Form(min_length=3)]
    ) -> dict[str, str]:
        return {"username": username}

    @app.post("/upload")
    async def upload(file: UploadFile, note: Annotated[str, Form()] = "none") -> dict[str, Any]:
        content = await file.read()
        return {
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size,
            "content": content.decode(),
            "note": note,
        }

    @app.post("/many")
    async def many(files: list[UploadFile], raw: Annotated[bytes, File()]) -> dict[str, Any]:
        return {"names": [f.filename for f in files], "raw": len(raw)}

    return app


def test_form_fields_are_validated(client_factory) -> None:
    client = client_factory(forms_app())
    response = client.post("/login", data={"username": "ann", "password": "secret"})
    assert response.json() == {"username": "ann"}
    response = client.post("/login", data={"username": "ann", "password": "x"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert error["type"] == "string_too_short"
    response = client.post("/login", data={"password": "secret"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "username"]


def test_upload_file_and_multiple_files(client_factory) -> None:
    client = client_factory(forms_app())
    response = client.post(
        "/upload",
        files={"file": ("hello.txt", b"hello world", "text/plain")},
        data={"note": "n1"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "filename": "hello.txt",
        "content_type": "text/plain",
        "size": 11,
        "content": "hello world",
        "note": "n1",
    }
    response = client.post(
        "/many",
        files=[
            ("files", ("a.bin", b"a" * 10, "application/octet-stream")),
            ("files", ("b.bin", b"b" * 2_000_000, "application/octet-stream")),
            ("raw", ("r.bin", b"r" * 5, "application/octet-stream")),
        ],
    )
    assert response.status_code == 200
    assert response.json() == {"names": ["a.bin", "b.bin"], "raw": 5}
    response = client.post("/upload", data={"note": "no file"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


# -- websockets --------------------------------------------------------------------------------


def websocket_app() -> FastAPI:
    app = FastAPI()
    closed: list[int] = []
    app.state.closed = closed

    async def get_token(websocket: WebSocket, token: str | None = None) -> str:
        if token is None:
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="no token")
        return token

    @app.websocket("/ws/{room}")
    async def chat(
        websocket: WebSocket, room: str, token: Annotated[str, Depends(get_token)]
    ) -> None:
        await websocket.accept()
        await websocket.send_json({"room": room, "token": token})
        try:
            while True:
                text = await websocket.receive_text()
                await websocket.send_text(f"{room}: {text}")
        except WebSocketDisconnect as exc:
            closed.append(exc.code)

    return app


def test_websocket_with_path_query_and_dependency(client_factory) -> None:
    app = websocket_app()
    client = client_factory(app)
    with client.websocket_connect("/ws/lobby?token=t1") as websocket:
        assert websocket.receive_json() == {"room": "lobby", "token": "t1"}
        websocket.send_text("hi")
        assert websocket.receive_text() == "lobby: hi"
        websocket.send_text("bye")
        assert websocket.receive_text() == "lobby: bye"
    assert app.state.closed == [1000]


def test_websocket_exception_in_dependency_closes_with_its_code(client_factory) -> None:
    client = client_factory(websocket_app())
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws/lobby"):
        pass  # pragma: no cover - the handshake is refused
    assert info.value.code == status.WS_1008_POLICY_VIOLATION
    assert info.value.reason == "no token"


# -- exception handlers ------------------------------------------------------------------------


class UnicornError(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def test_custom_exception_handlers(client_factory) -> None:
    seen: list[int] = []
    app = FastAPI()

    @app.exception_handler(UnicornError)
    async def unicorn_handler(request: Request, exc: UnicornError) -> JSONResponse:
        return JSONResponse(status_code=418, content={"message": f"{exc.name} did something"})

    @app.exception_handler(RequestValidationError)
    async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=400, content={"errors": jsonable_encoder(exc.errors()), "custom": True}
        )

    @app.exception_handler(StarletteHTTPException)
    async def logging_http_handler(request: Request, exc: StarletteHTTPException) -> Response:
        seen.append(exc.status_code)
        return await http_exception_handler(request, exc)

    @app.get("/unicorns/{name}")
    async def unicorn(name: str) -> dict[str, str]:
        if name == "yolo":
            raise UnicornError(name)
        return {"name": name}

    @app.get("/numbers/{n}")
    async def number(n: int) -> int:
        raise HTTPException(status_code=404, detail="no such number")

    client = client_factory(app)
    response = client.get("/unicorns/yolo")
    assert response.status_code == 418
    assert response.json() == {"message": "yolo did something"}
    assert client.get("/unicorns/ann").json() == {"name": "ann"}

    response = client.get("/numbers/x")
    assert response.status_code == 400
    assert response.json()["custom"] is True
    assert response.json()["errors"][0]["loc"] == ["path", "n"]

    assert client.get("/numbers/1").json() == {"detail": "no such number"}
    # The router's own 404 reaches the handler registered for Starlette's HTTPException too.
    assert client.get("/missing").json() == {"detail": "Not Found"}
    assert seen == [404, 404]


def test_unhandled_error_is_a_500_or_raised(client_factory) -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        client_factory(app).get("/boom")
    response = client_factory(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


# -- middleware --------------------------------------------------------------------------------


def middleware_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://example.org"],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Process"],
    )

    @app.middleware("http")
    async def add_process_header(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["X-Process"] = f"{request.method} {request.url.path}"
        return response

    @app.get("/big")
    async def big() -> PlainTextResponse:
        return PlainTextResponse("x" * 5000)

    @app.get("/small")
    async def small() -> dict[str, str]:
        return {"size": "small"}

    return app


def test_cors_preflight_and_simple_requests(client_factory) -> None:
    client = client_factory(middleware_app())
    response = client.options(
        "/small",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-Custom",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "PUT" in response.headers["access-control-allow-methods"]
    assert response.headers["access-control-allow-headers"].lower().endswith("x-custom")

    response = client.get("/small", headers={"Origin": "https://example.org"})
    assert response.json() == {"size": "small"}
    assert response.headers["access-control-allow-origin"] == "https://example.org"
    assert response.headers["access-control-expose-headers"] == "X-Process"
    assert "Origin" in response.headers["vary"]

    response = client.options(
        "/small",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert response.text == "Disallowed CORS origin"


def test_gzip_and_http_middleware_function(client_factory) -> None:
    client = client_factory(middleware_app())
    response = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["x-process"] == "GET /big"
    assert response.text == "x" * 5000
    assert int(response.headers["content-length"]) < 5000

    response = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.headers["x-process"] == "GET /small"


# -- lifespan and state ------------------------------------------------------------------------


def test_lifespan_state_reaches_requests(client_factory) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        app.state.models = {"answer": 42}
        yield {"pool": ["conn"]}
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def home(request: Request) -> dict[str, Any]:
        return {"pool": request.state.pool, "answer": request.app.state.models["answer"]}

    with client_factory(app) as client:
        assert events == ["startup"]
        assert client.get("/").json() == {"pool": ["conn"], "answer": 42}
    assert events == ["startup", "shutdown"]


def test_lifespan_of_included_routers_is_merged(client_factory) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def router_lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("router up")
        yield
        events.append("router down")

    router = APIRouter(lifespan=router_lifespan)
    app = FastAPI()
    app.include_router(router)
    with client_factory(app):
        assert events == ["router up"]
    assert events == ["router up", "router down"]


# -- static files and templates ----------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> FastAPI:
    static = tmp_path / "static"
    static.mkdir()
    (static / "style.css").write_text("body { color: red; }")
    templates_dir = tmp_path / "templates"
    templates_dir.mkdir()
    (templates_dir / "item.html").write_text(
        "<link href=\"{{ url_for('static', path='/style.css') }}\">"
        "<h1>Item {{ id }}</h1><p>{{ note }}</p>"
    )
    templates = Jinja2Templates(directory=templates_dir)
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/items/{id}", response_class=HTMLResponse)
    async def read_item(request: Request, id: str) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "item.html", {"id": id, "note": "<script>alert(1)</script>"}
        )

    return app


def test_static_files_mounted(client_factory, site: FastAPI) -> None:
    client = client_factory(site)
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.text == "body { color: red; }"
    assert response.headers["content-type"].startswith("text/css")
    etag = response.headers["etag"]
    assert client.get("/static/style.css", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/static/missing.css").status_code == 404
    assert client.get("/static/../../etc/passwd").status_code == 404
    assert site.url_path_for("static", path="/style.css") == "/static/style.css"


def test_jinja2_templates(client_factory, site: FastAPI) -> None:
    response = client_factory(site).get("/items/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == (
        '<link href="http://testserver/static/style.css">'
        "<h1>Item 7</h1><p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )
    assert response.template.name == "item.html"
    assert response.context["id"] == "7"


# -- OpenAPI and the docs pages ----------------------------------------------------------------


def test_openapi_schema_and_docs_pages(client_factory) -> None:
    app = items_app()
    app.title = "Shop"
    client = client_factory(app)
    schema = client.get("/openapi.json").json()
    assert schema["info"]["title"] == "Shop"
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {"/items/{item_id}", "/files/{file_path}", "/items/", "/search"}
    create = schema["paths"]["/items/"]["post"]
    assert "201" in create["responses"]
    assert "422" in create["responses"]
    assert {"Item", "ItemOut", "HTTPValidationError"} <= set(schema["components"]["schemas"])
    assert schema["components"]["schemas"]["Item"]["properties"]["price"]["exclusiveMinimum"] == 0

    docs = client.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"] == "text/html; charset=utf-8"
    assert "swagger-ui" in docs.text
    assert "/openapi.json" in docs.text
    redoc = client.get("/redoc")
    assert redoc.status_code == 200
    assert "redoc" in redoc.text
    assert client.get("/docs/oauth2-redirect").status_code == 200


def test_openapi_can_be_disabled_and_relocated(client_factory) -> None:
    client = client_factory(FastAPI(openapi_url="/api/schema.json", docs_url=None, redoc_url=None))
    assert client.get("/api/schema.json").json()["paths"] == {}
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 404


# -- streaming and other responses -------------------------------------------------------------


def streaming_app() -> FastAPI:
    app = FastAPI()

    @app.get("/count")
    async def count(n: int = 3) -> StreamingResponse:
        async def numbers() -> AsyncIterator[str]:
            for i in range(n):
                yield f"{i}\n"

        return StreamingResponse(numbers(), media_type="text/plain")

    @app.get("/sync-stream")
    def sync_stream() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b", b"c"]), headers={"X-Kind": "sync"})

    @app.get("/cookie")
    async def cookie(response: Response) -> dict[str, bool]:
        response.set_cookie("flavour", "oat", httponly=True, samesite="strict")
        response.headers["X-Extra"] = "1"
        return {"ok": True}

    return app


def test_streaming_responses(client_factory) -> None:
    client = client_factory(streaming_app())
    with client.stream("GET", "/count", params={"n": 4}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert list(response.iter_lines()) == ["0", "1", "2", "3"]
    response = client.get("/sync-stream")
    assert response.content == b"abc"
    assert response.headers["x-kind"] == "sync"


def test_response_parameter_sets_cookies_and_headers(client_factory) -> None:
    response = client_factory(streaming_app()).get("/cookie")
    assert response.json() == {"ok": True}
    assert response.headers["x-extra"] == "1"
    assert response.headers["set-cookie"] == "flavour=oat; HttpOnly; Path=/; SameSite=strict"


def test_gzip_compresses_a_streamed_response(client_factory) -> None:
    app = streaming_app()
    app.add_middleware(GZipMiddleware, minimum_size=1)
    with client_factory(app).stream("GET", "/count?n=300") as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == "".join(f"{i}\n" for i in range(300)).encode()


# -- async tests, as FastAPI's docs write them -------------------------------------------------


@pytest.mark.anyio
async def test_async_client_over_asgi_transport() -> None:
    app = items_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/items/", json={"name": "A", "price": 2})
        assert response.status_code == 201
        assert json.loads(response.content) == {"name": "A", "price": 2.0}
        response = await client.get("/items/x")
        assert response.status_code == 422
