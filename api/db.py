"""Tortoise configuration and migrations: one place that turns settings into an ORM."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from api.settings import Settings

MODEL_MODULES = ["models"]


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": database_url},
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


async def migrate(database_url: str) -> None:
    """Apply pending migrations (models/migrations), then close the connections."""
    try:
        await run_migrations(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


# The tortoise CLI (`tortoise -c api.db.TORTOISE_ORM makemigrations`) reads this.
TORTOISE_ORM = tortoise_config(Settings.from_env().database_url)
