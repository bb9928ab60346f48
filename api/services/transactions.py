"""Where every service transaction opens, so that a request's idempotency key is written
in the same transaction as the change it guards.

Services open their transactions with `in_transaction()` from here (Tortoise's, under the
same name), and `sql.run` opens its scripts' the same way. Outside a keyed request it *is*
Tortoise's: one context-variable read. During a mutation sent with an `Idempotency-Key`
(api/idempotency.py), the view puts a `PendingKey` in `pending_key`, and the first
transaction the mutation opens claims it: its first statement inserts the key's row. So a
mutation that commits always leaves its key, and one that rolls back leaves none.

The claim is an insert on the unique (user, key): a duplicate request that got this far
at the same time waits on it (PostgreSQL holds the second insert until the first
transaction ends; SQLite runs one transaction at a time), finds the key taken, and rolls
back with `IdempotencyKeyInUse` before writing anything. A row older than the keys' 24
hours is taken over in the same statement.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction as _tortoise_transaction

from api.clock import now
from api.errors import IdempotencyKeyInUse
from models import IdempotencyKey

# How long a key is kept: a retry within it gets the stored response.
KEY_TTL = timedelta(hours=24)

# Insert the key, or take over a row whose 24 hours are over; no row back means a live
# row holds the key (SQLite 3.35+ and PostgreSQL both speak this).
_CLAIM_SQL = (
    'INSERT INTO "idempotency_keys" ("user_id", "key", "request_hash", "created_at") '
    "VALUES ({0}, {1}, {2}, {3}) "
    'ON CONFLICT ("user_id", "key") DO UPDATE SET "request_hash" = excluded."request_hash", '
    '"created_at" = excluded."created_at", "status" = NULL, "content_type" = NULL, '
    '"body" = NULL WHERE "idempotency_keys"."created_at" < {4} RETURNING "id"'
)
_CLAIM = {
    "sqlite": _CLAIM_SQL.format("?", "?", "?", "?", "?"),
    "postgres": _CLAIM_SQL.format("$1", "$2", "$3", "$4", "$5"),
}
_CREATED_AT = IdempotencyKey._meta.fields_map["created_at"]


@dataclass(slots=True)
class PendingKey:
    """A keyed mutation's key, until one of its transactions commits with it."""

    user_id: int
    key: str
    request_hash: str
    claimed: bool = False  # a transaction of this request wrote the key's row
    lost: bool = False  # another request holds the key: this one wrote nothing

    def claim_statement(self, dialect: str) -> tuple[str, list[Any]]:
        """The insert that claims the key, in `dialect`, with its parameters. The times
        are converted as the ORM stores them (SQLite keeps datetimes as text)."""
        at = now()
        params = [
            self.user_id,
            self.key,
            self.request_hash,
            _CREATED_AT.to_db_value(at, IdempotencyKey),
            _CREATED_AT.to_db_value(at - KEY_TTL, IdempotencyKey),
        ]
        return _CLAIM[dialect], params

    def refuse(self) -> IdempotencyKeyInUse:
        """Another request holds the key: this transaction must write nothing."""
        self.lost = True
        return IdempotencyKeyInUse()


pending_key: ContextVar[PendingKey | None] = ContextVar("pending_idempotency_key", default=None)


def unclaimed_key() -> PendingKey | None:
    """The current request's key, while no transaction of it has written the key."""
    key = pending_key.get()
    return key if key is not None and not key.claimed else None


def in_transaction() -> contextlib.AbstractAsyncContextManager[Any]:
    """A transaction on the default connection, as Tortoise's `in_transaction()`; the
    first of a keyed mutation claims its key."""
    key = unclaimed_key()
    if key is None:
        return _tortoise_transaction()
    return _claiming(key)


@contextlib.asynccontextmanager
async def _claiming(key: PendingKey) -> AsyncIterator[Any]:
    try:
        async with _tortoise_transaction() as connection:
            dialect = connections.get("default").capabilities.dialect
            if not await connection.execute_query_dict(*key.claim_statement(dialect)):
                raise key.refuse()
            key.claimed = True  # nested transactions do not claim again
            yield connection
    except BaseException:
        key.claimed = False  # rolled back, the key's row with it
        raise
