"""Notifications for one person: a log numbered without gaps per person (`sequence`),
stored in the change's transaction, published on the person's channel after it commits
(the outbox relay, api/services/outbox.py, publishes what that missed), followed by
`viewerNotifications` with the pair events' rule (`NotificationFollower`); and the
weekly check-in reminders.

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
from api.services import outbox
from api.services.events import LogFollower
from api.services.transactions import in_transaction
from api.validation import LIST_MAX
from models import CheckInReminder, Notification, NotificationCounter, Pair, User
from models.enums import NotificationKind, PairStatus

log = logging.getLogger(__name__)

CHECK_IN_EVERY = timedelta(days=7)

MESSAGES = {
    NotificationKind.PAIRED: "You've been paired: say hello and plan your first check-in.",
    NotificationKind.PAIR_ENDED: "Your pair has ended.",
    NotificationKind.PAIR_COMPLETED: "Your pair completed every milestone. Well done!",
    NotificationKind.CHECK_IN_REMINDER: "Your weekly check-in is overdue: post one to your pair.",
}


_NEXT_SEQUENCE_SQL = (
    'INSERT INTO "notification_counters" ("user_id", "last_sequence") VALUES ({}, 1) '
    'ON CONFLICT ("user_id") DO UPDATE SET "last_sequence" = '
    '"notification_counters"."last_sequence" + 1 RETURNING "last_sequence"'
)


async def next_sequence(user_pk: int) -> int:
    """The person's next notification sequence. Call inside the notification's
    transaction: the counter row stays locked until it commits (PostgreSQL), so a
    concurrent notification of the same person waits, and a rollback takes the number
    back; sequences rise without gaps. Only this locks counter rows, and it comes last
    in a transaction, after the users or the pair it locked, so it adds no deadlock."""
    client = Notification._choose_db(for_write=True)
    mark = "$1" if client.capabilities.dialect == "postgres" else "?"
    rows = await client.execute_query_dict(_NEXT_SEQUENCE_SQL.format(mark), [user_pk])
    return int(rows[0]["last_sequence"])


async def notify_pair(pair: Pair, kind: NotificationKind) -> list[Notification]:
    """Notify both members. Call inside the change's transaction; publish after commit.
    Numbered in user id order, so two transactions never lock two counters in
    opposite orders."""
    at = clock.now()
    made = {}
    for user_id in sorted({pair.mentor_id, pair.mentee_id}):
        sequence = await next_sequence(user_id)
        made[user_id] = await Notification.create(
            user_id=user_id, kind=kind, pair_id=pair.pk, created_at=at, sequence=sequence
        )
    return [made[user_id] for user_id in (pair.mentor_id, pair.mentee_id)]


def to_message(notification: Notification) -> dict[str, Any]:
    """The whole notification as published: subscribers need no query."""
    return {
        "id": notification.pk,
        "userId": notification.user_id,
        "sequence": notification.sequence,
        "kind": notification.kind.value,
        "pairId": notification.pair_id,
        "createdAt": notification.created_at.isoformat(),
    }


_from_messages = pubsub.IdentityCache()


def from_message(message: dict[str, Any]) -> Notification:
    """The notification as published, one model per message in this process (shared
    read-only by the person's subscriptions). Published unread."""
    return _from_messages.get(message, _notification_of)


def _notification_of(message: dict[str, Any]) -> Notification:
    return Notification(
        id=message["id"],
        user_id=message["userId"],
        sequence=message["sequence"],
        kind=NotificationKind(message["kind"]),
        pair_id=message["pairId"],
        created_at=datetime.fromisoformat(message["createdAt"]),
        read_at=None,
    )


def from_row(row: dict[str, Any]) -> Notification:
    """The notification of a row read with plain SQL (the relay's)."""
    return Notification._init_from_db(**row)


async def publish(notifications: Iterable[Notification]) -> None:
    """After commit: the fast path. A failure leaves the row (and the rest) to the relay."""
    if not pubsub.installed():
        return  # not serving (a CLI command): a server's relay publishes them
    for notification in notifications:
        if not await pubsub.publish_user_message(notification.user_id, to_message(notification)):
            return
        outbox.published(outbox.NOTIFICATIONS, notification.pk)


async def notifications_after(
    user_pk: int, sequence: int, upto: int | None = None
) -> list[Notification]:
    query = Notification.filter(user_id=user_pk, sequence__gt=sequence)
    if upto is not None:
        query = query.filter(sequence__lte=upto)
    return await query.order_by("sequence")


async def last_sequence(user_pk: int) -> int:
    """The sequence of the person's latest notification (0 before any)."""
    counts = await NotificationCounter.filter(user_id=user_pk).values_list(
        "last_sequence", flat=True
    )
    return counts[0] if counts else 0


class NotificationFollower(LogFollower[Notification]):
    """A follower of one person's notifications (`viewerNotifications`): the pair
    events' rule, keyed by the person; the log never ends."""

    __slots__ = ()

    def decode(self, message: dict[str, Any]) -> Notification:
        return from_message(message)

    async def after(self, sequence: int, upto: int | None = None) -> list[Notification]:
        return await notifications_after(self.key, sequence, upto)


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
