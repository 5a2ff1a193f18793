"""The router's index: candidate selection, rebuilding on mutation, and lookups by name."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from starlette._routing_index import RouteList
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import (
    BaseRoute,
    Host,
    Match,
    Mount,
    NoMatchFound,
    Route,
    Router,
    WebSocketRoute,
    compile_path,
)
from starlette.types import Receive, Scope, Send

TestClientFactory = Callable[..., Any]


@pytest.fixture(autouse=True)
def always_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small routers are scanned; these tests look at the index, whatever the router's size."""
    monkeypatch.setattr(Router, "_scan_limit", 0)


def text(body: str) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        return PlainTextResponse(body)

    return endpoint


def http(path: str, method: str = "GET", root_path: str = "") -> Scope:
    return {"type": "http", "path": path, "method": method, "root_path": root_path}


def candidates(router: Router, scope: Scope) -> list[BaseRoute]:
    return list(router._candidates(scope))


def test_candidates_are_only_routes_that_can_match() -> None:
    static = Route("/users", text("list"))
    param = Route("/users/{id:int}", text("one"))
    other = Route("/items/{id}", text("item"))
    mount = Mount("/static", app=PlainTextResponse("static"))
    catch_all = Mount("", app=PlainTextResponse("all"))
    router = Router([static, param, other, mount, catch_all])
    assert candidates(router, http("/users")) == [static, catch_all]
    assert candidates(router, http("/users/1")) == [param, catch_all]
    assert candidates(router, http("/static/a.css")) == [mount, catch_all]
    assert candidates(router, http("/static")) == [catch_all]
    assert candidates(Router([static, param]), http("/nowhere/at/all")) == []


def test_small_routers_are_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    routes = [Route(f"/r{i}", text("r")) for i in range(Router._scan_limit)]
    assert candidates(Router(routes), http("/nowhere")) == routes
    bigger = Router([*routes, Route("/last", text("last"))])
    assert candidates(bigger, http("/last")) == [bigger.routes[-1]]


def test_candidates_keep_the_original_order() -> None:
    routes = [
        Mount("/a", app=PlainTextResponse("mount")),
        Route("/a/{x}", text("param")),
        Host("example.org", app=PlainTextResponse("host")),
        Route("/a/b", text("static")),
        Route("/{anything:path}", text("any")),
        Route("/a/b{x}", text("partial literal")),
    ]
    router = Router(routes)
    assert candidates(router, http("/a/b")) == routes
    assert candidates(router, http("/a/bc")) == [r for r in routes if r is not routes[3]]


def test_regex_dollar_matches_before_a_final_newline_like_the_scan() -> None:
    route = Route("/a", text("a"))
    router = Router([route])
    assert route.matches(http("/a\n"))[0] is Match.FULL
    assert candidates(router, http("/a\n")) == [route]
    assert candidates(router, http("/a\n\n")) == []


def test_a_final_newline_keeps_the_candidates_in_route_order() -> None:
    # The exact route of the path without its newline joins those of the path's prefixes.
    routes = [
        Route("/a/{x}", text("x")),
        Route("/zz", text("zz")),
        Route("/a/b", text("b")),
        Mount("/a", routes=[]),
        Route("/{y}", text("y")),
        Route("/q", text("q")),
    ]
    router = Router(routes)
    assert candidates(router, http("/a/b\n")) == [routes[0], routes[2], routes[3], routes[4]]
    assert candidates(router, http("/q\n")) == [routes[4], routes[5]]
    assert candidates(router, http("/a/c\n")) == [routes[0], routes[3], routes[4]]


