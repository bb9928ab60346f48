"""The pair event log: record in the change's transaction, publish after commit (the
outbox relay, api/services/outbox.py, publishes what that missed), and the rule a
follower of a log keeps (`LogFollower`), so no subscriber misses or repeats an event.

A live message carries the whole event, so the usual path costs no query; a
subscriber that sees a gap in the sequence (a lost publish, a broker outage) reads
the missing events back from the table.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from api import pubsub
from api.clock import now
from api.services import outbox, sql
from models import Pair, PairEvent
from models.enums import PairEventKind

log = logging.getLogger(__name__)

TERMINAL = frozenset({PairEventKind.PAIR_COMPLETED, PairEventKind.PAIR_ENDED})


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


def from_row(row: dict[str, Any]) -> PairEvent:
    """The event of a row read with plain SQL (the relay's)."""
    return PairEvent._init_from_db(**row)


async def publish(events: Iterable[PairEvent]) -> None:
    """Publish committed events: the fast path. A failure never fails the change: the
    rows stand unpublished, the outbox relay publishes them within seconds (from any
    worker), and a subscriber that sees the gap first reads it from the table. After
    a failure the rest are left to the relay too, so a change does not wait on a
    broker that is down once per event."""
    if not pubsub.installed():
        return  # not serving (a CLI command): a server's relay publishes them
    for event in events:
        if not await pubsub.publish_pair_message(event.pair_id, to_message(event)):
            return
        outbox.published(outbox.PAIR_EVENTS, event.pk)


async def events_after(pair_pk: int, sequence: int, upto: int | None = None) -> list[PairEvent]:
    query = PairEvent.filter(pair_id=pair_pk, sequence__gt=sequence)
    if upto is not None:
        query = query.filter(sequence__lte=upto)
    return await query.order_by("sequence")


async def last_sequence(pair_pk: int) -> int:
    """The sequence of the pair's latest event (0 before any)."""
    return (await Pair.get(pk=pair_pk).only("id", "event_count")).event_count


class Entry(Protocol):
    """A row of a log: numbered without gaps within its key (a pair, a person)."""

    sequence: int


E = TypeVar("E", bound=Entry)


class LogFollower(Generic[E]):
    """The rule every follower of a log keeps (a pair's events, a person's
    notifications): each entry once, in order, a gap read back from the table, nothing
    after an entry that ends the log.

    A subscription starts listening before it reads where the log stands (`last`), so
    nothing committed in between is missed; a live entry at or below `last` is a
    duplicate (the relay may publish a row twice) and is skipped. Subclasses say how
    to read the table, decode a message and which entry ends the log."""

    __slots__ = ("key", "last", "ended")

    def __init__(self, key: int, last: int) -> None:
        self.key = key
        self.last = last
        self.ended = False

    def ends(self, entry: E) -> bool:
        return False

    def decode(self, message: dict[str, Any]) -> E:
        raise NotImplementedError

    async def after(self, sequence: int, upto: int | None = None) -> list[E]:
        """The log's entries after `sequence` (up to `upto`), in order."""
        raise NotImplementedError

    def take(self, entries: Iterable[E]) -> list[E]:
        """The entries to deliver, in order, up to and including one that ends the log."""
        taken = []
        for entry in entries:
            if self.ended or entry.sequence <= self.last:
                continue
            taken.append(entry)
            self.last = entry.sequence
            if self.ends(entry):
                self.ended = True
        return taken

    async def accept(self, message: dict[str, Any]) -> list[E]:
        """What a live message adds: nothing, its entry, or the gap it reveals."""
        sequence = message["sequence"]
        if self.ended or sequence <= self.last:
            return []
        if sequence == self.last + 1:
            return self.take([self.decode(message)])
        # A gap: something was not delivered live (yet); the table has it.
        return self.take(await self.after(self.last, upto=sequence))


class Follower(LogFollower[PairEvent]):
    """A follower of one pair's events, which end with the pair."""

    __slots__ = ()

    @property
    def pair_pk(self) -> int:
        return self.key

    def ends(self, entry: PairEvent) -> bool:
        return entry.kind in TERMINAL

    def decode(self, message: dict[str, Any]) -> PairEvent:
        return from_message(message)

    async def after(self, sequence: int, upto: int | None = None) -> list[PairEvent]:
        return await events_after(self.key, sequence, upto)
