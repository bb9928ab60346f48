"""The pair event log: record in the change's transaction, publish after commit,
and the rule a follower keeps (`Follower`), so no subscriber misses or repeats an event.

A live message carries the whole event, so the usual path costs no query; a
subscriber that sees a gap in the sequence (a lost publish, a broker outage) reads
the missing events back from the table.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from api import pubsub
from api.clock import now
from api.services import sql
from models import Pair, PairEvent
from models.enums import PairEventKind

log = logging.getLogger(__name__)

TERMINAL = frozenset({PairEventKind.PAIR_COMPLETED, PairEventKind.PAIR_ENDED})
_RETRY_DELAYS = (0.2, 0.5, 1, 2, 5, 10, 30)
_retries: set[asyncio.Task] = set()


def next_event(
    pair: Pair,
    kind: PairEventKind,
    *,
    milestone_id: int | None = None,
    check_in_id: int | None = None,
    reason: str | None = None,
) -> PairEvent:
    """The pair's next event, not yet saved. Call inside the change's transaction, with
    the pair row locked (services lock it first), so sequences rise without gaps. It
    raises `pair.event_count`: the caller saves it with the change's own update of the
    pair (one statement, not two); a forgotten save repeats a sequence, which the unique
    (pair, sequence) index refuses."""
    pair.event_count += 1
    return PairEvent(
        pair_id=pair.pk,
        sequence=pair.event_count,
        kind=kind,
        milestone_id=milestone_id,
        check_in_id=check_in_id,
        reason=reason,
        occurred_at=now(),
    )


async def record(
    pair: Pair,
    kind: PairEventKind,
    *,
    milestone_id: int | None = None,
    check_in_id: int | None = None,
    reason: str | None = None,
) -> PairEvent:
    """Append the pair's next event (`next_event`) through the ORM."""
    event = next_event(
        pair, kind, milestone_id=milestone_id, check_in_id=check_in_id, reason=reason
    )
    await event.save()
    return event


_INSERT_SQL = (
    'INSERT INTO "pair_events" ("pair_id", "sequence", "kind", "milestone_id", "check_in_id", '
    '"reason", "occurred_at") VALUES ({}, {}, {}, {}, {}, {}, {}) RETURNING "id"'
)


def insert(event: PairEvent) -> sql.Script[PairEvent]:
    """A step of a script (api/services/sql.py): save `next_event`'s event."""
    rows = yield sql.Statement(
        _INSERT_SQL,
        (
            event.pair_id,
            event.sequence,
            event.kind.value,
            event.milestone_id,
            event.check_in_id,
            event.reason,
            event.occurred_at,
        ),
    )
    event.pk = rows[0]["id"]
    event._saved_in_db = True
    return event


def to_message(event: PairEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "pairId": event.pair_id,
        "sequence": event.sequence,
        "kind": event.kind.value,
        "milestoneId": event.milestone_id,
        "checkInId": event.check_in_id,
        "reason": event.reason,
        "occurredAt": event.occurred_at.isoformat(),
    }


# Each decoded message's event, built once per process (subscribers share the message).
_from_messages = pubsub.IdentityCache()


def from_message(message: dict[str, Any]) -> PairEvent:
    """The event as published: the same fields as its row, without a query; one model
    per message in this process, shared read-only by its subscribers."""
    return _from_messages.get(message, _event_of)


def _event_of(message: dict[str, Any]) -> PairEvent:
    return PairEvent(
        id=message["id"],
        pair_id=message["pairId"],
        sequence=message["sequence"],
        kind=PairEventKind(message["kind"]),
        milestone_id=message["milestoneId"],
        check_in_id=message["checkInId"],
        reason=message["reason"],
        occurred_at=datetime.fromisoformat(message["occurredAt"]),
    )


async def publish(events: Iterable[PairEvent]) -> None:
    """Publish committed events. A failure never fails the change: the rows stand, a
    background retry publishes again, and subscribers fill gaps from the table."""
    for event in events:
        if not await pubsub.publish_pair_message(event.pair_id, to_message(event)):
            task = asyncio.create_task(_retry(event))
            _retries.add(task)
            task.add_done_callback(_retries.discard)


async def _retry(event: PairEvent) -> None:
    for delay in _RETRY_DELAYS:
        await asyncio.sleep(delay)
        if await pubsub.publish_pair_message(event.pair_id, to_message(event)):
            return
    log.error("gave up publishing event %s of pair %s", event.sequence, event.pair_id)


async def events_after(pair_pk: int, sequence: int, upto: int | None = None) -> list[PairEvent]:
    query = PairEvent.filter(pair_id=pair_pk, sequence__gt=sequence)
    if upto is not None:
        query = query.filter(sequence__lte=upto)
    return await query.order_by("sequence")


async def last_sequence(pair_pk: int) -> int:
    """The sequence of the pair's latest event (0 before any)."""
    return (await Pair.get(pk=pair_pk).only("id", "event_count")).event_count


class Follower:
    """The rule every follower of a pair keeps: each event once, in order, a gap read
    back from the table, nothing after the event that ends the pair.

    A subscription starts listening before it reads where the log stands (`last`), so
    nothing committed in between is missed; a live event at or below `last` is a
    duplicate and is skipped."""

    __slots__ = ("pair_pk", "last", "ended")

    def __init__(self, pair_pk: int, last: int) -> None:
        self.pair_pk = pair_pk
        self.last = last
        self.ended = False

    def take(self, events: Iterable[PairEvent]) -> list[PairEvent]:
        """The events to deliver, in order, up to and including a terminal one."""
        taken = []
        for event in events:
            if self.ended or event.sequence <= self.last:
                continue
            taken.append(event)
            self.last = event.sequence
            if event.kind in TERMINAL:
                self.ended = True
        return taken

    async def accept(self, message: dict[str, Any]) -> list[PairEvent]:
        """What a live message adds: nothing, its event, or the gap it reveals."""
        sequence = message["sequence"]
        if self.ended or sequence <= self.last:
            return []
        if sequence == self.last + 1:
            return self.take([from_message(message)])
        # A gap: something was not delivered live; the table has it.
        return self.take(await events_after(self.pair_pk, self.last, upto=sequence))
