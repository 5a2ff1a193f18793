from __future__ import annotations

import functools
import re
import uuid
from typing import Any

import pytest

from starlette.convertors import Convertor, IntegerConvertor, PathConvertor, StringConvertor
from starlette.responses import PlainTextResponse
from starlette.routing import (
    Host,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
    compile_path,
    get_name,
    iscoroutinefunction_or_partial,
    replace_params,
)


def homepage(request: Any) -> PlainTextResponse:
    return PlainTextResponse("home")


async def ws_endpoint(websocket: Any) -> None:
    await websocket.accept()  # pragma: no cover


def test_compile_plain_path() -> None:
    regex, path_format, convertors = compile_path("/users/me")
    assert regex.match("/users/me")
    assert not regex.match("/users/me/")
    assert not regex.match("/users/meX")
    assert path_format == "/users/me"
    assert convertors == {}


def test_compile_path_escapes_regex_characters() -> None:
    regex, _, _ = compile_path("/a.b+c")
    assert regex.match("/a.b+c")
    assert not regex.match("/aXbbc")
    regex, path_format, _ = compile_path("/v1.0/{id:int}.json")
    assert regex.pattern == r"^/v1\.0/(?P<id>[0-9]+)\.json$"
    assert path_format == "/v1.0/{id}.json"
    assert regex.match("/v1.0/7.json")
    assert not regex.match("/v1x0/7.json")


def test_compile_path_with_params() -> None:
    regex, path_format, convertors = compile_path("/users/{id:int}/files/{name}/{rest:path}")
    assert path_format == "/users/{id}/files/{name}/{rest}"
    assert isinstance(convertors["id"], IntegerConvertor)
    assert isinstance(convertors["name"], StringConvertor)
    assert isinstance(convertors["rest"], PathConvertor)
    match = regex.match("/users/12/files/a.txt/x/y")
    assert match is not None
    assert match.groupdict() == {"id": "12", "name": "a.txt", "rest": "x/y"}
    assert regex.match("/users/abc/files/a/b") is None


def test_compile_path_unknown_convertor() -> None:
    with pytest.raises(AssertionError, match="Unknown path convertor 'nope'"):
        compile_path("/{x:nope}")


def test_compile_path_duplicated_param() -> None:
    with pytest.raises(ValueError, match=re.escape("Duplicated param name id at path /{id}/{id}")):
        compile_path("/{id}/{id}")


def test_compile_path_duplicated_params() -> None:
    with pytest.raises(
        ValueError, match=re.escape("Duplicated param names a, b at path /{a}/{b}/{a}/{b}/{a}")
    ):
        compile_path("/{a}/{b}/{a}/{b}/{a}")


def test_compile_host_ignores_port_and_case() -> None:
    regex, path_format, convertors = compile_path("{sub}.Example.org:8000")
    assert path_format == "{sub}.Example.org:8000"
    assert isinstance(convertors["sub"], StringConvertor)
    match = regex.match("API.example.ORG")
    assert match is not None
    assert match.group("sub") == "API"
    assert regex.match("api.example.org.evil.com") is None


def test_compile_ipv6_host() -> None:
    regex, path_format, _ = compile_path("[::1]:8000")
    assert path_format == "[::1]:8000"
    assert regex.match("[::1]")
    assert regex.match("[::2]") is None
    regex, _, _ = compile_path("[::1")  # malformed: kept literally
    assert regex.match("[::1")


def test_replace_params() -> None:
    _, path_format, convertors = compile_path("/users/{id:int}/{name}")
    path, remaining = replace_params(path_format, convertors, {"id": 3, "name": "x", "q": "1"})  # type: ignore[dict-item]
    assert path == "/users/3/x"
    assert remaining == {"q": "1"}


def test_replace_params_keeps_placeholder_looking_values() -> None:
    _, path_format, convertors = compile_path("/{a}/{b}")
    path, remaining = replace_params(path_format, convertors, {"a": "{b}", "b": "real"})
    assert path == "/{b}/real"
    assert remaining == {}