def test_root_path_is_removed_before_the_lookup(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/users/{id}", text("user")), Route("/about", text("about"))])
    assert candidates(router, http("/app/users/1", root_path="/app")) == [router.routes[0]]
    client = test_client_factory(router, root_path="/app")
    assert client.get("/app/about").text == "about"
    assert client.get("/app/users/7").text == "user"


def test_full_match_wins_over_an_earlier_partial(test_client_factory: TestClientFactory) -> None:
    router = Router(
        [
            Route("/thing/{id}", text("post"), methods=["POST"]),
            Route("/thing/1", text("get")),
        ]
    )
    client = test_client_factory(router)
    assert client.get("/thing/1").text == "get"
    response = client.get("/thing/2")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_redirect_slashes_uses_the_index(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/a/", text("a")), Route("/b/{x}", text("b"))])
    client = test_client_factory(router)
    response = client.get("/a", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/a/"
    assert client.get("/b/1/", follow_redirects=False).headers["location"] == (
        "http://testserver/b/1"
    )
    assert client.get("/c").status_code == 404


class Anywhere(BaseRoute):
    """A custom route class the index cannot see into."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return Match.FULL, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("anywhere")(scope, receive, send)


class Everything(Route):
    """A Route subclass that overrides `matches`: always consulted."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return Match.FULL, {"route": self}


def test_custom_routes_are_always_consulted(test_client_factory: TestClientFactory) -> None:
    custom = Anywhere()
    overriding = Everything("/never", text("everything"))
    router = Router([Route("/first", text("first")), overriding, custom])
    assert candidates(router, http("/zzz")) == [overriding, custom]
    client = test_client_factory(router)
    assert client.get("/first").text == "first"
    assert client.get("/zzz").text == "everything"


def test_route_given_another_regex_is_always_consulted(
    test_client_factory: TestClientFactory,
) -> None:
    route = Route("/old", text("moved"))
    route.path_regex = re.compile("^/new$")
    router = Router([route])
    assert candidates(router, http("/other")) == [route]
    assert test_client_factory(router).get("/new").text == "moved"


def test_route_without_its_init_is_always_consulted() -> None:
    class Bare(Route):
        def __init__(self) -> None:
            pass

    route = Bare()
    assert candidates(Router([route]), http("/x")) == [route]


class OwnInit(Route):
    """Like FastAPI's routes: a Route subclass setting its attributes without `Route.__init__`."""

    def __init__(self, path: str, regex_of: str | None = None) -> None:
        self.path = path
        self.endpoint = self.app = PlainTextResponse("own")
        self.name = "own"
        self.methods = None
        self.path_regex, self.path_format, self.param_convertors = compile_path(regex_of or path)


class OwnMount(Mount):
    def __init__(self, path: str) -> None:
        self.path = path
        self.app = self._base_app = PlainTextResponse("mounted")
        self.name = None
        self.path_regex, self.path_format, self.param_convertors = compile_path(
            path + "/{path:path}"
        )


def test_routes_built_without_their_init_are_indexed_by_their_regex(
    test_client_factory: TestClientFactory,
) -> None:
    own, mount = OwnInit("/own/{id:int}"), OwnMount("/files")
    router = Router([own, mount])
    assert candidates(router, http("/own/1")) == [own]
    assert candidates(router, http("/files/a.txt")) == [mount]
    assert candidates(router, http("/other")) == []
    client = test_client_factory(router)
    assert client.get("/own/1").text == "own"
    assert client.get("/files/a.txt").text == "mounted"


def test_routes_built_without_their_init_with_other_regexes_are_always_consulted() -> None:
    other_regex = OwnInit("/own", regex_of="/elsewhere")
    unknown_convertor = OwnInit("/own")
    unknown_convertor.path = "/{x:nope}"
    no_regex = OwnInit("/own")
    no_regex.path_regex = None  # type: ignore[assignment]
    routes = [other_regex, unknown_convertor, no_regex]
    assert candidates(Router(routes), http("/zzz")) == routes


def test_subclass_keeping_matches_is_indexed() -> None:
    class Named(Route):
        pass

    route = Named("/named", text("n"))
    router = Router([route])
    assert candidates(router, http("/named")) == [route]
    assert candidates(router, http("/other")) == []


def test_websocket_routes_are_indexed(test_client_factory: TestClientFactory) -> None:
    async def ws(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.path_params["room"])
        await websocket.close()

    router = Router([Route("/room/{room}", text("http")), WebSocketRoute("/room/{room}", ws)])
    client = test_client_factory(router)
    with client.websocket_connect("/room/blue") as session:
        assert session.receive_text() == "blue"
    assert client.get("/room/blue").text == "http"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda routes, new: routes.append(new), id="append"),
        pytest.param(lambda routes, new: routes.insert(0, new), id="insert"),
        pytest.param(lambda routes, new: routes.extend([new]), id="extend"),
        pytest.param(lambda routes, new: routes.__iadd__([new]), id="iadd"),
        pytest.param(lambda routes, new: routes.__setitem__(0, new), id="setitem"),
        pytest.param(lambda routes, new: routes.__setitem__(slice(0, 1), [new]), id="slice"),
    ],
)
def test_adding_routes_after_the_first_request(
    test_client_factory: TestClientFactory, mutate: Callable[[list[BaseRoute], BaseRoute], Any]
) -> None:
    router = Router([Route("/old", text("old"))])
    client = test_client_factory(router)
    assert client.get("/new").status_code == 404
    with pytest.raises(NoMatchFound):
        router.url_path_for("new")
    mutate(router.routes, Route("/new", text("new"), name="new"))
    assert client.get("/new").text == "new"
    assert router.url_path_for("new") == "/new"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda routes: routes.pop(), id="pop"),
        pytest.param(lambda routes: routes.remove(routes[0]), id="remove"),
        pytest.param(lambda routes: routes.clear(), id="clear"),
        pytest.param(lambda routes: routes.__delitem__(0), id="del"),
        pytest.param(lambda routes: routes.__imul__(0), id="imul"),
    ],
)
def test_removing_routes_after_the_first_request(
    test_client_factory: TestClientFactory, mutate: Callable[[list[BaseRoute]], Any]
) -> None:
    router = Router([Route("/gone", text("gone"))])
    client = test_client_factory(router)
    assert client.get("/gone").text == "gone"
    mutate(router.routes)
    assert client.get("/gone").status_code == 404
    with pytest.raises(NoMatchFound):
        router.url_path_for("endpoint")


