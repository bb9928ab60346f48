"""Pairs: made by an admin, working through milestones, checking in, ending.

Capacity is counted in `SignUp.slots_used` and changed only by conditional updates,
inside the pairing transaction, and the database checks it stays within capacity:
racing pairings cannot overbook a mentor or pair a mentee twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import F, Q

from api.clock import now
from api.errors import BadUserInput, DomainError, NotFound, Problem, require
from api.services import access, events, fanout, flood, notifications, sql
from api.services.transactions import in_transaction
from api.validation import CHECK_IN_MAX, LIST_MAX, REASON_MAX, FormatChecker
from models import CheckIn, Milestone, Notification, Pair, PairEvent, ProgramStep, SignUp, User
from models.enums import MentorshipRole, NotificationKind, PairEventKind, PairStatus, SignUpStatus

_NOT_ACTIVE = "This pair is no longer active."
_BLOCKED = "These two people cannot be paired: one of them has blocked the other."
_PAIRED = "This mentee already has a mentor in this program."
_FULL = "This mentor has no room for another mentee."


async def _refresh_sign_up_status(sign_up_pk: int) -> None:
    """MATCHED while every slot is held, PENDING otherwise; withdrawn stays withdrawn."""
    record = await SignUp.get(pk=sign_up_pk)
    if record.status == SignUpStatus.WITHDRAWN:
        return
    status = SignUpStatus.MATCHED if record.slots_used >= record.capacity else SignUpStatus.PENDING
    if status != record.status:
        await SignUp.filter(pk=sign_up_pk).update(status=status)


async def _take_slot(sign_up_pk: int) -> bool:
    taken = await SignUp.filter(pk=sign_up_pk, live=True, slots_used__lt=F("capacity")).update(
        slots_used=F("slots_used") + 1, active_pair_count=F("active_pair_count") + 1
    )
    return taken == 1


async def _checked_couple(viewer: User, mentor_pk: int, mentee_pk: int) -> tuple[SignUp, SignUp]:
    """Visibility, permission and every rule that can be read before the transaction."""
    mentor = await access.visible_sign_up(viewer, mentor_pk)
    mentee = await access.visible_sign_up(viewer, mentee_pk)
    program = await mentor.program
    await access.require_group_admin(viewer, program.group_id)
    if mentee.program_id != mentor.program_id:
        mentee_program = await mentee.program
        await access.require_group_admin(viewer, mentee_program.group_id)

    require(
        mentor.role == MentorshipRole.MENTOR and mentee.role == MentorshipRole.MENTEE,
        "WRONG_ROLE",
        "Pair a MENTOR sign-up with a MENTEE sign-up.",
    )
    require(
        mentor.program_id == mentee.program_id,
        "DIFFERENT_PROGRAMS",
        "Both sign-ups must belong to the same program.",
    )
    require(mentor.user_id != mentee.user_id, "SAME_PERSON", "Nobody can mentor themselves.")
    require(not await access.blocked_between(mentor.user_id, mentee.user_id), "BLOCKED", _BLOCKED)
    for field, record in (("mentorSignUpId", mentor), ("menteeSignUpId", mentee)):
        require(
            record.status != SignUpStatus.WITHDRAWN,
            "SIGN_UP_WITHDRAWN",
            "This sign-up was withdrawn.",
            [field],
        )
    require(
        mentee.slots_used < mentee.capacity, "MENTEE_ALREADY_PAIRED", _PAIRED, ["menteeSignUpId"]
    )
    require(mentor.slots_used < mentor.capacity, "MENTOR_AT_CAPACITY", _FULL, ["mentorSignUpId"])
    return mentor, mentee


async def _insert_pair(
    mentor: SignUp, mentee: SignUp, steps: list[ProgramStep]
) -> tuple[Pair, list[Notification]]:
    """Inside the caller's transaction, with both users locked (`lock_users`)."""
    blocked = await access.blocked_between(mentor.user_id, mentee.user_id)
    require(not blocked, "BLOCKED", _BLOCKED)
    # The checks before the transaction read; these conditional updates decide.
    require(await _take_slot(mentee.pk), "MENTEE_ALREADY_PAIRED", _PAIRED, ["menteeSignUpId"])
    require(await _take_slot(mentor.pk), "MENTOR_AT_CAPACITY", _FULL, ["mentorSignUpId"])
    pair = await Pair.create(
        program_id=mentor.program_id,
        mentor_sign_up_id=mentor.pk,
        mentee_sign_up_id=mentee.pk,
        mentor_id=mentor.user_id,
        mentee_id=mentee.user_id,
        milestone_count=len(steps),
    )
    await Milestone.bulk_create(milestones_from(pair.pk, steps))
    await _refresh_sign_up_status(mentor.pk)
    await _refresh_sign_up_status(mentee.pk)
    return pair, await notifications.notify_pair(pair, NotificationKind.PAIRED)