def test_replace_params_ignores_placeholders_without_convertor() -> None:
    path, remaining = replace_params("/{a}/{b}", {"a": StringConvertor()}, {"b": "x"})
    assert path == "/{a}/{b}"
    assert remaining == {"b": "x"}


def test_replace_params_does_not_mutate_arguments() -> None:
    _, path_format, convertors = compile_path("/{a}")
    params = {"a": "1", "b": "2"}
    replace_params(path_format, convertors, params)
    assert params == {"a": "1", "b": "2"}


def test_no_match_found_message() -> None:
    exc = NoMatchFound("user", {"id": 1, "tab": "x"})
    assert str(exc) == 'No route exists for name "user" and params "id, tab".'
    assert str(NoMatchFound("home", {})) == 'No route exists for name "home" and params "".'


def test_match_enum_values() -> None:
    assert (Match.NONE.value, Match.PARTIAL.value, Match.FULL.value) == (0, 1, 2)


def test_get_name() -> None:
    class Endpoint:
        pass

    class CallableInstance:
        def __call__(self) -> None: ...  # pragma: no cover

    assert get_name(homepage) == "homepage"
    assert get_name(Endpoint) == "Endpoint"
    assert get_name(CallableInstance()) == "CallableInstance"


def test_iscoroutinefunction_or_partial_is_deprecated() -> None:
    async def coro() -> None: ...  # pragma: no cover

    with pytest.warns(DeprecationWarning, match="iscoroutinefunction_or_partial is deprecated"):
        assert iscoroutinefunction_or_partial(functools.partial(coro))
    with pytest.warns(DeprecationWarning, match="will be removed in a future release"):
        assert not iscoroutinefunction_or_partial(homepage)


def test_route_url_path_for() -> None:
    route = Route("/users/{id:int}", homepage, name="user")
    url = route.url_path_for("user", id=5)
    assert url == "/users/5"
    assert url.protocol == "http"
    with pytest.raises(
        NoMatchFound, match=re.escape('No route exists for name "user" and params "".')
    ):
        route.url_path_for("user")
    with pytest.raises(NoMatchFound):
        route.url_path_for("other", id=5)
    with pytest.raises(NoMatchFound):
        route.url_path_for("user", id=5, extra=1)


def test_url_path_for_value_that_looks_like_a_placeholder() -> None:
    route = Route("/{first}/{second}", homepage, name="pair")
    assert route.url_path_for("pair", first="{second}", second="b") == "/{second}/b"


def test_url_path_for_encodes_backslash_and_leading_double_slash() -> None:
    route = Route("/{rest:path}", homepage, name="rest")
    assert route.url_path_for("rest", rest="/evil.com") == "/%2Fevil.com"
    assert route.url_path_for("rest", rest="a\\b") == "/a%5Cb"
    ws_route = WebSocketRoute("/{rest:path}", ws_endpoint, name="ws")
    assert ws_route.url_path_for("ws", rest="/evil.com") == "/%2Fevil.com"


def test_url_path_for_checks_convertor_values() -> None:
    route = Route("/{name}", homepage, name="named")
    with pytest.raises(AssertionError, match="May not contain path separators"):
        route.url_path_for("named", name="a/b")


def test_websocket_route_url_path_for() -> None:
    route = WebSocketRoute("/ws/{room}", ws_endpoint)
    url = route.url_path_for("ws_endpoint", room="lobby")
    assert url == "/ws/lobby"
    assert url.protocol == "websocket"
    with pytest.raises(NoMatchFound):
        route.url_path_for("ws_endpoint")


def test_default_route_name_is_endpoint_name() -> None:
    assert Route("/", homepage).name == "homepage"
    assert WebSocketRoute("/", ws_endpoint).name == "ws_endpoint"


