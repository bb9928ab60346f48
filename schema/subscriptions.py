"""Live updates of a pair, for its two members, from the pair's event log.

Every subscription follows the log (`api.services.events.Follower`): it never misses
or repeats an event, and ends after the event that ends the pair. Once set up, it lives
in the process's fan-out hub as a `PairListener` (schema/live.py). Each event's value
is a `SharedEvent` (schema/sharing.py), so subscribers of one event in this process who
ask the same thing share one execution of it. `pairEvents` also replays what happened
after a cursor, so a client that lost its connection resumes where it stopped.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Annotated, Any

import strawberry

from api import pubsub
from api.errors import BadUserInput, Forbidden
from api.services import access, fanout
from api.services import events as events_service
from api.services.fanout import EventRows
from models import Pair as PairModel
from models import PairEvent as PairEventModel
from models.enums import PairEventKind
from schema import live
from schema.common import Info
from schema.ids import decode_id
from schema.live import LiveSubscription
from schema.pairs import CheckIn, Milestone, Pair
from schema.permissions import is_pair_member
from schema.sharing import SharedEvent

PairIdArg = Annotated[strawberry.ID, strawberry.argument(description="One of your pairs.")]


def encode_event_cursor(pair_pk: int, sequence: int) -> str:
    return base64.b64encode(f"PairEvent:{pair_pk}:{sequence}".encode()).decode()


def decode_event_cursor(raw: str, pair_pk: int) -> int:
    """The sequence a cursor of this pair points at; anything else is BAD_USER_INPUT."""
    try:
        kind, pair_text, sequence_text = base64.b64decode(raw, validate=True).decode().split(":")
        if kind != "PairEvent" or int(pair_text) != pair_pk or int(sequence_text) < 0:
            raise ValueError
        return int(sequence_text)
    except ValueError:  # binascii.Error and UnicodeError are ValueErrors too
        raise BadUserInput("`after` is not a cursor of this pair's events.") from None


@strawberry.interface(description="Something that happened to a pair, in order.")
class PairEvent:
    model: strawberry.Private[PairEventModel]
    # Loaded once per event for every subscriber in the process (api/services/fanout.py).
    rows: strawberry.Private[EventRows]

    @strawberry.field(description="Pass as `after` to resume right after this event.")
    def cursor(self) -> str:
        return encode_event_cursor(self.model.pair_id, self.model.sequence)

    @strawberry.field(description="Position in the pair's history: 1, 2, 3... with no gaps.")
    def sequence(self) -> int:
        return self.model.sequence

    @strawberry.field(description="When it happened.")
    def occurred_at(self) -> datetime.datetime:
        return self.model.occurred_at

    @strawberry.field(description="The pair, as it is now.")
    def pair(self) -> Pair:
        return Pair.of(self.rows.pair)


@strawberry.type(description="A milestone was completed.")
class MilestoneCompletedEvent(PairEvent):
    @strawberry.field(description="The milestone.")
    def milestone(self) -> Milestone:
        assert self.rows.milestone is not None  # _follow skips events whose row is gone
        return Milestone.of(self.rows.milestone)


@strawberry.type(description="A check-in was posted.")
class CheckInPostedEvent(PairEvent):
    @strawberry.field(description="The check-in.")
    def check_in(self) -> CheckIn:
        assert self.rows.check_in is not None  # _follow skips events whose row is gone
        return CheckIn.of(self.rows.check_in)


@strawberry.type(description="Every milestone is done: the pair is COMPLETED.")
class PairCompletedEvent(PairEvent):
    pass


@strawberry.type(description="The pair was ended early.")
class PairEndedEvent(PairEvent):
    @strawberry.field(description="Why, if a reason was given.")
    def reason(self) -> str | None:
        return self.model.reason


_EVENT_TYPES: dict[PairEventKind, type[PairEvent]] = {
    PairEventKind.MILESTONE_COMPLETED: MilestoneCompletedEvent,
    PairEventKind.CHECK_IN_POSTED: CheckInPostedEvent,
    PairEventKind.PAIR_COMPLETED: PairCompletedEvent,
    PairEventKind.PAIR_ENDED: PairEndedEvent,
}


async def _members_pair(info: Info, pair_id: str) -> PairModel:
    """The pk of one of the viewer's pairs; anything else is FORBIDDEN (client guide)."""
    viewer = await info.context.require_viewer()
    try:
        kind, pk = decode_id(pair_id)
    except BadUserInput:
        raise Forbidden("Not one of your pairs.") from None
    pair = await PairModel.get_or_none(pk=pk) if kind == "Pair" else None
    if pair is None or not is_pair_member(viewer.pk, pair):
        raise Forbidden("Not one of your pairs.")
    return pair


# What each subscription yields for an event it may see, or None to skip it.
Select = Callable[[PairEventModel, EventRows], Any]