async def create_pair(
    viewer: User, mentor_sign_up_pk: int, mentee_sign_up_pk: int
) -> tuple[Pair, SignUp, SignUp]:
    mentor, mentee = await _checked_couple(viewer, mentor_sign_up_pk, mentee_sign_up_pk)
    steps = await ProgramStep.filter(program_id=mentor.program_id).order_by("position")
    async with in_transaction():
        # A block or an account deletion of either person is serialised with this.
        await lock_users(mentor.user_id, mentee.user_id)
        pair, notes = await _insert_pair(mentor, mentee, steps)
    await notifications.publish(notes)
    await mentor.refresh_from_db()
    await mentee.refresh_from_db()
    return pair, mentor, mentee


def _at_index(error: DomainError, index: int) -> DomainError:
    """The same problems, with `field` under ["pairs", "<index>"]."""
    return DomainError(
        [
            Problem(p.code, p.message, ("pairs", str(index), *(p.field or ())))
            for p in error.problems
        ]
    )


async def create_pairs(
    viewer: User, couples: Sequence[tuple[int, int]]
) -> tuple[list[Pair], list[SignUp]]:
    """Apply a reviewed assignment: every pair, or none. The rules are `createPair`'s,
    checked in list order; the first refusal names its pair's index and nothing is
    written. Returns the pairs and the sign-ups they changed."""
    if not couples:
        raise BadUserInput("Give at least one pair.")
    if len(couples) > LIST_MAX:
        raise BadUserInput(f"At most {LIST_MAX} pairs.")
    checked = []
    for index, (mentor_pk, mentee_pk) in enumerate(couples):
        try:
            checked.append(await _checked_couple(viewer, mentor_pk, mentee_pk))
        except DomainError as error:
            raise _at_index(error, index) from None
    steps: dict[int, list[ProgramStep]] = {}
    for program_pk in sorted({mentor.program_id for mentor, _ in checked}):
        steps[program_pk] = await ProgramStep.filter(program_id=program_pk).order_by("position")
    made: list[Pair] = []
    notes: list[Notification] = []
    async with in_transaction():
        await lock_users(*(s.user_id for couple in checked for s in couple))
        for index, (mentor, mentee) in enumerate(checked):
            try:
                pair, written = await _insert_pair(mentor, mentee, steps[mentor.program_id])
            except DomainError as error:
                raise _at_index(error, index) from None  # rolls every pair back
            made.append(pair)
            notes.extend(written)
    await notifications.publish(notes)
    sign_up_pks = list(
        dict.fromkeys(pk for p in made for pk in (p.mentor_sign_up_id, p.mentee_sign_up_id))
    )
    rows = {s.pk: s for s in await SignUp.filter(pk__in=sign_up_pks)}
    return made, [rows[pk] for pk in sign_up_pks]


def milestones_from(pair_pk: int, steps: Sequence[ProgramStep]) -> list[Milestone]:
    """A new pair's timeline: the program's steps copied, not referenced, so a later change
    to the program never alters the pair."""
    return [
        Milestone(
            pair_id=pair_pk,
            position=step.position,
            kind=step.kind,
            title=step.title,
            description=step.description,
            suggested_week=step.suggested_week,
        )
        for step in steps
    ]


async def lock_users(*user_pks: int) -> None:
    """Serialise pairing, blocking and account deletion for these people (row locks on
    PostgreSQL, taken in id order so that no two callers deadlock; SQLite writes one
    at a time). Take them first in the transaction."""
    await User.filter(pk__in=sorted(set(user_pks))).order_by("id").select_for_update()


async def _lock_pair(pair_pk: int) -> Pair:
    """Serialise changes to one pair (row lock on PostgreSQL; SQLite writes one at a time)."""
    return await Pair.filter(pk=pair_pk).select_for_update().get()


async def _release_slots(pair: Pair, *, mentee_keeps_slot: bool) -> None:
    """A pair stopped being ACTIVE: free the mentor's slot, and the mentee's unless the
    pair completed (a mentee stays MATCHED with a COMPLETED pair)."""
    released = {"slots_used": F("slots_used") - 1, "active_pair_count": F("active_pair_count") - 1}
    await SignUp.filter(pk=pair.mentor_sign_up_id).update(**released)
    if mentee_keeps_slot:
        released.pop("slots_used")
    await SignUp.filter(pk=pair.mentee_sign_up_id).update(**released)
    await _refresh_sign_up_status(pair.mentor_sign_up_id)
    await _refresh_sign_up_status(pair.mentee_sign_up_id)