def test_mount_url_path_for() -> None:
    router = Router(
        [
            Mount(
                "/users",
                name="users",
                routes=[
                    Route("/", homepage, name="list"),
                    Route("/{username}", homepage, name="detail"),
                    Mount(
                        "/{org}/teams",
                        name="teams",
                        routes=[Route("/{team}", homepage, name="team")],
                    ),
                ],
            ),
            Mount("/static", app=PlainTextResponse("x"), name="static"),
            Mount("/anon", routes=[Route("/page", homepage, name="page")]),
        ]
    )
    assert router.url_path_for("users:list") == "/users/"
    assert router.url_path_for("users:detail", username="tom") == "/users/tom"
    assert (
        router.url_path_for("users:teams:team", org="acme", team="red") == "/users/acme/teams/red"
    )
    assert router.url_path_for("static", path="/css/app.css") == "/static/css/app.css"
    assert router.url_path_for("static", path="") == "/static/"
    assert router.url_path_for("page") == "/anon/page"
    with pytest.raises(NoMatchFound, match=re.escape('name "users:detail" and params "".')):
        router.url_path_for("users:detail")
    with pytest.raises(NoMatchFound):
        router.url_path_for("static")
    with pytest.raises(NoMatchFound):
        router.url_path_for("static", path="x", other="y")
    with pytest.raises(NoMatchFound):
        router.url_path_for("missing")


def test_mount_url_path_for_passes_path_to_children() -> None:
    inner = Mount("/files", app=PlainTextResponse("x"), name="files")
    outer = Mount("/outer", routes=[inner], name="outer")
    assert outer.url_path_for("outer:files", path="/a.txt") == "/outer/files/a.txt"


def test_mount_url_path_for_with_mount_params() -> None:
    mount = Mount("/{tenant}", routes=[Route("/home", homepage, name="home")], name="t")
    assert mount.url_path_for("t:home", tenant="acme") == "/acme/home"


def test_mount_url_path_for_websocket_child_keeps_protocol() -> None:
    mount = Mount("/rt", routes=[WebSocketRoute("/ws", ws_endpoint, name="ws")])
    url = mount.url_path_for("ws")
    assert url == "/rt/ws"
    assert url.protocol == "websocket"


def test_host_url_path_for() -> None:
    api = Router([Route("/users", homepage, name="users")])
    router = Router(
        [
            Host("{sub}.example.org", app=api, name="api"),
            Host("static.example.org", app=PlainTextResponse("x"), name="static"),
            Host("anon.example.org", app=Router([Route("/a", homepage, name="anon")])),
        ]
    )
    url = router.url_path_for("api:users", sub="v1")
    assert url == "/users"
    assert url.host == "v1.example.org"
    assert url.protocol == "http"
    static = router.url_path_for("static", path="/img.png")
    assert static == "/img.png"
    assert static.host == "static.example.org"
    assert router.url_path_for("anon").host == "anon.example.org"
    with pytest.raises(NoMatchFound):
        router.url_path_for("api:missing", sub="v1")
    with pytest.raises(NoMatchFound):
        router.url_path_for("static", path="/x", extra="1")


