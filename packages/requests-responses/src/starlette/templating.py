"""Jinja2 templates rendered into HTML responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Any, cast, overload

from starlette._utils import warn_deprecated
from starlette.datastructures import URL
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

try:
    import jinja2
except ImportError as exc:
    raise ImportError(
        'starlette.templating needs jinja2: pip install "starlette-requests-responses[templates]"'
    ) from exc

if TYPE_CHECKING:
    from starlette.background import BackgroundTask
    from starlette.requests import Request

__all__ = ["Jinja2Templates"]


class _TemplateResponse(HTMLResponse):
    """An HTML response that remembers the template and context it was rendered from."""

    def __init__(
        self,
        template: jinja2.Template,
        context: dict[str, Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.template = template
        self.context = context
        content = template.render(context)
        super().__init__(content, status_code, headers, media_type, background)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "http.response.debug" in scope.get("extensions", {}):
            # Lets the test client expose `response.template` and `response.context`.
            await send(
                {
                    "type": "http.response.debug",
                    "info": {"template": self.template, "context": self.context},
                }
            )
        await super().__call__(scope, receive, send)


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> URL:
    request: Request = context["request"]
    return request.url_for(name, **path_params)


_TEMPLATE_RESPONSE_PARAMETERS = (
    "request",
    "name",
    "context",
    "status_code",
    "headers",
    "media_type",
    "background",
)

# The deprecation texts of the 0.47 call forms, as upstream words them.
_NAME_FIRST_DEPRECATED = (
    "The `name` is not the first parameter anymore. "
    "The first parameter should be the `Request` instance.\n"
    'Replace `TemplateResponse(name, {"request": request})` by `TemplateResponse(request, name)`.'
)
_REQUEST_MISSING_DEPRECATED = (
    "The `TemplateResponse` now requires the `request` argument.\n"
    'Replace `TemplateResponse(name, {"context": context})` by `TemplateResponse(request, name)`.'
)


def _bind(names: Sequence[str], args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    if len(args) > len(names):
        raise TypeError(f"TemplateResponse() takes at most {len(names)} positional arguments")
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key in bound:
            raise TypeError(f"TemplateResponse() got multiple values for argument {key!r}")
        bound[key] = value
    return bound


class Jinja2Templates:
    """Renders templates from `directory` (or a ready `env`) into `TemplateResponse`s."""

    def __init__(
        self,
        directory: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
        *,
        context_processors: list[Callable[[Request], dict[str, Any]]] | None = None,
        env: jinja2.Environment | None = None,
        **env_options: Any,
    ) -> None:
        if env_options:
            warn_deprecated(
                "Extra environment options are deprecated. "
                "Use a preconfigured jinja2.Environment instead.",
                DeprecationWarning,
            )
        assert (directory is None) != (env is None), (
            "either 'directory' or 'env' arguments must be passed"
        )
        self.context_processors = context_processors or []
        if directory is not None:
            env_options.setdefault("loader", jinja2.FileSystemLoader(directory))
            # Autoescaping is on unless the caller says otherwise: templates render user data.
            env_options.setdefault("autoescape", True)
            self.env = jinja2.Environment(**env_options)
        else:
            self.env = cast(jinja2.Environment, env)
        self.env.globals.setdefault("url_for", _url_for)

    def get_template(self, name: str) -> jinja2.Template:
        """Load `name` through the environment's loader."""
        return self.env.get_template(name)

    @overload
    def TemplateResponse(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse: ...

    @overload
    def TemplateResponse(
        self,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse: ...

    def TemplateResponse(self, *args: Any, **kwargs: Any) -> _TemplateResponse:
        """Render template `name` with `context` (plus `request`) into an HTML response.

        The 0.47 form `TemplateResponse(name, context, ...)`, with the request inside
        `context`, still works and is deprecated.
        """
        if (args and isinstance(args[0], str)) or (not args and "request" not in kwargs):
            # 0.47's two texts: one for a positional name, one for keywords without request.
            warn_deprecated(
                _NAME_FIRST_DEPRECATED if args else _REQUEST_MISSING_DEPRECATED, DeprecationWarning
            )
            kwargs = _bind(_TEMPLATE_RESPONSE_PARAMETERS[1:], args, kwargs)
            context = kwargs.get("context") or {}
            if "request" not in context:
                raise ValueError('context must include a "request" key')
            kwargs["request"] = context["request"]
        else:
            kwargs = _bind(_TEMPLATE_RESPONSE_PARAMETERS, args, kwargs)
        return self._template_response(**kwargs)

    def _template_response(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse:
        # A copy: a context dict reused across requests must not keep the first request.
        context = {} if context is None else dict(context)
        context.setdefault("request", request)
        for context_processor in self.context_processors:
            context.update(context_processor(request))
        template = self.get_template(name)
        return _TemplateResponse(
            template,
            context,
            status_code=status_code,
            headers=headers,
            media_type=media_type,
            background=background,
        )
