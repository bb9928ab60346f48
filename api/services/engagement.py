"""Engagement signals of a sign-up, derived from our own data (tenure, earlier pairs,
check-in regularity, milestones), for admins and for matching.

Computed in two queries for any number of sign-ups: memberships, then pairs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from api import clock, words
from models import GroupMembership, Pair, SignUp
from models.enums import PairStatus

_WEEK = timedelta(days=7)
TENURE_FULL_DAYS = 180  # tenure counts fully after about six months
MILESTONES_FULL = 10  # ten milestones done counts fully


@dataclass(frozen=True)
class Engagement:
    tenure_days: int
    pairs_completed: int
    pairs_ended: int
    check_in_regularity: float | None  # check-ins per week in earlier pairs, capped at 1
    milestones_completed: int
    score: float  # 0..1, the mean of the four signals above


def _score(
    tenure_days: int, completed: int, ended: int, regularity: float | None, milestones: int
) -> float:
    """Each signal in 0..1, averaged. Unknown history counts as middling, not as bad."""
    tenure = min(tenure_days / TENURE_FULL_DAYS, 1.0)
    track = (completed + 1) / (completed + ended + 2)  # Laplace: no history gives 0.5
    regular = 0.5 if regularity is None else regularity
    done = min(milestones / MILESTONES_FULL, 1.0)
    return (tenure + track + regular + done) / 4


async def engagement_of(sign_ups: Sequence[SignUp], group_id: int) -> dict[int, Engagement]:
    """Engagement per sign-up pk, for sign-ups of one group's programs."""
    user_ids = sorted({s.user_id for s in sign_ups})
    if not user_ids:
        return {}
    now = clock.now()
    joined: dict[int, datetime] = dict(
        await GroupMembership.filter(group_id=group_id, user_id__in=user_ids).values_list(
            "user_id", "joined_at"
        )
    )
    rows = await Pair.filter(Q(mentor_id__in=user_ids) | Q(mentee_id__in=user_ids)).values_list(
        "mentor_id",
        "mentee_id",
        "status",
        "created_at",
        "completed_at",
        "ended_at",
        "check_in_count",
        "completed_milestone_count",
    )
    per_user: dict[int, list[tuple]] = defaultdict(list)
    wanted = set(user_ids)
    for row in rows:
        for user_id in {row[0], row[1]} & wanted:
            per_user[user_id].append(row)

    result: dict[int, Engagement] = {}
    for sign_up in sign_ups:
        since = joined.get(sign_up.user_id)
        tenure = max((now - since).days, 0) if since else 0
        completed = ended = milestones = check_ins = 0
        weeks = 0.0
        for _, _, status, created, completed_at, ended_at, count, done in per_user[sign_up.user_id]:
            milestones += done
            if status == PairStatus.ACTIVE:
                continue
            completed += status == PairStatus.COMPLETED
            ended += status == PairStatus.ENDED
            finished = completed_at or ended_at or now
            weeks += max(math.ceil((finished - created) / _WEEK), 1)
            check_ins += count
        regularity = min(check_ins / weeks, 1.0) if weeks else None
        result[sign_up.pk] = Engagement(
            tenure_days=tenure,
            pairs_completed=completed,
            pairs_ended=ended,
            check_in_regularity=regularity,
            milestones_completed=milestones,
            score=_score(tenure, completed, ended, regularity, milestones),
        )
    return result


def describe(engagement: Engagement) -> str:
    """One line for a person: what the score is made of."""
    parts = [
        f"member for {words.count(engagement.tenure_days, 'day')}",
        f"{words.count(engagement.pairs_completed, 'mentorship')} completed, "
        f"{engagement.pairs_ended} ended",
    ]
    if engagement.check_in_regularity is not None:
        parts.append(f"checked in {engagement.check_in_regularity:.0%} of weeks")
    parts.append(f"{words.count(engagement.milestones_completed, 'milestone')} done")
    return f"Engagement {engagement.score:.2f}: " + ", ".join(parts)
