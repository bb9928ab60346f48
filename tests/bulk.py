"""Many rows fast, straight through the ORM: what hundreds of API calls would build.

For tests about scale (statement counts at 10 and 500 items). The rows are the ones the
services write (sign-ups with answers, pairs with milestones copied from the program's
steps, slots taken), so the API reads them like any others.
"""

from __future__ import annotations

import itertools
from datetime import date

from api.clock import now
from api.services.pairs import milestones_from
from models import (
    Answer,
    Group,
    GroupMembership,
    Milestone,
    Pair,
    Program,
    ProgramStep,
    SignUp,
    SignUpQuestion,
    User,
)
from models.enums import GroupRole, MentorshipRole, PairStatus, SignUpStatus

_serial = itertools.count(1)


async def _mentees(program: Program, count: int) -> list[SignUp]:
    """`count` new adult members of the program's group, signed up as mentees with an
    answer to every mentee question."""
    questions = [
        q
        for q in await SignUpQuestion.filter(program_id=program.pk)
        if MentorshipRole.MENTEE.value in q.applies_to
    ]
    batch = next(_serial)
    await User.bulk_create(
        User(
            email=f"bulk{batch}-{n}@example.com",
            name=f"Bulk mentee {batch}-{n}",
            password_hash="!",  # no password: these accounts never sign in
            birth_date=date(1990, 1, 1),
        )
        for n in range(count)
    )
    users = await User.filter(email__startswith=f"bulk{batch}-").order_by("id")
    await GroupMembership.bulk_create(
        GroupMembership(group_id=program.group_id, user_id=u.pk, role=GroupRole.MEMBER)
        for u in users
    )
    group = await Group.get(pk=program.group_id)
    await Group.filter(pk=group.pk).update(member_count=group.member_count + count)
    await SignUp.bulk_create(
        SignUp(
            program_id=program.pk,
            user_id=u.pk,
            role=MentorshipRole.MENTEE,
            status=SignUpStatus.MATCHED,
            capacity=1,
            slots_used=1,
            active_pair_count=1,
        )
        for u in users
    )
    sign_ups = await SignUp.filter(
        program_id=program.pk, user_id__in=[u.pk for u in users]
    ).order_by("id")
    await Answer.bulk_create(
        Answer(sign_up_id=s.pk, question_id=q.pk, value=f"Answer {q.position} of {s.pk}.")
        for s in sign_ups
        for q in questions
    )
    return sign_ups


async def mentees_paired_to(mentor_sign_up_pk: int, count: int) -> list[int]:
    """`count` new mentees, each paired with the mentor; the first milestone of every
    pair is completed by its mentee. Returns the pair pks."""
    mentor = await SignUp.get(pk=mentor_sign_up_pk)
    program = await Program.get(pk=mentor.program_id)
    steps = await ProgramStep.filter(program_id=program.pk).order_by("position")
    sign_ups = await _mentees(program, count)
    await Pair.bulk_create(
        Pair(
            program_id=program.pk,
            mentor_sign_up_id=mentor.pk,
            mentee_sign_up_id=s.pk,
            mentor_id=mentor.user_id,
            mentee_id=s.user_id,
            status=PairStatus.ACTIVE,
            milestone_count=len(steps),
            completed_milestone_count=1,
        )
        for s in sign_ups
    )
    pairs = await Pair.filter(mentee_sign_up_id__in=[s.pk for s in sign_ups]).order_by("id")
    done_at = now()
    milestones = [m for p in pairs for m in milestones_from(p.pk, steps)]
    for milestone, pair in zip(milestones[:: len(steps)], pairs, strict=True):
        milestone.completed_at, milestone.completed_by_id = done_at, pair.mentee_id
    await Milestone.bulk_create(milestones)
    taken = mentor.slots_used + count
    await SignUp.filter(pk=mentor.pk).update(
        capacity=max(mentor.capacity, taken),
        slots_used=taken,
        active_pair_count=mentor.active_pair_count + count,
        status=SignUpStatus.MATCHED,
    )
    return [p.pk for p in pairs]
