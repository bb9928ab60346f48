"""The Starlette application: GraphQL over HTTP and websocket, plus a health check.

The transport's hardening lives in api/graphql.py. Here: CORS for the browser origins in
`settings.allowed_origins` (the same list that may open the websocket); with the list
empty, no CORS headers at all, so only same-origin pages and non-browser clients call.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import Tortoise

from api import auth
from api import pubsub as pubsub_module
from api.db import tortoise_config
from api.graphql import PREFLIGHT_HEADERS, MentorshipGraphQL
from api.packages import ensure_own_packages
from api.pubsub import PubSub
from api.settings import Settings


def create_app(settings: Settings | None = None) -> Starlette:
    ensure_own_packages()
    from schema import build_schema

    settings = settings or Settings.from_env()
    auth.configure_hashing(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    graphql = MentorshipGraphQL(build_schema(settings), settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(
            config=tortoise_config(settings.database_url), _enable_global_fallback=True
        )
        # Broadcast objects bind to the running loop: build them here, not at import.
        bus = PubSub(settings.broadcast_url)
        await bus.connect()
        pubsub_module.install(bus)
        app.state.pubsub = bus
        try:
            yield
        finally:
            pubsub_module.install(None)
            await bus.disconnect()
            await Tortoise.close_connections()

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    middleware = []
    if settings.allowed_origins:
        # Bearer tokens, not cookies: no credentials mode needed.
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.allowed_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", *PREFLIGHT_HEADERS],
                max_age=600,
            )
        )

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", health),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
