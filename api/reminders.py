"""The background task that sends weekly check-in reminders, in every server process.

Every worker runs it; the database decides which one sends each reminder (see
`api.services.notifications.send_due_reminders`), so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from api.services.notifications import send_due_reminders

log = logging.getLogger(__name__)


async def run_reminders(interval_s: float) -> None:
    """Run a reminder pass every `interval_s` seconds, for ever; a failed pass is logged
    and the next one tries again."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            sent = await send_due_reminders()
        except Exception:
            log.exception("the check-in reminder pass failed")
        else:
            if sent:
                log.info("sent check-in reminders to %d pairs", sent)


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
