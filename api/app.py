"""The Starlette application: GraphQL over HTTP and websocket, plus a health check."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from tortoise import Tortoise

from api import auth
from api import pubsub as pubsub_module
from api.db import tortoise_config
from api.graphql import MentorshipGraphQL
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

    app = Starlette(
        routes=[
            Route("/", home),
            Route("/healthz", health),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    return app
