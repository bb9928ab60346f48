"""Hot transactions written once, as a script of plain SQL statements, and run the
cheapest way each backend allows.

A script is a generator: it yields a `Statement` and is sent back that statement's rows
(dicts), decides in plain Python, and returns its result; a `DomainError` or `ApiError`
it raises rolls everything back. A script may run on another thread: it must not read
context variables (settings reached through them, say), so its caller passes it what it
needs. `run` executes it:

- **SQLite**: the whole transaction in *one* hop to aiosqlite's thread (BEGIN, every
  statement, COMMIT), under the Tortoise connection's lock. Tortoise's own transactions
  cost a hop per statement plus a no-op COMMIT before BEGIN, and each hop costs the event
  loop more than SQLite's own work (`make bench`, check-ins per second).
- **PostgreSQL**: the statements in one Tortoise transaction on one pooled connection,
  with `FOR UPDATE` where the script asks for a lock.

Either way, the transaction of a keyed mutation claims its idempotency key first, as
every service transaction does (api/services/transactions.py).

Each statement is logged on `tortoise.db_client` at DEBUG, as Tortoise logs its own, so
the statement counts in tests stay honest. Parameters are Python values: Tortoise's
SQLite adapters store datetimes as it does (`isoformat(" ")`), asyncpg takes them as
they are. An INSERT that needs its id says `RETURNING id` (SQLite 3.35 and later).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

from api.services.transactions import PendingKey, in_transaction, unclaimed_key

T = TypeVar("T")
Rows = list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL with `{}` for each parameter (in order) and `{lock}` where PostgreSQL should
    lock the rows read (`FOR UPDATE`). SQLite needs no row lock: one process owns the
    file, and its transactions run one at a time under the connection's lock."""

    sql: str
    params: tuple[Any, ...] = ()


Script = Generator[Statement, Rows, T]


@functools.lru_cache(maxsize=256)
def _render(sql: str, dialect: str, count: int) -> str:
    if dialect == "postgres":
        marks = [f"${n}" for n in range(1, count + 1)]
        return sql.format(*marks, lock="FOR UPDATE")
    return sql.format(*(["?"] * count), lock="")


async def run(script: Callable[[], Script[T]]) -> T:
    """Run a fresh `script()` as one transaction on the default connection."""
    client = connections.get("default")
    if client.capabilities.dialect == "sqlite":
        return await _run_sqlite(client, script, unclaimed_key())
    return await _run_statements(client.capabilities.dialect, script)


async def _run_sqlite(client: Any, script: Callable[[], Script[T]], key: PendingKey | None) -> T:
    log = client.log
    # Made here: the thread below must not read the context (see the module's doc).
    claim = key.claim_statement("sqlite") if key is not None else None

    def transaction() -> T:
        db: sqlite3.Connection = client._connection._conn
        db.execute("BEGIN")
        try:
            if claim is not None:
                log.debug("%s: %s", *claim)
                if not db.execute(*claim).fetchall():
                    raise key.refuse()  # type: ignore[union-attr]  # claim means a key
            steps = script()
            rows: Rows | None = None
            while True:
                try:
                    statement = steps.send(rows) if rows is not None else next(steps)
                except StopIteration as done:
                    db.execute("COMMIT")
                    return done.value
                sql = _render(statement.sql, "sqlite", len(statement.params))
                log.debug("%s: %s", sql, list(statement.params))
                cursor = db.execute(sql, statement.params)
                rows = [dict(row) for row in cursor.fetchall()]  # Tortoise's sqlite3.Row
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    if client._connection is None:
        await client.create_connection(with_db=True)
    try:
        async with client._lock:  # the lock Tortoise's own transactions take
            result = await client._connection._execute(transaction)
    except sqlite3.IntegrityError as error:
        raise IntegrityError(error) from error
    except sqlite3.OperationalError as error:
        raise OperationalError(error) from error
    if key is not None:
        key.claimed = True  # committed, with the key's row
    return result


async def _run_statements(dialect: str, script: Callable[[], Script[T]]) -> T:
    async with in_transaction() as connection:
        steps = script()
        rows: Rows | None = None
        while True:
            try:
                statement = steps.send(rows) if rows is not None else next(steps)
            except StopIteration as done:
                return done.value
            sql = _render(statement.sql, dialect, len(statement.params))
            rows = await connection.execute_query_dict(sql, list(statement.params))
