"""Which database and event bus the suite runs against, and backend-neutral DB helpers.

By default every test gets its own SQLite file and the in-process (memory://) bus.
`TEST_DATABASE_URL=postgres://user:password@host:port/db` runs the same tests on
PostgreSQL: the database is created if missing, its `public` schema rebuilt and migrated
once per session, and every table emptied before each test. `TEST_BROADCAST_URL`
(e.g. `redis://127.0.0.1:6379/0`) replaces the memory bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from tortoise import connections

from api.db import migrate

T = TypeVar("T")

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip() or None
TEST_BROADCAST_URL = os.environ.get("TEST_BROADCAST_URL", "").strip() or "memory://"

POSTGRES_SCHEMES = ("postgres", "postgresql", "asyncpg", "psycopg")
MIGRATIONS_TABLE = "tortoise_migrations"


def is_postgres(url: str | None) -> bool:
    return url is not None and urlsplit(url).scheme in POSTGRES_SCHEMES


if TEST_DATABASE_URL is not None and not is_postgres(TEST_DATABASE_URL):
    raise RuntimeError(f"TEST_DATABASE_URL must be a PostgreSQL URL, not {TEST_DATABASE_URL!r}")


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion in a private loop (from sync fixtures).

    Unlike `asyncio.run`, it leaves the thread's current event loop alone, so it is safe
    next to pytest-asyncio's loops.
    """
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(make())
    finally:
        loop.close()


# --- PostgreSQL ------------------------------------------------------------------------


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    """The URL asyncpg understands: postgresql scheme, no Tortoise-only query options."""
    parts = urlsplit(url)
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit(("postgresql", parts.netloc, path, "", ""))


def _database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise RuntimeError(f"TEST_DATABASE_URL names no database: {url!r}")
    return name


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _create_database_if_missing(url: str) -> None:
    import asyncpg

    name = _database_name(url)
    admin = await asyncpg.connect(_asyncpg_dsn(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Another session may make it first.
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                await admin.execute(f"CREATE DATABASE {_quote(name)}")
    finally:
        await admin.close()


async def prepare_postgres(url: str) -> None:
    """Once per session: the database exists, its public schema is fresh and migrated."""
    import asyncpg

    await _create_database_if_missing(url)
    db = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await db.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await db.close()
    await migrate(url)


async def empty_postgres(url: str) -> None:
    """Before each test: every table emptied, ids NOT restarted.

    Ids keep rising across tests so that live-event channels (`pair:<id>`) on a shared
    Redis never carry one test's events into another.
    """
    import asyncpg

    db = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        tables = await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1",
            MIGRATIONS_TABLE,
        )
        if tables:
            names = ", ".join(_quote(row["tablename"]) for row in tables)
            await db.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await db.close()


# --- either backend, through the app's own Tortoise connection ------------------------


async def _table_names(connection: Any) -> list[str]:
    if connection.capabilities.dialect == "sqlite":
        rows = await connection.execute_query_dict(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return sorted(row["name"] for row in rows)
    rows = await connection.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    return sorted(row["tablename"] for row in rows)


def _row_key(row: dict[str, Any]) -> tuple:
    row_id = row.get("id")
    return (row_id is None, row_id if isinstance(row_id, int) else 0, repr(row))


async def dump_database() -> list[str]:
    """Every row of every table, one `table: {column: value}` line each, in id order.

    Runs on the loop where the app initialised Tortoise (the TestClient's portal, or the
    test's own loop for tests that run the lifespan themselves).
    """
    connection = connections.get("default")
    lines: list[str] = []
    for table in await _table_names(connection):
        rows = await connection.execute_query_dict(f"SELECT * FROM {_quote(table)}")
        lines.extend(f"{table}: {row!r}" for row in sorted(rows, key=_row_key))
    return lines
