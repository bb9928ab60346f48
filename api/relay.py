"""The outbox relay, in every server process: publishes the pair events and
notifications that were committed but not published a moment later (the worker died
first, or could not reach the broker), and marks what the fast path published. The
rule, and what it costs, are in api/services/outbox.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from api import clock, pubsub
from api.services import events, notifications, outbox

log = logging.getLogger(__name__)

TASK_NAME = "outbox-relay"  # tests leave its statements out of a request's count
_MAX_BATCHES = 10  # per outbox per pass: a backlog drains without starving the loop


async def _publish_event(row: dict[str, Any]) -> bool:
    event = events.from_row(row)
    return await pubsub.publish_pair_message(event.pair_id, events.to_message(event))


async def _publish_notification(row: dict[str, Any]) -> bool:
    notification = notifications.from_row(row)
    return await pubsub.publish_user_message(
        notification.user_id, notifications.to_message(notification)
    )


async def relay_pass(after_s: float) -> int:
    """Mark what the fast path published, then publish every row still unpublished
    `after_s` seconds after it was written. Returns how many this pass published."""
    await outbox.flush()
    if not pubsub.current().can_publish():
        return 0  # this worker cannot reach the broker: leave the rows to the others
    before = clock.now() - timedelta(seconds=after_s)
    due = await outbox.due(before)
    sent = 0
    for wanted, table, publish in (
        (due.pair_events, outbox.PAIR_EVENTS, _publish_event),
        (due.notifications, outbox.NOTIFICATIONS, _publish_notification),
    ):
        for _ in range(_MAX_BATCHES if wanted else 0):
            published, more = await outbox.relay(table, before, publish)
            sent += published
            if not more:
                break
    return sent


async def run_relay(interval_s: float, after_s: float) -> None:
    """A pass every `interval_s` seconds, for ever; a failed pass is logged and the next
    one tries again."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            sent = await relay_pass(after_s)
        except Exception:
            log.exception("the outbox relay pass failed")
        else:
            if sent:
                log.info("the outbox relay published %d rows left unpublished", sent)


@contextlib.asynccontextmanager
async def relay_running(interval_s: float, after_s: float) -> AsyncIterator[None]:
    """The relay for the body's duration (none when the interval is 0); at the end the
    fast path's last notes are written, so a clean stop republishes nothing."""
    if interval_s <= 0:
        yield
        return
    outbox.install(outbox.Notes())
    task = asyncio.create_task(run_relay(interval_s, after_s), name=TASK_NAME)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await outbox.flush()
        except Exception:
            log.warning("marking the last published rows failed", exc_info=True)
        outbox.install(None)
