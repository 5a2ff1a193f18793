"""Jinja2Templates and the template response, driven over raw ASGI."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest

import starlette.templating
from starlette.background import BackgroundTask
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates
from starlette.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class FakeRouter:
    """Stands in for `scope["router"]`: only `url_path_for` is needed by `url_for`."""

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        params = "/".join(f"{key}={value}" for key, value in sorted(path_params.items()))
        return URLPath(f"/{name}/{params}", protocol="http")


def make_request(**extra: Any) -> Request:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "router": FakeRouter(),
    }
    scope.update(extra)
    return Request(scope)


async def run(response: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:  # pragma: no cover
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    await response(scope, receive, send)
    return sent


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<p>Hello, {{ name }}! {{ request.method }}</p>")
    (tmp_path / "escape.html").write_text("<div>{{ payload }}</div>")
    (tmp_path / "link.html").write_text("<a href=\"{{ url_for('user', user_id=42) }}\">me</a>")
    (tmp_path / "processed.html").write_text("{{ site }}|{{ path }}")
    return tmp_path


@pytest.fixture
def templates(templates_dir: Path) -> Jinja2Templates:
    return Jinja2Templates(directory=templates_dir)


async def test_template_response_renders_html(templates: Jinja2Templates) -> None:
    request = make_request()
    response = templates.TemplateResponse(request, "index.html", {"name": "Ada"})
    assert response.status_code == 200
    assert response.body == b"<p>Hello, Ada! GET</p>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.template.name == "index.html"
    assert response.context == {"name": "Ada", "request": request}
    messages = await run(response, request.scope)
    assert [m["type"] for m in messages] == ["http.response.start", "http.response.body"]
    assert messages[1]["body"] == b"<p>Hello, Ada! GET</p>"


def test_template_response_keyword_form_and_options(templates: Jinja2Templates) -> None:
    task = BackgroundTask(lambda: None)
    response = templates.TemplateResponse(
        request=make_request(),
        name="index.html",
        context={"name": "Bob"},
        status_code=201,
        headers={"x-a": "1"},
        media_type="text/plain",
        background=task,
    )
    assert response.status_code == 201
    assert response.headers["x-a"] == "1"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.background is task
    assert response.body == b"<p>Hello, Bob! GET</p>"


def test_template_response_positional_options(templates: Jinja2Templates) -> None:
    response = templates.TemplateResponse(
        make_request(), "index.html", {"name": "C"}, 404, {"x-b": "2"}
    )
    assert response.status_code == 404
    assert response.headers["x-b"] == "2"


def test_context_is_optional(templates_dir: Path, templates: Jinja2Templates) -> None:
    response = templates.TemplateResponse(make_request(), "index.html")
    assert response.body == b"<p>Hello, ! GET</p>"


def test_caller_context_is_not_mutated(templates: Jinja2Templates) -> None:
    shared: dict[str, Any] = {"name": "Ada"}
    first = templates.TemplateResponse(make_request(), "index.html", shared)
    second_request = make_request(method="POST")
    second = templates.TemplateResponse(second_request, "index.html", shared)
    assert shared == {"name": "Ada"}
    assert first.body == b"<p>Hello, Ada! GET</p>"
    assert second.body == b"<p>Hello, Ada! POST</p>"
    assert second.context["request"] is second_request


def test_autoescape_is_on_by_default(templates: Jinja2Templates) -> None:
    response = templates.TemplateResponse(
        make_request(), "escape.html", {"payload": "<script>alert('x')</script>"}
    )
    assert response.body == b"<div>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</div>"


def test_autoescape_can_be_turned_off_with_a_custom_env(templates_dir: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir), autoescape=False)
    templates = Jinja2Templates(env=env)
    response = templates.TemplateResponse(make_request(), "escape.html", {"payload": "<b>"})
    assert response.body == b"<div><b></div>"
    assert templates.env is env


def test_url_for_in_a_template(templates: Jinja2Templates) -> None:
    response = templates.TemplateResponse(make_request(), "link.html")
    assert response.body == b'<a href="http://testserver/user/user_id=42">me</a>'


def test_url_for_global_is_installed_in_a_given_env(templates_dir: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir))
    templates = Jinja2Templates(env=env)
    response = templates.TemplateResponse(make_request(), "link.html")
    assert response.body == b'<a href="http://testserver/user/user_id=42">me</a>'


def test_url_for_global_of_the_user_is_kept(templates_dir: Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir))
    env.globals["url_for"] = lambda name, **params: f"custom:{name}"
    response = Jinja2Templates(env=env).TemplateResponse(make_request(), "link.html")
    assert response.body == b'<a href="custom:user">me</a>'


def test_context_processors(templates: Jinja2Templates, templates_dir: Path) -> None:
    seen: list[Request] = []

    def site(request: Request) -> dict[str, Any]:
        seen.append(request)
        return {"site": "Example"}

    def path(request: Request) -> dict[str, Any]:
        return {"path": request.url.path}

    templates = Jinja2Templates(directory=templates_dir, context_processors=[site, path])
    request = make_request(path="/about")
    response = templates.TemplateResponse(request, "processed.html")
    assert response.body == b"Example|/about"
    assert seen == [request]
    assert response.context["site"] == "Example"


def test_several_directories(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "one.html").write_text("one")
    (second / "two.html").write_text("two")
    templates = Jinja2Templates(directory=[first, second])
    assert templates.get_template("two.html").render() == "two"
    assert templates.get_template("one.html").render() == "one"


def test_get_template_missing(templates: Jinja2Templates) -> None:
    with pytest.raises(jinja2.TemplateNotFound):
        templates.get_template("missing.html")


def test_directory_and_env_are_exclusive(templates_dir: Path) -> None:
    env = jinja2.Environment()
    message = "either 'directory' or 'env' arguments must be passed"
    with pytest.raises(AssertionError, match=message):
        Jinja2Templates(directory=templates_dir, env=env)
    with pytest.raises(AssertionError, match=message):
        Jinja2Templates()


def test_env_options_are_deprecated_but_work(templates_dir: Path) -> None:
    with pytest.warns(DeprecationWarning, match=f"^{re.escape(ENV_OPTIONS)}$") as record:
        templates = Jinja2Templates(directory=templates_dir, autoescape=False, trim_blocks=True)
    assert len(record) == 1
    assert record[0].category is DeprecationWarning  # 0.47's, exactly
    assert record[0].filename == starlette.templating.__file__
    assert templates.env.trim_blocks is True
    response = templates.TemplateResponse(make_request(), "escape.html", {"payload": "<b>"})
    assert response.body == b"<div><b></div>"


async def test_debug_extension_message(templates: Jinja2Templates) -> None:
    request = make_request(extensions={"http.response.debug": {}})
    response = templates.TemplateResponse(request, "index.html", {"name": "D"})
    messages = await run(response, request.scope)
    assert [m["type"] for m in messages] == [
        "http.response.debug",
        "http.response.start",
        "http.response.body",
    ]
    info = messages[0]["info"]
    assert info["template"] is response.template
    assert info["context"] == {"name": "D", "request": request}


async def test_no_debug_message_without_the_extension(templates: Jinja2Templates) -> None:
    request = make_request(extensions={"http.response.trailers": {}})
    response = templates.TemplateResponse(request, "index.html")
    messages = await run(response, request.scope)
    assert messages[0]["type"] == "http.response.start"


# --- the deprecated 0.47 form ---------------------------------------------------------------

# Upstream 0.47.3's texts, as observed: one for a positional name, one for keywords only.
ENV_OPTIONS = (
    "Extra environment options are deprecated. Use a preconfigured jinja2.Environment instead."
)
NAME_FIRST = (
    "The `name` is not the first parameter anymore. "
    "The first parameter should be the `Request` instance.\n"
    'Replace `TemplateResponse(name, {"request": request})` by `TemplateResponse(request, name)`.'
)
REQUEST_MISSING = (
    "The `TemplateResponse` now requires the `request` argument.\n"
    'Replace `TemplateResponse(name, {"context": context})` by `TemplateResponse(request, name)`.'
)


def old_form_warns(message: str) -> Any:
    return pytest.warns(DeprecationWarning, match=f"^{re.escape(message)}$")


def test_old_form_with_request_in_context(templates: Jinja2Templates) -> None:
    request = make_request()
    with old_form_warns(NAME_FIRST) as record:
        response = templates.TemplateResponse("index.html", {"request": request, "name": "E"})
    assert record[0].category is DeprecationWarning
    assert record[0].filename == starlette.templating.__file__
    assert response.body == b"<p>Hello, E! GET</p>"
    assert response.context["request"] is request


def test_old_form_positional_options(templates: Jinja2Templates) -> None:
    with old_form_warns(NAME_FIRST):
        response = templates.TemplateResponse(
            "index.html", {"request": make_request(), "name": "F"}, 202, {"x-c": "3"}
        )
    assert response.status_code == 202
    assert response.headers["x-c"] == "3"


def test_old_form_all_keywords(templates: Jinja2Templates) -> None:
    with old_form_warns(REQUEST_MISSING):
        response = templates.TemplateResponse(
            name="index.html", context={"request": make_request(), "name": "G"}, status_code=203
        )
    assert response.status_code == 203
    assert response.body == b"<p>Hello, G! GET</p>"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("index.html", {"name": "x"}), {}, NAME_FIRST),
        (("index.html",), {}, NAME_FIRST),
        ((), {"name": "index.html", "context": {}}, REQUEST_MISSING),
        ((), {"name": "index.html"}, REQUEST_MISSING),
        ((), {}, REQUEST_MISSING),
    ],
)
def test_old_form_without_request_is_a_value_error(
    templates: Jinja2Templates, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with (
        old_form_warns(message),
        pytest.raises(ValueError, match='context must include a "request" key'),
    ):
        templates.TemplateResponse(*args, **kwargs)


def test_too_many_positional_arguments(templates: Jinja2Templates) -> None:
    with pytest.raises(TypeError, match="at most 7 positional arguments"):
        templates.TemplateResponse(make_request(), "index.html", {}, 200, None, None, None, 1)  # type: ignore[call-overload]


def test_argument_given_twice(templates: Jinja2Templates) -> None:
    with pytest.raises(TypeError, match="multiple values for argument 'name'"):
        templates.TemplateResponse(make_request(), "index.html", name="other.html")  # type: ignore[call-overload]


def test_unknown_keyword(templates: Jinja2Templates) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        templates.TemplateResponse(make_request(), "index.html", colour="red")  # type: ignore[call-overload]


# --- through the test client, and without jinja2 --------------------------------------------


def test_template_response_exposes_template_and_context(
    test_client_factory: Callable[..., Any], tmp_path: Path
) -> None:
    (tmp_path / "page.html").write_text("<h1>{{ title }}</h1>")
    templates = Jinja2Templates(directory=tmp_path)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response = templates.TemplateResponse(request, "page.html", {"title": "<Home>"})
        await response(scope, receive, send)

    response = test_client_factory(app).get("/")
    assert response.text == "<h1>&lt;Home&gt;</h1>"
    assert response.template.name == "page.html"
    assert response.context["title"] == "<Home>"


def test_templating_without_jinja2_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jinja2", None)  # makes `import jinja2` fail
    spec = importlib.util.spec_from_file_location(
        "_templating_without_jinja2", starlette.templating.__file__
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(
        ImportError, match=r'pip install "starlette-requests-responses\[templates\]"'
    ):
        spec.loader.exec_module(module)
