"""The outbox rule shared by pair events and notifications: a row is committed with the
change and `published_at` null; it counts as published once the broker took it.

- **Fast path.** The worker that committed publishes right after commit and notes the
  row (`published`). The notes are written in one UPDATE per table per relay pass
  (`flush`), so the hot path (`postCheckIn`) gains no statement.
- **Relay** (api/relay.py). Every worker, about once a second, publishes the rows still
  unpublished some time (`relay_after_s`) after they were written: a worker that died
  between commit and publish, or could not reach the broker, loses nothing. While idle
  that is one indexed query per pass (`due`), on partial indexes of the unpublished
  rows. On PostgreSQL, rows are claimed with `FOR UPDATE SKIP LOCKED`, so each is
  published by one worker; on SQLite the one process does it, after a restart too.

A row may still be published twice (the fast path's note not yet flushed when another
worker's relay finds it, or a worker killed between publishing and marking): every
subscriber drops what it already has, by sequence (`events.Follower`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from api import clock
from api.services.transactions import in_transaction

log = logging.getLogger(__name__)

BATCH = 200  # rows claimed per statement
_MARK_CHUNK = 500  # ids per UPDATE when flushing the fast path's notes


@dataclass(frozen=True, slots=True)
class Table:
    """One outbox: its table, and the column that says when a row was written."""

    name: str
    written_at: str


PAIR_EVENTS = Table("pair_events", "occurred_at")
NOTIFICATIONS = Table("notifications", "created_at")
TABLES = (PAIR_EVENTS, NOTIFICATIONS)

# Publish one row (as a dict of its columns); False when the broker did not take it.
Publisher = Callable[[dict[str, Any]], Awaitable[bool]]


class Notes:
    """Rows this process published on the fast path, not yet marked. One per serving
    process (installed by the relay), so a test's app never marks another's database."""

    def __init__(self) -> None:
        self.pending: dict[str, list[int]] = {table.name: [] for table in TABLES}


_notes: Notes | None = None


def install(notes: Notes | None) -> None:
    global _notes
    _notes = notes


def published(table: Table, pk: int) -> None:
    """The fast path published this row: mark it at the next flush. Without a relay in
    this process (a CLI command) nothing is noted, and a server's relay publishes it."""
    if _notes is not None:
        _notes.pending[table.name].append(pk)


def _dialect() -> str:
    return connections.get("default").capabilities.dialect


def _marks(dialect: str, count: int) -> list[str]:
    if dialect == "postgres":
        return [f"${n}" for n in range(1, count + 1)]
    return ["?"] * count


async def flush() -> int:
    """Mark what the fast path published: one UPDATE per table that has notes (none
    when idle). On failure the notes are kept for the next pass."""
    if _notes is None:
        return 0
    marked = 0
    for table in TABLES:
        pks, _notes.pending[table.name] = _notes.pending[table.name], []
        start = 0
        try:
            for start in range(0, len(pks), _MARK_CHUNK):
                await _mark(table, pks[start : start + _MARK_CHUNK], clock.now())
        except Exception:
            _notes.pending[table.name][:0] = pks[start:]
            raise
        marked += len(pks)
    return marked


async def _mark(table: Table, pks: list[int], at: datetime, client: Any = None) -> None:
    client = client or connections.get("default")
    dialect = client.capabilities.dialect
    marks = _marks(dialect, len(pks) + 1)
    sql = (
        f'UPDATE "{table.name}" SET "published_at" = {marks[0]} '
        f'WHERE "id" IN ({", ".join(marks[1:])})'
    )
    await client.execute_query(sql, [at, *pks])


@dataclass(frozen=True, slots=True)
class Due:
    pair_events: bool
    notifications: bool


async def due(before: datetime) -> Due:
    """Whether each outbox has rows written before `before` still unpublished: the
    relay's one statement per pass while idle (two index probes)."""
    marks = _marks(_dialect(), 2)
    sql = (
        'SELECT EXISTS(SELECT 1 FROM "pair_events" WHERE "published_at" IS NULL '
        f'AND "occurred_at" < {marks[0]}) AS "e", '
        'EXISTS(SELECT 1 FROM "notifications" WHERE "published_at" IS NULL '
        f'AND "created_at" < {marks[1]}) AS "n"'
    )
    rows = await connections.get("default").execute_query_dict(sql, [before, before])
    return Due(bool(rows[0]["e"]), bool(rows[0]["n"]))


async def relay(table: Table, before: datetime, publish: Publisher) -> tuple[int, bool]:
    """Publish a batch of `table`'s unpublished rows written before `before`, oldest
    first, and mark those the broker took. Stops at the first refusal (the broker is
    down: the next pass tries again). Returns (published, whether a full batch was
    claimed: more may wait)."""
    dialect = _dialect()
    sql = (
        f'SELECT * FROM "{table.name}" WHERE "published_at" IS NULL '
        f'AND "{table.written_at}" < {_marks(dialect, 1)[0]} ORDER BY "id" LIMIT {BATCH}'
    )
    if dialect == "postgres":
        # Rows another worker is relaying are skipped, not waited for; the locks go
        # with the transaction, at commit or when a killed worker's connection drops.
        async with in_transaction() as connection:
            rows = await connection.execute_query_dict(f"{sql} FOR UPDATE SKIP LOCKED", [before])
            done = await _publish_rows(rows, publish)
            if done:
                await _mark(table, done, clock.now(), connection)
    else:
        # One process owns the file: nobody else relays these rows.
        rows = await connections.get("default").execute_query_dict(sql, [before])
        done = await _publish_rows(rows, publish)
        if done:
            await _mark(table, done, clock.now())
    return len(done), len(rows) == BATCH and len(done) == len(rows)


async def _publish_rows(rows: list[dict[str, Any]], publish: Publisher) -> list[int]:
    done = []
    for row in rows:
        if not await publish(row):
            break
        done.append(row["id"])
    return done