async def complete_milestone(viewer: User, milestone_pk: int) -> tuple[Milestone, Pair]:
    milestone = await access.visible_milestone(viewer, milestone_pk)
    async with in_transaction():
        pair = await _lock_pair(milestone.pair_id)
        access.require_pair_member(viewer, pair)
        require(pair.status == PairStatus.ACTIVE, "PAIR_NOT_ACTIVE", _NOT_ACTIVE, ["milestoneId"])
        changed = await Milestone.filter(pk=milestone.pk, completed_at=None).update(
            completed_at=now(), completed_by_id=viewer.pk
        )
        require(
            changed == 1, "ALREADY_COMPLETED", "This milestone is already done.", ["milestoneId"]
        )
        pair.completed_milestone_count += 1
        recorded = [
            await events.record(pair, PairEventKind.MILESTONE_COMPLETED, milestone_id=milestone.pk)
        ]
        notes: list[Notification] = []
        if pair.completed_milestone_count >= pair.milestone_count:
            pair.status = PairStatus.COMPLETED
            pair.completed_at = now()
            await _release_slots(pair, mentee_keeps_slot=True)
            recorded.append(await events.record(pair, PairEventKind.PAIR_COMPLETED))
            notes = await notifications.notify_pair(pair, NotificationKind.PAIR_COMPLETED)
        await pair.save(
            update_fields=["completed_milestone_count", "status", "completed_at", "event_count"]
        )
    await events.publish(recorded)
    await notifications.publish(notes)
    await milestone.refresh_from_db()
    return milestone, pair


class _NotAMember(Exception):
    """The pair is missing or not the viewer's: `post_check_in` works out which."""


_PAIR_LOCKED_SQL = 'SELECT * FROM "pairs" WHERE "id" = {} {lock}'
_INSERT_CHECK_IN_SQL = (
    'INSERT INTO "check_ins" ("pair_id", "author_id", "body", "created_at") '
    'VALUES ({}, {}, {}, {}) RETURNING "id"'
)
_USER_SQL = 'SELECT * FROM "users" WHERE "id" = {}'
_UPDATE_PAIR_SQL = (
    'UPDATE "pairs" SET "check_in_count" = {}, "last_check_in_at" = {}, "event_count" = {} '
    'WHERE "id" = {}'
)


def _check_in_script(
    viewer_pk: int, pair_pk: int, body: str, format_error: DomainError | None, flood_limit: int
) -> sql.Script[tuple[CheckIn, Pair, PairEvent, User | None]]:
    """postCheckIn's transaction: six statements, the checks in the usual order between
    them. The pair is read once, locked; the flood count is taken under that lock. The
    other member's row comes last, in the same hop: every subscriber of the event in
    this process resolves it (fanout.remember), so no subscriber queries it."""
    rows = yield sql.Statement(_PAIR_LOCKED_SQL, (pair_pk,))
    pair = Pair._init_from_db(**rows[0]) if rows else None
    if pair is None or not access.is_pair_member(viewer_pk, pair):
        raise _NotAMember
    if format_error is not None:
        raise format_error
    require(pair.status == PairStatus.ACTIVE, "PAIR_NOT_ACTIVE", _NOT_ACTIVE, ["pairId"])
    yield from flood.check_in_allowed(viewer_pk, pair.pk, flood_limit)
    created_at = now()
    rows = yield sql.Statement(_INSERT_CHECK_IN_SQL, (pair.pk, viewer_pk, body, created_at))
    check_in = CheckIn(pair_id=pair.pk, author_id=viewer_pk, body=body, created_at=created_at)
    check_in.pk = rows[0]["id"]
    check_in._saved_in_db = True
    pair.check_in_count += 1
    pair.last_check_in_at = created_at
    event = events.next_event(pair, PairEventKind.CHECK_IN_POSTED, check_in_id=check_in.pk)
    yield from events.insert(event)
    yield sql.Statement(
        _UPDATE_PAIR_SQL, (pair.check_in_count, created_at, pair.event_count, pair.pk)
    )
    other_pk = pair.mentee_id if viewer_pk == pair.mentor_id else pair.mentor_id
    rows = yield sql.Statement(_USER_SQL, (other_pk,))
    other = User._init_from_db(**rows[0]) if rows else None
    return check_in, pair, event, other


