"""The stored side of idempotent retries: find a key, keep a response, forget old keys.

The key's row itself is written by the mutation's own transaction
(api/services/transactions.py); the HTTP view (api/idempotency.py) decides what a retry
gets from what is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.clock import now
from api.services.transactions import KEY_TTL
from models import IdempotencyKey


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A live key's row: who used it for what, and the response once it is stored."""

    request_hash: str
    created_at: datetime
    status: int | None
    content_type: str | None
    body: str | None

    @property
    def answered(self) -> bool:
        return self.status is not None


async def find(user_id: int, key: str) -> StoredKey | None:
    """The user's key, unless its 24 hours are over (then it is as good as gone)."""
    row = await IdempotencyKey.filter(
        user_id=user_id, key=key, created_at__gte=now() - KEY_TTL
    ).first()
    if row is None:
        return None
    return StoredKey(row.request_hash, row.created_at, row.status, row.content_type, row.body)


async def store_response(user_id: int, key: str, status: int, content_type: str, body: str) -> None:
    """Keep the response of the mutation that claimed the key, for its retries."""
    await IdempotencyKey.filter(user_id=user_id, key=key, status=None).update(
        status=status, content_type=content_type, body=body
    )


async def delete_expired() -> int:
    """Delete the keys whose 24 hours are over (one indexed DELETE); how many."""
    return await IdempotencyKey.filter(created_at__lt=now() - KEY_TTL).delete()
