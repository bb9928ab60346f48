"""Check-in flooding: an author may post at most CHECK_INS_PER_PAIR_PER_HOUR check-ins
into one pair within any hour (a sliding hour). Zero or a negative value turns it off.

The count is read from the `check_ins` table, so it holds across workers and restarts
with no other state. `pairs.post_check_in` runs `check_in_allowed` inside its own
transaction, under the pair's row lock, just before it writes, so racing posts cannot
slip past the limit.
"""

from __future__ import annotations

import math
from datetime import timedelta

from api.clock import now
from api.ratelimit import RateLimited, check_in_limit
from api.services import sql
from api.settings import Settings
from api.words import wait_words
from models import CheckIn

WINDOW = timedelta(hours=1)
# The limit-th newest check-in of this author in this pair within the hour: while there
# is one, the author is at the limit.
_AT_LIMIT_SQL = (
    'SELECT "created_at" FROM "check_ins" WHERE "author_id" = {} AND "pair_id" = {} '
    'AND "created_at" > {} ORDER BY "created_at" DESC, "id" DESC LIMIT 1 OFFSET {}'
)
_CREATED_AT = CheckIn._meta.fields_map["created_at"]


def current_limit() -> int:
    """The serving app's setting during a GraphQL operation; the environment's otherwise
    (scripts such as the demo seeder)."""
    limit = check_in_limit.get()
    return limit if limit is not None else Settings.from_env().check_ins_per_pair_per_hour


def check_in_allowed(viewer_id: int, pair_id: int, limit: int) -> sql.Script[None]:
    """A step of a script (api/services/sql.py): raise `RateLimited` when `viewer_id`
    already posted `limit` check-ins into `pair_id` within the last hour; `retryAfter` is
    when the oldest of those leaves the window. `limit` comes from `current_limit()`,
    read by the caller: a script may run on another thread, which sees no ContextVar."""
    if limit <= 0:
        return
    rows = yield sql.Statement(_AT_LIMIT_SQL, (viewer_id, pair_id, now() - WINDOW, limit - 1))
    if rows:
        oldest = _CREATED_AT.to_python_value(rows[0]["created_at"])
        seconds = max(1, math.ceil((oldest + WINDOW - now()).total_seconds()))
        raise RateLimited(
            seconds,
            f"Too many check-ins into this pair: at most {limit} an hour. "
            f"Try again {wait_words(seconds)}.",
        )


async def require_check_in_allowed(viewer_id: int, pair_id: int, limit: int | None = None) -> None:
    """`check_in_allowed` on its own, as a transaction of its own."""
    limit = current_limit() if limit is None else limit
    await sql.run(lambda: check_in_allowed(viewer_id, pair_id, limit))
