"""Notifications for one person: stored rows, published on the person's channel after
the change commits, and the weekly check-in reminders.

Reminders are safe with any number of workers: every worker may run the pass, and a
reminder is sent only by the transaction whose insert into `check_in_reminders` wins the
unique key (pair, due time, weeks overdue). The loser's insert fails and it sends
nothing, so each overdue pair gets at most one reminder per week.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from api import clock, pubsub
from api.errors import BadUserInput, NotFound
from api.services.transactions import in_transaction
from api.validation import LIST_MAX
from models import CheckInReminder, Notification, Pair, User
from models.enums import NotificationKind, PairStatus

log = logging.getLogger(__name__)

CHECK_IN_EVERY = timedelta(days=7)

MESSAGES = {
    NotificationKind.PAIRED: "You've been paired: say hello and plan your first check-in.",
    NotificationKind.PAIR_ENDED: "Your pair has ended.",
    NotificationKind.PAIR_COMPLETED: "Your pair completed every milestone. Well done!",
    NotificationKind.CHECK_IN_REMINDER: "Your weekly check-in is overdue: post one to your pair.",
}


async def notify_pair(pair: Pair, kind: NotificationKind) -> list[Notification]:
    """Notify both members. Call inside the change's transaction; publish after commit."""
    at = clock.now()
    return [
        await Notification.create(user_id=user_id, kind=kind, pair_id=pair.pk, created_at=at)
        for user_id in (pair.mentor_id, pair.mentee_id)
    ]


async def publish(notifications: Iterable[Notification]) -> None:
    """After commit. A lost publish loses only the live push: the row is stored."""
    for notification in notifications:
        await pubsub.publish_user_message(notification.user_id, {"id": notification.pk})


def notifications_of(user_pk: int, unread: bool | None) -> QuerySet[Notification]:
    query = Notification.filter(user_id=user_pk)
    if unread is True:
        query = query.filter(read_at=None)
    elif unread is False:
        query = query.filter(read_at__not_isnull=True)
    return query


async def mark_read(viewer: User, pks: Sequence[int]) -> list[Notification]:
    """Mark the viewer's notifications read (already read ones keep their time)."""
    if len(pks) > LIST_MAX:
        raise BadUserInput(f"At most {LIST_MAX} IDs.")
    wanted = list(dict.fromkeys(pks))
    owned = await Notification.filter(pk__in=wanted, user_id=viewer.pk).values_list("id", flat=True)
    if len(owned) != len(wanted):
        raise NotFound()
    async with in_transaction():  # so that it records the idempotency key
        await Notification.filter(pk__in=wanted, read_at=None).update(read_at=clock.now())
    rows = {n.pk: n for n in await Notification.filter(pk__in=wanted)}
    return [rows[pk] for pk in wanted]


async def published(user_pk: int, message: dict[str, Any]) -> Notification | None:
    """The person's notification a live message announces (None: not theirs, or gone)."""
    pk = message.get("id")
    if not isinstance(pk, int):
        return None
    return await Notification.get_or_none(pk=pk, user_id=user_pk)


# --- reminders -------------------------------------------------------------------------


def due_at(pair: Pair) -> datetime:
    """The weekly check-in is due a week after the last one, or after the pairing."""
    return (pair.last_check_in_at or pair.created_at) + CHECK_IN_EVERY


def overdue_pairs(now: datetime) -> QuerySet[Pair]:
    cutoff = now - CHECK_IN_EVERY
    return Pair.filter(status=PairStatus.ACTIVE).filter(
        Q(last_check_in_at__lt=cutoff) | Q(last_check_in_at=None, created_at__lt=cutoff)
    )


async def send_due_reminders() -> int:
    """One reminder pass: remind both members of every overdue pair, at most once per
    pair per week, whichever workers run it at the same time. Returns how many pairs
    this call reminded."""
    now = clock.now()
    sent = 0
    pairs = await overdue_pairs(now).order_by("id")
    # Those already reminded this week are skipped without a transaction each; the
    # unique key still decides any race.
    done = set(
        await CheckInReminder.filter(pair_id__in=[p.pk for p in pairs]).values_list(
            "pair_id", "due_at", "period"
        )
    )
    for pair in pairs:
        due = due_at(pair)
        period = int((now - due) / CHECK_IN_EVERY)
        if (pair.pk, due, period) in done:
            continue
        try:
            async with in_transaction():
                await CheckInReminder.create(
                    pair_id=pair.pk, due_at=due, period=period, sent_at=now
                )
                rows = await notify_pair(pair, NotificationKind.CHECK_IN_REMINDER)
        except IntegrityError:  # another worker sent this one
            continue
        sent += 1
        await publish(rows)
    return sent
