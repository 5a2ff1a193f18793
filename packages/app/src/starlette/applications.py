"""`Starlette`: the application, a router wrapped in the error, user and exception middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from starlette._exception_handler import ResponseTracker, handle_exception
from starlette._utils import warn_deprecated
from starlette.datastructures import State, URLPath
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware, _MiddlewareFactory
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, ExceptionHandler, Lifespan, Receive, Scope, Send
from starlette.websockets import WebSocket

__all__ = ["Starlette"]

AppType = TypeVar("AppType", bound="Starlette")
P = ParamSpec("P")
F = TypeVar("F", bound=Callable[..., Any])


class Starlette:
    """The application: routes, middleware, exception handlers, lifespan and shared state."""

    def __init__(
        self: AppType,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[AppType] | None = None,
        *,
        max_body_size: int | None = None,
    ) -> None:
        if lifespan is not None and (on_startup is not None or on_shutdown is not None):
            raise ValueError("Use either 'lifespan' or 'on_startup'/'on_shutdown', not both.")

        self._debug = debug
        self.state = State()
        # The router warns about on_startup/on_shutdown and generator lifespans: upstream's
        # warnings name starlette.routing, and users' filters match that module.
        self.router = Router(
            routes, on_startup=on_startup, on_shutdown=on_shutdown, lifespan=lifespan
        )
        self.exception_handlers: dict[Any, ExceptionHandler] = (
            {} if exception_handlers is None else dict(exception_handlers)
        )
        self.user_middleware: list[Middleware] = [] if middleware is None else list(middleware)
        self.max_body_size = max_body_size
        self.middleware_stack: ASGIApp | None = None

    @property
    def debug(self) -> bool:
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        # Debug is baked into the stack's outer middleware: rebuild it on the next request.
        self._debug = value
        self.middleware_stack = None

    def build_middleware_stack(self) -> ASGIApp:
        """Wrap the router: errors outermost, then user middleware in order, then exceptions."""
        error_handler: ExceptionHandler | None = None
        exception_handlers: dict[Any, ExceptionHandler] = {}
        for key, value in self.exception_handlers.items():
            # A 500 or catch-all handler answers what escapes everything: it goes outermost.
            if key in (500, Exception):
                error_handler = value
            else:
                exception_handlers[key] = value

        middleware = [
            Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug),
            *self.user_middleware,
            Middleware(ExceptionMiddleware, handlers=exception_handlers, debug=self.debug),
        ]
        # Subclasses that skip Starlette.__init__ (FastAPI before 0.118) have no max_body_size.
        max_body_size = getattr(self, "max_body_size", None)
        if max_body_size is not None:
            # Imported here: most apps set no limit of their own.
            from starlette.middleware.body_limit import RequestBodyLimitMiddleware

            middleware.append(Middleware(RequestBodyLimitMiddleware, max_body_size))

        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        """The path of the route called `name` (`"mount:route"` inside named mounts)."""
        return self.router.url_path_for(name, **path_params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        stack: Any = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        # The stack's layers run in this frame, their `__call__`s inlined, for an HTTP request:
        # ServerErrorMiddleware, outermost; then, without user middleware in between,
        # ExceptionMiddleware and the router (two coroutines less: a tenth of a minimal
        # request). Each only while its `__call__` is the one inlined here (not a subclass's,
        # not one patched in, as Sentry patches them) and the router has no middleware of its
        # own, so what runs is what they would run.
        # tests/app/test_app_plain_stack.py pins this copy to the stack it stands for.
        if scope["type"] != "http" or type(stack).__call__ is not _SERVER_ERROR_CALL:
            await stack(scope, receive, send)
            return
        tracker = send if type(send) is ResponseTracker else ResponseTracker(send)
        inner = stack.app
        try:
            if (
                type(inner).__call__ is not _EXCEPTION_CALL
                or type(router := inner.app).__call__ is not _ROUTER_CALL
                or not router._serves_plain
            ):
                await inner(scope, receive, tracker)  # user middleware, then the rest
                return
            handlers = scope["starlette.exception_handlers"] = (
                inner._exception_handlers,
                inner._status_handlers,
            )
            answer: Response | None = None
            try:
                target = router._target(scope)
                # The router's own 404 raises for the default handler to answer: when that
                # handler is the one, its answer is sent without the raise (about 15 % of a 404).
                if target is router.default and router._raises_404(target):
                    answer = inner._stock_response(HTTPException(404))
                if answer is None:
                    await target(scope, receive, tracker)
            except Exception as exc:
                await handle_exception(exc, handlers, None, scope, receive, tracker)
            else:
                # Outside the `try` above, as the handler's answer would be sent.
                if answer is not None:
                    await answer(scope, receive, tracker)
        except Exception as exc:
            await stack._answer_escaped(exc, tracker.started, scope, receive, send)
            raise

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve the ASGI `app` under the path prefix `path`."""
        self.router.mount(path, app=app, name=name)

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve the ASGI `app` for requests whose `Host` matches `host`."""
        self.router.host(host, app=app, name=name)

    def add_middleware(
        self,
        middleware_class: _MiddlewareFactory[P],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        """Add a middleware outside those already added; only before the app has started."""
        if self.middleware_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def add_exception_handler(
        self,
        exc_class_or_status_code: int | type[Exception],
        handler: ExceptionHandler,
    ) -> None:
        """Handle an exception class (and subclasses) or the status code of an HTTPException."""
        self.exception_handlers[exc_class_or_status_code] = handler

    def add_event_handler(self, event_type: str, func: Callable[..., Any]) -> None:
        """Run `func` at "startup" or "shutdown" (0.47 API, never warned); prefer a lifespan."""
        self.router.add_event_handler(event_type, func)

    def add_route(
        self,
        path: str,
        route: Callable[[Request], Awaitable[Response] | Response],
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        """Add an HTTP endpoint at `path`."""
        self.router.add_route(
            path, route, methods=methods, name=name, include_in_schema=include_in_schema
        )

    def add_websocket_route(
        self,
        path: str,
        route: Callable[[WebSocket], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        """Add a WebSocket endpoint (0.47 API, which never warned); prefer `WebSocketRoute`."""
        self.router.add_websocket_route(path, route, name=name)

    def exception_handler(
        self, exc_class_or_status_code: int | type[Exception]
    ) -> Callable[[F], F]:
        """Deprecated decorator form of `add_exception_handler`."""
        warn_deprecated(
            "The `exception_handler` decorator is deprecated, and will be removed in version "
            "1.0.0. Refer to https://www.starlette.io/exceptions/ for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: F) -> F:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func

        return decorator

    def route(
        self,
        path: str,
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[F], F]:
        """Deprecated decorator form of `add_route`."""
        warn_deprecated(
            "The `route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/routing/ for the recommended approach.",
            DeprecationWarning,
        )

        def decorator(func: F) -> F:
            self.router.add_route(
                path, func, methods=methods, name=name, include_in_schema=include_in_schema
            )
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[F], F]:
        """Deprecated decorator form of adding a WebSocket endpoint."""
        warn_deprecated(
            "The `websocket_route` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/routing/#websocket-routing for the recommended "
            "approach.",
            DeprecationWarning,
        )

        def decorator(func: F) -> F:
            self.router.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def middleware(self, middleware_type: str) -> Callable[[F], F]:
        """Deprecated: `@app.middleware("http")` makes `dispatch(request, call_next)` middleware."""
        warn_deprecated(
            "The `middleware` decorator is deprecated, and will be removed in version 1.0.0. "
            "Refer to https://www.starlette.io/middleware/#using-middleware for recommended "
            "approach.",
            DeprecationWarning,
        )
        if middleware_type != "http":
            raise ValueError('Currently only middleware("http") is supported.')

        def decorator(func: F) -> F:
            # Imported here: most apps never need BaseHTTPMiddleware.
            from starlette.middleware.base import BaseHTTPMiddleware

            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator

    def on_event(self, event_type: str) -> Callable[[F], F]:
        """Deprecated decorator form of `add_event_handler`; use a lifespan instead."""
        # The router warns, from starlette.routing, as upstream does.
        return self.router.on_event(event_type)


# The `__call__`s `Starlette.__call__` runs inline, as these modules define them.
_SERVER_ERROR_CALL = ServerErrorMiddleware.__call__
_EXCEPTION_CALL = ExceptionMiddleware.__call__
_ROUTER_CALL = Router.__call__