async def post_check_in(viewer: User, pair_pk: int, body: str) -> tuple[CheckIn, Pair]:
    """One transaction in one hop on SQLite (api/services/sql.py): the busiest write."""
    check = FormatChecker()
    text = check.text(body, ["body"], CHECK_IN_MAX)
    try:
        check.done()
        format_error = None
    except DomainError as error:  # raised in order, after the membership check
        format_error = error
    limit = flood.current_limit()
    try:
        check_in, pair, event, other = await sql.run(
            lambda: _check_in_script(viewer.pk, pair_pk, text or "", format_error, limit)
        )
    except _NotAMember:
        # NOT_FOUND, or FORBIDDEN for a group admin, who sees the pair.
        access.require_pair_member(viewer, await access.visible_pair(viewer, pair_pk))
        raise NotFound() from None  # not reached: a member passes the script's check
    people = (viewer,) if other is None else (viewer, other)
    fanout.remember(event, pair=pair, check_in=check_in, users=people)
    await events.publish([event])
    return check_in, pair


async def end_pair(viewer: User, pair_pk: int, reason: str | None) -> tuple[Pair, SignUp, SignUp]:
    """A member or a group admin ends a pair early; both sign-ups free their slots."""
    pair = await access.visible_pair(viewer, pair_pk)  # its members and group admins only
    check = FormatChecker()
    reason = check.text(reason, ["reason"], REASON_MAX, required=False) or None
    check.done()
    async with in_transaction():
        pair = await _lock_pair(pair.pk)
        require(pair.status == PairStatus.ACTIVE, "PAIR_NOT_ACTIVE", _NOT_ACTIVE, ["pairId"])
        event, notes = await _end_locked_notified(pair, viewer.pk, reason)
    await events.publish([event])
    await notifications.publish(notes)
    mentor = await SignUp.get(pk=pair.mentor_sign_up_id)
    mentee = await SignUp.get(pk=pair.mentee_sign_up_id)
    return pair, mentor, mentee


async def _end_locked_notified(
    pair: Pair, ended_by_pk: int, reason: str | None
) -> tuple[PairEvent, list[Notification]]:
    """End an ACTIVE pair whose row the caller locked, in the caller's transaction:
    free both sign-ups' slots, record PAIR_ENDED and store both members' PAIR_ENDED
    notifications; the caller publishes the two after commit."""
    pair.status = PairStatus.ENDED
    pair.ended_at = now()
    pair.ended_by_id = ended_by_pk
    pair.end_reason = reason
    event = await events.record(pair, PairEventKind.PAIR_ENDED, reason=reason)
    fields = ["status", "ended_at", "ended_by_id", "end_reason", "event_count"]
    await pair.save(update_fields=fields)
    await _release_slots(pair, mentee_keeps_slot=False)
    return event, await notifications.notify_pair(pair, NotificationKind.PAIR_ENDED)


@dataclass
class Endings:
    """Pairs ended inside a transaction: what to publish once it commits."""

    events: list[PairEvent] = dataclasses.field(default_factory=list)
    notifications: list[Notification] = dataclasses.field(default_factory=list)

    @property
    def pair_pks(self) -> list[int]:
        return [event.pair_id for event in self.events]

    async def publish(self) -> None:
        """After commit: each pair's PAIR_ENDED event, then both members' notifications."""
        await events.publish(self.events)
        await notifications.publish(self.notifications)


async def end_active_pairs(
    user_pk: int, *, ended_by_pk: int, reason: str | None, other_pk: int | None = None
) -> Endings:
    """End every ACTIVE pair of `user_pk` (only those shared with `other_pk`, if given),
    exactly as `end_pair` does. Call inside a transaction and publish the result after
    it commits. Pairs are locked in id order, so concurrent callers cannot deadlock on
    each other."""
    mine = Q(mentor_id=user_pk) | Q(mentee_id=user_pk)
    query = Pair.filter(mine, status=PairStatus.ACTIVE)
    if other_pk is not None:
        query = query.filter(Q(mentor_id=other_pk) | Q(mentee_id=other_pk))
    endings = Endings()
    for pair_pk in await query.order_by("id").values_list("id", flat=True):
        pair = await _lock_pair(pair_pk)
        if pair.status == PairStatus.ACTIVE:  # not ended or completed meanwhile
            event, notes = await _end_locked_notified(pair, ended_by_pk, reason)
            endings.events.append(event)
            endings.notifications.extend(notes)
    return endings