def test_route_equality_and_repr() -> None:
    assert Route("/", homepage) == Route("/", homepage)
    assert Route("/", homepage) != Route("/", homepage, methods=["POST"])
    assert Route("/", homepage) != Route("/x", homepage)
    assert Route("/", homepage) != "/"
    assert repr(Route("/", homepage, methods=["post", "get"])) == (
        "Route(path='/', name='homepage', methods=['GET', 'HEAD', 'POST'])"
    )
    assert WebSocketRoute("/ws", ws_endpoint) == WebSocketRoute("/ws", ws_endpoint)
    assert WebSocketRoute("/ws", ws_endpoint) != WebSocketRoute("/other", ws_endpoint)
    assert (
        repr(WebSocketRoute("/ws", ws_endpoint)) == "WebSocketRoute(path='/ws', name='ws_endpoint')"
    )
    app = PlainTextResponse("x")
    assert Mount("/m", app=app) == Mount("/m/", app=app)
    assert Mount("/m", app=app) != Mount("/n", app=app)
    assert Mount("/m", routes=[Route("/", homepage)]) == Mount("/m", routes=[Route("/", homepage)])
    assert repr(Mount("/m", app=app, name="m")) == f"Mount(path='/m', name='m', app={app!r})"
    assert repr(Mount("/m", app=app)) == f"Mount(path='/m', name='', app={app!r})"
    assert Host("a.com", app=app) == Host("a.com", app=app)
    assert Host("a.com", app=app) != Host("b.com", app=app)
    assert repr(Host("a.com", app=app, name="a")) == f"Host(host='a.com', name='a', app={app!r})"
    assert Router([Route("/", homepage)]) == Router([Route("/", homepage)])
    assert Router([Route("/", homepage)]) != Router([])
    assert Router() != object()


def test_route_methods() -> None:
    route = Route("/", homepage, methods=["get", "post", "GET"])
    assert route.methods == {"GET", "HEAD", "POST"}
    assert Route("/", homepage).methods == {"GET", "HEAD"}

    class App:
        async def __call__(
            self, scope: Any, receive: Any, send: Any
        ) -> None: ...  # pragma: no cover

    assert Route("/", App()).methods is None
    assert Route("/", App(), methods=["PUT"]).methods == {"PUT"}


def test_route_path_must_start_with_slash() -> None:
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        Route("users", homepage)
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        WebSocketRoute("ws", ws_endpoint)
    with pytest.raises(AssertionError, match="Routed paths must start with '/'"):
        Mount("users", routes=[])


def test_mount_needs_app_or_routes() -> None:
    with pytest.raises(
        AssertionError, match=re.escape("Either 'app=...', or 'routes=' must be specified")
    ):
        Mount("/x")


def test_host_must_not_start_with_slash() -> None:
    with pytest.raises(AssertionError, match="Host must not start with '/'"):
        Host("/example.org", app=PlainTextResponse("x"))


def test_mount_ignores_lifespan_scope() -> None:
    assert Mount("/m", app=PlainTextResponse("x")).matches({"type": "lifespan"}) == (Match.NONE, {})


def test_mount_and_host_routes_property() -> None:
    routes = [Route("/", homepage)]
    assert Mount("/m", routes=routes).routes == routes
    assert Mount("/m", app=PlainTextResponse("x")).routes == []
    assert Host("a.com", app=Router(routes)).routes == routes
    assert Host("a.com", app=PlainTextResponse("x")).routes == []


def test_custom_convertor_in_route(monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette import convertors

    class DateConvertor(Convertor[str]):
        regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    monkeypatch.setitem(convertors.CONVERTOR_TYPES, "date", DateConvertor())
    route = Route("/day/{day:date}", homepage, name="day")
    assert route.url_path_for("day", day="2024-01-02") == "/day/2024-01-02"
    match, child = route.matches({"type": "http", "path": "/day/2024-01-02", "method": "GET"})
    assert match is Match.FULL
    assert child["path_params"] == {"day": "2024-01-02"}
    match, _ = route.matches({"type": "http", "path": "/day/tomorrow", "method": "GET"})
    assert match is Match.NONE


def test_route_matches_converts_params_and_keeps_outer_ones() -> None:
    route = Route("/items/{id:uuid}", homepage)
    value = uuid.uuid4()
    scope = {"type": "http", "path": f"/items/{value}", "method": "GET", "path_params": {"t": "x"}}
    match, child = route.matches(scope)
    assert match is Match.FULL
    assert child == {"endpoint": homepage, "path_params": {"t": "x", "id": value}, "route": route}
    assert route.matches({"type": "websocket", "path": f"/items/{value}"}) == (Match.NONE, {})
    match, _ = route.matches({**scope, "method": "POST"})
    assert match is Match.PARTIAL