def test_reordering_routes_after_the_first_request(
    test_client_factory: TestClientFactory,
) -> None:
    router = Router([Route("/{x}", text("param")), Route("/b", text("static"))])
    client = test_client_factory(router)
    assert client.get("/b").text == "param"
    router.routes.reverse()
    assert client.get("/b").text == "static"
    router.routes.sort(key=lambda route: getattr(route, "path", ""), reverse=True)
    assert client.get("/b").text == "param"


def test_replacing_the_route_list(test_client_factory: TestClientFactory) -> None:
    router = Router([Route("/a", text("a"))])
    client = test_client_factory(router)
    assert client.get("/a").text == "a"
    router.routes = [Route("/b", text("b"))]
    assert isinstance(router.routes, list)
    assert router.routes == [Route("/b", router.routes[0].endpoint)]  # type: ignore[attr-defined]
    assert client.get("/a").status_code == 404
    assert client.get("/b").text == "b"
    # A route list shared with another router: each router follows its changes.
    other = Router()
    other.routes = router.routes
    assert other.routes is router.routes
    router.routes.append(Route("/c", text("c")))
    assert test_client_factory(other).get("/c").text == "c"


def test_nested_router_mutation(test_client_factory: TestClientFactory) -> None:
    mount = Mount("/m", routes=[Route("/a", text("a"))])
    router = Router([mount])
    client = test_client_factory(router)
    assert client.get("/m/b").status_code == 404
    mount.routes.append(Route("/b", text("b")))
    assert client.get("/m/b").text == "b"


def test_route_list_copies_stay_route_lists() -> None:
    routes = RouteList([Route("/a", text("a"))])
    routes.append(Route("/b", text("b")))
    clone = copy.copy(routes)
    assert isinstance(clone, RouteList)
    assert clone == routes
    clone.append(Route("/c", text("c")))
    assert clone.version > 0
    assert len(routes) == 2


def test_url_path_for_by_name() -> None:
    router = Router(
        [
            Route("/a", text("a"), name="a"),
            Mount("/m", name="m", routes=[Route("/x/{id:int}", text("x"), name="x")]),
            Mount("/anon", routes=[Route("/y", text("y"), name="y")]),
            Host("api.example.org", name="api", app=Router([Route("/z", text("z"), name="z")])),
            Route("/a2", text("a2"), name="a"),
        ]
    )
    assert router.url_path_for("a") == "/a"
    assert router.url_path_for("m:x", id=3) == "/m/x/3"
    assert router.url_path_for("m", path="/f.css") == "/m/f.css"
    assert router.url_path_for("y") == "/anon/y"
    url = router.url_path_for("api:z")
    assert (url, url.host) == ("/z", "api.example.org")
    with pytest.raises(NoMatchFound, match=r'No route exists for name "m:nope" and params ""\.'):
        router.url_path_for("m:nope")
    with pytest.raises(NoMatchFound):
        router.url_path_for("x", id=1)


def test_url_path_for_names_with_colons() -> None:
    inner = Route("/leaf", text("leaf"), name="leaf")
    router = Router([Mount("/v", name="a:b", routes=[inner]), Route("/c", text("c"), name="a")])
    assert router.url_path_for("a:b:leaf") == "/v/leaf"
    assert router.url_path_for("a") == "/c"


def test_url_path_for_custom_routes_in_order() -> None:
    class Fixed(BaseRoute):
        def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
            return URLPath("/fixed")

    router = Router([Fixed(), Route("/a", text("a"), name="a")])
    assert router.url_path_for("a") == "/fixed"


def test_url_path_for_non_string_name_scans_every_route() -> None:
    class AnyName(BaseRoute):
        def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
            if name == 7:  # type: ignore[comparison-overlap]
                return URLPath("/seven")
            raise NoMatchFound(str(name), path_params)

    router = Router([Route("/a", text("a"), name="a"), AnyName()])
    assert router.url_path_for(7) == "/seven"  # type: ignore[arg-type]


def test_scope_without_path_consults_every_route() -> None:
    class ByType(BaseRoute):
        def matches(self, scope: Scope) -> tuple[Match, Scope]:
            return Match.NONE, {}

    routes = [Route("/a", text("a")), ByType()]
    assert candidates(Router(routes), {"type": "http"}) == routes


def test_long_paths_and_names_cost_only_the_longest_key() -> None:
    route = Route("/a/{x}", text("a"), name="a")
    router = Router([route])
    assert candidates(router, http("/a/" + "b/" * 10_000)) == [route]
    assert candidates(router, http("/" * 10_000)) == []
    with pytest.raises(NoMatchFound):
        router.url_path_for(":" * 10_000)
