"""The rows an event's subscribers resolve, loaded once per event in this process.

Every subscriber of a pair receives each of its events. Strawberry executes each
subscription's selection on its own (it cannot share one execution between
operations), so the sharing happens one level down: the first subscriber to handle an
event loads the pair, the milestone or check-in and the people involved, and every
other subscriber in this process awaits the same load. Each subscriber's fresh
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

    def prime(self, loaders: Loaders) -> None:
        loaders.pairs.prime(self.pair.pk, self.pair)
        for pk, user in self.users.items():
            loaders.users.prime(pk, user)


# Keyed by loop, so a cached load never crosses event loops (each test app has its own).
_loads: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, OrderedDict[int, asyncio.Future[EventRows]]
] = weakref.WeakKeyDictionary()


async def rows_of(event: PairEvent) -> EventRows:
    """The rows of `event`, loaded by the first caller in this process, shared with the rest."""
    loads = _loads.setdefault(asyncio.get_running_loop(), OrderedDict())
    pending = loads.get(event.pk)
    if pending is None:
        pending = asyncio.ensure_future(_load(event))
        loads[event.pk] = pending
        # A failed load is not kept: the next subscriber tries again.
        pending.add_done_callback(
            lambda done, key=event.pk: (
                loads.pop(key, None) if done.cancelled() or done.exception() else None
            )
        )
        while len(loads) > _KEEP:
            loads.popitem(last=False)
    # One subscriber going away must not cancel the load the others wait on.
    return await asyncio.shield(pending)


async def _load(event: PairEvent) -> EventRows:
    pair = await Pair.get(pk=event.pair_id)
    milestone = check_in = None
    people = {pair.mentor_id, pair.mentee_id}
    if event.milestone_id is not None:
        milestone = await Milestone.get_or_none(pk=event.milestone_id)
        if milestone is not None and milestone.completed_by_id is not None:
            people.add(milestone.completed_by_id)
    if event.check_in_id is not None:
        check_in = await CheckIn.get_or_none(pk=event.check_in_id)
        if check_in is not None:
            people.add(check_in.author_id)
    users = {user.pk: user for user in await User.filter(pk__in=people)}
    return EventRows(pair=pair, milestone=milestone, check_in=check_in, users=users)
