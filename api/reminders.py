"""The background task that sends weekly check-in reminders, in every server process,
and deletes the idempotency keys whose 24 hours are over.

Every worker runs it; the database decides which one sends each reminder (see
`api.services.notifications.send_due_reminders`), so nothing is sent twice. Deleting the
old keys is one indexed DELETE, harmless when two workers run it at once; nothing depends
on it but the table's size (a key past its 24 hours is ignored, and a new use of it takes
its row over).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from api.services import idempotency
from api.services.notifications import send_due_reminders

log = logging.getLogger(__name__)


async def run_reminders(interval_s: float) -> None:
    """Run a reminder pass every `interval_s` seconds, for ever, then delete the expired
    idempotency keys; a failed step is logged and the next pass tries again."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            sent = await send_due_reminders()
        except Exception:
            log.exception("the check-in reminder pass failed")
        else:
            if sent:
                log.info("sent check-in reminders to %d pairs", sent)
        try:
            await idempotency.delete_expired()
        except Exception:
            log.exception("deleting expired idempotency keys failed")


@contextlib.asynccontextmanager
async def reminders_running(interval_s: float) -> AsyncIterator[None]:
    """The reminder task for the body's duration (none when the interval is 0)."""
    if interval_s <= 0:
        yield
        return
    task = asyncio.create_task(run_reminders(interval_s), name="check-in-reminders")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
