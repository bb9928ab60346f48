"""The Starlette application: GraphQL over HTTP and websocket, probes and metrics.

The transport's hardening lives in api/graphql.py. Here: CORS for the browser origins in
`settings.allowed_origins` (the same list that may open the websocket); with the list
empty, no CORS headers at all, so only same-origin pages and non-browser clients call.
Operability (docs/operations.md): /healthz and /readyz (api/health.py), /metrics
(api/metrics.py), a request id and an access line per request (api/logs.py), and the
graceful stop that closes websockets first (api/shutdown.py). Security headers on every
HTTP response (api/security.py), outermost.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise import Tortoise

from api import auth, health, idempotency, logs, metrics, runtime, security, shutdown, static
from api import pubsub as pubsub_module
from api.db import tortoise_config
from api.graphql import PREFLIGHT_HEADERS, MentorshipGraphQL
from api.packages import ensure_own_packages
from api.pubsub import PubSub
from api.relay import relay_running
from api.reminders import reminders_running
from api.settings import Settings

GRAPHQL_PATH = "/graphql"


class App(Starlette):
    """Starlette, with the GraphQL websocket taken straight to its handler.

    A websocket lives for hours, and while it waits for a frame every ASGI layer it
    came through is a suspended coroutine with its frame: Starlette's error and
    exception middleware, the router and its route (none of which acts on a websocket
    here) cost about 1.5 KiB per connection (`make bench`, (d)). The GraphQL websocket
    goes through what does act on it, the request id and access line
    (api/logs.py), and nothing else; every other scope takes Starlette's stack, inside
    the security headers (api/security.py)."""

    websocket_app: ASGIApp | None = None  # create_app sets it
    behind_tls: bool = False  # create_app sets it: HSTS on every response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "websocket"
            and self.websocket_app is not None
            and _route_path(scope) == GRAPHQL_PATH
        ):
            scope["app"] = self
            await self.websocket_app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack inside the security headers: outside its error middleware,
        so that a 500 carries them too."""
        return security.SecurityHeadersMiddleware(
            super().build_middleware_stack(), behind_tls=self.behind_tls
        )


def _route_path(scope: Scope) -> str:
    """The path the router would match: without the root path, as Starlette strips it."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def create_app(settings: Settings | None = None) -> Starlette:
    ensure_own_packages()
    from schema import build_schema

    settings = settings or Settings.from_env()
    auth.configure_hashing(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    graphql = MentorshipGraphQL(build_schema(settings), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(
            config=tortoise_config(settings.database_url, serving=True),
            _enable_global_fallback=True,
        )
        # Broadcast objects bind to the running loop: build them here, not at import.
        bus = PubSub(settings.broadcast_url)
        await bus.connect()
        pubsub_module.install(bus)
        app.state.pubsub = bus
        metrics.count_tracked_objects(settings.metrics_gc_objects)
        stop_counting_live = metrics.count_live(bus)
        graphql.drain.reopen()
        undo_signal_hook = shutdown.install_signal_hook(graphql.drain, settings.shutdown_grace_s)
        collector = (
            runtime.CollectorPolicy().running() if settings.gc_policy else contextlib.nullcontext()
        )
        try:
            async with (
                collector,
                reminders_running(settings.reminder_interval_s),
                relay_running(settings.relay_interval_s, settings.relay_after_s),
            ):
                yield
        finally:
            undo_signal_hook()
            await graphql.drain.close_websockets(settings.shutdown_grace_s)
            metrics.worker_stopped()
            metrics.count_tracked_objects(False)
            stop_counting_live()
            pubsub_module.install(None)
            await bus.disconnect()
            await Tortoise.close_connections()

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    logs.install_record_factory()
    middleware = [Middleware(logs.RequestContextMiddleware)]
    if settings.allowed_origins:
        # Bearer tokens, not cookies: no credentials mode needed.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "authorization",
                    "content-type",
                    logs.REQUEST_ID_HEADER,
                    idempotency.HEADER,
                    *PREFLIGHT_HEADERS,
                ],
                # The request id for the client's bug reports; whether an answer is a
                # stored one sent again (api/idempotency.py).
                expose_headers=[logs.REQUEST_ID_HEADER, idempotency.REPLAYED_HEADER],
                max_age=600,
            )
        )

    app = App(
        routes=[
            Route("/", home),
            *health.routes(),
            *(metrics.routes() if settings.metrics else []),
            Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
            *static.routes(),  # GraphiQL's files, and the example app at /app/
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.websocket_app = logs.RequestContextMiddleware(graphql)
    app.behind_tls = settings.behind_tls
    app.state.settings = settings
    app.state.drain = graphql.drain
    app.state.schema = graphql.schema  # its plan cache, for tests (schema/plan.py)
    return app
