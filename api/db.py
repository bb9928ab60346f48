"""Tortoise configuration and migrations: one place that turns settings into an ORM."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

from api.settings import Settings

MODEL_MODULES = ["models"]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _with_sqlite_defaults(database_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _with_sqlite_defaults(url: str) -> str:
    """SQLite in WAL mode (Tortoise's default) with `synchronous=NORMAL`, SQLite's own
    advice for WAL: a commit no longer waits for an fsync, so writes are several times
    faster; a crash of the process loses nothing, a power cut may lose the last commits.
    A `synchronous=` in DATABASE_URL wins."""
    if not url.startswith("sqlite") or "synchronous=" in url or ":memory:" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}synchronous=NORMAL"


async def migrate(database_url: str) -> None:
    """Apply pending migrations (models/migrations), then close the connections."""
    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def pending_migrations(database_url: str) -> list[str]:
    """Names of the migrations not yet applied (all of them on an empty database)."""
    config = tortoise_config(database_url)
    await Tortoise.init(config=config, init_connections=True)
    try:
        executor = MigrationExecutor(get_connection("default"), config["apps"])
        return [
            f"{step.migration.app_label}.{step.migration.name}" for step in await executor.plan()
        ]
    finally:
        await Tortoise.close_connections()


# The tortoise CLI (`tortoise -c api.db.TORTOISE_ORM makemigrations`) reads this.
TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)