class PairListener(LiveSubscription):
    """One member's subscription to a pair's events, as the hub holds it once live."""

    __slots__ = ("follower", "since", "select", "hidden", "other")

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        pair: PairModel,
        viewer_pk: int,
        context: Any,
        select: Select,
        hidden: bool,
        since: int | None,
    ) -> None:
        super().__init__(pubsub.pair_channel(pair.pk), context)
        self.follower = events_service.Follower(pair.pk, 0)
        self.since = since
        self.select = select
        self.hidden = hidden
        self.other = pair.mentee_id if viewer_pk == pair.mentor_id else pair.mentor_id

    async def value_of(self, event: PairEventModel) -> Any:
        """What the subscription sends for `event` (None: nothing), with the event's
        rows loaded once per process and this connection's loaders primed with them."""
        rows = await fanout.rows_of(event)
        if event.milestone_id is not None and rows.milestone is None:
            return None  # deleted since (with its author's account)
        if event.check_in_id is not None and (
            rows.check_in is None or (self.hidden and rows.check_in.author_id == self.other)
        ):
            return None  # someone who blocked the viewer keeps their check-ins from them
        value = self.select(event, rows)
        if value is None:
            return None
        self.context.refresh_loaders()
        rows.prime(self.context.loaders)
        return SharedEvent(value, rows.results)

    async def replay(self) -> AsyncIterator[Any]:
        """Where the log stands (read after joining the hub), and with a cursor every
        event after it."""
        follower = self.follower
        if self.since is None:
            follower.last = await events_service.last_sequence(follower.key)
            return
        follower.last = self.since
        for event in follower.take(await follower.after(self.since)):
            value = await self.value_of(event)
            if value is not None:
                yield value

    def over(self) -> bool:
        return self.follower.ended

    async def receive(self, message: dict[str, Any]) -> None:
        for event in await self.follower.accept(message):
            value = await self.value_of(event)
            if value is not None:
                await self.deliver(value)
        if self.follower.ended:
            self.finish()


async def _follow(
    info: Info, pair_id: str, select: Select, *, replay: bool = False, after: str | None = None
) -> AsyncGenerator[Any, None]:
    """Events from now on, or with `replay` every event after the cursor `after` (all
    when null), each as `select` makes it. Checks come before the first event, so a
    refusal is one `next` with the error, then `complete`. The replay is sent from
    here; then the subscription is handed to the hub (schema/live.py), which it joined
    before reading the log, so nothing committed in between is missed."""
    pair = await _members_pair(info, pair_id)
    since = None
    if replay:
        since = decode_event_cursor(after, pair.pk) if after is not None else 0
    viewer = await info.context.require_viewer()
    other = pair.mentee_id if viewer.pk == pair.mentor_id else pair.mentor_id
    # Someone who blocked the viewer keeps their check-ins from them, in replays too.
    hidden = await access.is_blocked_by(viewer.pk, other)
    listener = PairListener(pair, viewer.pk, info.context, select, hidden, since)
    async for value in live.run(listener):
        yield value


def _milestone(event: PairEventModel, rows: EventRows) -> Milestone | None:
    if event.kind == PairEventKind.MILESTONE_COMPLETED and rows.milestone is not None:
        return Milestone.of(rows.milestone)
    return None


def _check_in(event: PairEventModel, rows: EventRows) -> CheckIn | None:
    if event.kind == PairEventKind.CHECK_IN_POSTED and rows.check_in is not None:
        return CheckIn.of(rows.check_in)
    return None


def _pair(event: PairEventModel, rows: EventRows) -> Pair | None:
    # The milestone that completes a pair already shows it COMPLETED.
    return None if event.kind == PairEventKind.PAIR_COMPLETED else Pair.of(rows.pair)


def _event(event: PairEventModel, rows: EventRows) -> PairEvent:
    return _EVENT_TYPES[event.kind](model=event, rows=rows)


@strawberry.type
class PairSubscriptions:
    @strawberry.subscription(description="Every milestone your pair completes, as it commits.")
    async def milestone_completed(
        self, info: Info, pair_id: PairIdArg
    ) -> AsyncGenerator[Milestone, None]:
        async for value in _follow(info, pair_id, _milestone):
            yield value

    @strawberry.subscription(description="Every check-in posted to your pair, yours included.")
    async def check_in_posted(
        self, info: Info, pair_id: PairIdArg
    ) -> AsyncGenerator[CheckIn, None]:
        async for value in _follow(info, pair_id, _check_in):
            yield value

    @strawberry.subscription(
        description="Your pair after every change: check-in, milestone, end, completion."
    )
    async def pair_updated(self, info: Info, pair_id: PairIdArg) -> AsyncGenerator[Pair, None]:
        async for value in _follow(info, pair_id, _pair):
            yield value

    @strawberry.subscription(
        description="Your pair's events after `after` (all of them when null), replayed "
        "from storage, then live: in order, each exactly once."
    )
    async def pair_events(
        self,
        info: Info,
        pair_id: PairIdArg,
        after: Annotated[
            str | None,
            strawberry.argument(description="The cursor of the last event you received."),
        ] = None,
    ) -> AsyncGenerator[PairEvent, None]:
        async for value in _follow(info, pair_id, _event, replay=True, after=after):
            yield value
