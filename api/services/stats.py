"""Program health for admins: counts, rates, and the pairs that need attention.

Each figure is one aggregate query; nothing loads a row per pair except the attention
list, which reads the active pairs and their milestones in two queries.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.functions import Count, Min, Sum

from api import clock
from api.services.notifications import CHECK_IN_EVERY, due_at, overdue_pairs
from api.words import count, span_words
from models import CheckIn, Milestone, Pair, Program, SignUp
from models.enums import MentorshipRole, PairStatus, SignUpStatus

STALLED_AFTER = timedelta(weeks=3)


@dataclass(frozen=True)
class SignUpCount:
    role: MentorshipRole
    status: SignUpStatus
    count: int


@dataclass(frozen=True)
class ProgramStats:
    sign_ups: list[SignUpCount]
    pending_mentees: int
    active_pairs: int
    completed_pairs: int
    ended_pairs: int
    milestone_completion_rate: float
    check_ins_last_7_days: int
    overdue_pairs: int
    median_hours_to_first_check_in: float | None


async def program_stats(program: Program) -> ProgramStats:
    now = clock.now()
    counts = (
        await SignUp.filter(program_id=program.pk)
        .annotate(count=Count("id"))
        .group_by("role", "status")
        .values_list("role", "status", "count")
    )
    sign_ups = sorted(
        (SignUpCount(MentorshipRole(r), SignUpStatus(s), c) for r, s, c in counts),
        key=lambda x: (x.role.value, x.status.value),
    )
    pairs = dict(
        await Pair.filter(program_id=program.pk)
        .annotate(count=Count("id"))
        .group_by("status")
        .values_list("status", "count")
    )
    totals = (
        await Pair.filter(program_id=program.pk)
        .annotate(done=Sum("completed_milestone_count"), every=Sum("milestone_count"))
        .values("done", "every")
    )
    done = (totals[0]["done"] or 0) if totals else 0
    every = (totals[0]["every"] or 0) if totals else 0
    recent = await CheckIn.filter(
        pair__program_id=program.pk, created_at__gte=now - CHECK_IN_EVERY
    ).count()
    overdue = await overdue_pairs(now).filter(program_id=program.pk).count()
    firsts = (
        await CheckIn.filter(pair__program_id=program.pk)
        .annotate(first=Min("created_at"))
        .group_by("pair_id")
        .values_list("pair_id", "first")
    )
    created = dict(await Pair.filter(pk__in=[p for p, _ in firsts]).values_list("id", "created_at"))
    hours = [
        (_as_datetime(first) - created[pair_id]).total_seconds() / 3600
        for pair_id, first in firsts
        if pair_id in created
    ]
    return ProgramStats(
        sign_ups=sign_ups,
        pending_mentees=sum(
            c.count
            for c in sign_ups
            if c.role == MentorshipRole.MENTEE and c.status == SignUpStatus.PENDING
        ),
        active_pairs=pairs.get(PairStatus.ACTIVE, 0),
        completed_pairs=pairs.get(PairStatus.COMPLETED, 0),
        ended_pairs=pairs.get(PairStatus.ENDED, 0),
        milestone_completion_rate=done / every if every else 0.0,
        check_ins_last_7_days=recent,
        overdue_pairs=overdue,
        median_hours_to_first_check_in=statistics.median(hours) if hours else None,
    )


def _as_datetime(value: datetime | str) -> datetime:
    """Aggregates come back as text on SQLite."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class PairAttention:
    pair: Pair
    reason: str
    overdue: bool
    stalled: bool


async def pairs_needing_attention(program: Program) -> list[PairAttention]:
    """ACTIVE pairs overdue for their weekly check-in, or with no milestone done for three
    weeks or more (stalled on the next one), most overdue first."""
    now = clock.now()
    active = await Pair.filter(program_id=program.pk, status=PairStatus.ACTIVE).order_by("id")
    milestones: dict[int, list[Milestone]] = defaultdict(list)
    for milestone in await Milestone.filter(pair_id__in=[p.pk for p in active]).order_by(
        "position"
    ):
        milestones[milestone.pair_id].append(milestone)
    found = []
    for pair in active:
        reasons = []
        due = due_at(pair)
        late = now > due
        if late:
            reasons.append(f"Weekly check-in overdue by {span_words(now - due)}")
        done = [m.completed_at for m in milestones[pair.pk] if m.completed_at is not None]
        since = max(done, default=pair.created_at)
        waiting = next((m for m in milestones[pair.pk] if m.completed_at is None), None)
        stalled = waiting is not None and now - since >= STALLED_AFTER
        if stalled:
            weeks = (now - since) // timedelta(weeks=1)
            reasons.append(f"Stalled on '{waiting.title}' for {count(weeks, 'week')}")
        if reasons:
            found.append((due, PairAttention(pair, "; ".join(reasons), late, stalled)))
    return [attention for _, attention in sorted(found, key=lambda f: (f[0], f[1].pair.pk))]
