"""Check-in flooding: an author may post at most CHECK_INS_PER_PAIR_PER_HOUR check-ins
into one pair within any hour (a sliding hour). Zero or a negative value turns it off.

The count is read from the `check_ins` table, so it holds across workers and restarts
with no other state. `pairs.post_check_in` calls it under the pair's row lock, just
before it writes, so racing posts cannot slip past the limit.
"""

from __future__ import annotations

import math
from datetime import timedelta

from api.clock import now
from api.ratelimit import RateLimited, check_in_limit
from api.settings import Settings
from models import CheckIn

WINDOW = timedelta(hours=1)


def current_limit() -> int:
    """The serving app's setting during a GraphQL operation; the environment's otherwise
    (scripts such as the demo seeder)."""
    limit = check_in_limit.get()
    return limit if limit is not None else Settings.from_env().check_ins_per_pair_per_hour


async def require_check_in_allowed(viewer_id: int, pair_id: int, limit: int | None = None) -> None:
    """Raise `RateLimited` when `viewer_id` already posted `limit` check-ins into `pair_id`
    within the last hour; `retryAfter` is when the oldest of those leaves the window."""
    limit = current_limit() if limit is None else limit
    if limit <= 0:
        return
    since = now() - WINDOW
    # The limit-th newest check-in: while it is within the hour, the author is at the limit.
    rows = (
        await CheckIn.filter(author_id=viewer_id, pair_id=pair_id, created_at__gt=since)
        .order_by("-created_at", "-id")
        .offset(limit - 1)
        .limit(1)
        .values_list("created_at", flat=True)
    )
    if rows:
        seconds = max(1, math.ceil((rows[0] + WINDOW - now()).total_seconds()))
        raise RateLimited(
            seconds,
            f"Too many check-ins into this pair: at most {limit} an hour. "
            f"Try again in {seconds} s.",
        )
