"""Program health for admins: `Program.stats` and `Program.pairsNeedingAttention`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.services import stats as stats_service
from models import Program as ProgramModel
from schema import enums
from schema.common import Info
from schema.permissions import is_group_admin

if TYPE_CHECKING:
    from schema.pairs import Pair

LazyPair = Annotated["Pair", strawberry.lazy("schema.pairs")]


@strawberry.type(description="How many sign-ups have one role and status.")
class SignUpCount:
    role: enums.MentorshipRole = strawberry.field(description="MENTOR or MENTEE.")
    status: enums.SignUpStatus = strawberry.field(description="The sign-ups' status.")
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="A program's health at a glance.")
class ProgramStats:
    sign_ups: list[SignUpCount] = strawberry.field(
        description="Sign-ups by role and status (only combinations that occur)."
    )
    pending_mentees: int = strawberry.field(description="Mentees waiting for a mentor.")
    active_pairs: int = strawberry.field(description="Pairs ACTIVE now.")
    completed_pairs: int = strawberry.field(description="Pairs that COMPLETED.")
    ended_pairs: int = strawberry.field(description="Pairs that ENDED early.")
    milestone_completion_rate: float = strawberry.field(
        description="Milestones done out of all milestones of all pairs (0..1)."
    )
    check_ins_last_7_days: int = strawberry.field(
        description="Check-ins posted in the last 7 days."
    )
    overdue_pairs: int = strawberry.field(
        description="ACTIVE pairs past their weekly check-in (`nextCheckInDue`)."
    )
    median_hours_to_first_check_in: float | None = strawberry.field(
        description="Median hours from pairing to a pair's first check-in; null if none yet."
    )


@strawberry.type(description="An ACTIVE pair that needs an admin's attention, and why.")
class PairAttention:
    pair: LazyPair = strawberry.field(description="The pair.")
    reason: str = strawberry.field(description="Why, for a person to read.")
    overdue: bool = strawberry.field(description="Its weekly check-in is overdue.")
    stalled: bool = strawberry.field(
        description="No milestone done for 3 weeks or more (stalled on the next one)."
    )


async def program_stats(info: Info, program: ProgramModel) -> ProgramStats | None:
    if not await is_group_admin(info, program.group_id):
        return None
    value = await stats_service.program_stats(program)
    return ProgramStats(
        sign_ups=[SignUpCount(role=c.role, status=c.status, count=c.count) for c in value.sign_ups],
        pending_mentees=value.pending_mentees,
        active_pairs=value.active_pairs,
        completed_pairs=value.completed_pairs,
        ended_pairs=value.ended_pairs,
        milestone_completion_rate=value.milestone_completion_rate,
        check_ins_last_7_days=value.check_ins_last_7_days,
        overdue_pairs=value.overdue_pairs,
        median_hours_to_first_check_in=value.median_hours_to_first_check_in,
    )


async def pairs_needing_attention(info: Info, program: ProgramModel) -> list[PairAttention] | None:
    from schema.pairs import Pair

    if not await is_group_admin(info, program.group_id):
        return None
    return [
        PairAttention(pair=Pair.of(a.pair), reason=a.reason, overdue=a.overdue, stalled=a.stalled)
        for a in await stats_service.pairs_needing_attention(program)
    ]
