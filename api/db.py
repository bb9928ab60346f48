"""Tortoise configuration and migrations: one place that turns settings into an ORM."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api.migrate import migrate as run_migrations
from tortoise.migrations.executor import MigrationExecutor

from api.settings import Settings

MODEL_MODULES = ["models"]


# While serving, every PostgreSQL connection attempt and statement is bounded, so that a
# request fails with UNAVAILABLE (api/errors.py) instead of hanging when the database is
# unreachable or stuck; a restarting server refuses connections at once, and these
# bounds are for the database that does not answer at all. asyncpg's own defaults are 60 s
# to connect and no limit per statement. `timeout=` or `command_timeout=` in
# DATABASE_URL win. Migrations run without them (an index may take its time).
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 10


def tortoise_config(database_url: str, *, serving: bool = False) -> dict[str, Any]:
    url = _with_sqlite_defaults(database_url)
    if serving:
        url = _with_postgres_timeouts(url)
    return {
        "connections": {"default": url},
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


def _with_postgres_timeouts(url: str) -> str:
    if not url.startswith(("postgres", "asyncpg")):
        return url
    given = set(parse_qs(urlsplit(url).query))
    for name, value in (("timeout", CONNECT_TIMEOUT_S), ("command_timeout", STATEMENT_TIMEOUT_S)):
        if name not in given:
            url = f"{url}{'&' if '?' in url else '?'}{name}={value}"
    return url


_OUTAGE_NAMES = frozenset(
    {
        # asyncpg: the connection broke, or the server refuses new ones for now.
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "CrashShutdownError",
        "QueryCanceledError",  # command_timeout (asyncpg cancels the statement)
        # tortoise: the pool could not be created.
        "DBConnectionError",
    }
)


def is_database_outage(error: BaseException | None) -> bool:
    """Whether `error`, or what caused it, says the database is unreachable or too slow
    (not that the statement was wrong): such a request ends with UNAVAILABLE."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, (ConnectionError, TimeoutError)):
            return True
        if type(error).__name__ in _OUTAGE_NAMES and type(error).__module__.startswith(
            ("asyncpg", "tortoise")
        ):
            return True
        if isinstance(error, OSError) and error.errno is not None:  # e.g. EHOSTUNREACH
            return True
        if type(error).__name__ == "InterfaceError" and "closed" in str(error):
            return True  # asyncpg: "connection is closed"
        if type(error).__name__ == "InternalClientError" and "free connection" in str(error):
            return True  # asyncpg's pool, releasing a connection the outage broke
        error = error.__cause__ or error.__context__
        seen += 1
    return False


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
