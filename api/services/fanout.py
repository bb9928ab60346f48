"""The rows an event's subscribers resolve, loaded once per event in this process.

Every subscriber of a pair receives each of its events (through the hub, api/hub.py).
The first subscriber to handle an event loads the pair, the milestone or check-in and
the people involved, or completes what the publisher handed over (`remember`), and
every other subscriber in this process uses the same rows. Each subscriber's fresh
DataLoaders are primed with those rows, so resolving the usual selections costs no
further query. Statements per event are constant in the number of subscribers.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from api.dataloaders import Loaders
from models import CheckIn, Milestone, Pair, PairEvent, User

_KEEP = 256  # recent events per loop: an event's subscribers all ask within moments


@dataclass(frozen=True)
class EventRows:
    """The event's rows as they were when the first subscriber looked."""

    pair: Pair
    milestone: Milestone | None = None
    check_in: CheckIn | None = None
    users: dict[int, User] = field(default_factory=dict)
    # Each distinct selection's result for this event, shared by its subscribers in this
    # process (schema/sharing.py).
    results: dict = field(default_factory=dict)

    def prime(self, loaders: Loaders) -> None:
        loaders.pairs.prime(self.pair.pk, self.pair)
        for pk, user in self.users.items():
            loaders.users.prime(pk, user)


# An event's rows: as the publisher gave them, or their load (shared by subscribers).
_Entry = EventRows | asyncio.Future[EventRows]
# Keyed by loop, so a cached load never crosses event loops (each test app has its own).
_loads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OrderedDict[int, _Entry]] = (
    weakref.WeakKeyDictionary()
)


def remember(
    event: PairEvent,
    *,
    pair: Pair,
    milestone: Milestone | None = None,
    check_in: CheckIn | None = None,
    users: tuple[User, ...] = (),
) -> None:
    """The process that made the change already holds its rows: keep them for this
    process's subscribers (call after commit, before publishing). The people not given
    are loaded by the first subscriber that asks, once; with none, nothing is loaded."""
    _loads.setdefault(asyncio.get_running_loop(), OrderedDict())
    people = {user.pk: user for user in users}
    _keep(event.pk, EventRows(pair=pair, milestone=milestone, check_in=check_in, users=people))


async def rows_of(event: PairEvent) -> EventRows:
    """The rows of `event`, loaded by the first caller in this process, shared with the rest."""
    loads = _loads.setdefault(asyncio.get_running_loop(), OrderedDict())
    entry = loads.get(event.pk)
    if entry is None:
        entry = _keep(event.pk, asyncio.ensure_future(_load(event)))
    elif isinstance(entry, EventRows):  # remembered by the publisher: complete it once
        entry = _keep(event.pk, asyncio.ensure_future(_with_people(entry)))
    # One subscriber going away must not cancel the load the others wait on.
    return await asyncio.shield(entry)


def _keep(event_pk: int, entry: _Entry) -> _Entry:
    loads = _loads[asyncio.get_running_loop()]
    loads[event_pk] = entry
    loads.move_to_end(event_pk)
    if isinstance(entry, asyncio.Future):
        # A failed load is not kept: the next subscriber tries again.
        entry.add_done_callback(
            lambda done: (
                loads.pop(event_pk, None)
                if (done.cancelled() or done.exception()) and loads.get(event_pk) is done
                else None
            )
        )
    while len(loads) > _KEEP:
        loads.popitem(last=False)
    return entry


async def _load(event: PairEvent) -> EventRows:
    pair = await Pair.get(pk=event.pair_id)
    milestone = check_in = None
    if event.milestone_id is not None:
        milestone = await Milestone.get_or_none(pk=event.milestone_id)
    if event.check_in_id is not None:
        check_in = await CheckIn.get_or_none(pk=event.check_in_id)
    return await _with_people(EventRows(pair=pair, milestone=milestone, check_in=check_in))


async def _with_people(rows: EventRows) -> EventRows:
    """The pair's two members and whoever did it, in `rows.users`."""
    people = {rows.pair.mentor_id, rows.pair.mentee_id}
    if rows.milestone is not None and rows.milestone.completed_by_id is not None:
        people.add(rows.milestone.completed_by_id)
    if rows.check_in is not None:
        people.add(rows.check_in.author_id)
    if missing := people - rows.users.keys():
        rows.users.update({user.pk: user for user in await User.filter(pk__in=missing)})
    return rows
