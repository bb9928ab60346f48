"""Idempotent retries over HTTP: a mutation sent with an `Idempotency-Key` header (the
IETF httpapi draft's name) runs at most once per user and key for 24 hours.

The view (api/graphql.py) hands a POST that carries the header here once it knows that
it is a mutation by a signed-in user (queries, anonymous `register`/`login` and bad
tokens run as usual: there is no user to keep the key for). Then:

1. A live key of this user for another request (query text, operation name and
   variables, hashed) is IDEMPOTENCY_KEY_REUSED (422).
2. A live key for this request with its response stored: that response, status and body
   as first sent, with `Idempotent-Replayed: true`. Nothing runs.
3. A live key without a response: the first request committed and is still answering.
   Wait for its response (`idempotency_wait_s`), then IDEMPOTENCY_KEY_IN_USE (409). A key
   that still has no response `LOST_AFTER` its commit never will (the server stopped
   between the commit and storing the response): IDEMPOTENCY_RESPONSE_LOST (409), so the
   client reads the state instead of running the mutation again.
4. No live key: run the mutation with a `PendingKey` in the context. The first service
   transaction that commits writes the key in that transaction
   (api/services/transactions.py); the response is stored after. A mutation that wrote
   nothing (refused, or `userErrors` before any write) leaves no key: its retry runs
   again, which is safe since nothing was written. If a duplicate running at the same
   time took the key first, this one's transaction rolled back at its first statement,
   and it answers as in 3 with the duplicate's response.

A mutation without the header pays one header lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.responses import Response

from api.clock import now
from api.errors import (
    BadUserInput,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    IdempotencyResponseLost,
)
from api.services import idempotency as stored_keys
from api.services.idempotency import StoredKey
from api.services.transactions import PendingKey, pending_key

log = logging.getLogger(__name__)

HEADER = "idempotency-key"
REPLAYED_HEADER = "idempotent-replayed"  # on a stored response sent again (as Stripe's)
KEY_MAX = 255
# A committed key with no response this long after its commit has lost it for good.
LOST_AFTER = timedelta(minutes=1)
POLL_S = 0.05  # how often a waiting retry looks for the first one's response


def checked_key(raw: str) -> str:
    """The header's value, if it is 1-255 printable ASCII characters (the contract's
    rule); a malformed key is BAD_USER_INPUT."""
    if not 1 <= len(raw) <= KEY_MAX or not all(" " <= c <= "~" for c in raw):
        raise BadUserInput(
            f"The Idempotency-Key header must be 1 to {KEY_MAX} printable ASCII characters."
        )
    return raw


def request_hash(query: str, operation_name: str | None, variables: object) -> str:
    """What makes two requests the same: the query text as sent, the operation name and
    the variables, whatever their keys' order (no variables and `{}` are the same)."""
    canonical = json.dumps(
        [query, operation_name, variables or {}],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def respond(
    user_id: int,
    key: str,
    digest: str,
    execute: Callable[[], Awaitable[Response]],
    wait_s: float,
) -> Response:
    """The response to a keyed mutation (the steps in this module's doc); refusals are
    raised as `ApiError`s with a `status`."""
    found = await stored_keys.find(user_id, key)
    if found is not None:
        return await _answer_from(found, user_id, key, digest, wait_s)
    pending = PendingKey(user_id, key, digest)
    token = pending_key.set(pending)
    try:
        response = await execute()
    finally:
        pending_key.reset(token)
    if pending.claimed:
        await _store(pending, response)
        return response
    found = await stored_keys.find(user_id, key)
    if pending.lost:  # a duplicate holds the key: answer as it does
        if found is None:  # pragma: no cover - the duplicate's row was committed
            raise IdempotencyKeyInUse()
        return await _answer_from(found, user_id, key, digest, wait_s)
    if found is not None and found.request_hash == digest:
        # This one wrote nothing (its checks saw the duplicate's change): the duplicate's
        # response is the one to give.
        return await _answer_from(found, user_id, key, digest, wait_s)
    return response


async def _answer_from(
    found: StoredKey, user_id: int, key: str, digest: str, wait_s: float
) -> Response:
    if found.request_hash != digest:
        raise IdempotencyKeyReused()
    deadline = time.monotonic() + wait_s
    while not found.answered:
        if now() - found.created_at > LOST_AFTER:
            raise IdempotencyResponseLost()
        if time.monotonic() >= deadline:
            raise IdempotencyKeyInUse()
        await asyncio.sleep(POLL_S)
        again = await stored_keys.find(user_id, key)
        if again is None:  # expired meanwhile: a new request may take the key
            raise IdempotencyKeyInUse()
        found = again
    return Response(
        (found.body or "").encode(),
        status_code=found.status or 200,
        headers={
            "content-type": found.content_type or "application/json",
            "vary": "Accept",
            REPLAYED_HEADER: "true",
        },
    )


async def _store(pending: PendingKey, response: Response) -> None:
    """Keep the response for the retries. If this fails the mutation still answers; its
    retries then get IDEMPOTENCY_KEY_IN_USE, and IDEMPOTENCY_RESPONSE_LOST after a minute."""
    try:
        await stored_keys.store_response(
            pending.user_id,
            pending.key,
            response.status_code,
            response.headers.get("content-type", "application/json"),
            bytes(response.body).decode("utf-8"),
        )
    except Exception:
        log.exception("could not store the response of an idempotent mutation")
