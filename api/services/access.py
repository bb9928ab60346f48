"""Who may see and do what (docs/client-guide.md, Errors). One place for it.

`find_*` return None for what the viewer cannot see (reads never raise FORBIDDEN);
`visible_*` raise NOT_FOUND instead, for mutations; `require_*` raise FORBIDDEN.

Blocks: a person blocked by someone does not see that person's check-ins or sign-ups
(`find_check_in`, `find_sign_up`, `check_ins_visible_to`), and the two cannot be
paired (`blocked_between`). User fields beyond `id` and `name` are the user's alone
anyway, so a blocked person sees no more of the blocker than anyone else.
"""

from __future__ import annotations

from typing import TypeVar

from tortoise.expressions import Q

from api.errors import Forbidden, NotFound
from models import Block, CheckIn, Group, GroupMembership, Milestone, Pair, Program, SignUp, User
from models.base import FastQuery
from models.enums import GroupRole, ProgramStatus

T = TypeVar("T")


async def role_in_group(user_id: int, group_id: int) -> GroupRole | None:
    rows = await GroupMembership.where_in("group_id", [group_id], user_id=user_id)
    return rows[0].role if rows else None


async def is_blocked_by(viewer_id: int, owner_id: int) -> bool:
    """Has `owner_id` blocked `viewer_id`? Then the viewer does not see the owner's content."""
    if viewer_id == owner_id:
        return False
    return await Block.filter(blocker_id=owner_id, blocked_id=viewer_id).exists()


async def blocked_between(a_id: int, b_id: int) -> bool:
    """Has either of the two blocked the other? Then they cannot be paired."""
    either = Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    return await Block.filter(either).exists()


def check_ins_visible_to(viewer_id: int, pair_id: int) -> FastQuery[CheckIn]:
    """A pair's check-ins as one of its members sees them: without those written by
    someone who blocked the viewer."""
    query = CheckIn.fast_query(pair_id=pair_id)
    return query.exclude_in("author_id", Block, "blocker_id", blocked_id=viewer_id)


def sign_ups_visible_to(viewer_id: int, program_id: int) -> FastQuery[SignUp]:
    """A program's sign-ups as its admin sees them: without those of people who blocked
    the admin (as `find_sign_up`)."""
    query = SignUp.fast_query(program_id=program_id)
    return query.exclude_in("user_id", Block, "blocker_id", blocked_id=viewer_id)


def can_see_program(program: Program, role: GroupRole | None) -> bool:
    if role is None:
        return False
    return role == GroupRole.ADMIN or program.status != ProgramStatus.DRAFT


def is_pair_member(viewer_id: int, pair: Pair) -> bool:
    return viewer_id in (pair.mentor_id, pair.mentee_id)


async def _group_id_of_program(program_id: int) -> int:
    program = await Program.get(pk=program_id).only("id", "group_id")
    return program.group_id


async def find_program(viewer: User, pk: int) -> Program | None:
    program = await Program.by_pk(pk)
    if program is None:
        return None
    role = await role_in_group(viewer.pk, program.group_id)
    return program if can_see_program(program, role) else None


async def find_sign_up(viewer: User, pk: int) -> SignUp | None:
    sign_up = await SignUp.get_or_none(pk=pk)
    if sign_up is None:
        return None
    if sign_up.user_id == viewer.pk:
        return sign_up
    group_id = await _group_id_of_program(sign_up.program_id)
    if await role_in_group(viewer.pk, group_id) != GroupRole.ADMIN:
        return None
    return None if await is_blocked_by(viewer.pk, sign_up.user_id) else sign_up


async def find_pair(viewer: User, pk: int) -> Pair | None:
    pair = await Pair.get_or_none(pk=pk)
    if pair is None:
        return None
    if is_pair_member(viewer.pk, pair):
        return pair
    group_id = await _group_id_of_program(pair.program_id)
    return pair if await role_in_group(viewer.pk, group_id) == GroupRole.ADMIN else None


async def find_milestone(viewer: User, pk: int) -> Milestone | None:
    milestone = await Milestone.get_or_none(pk=pk)
    if milestone is None or await find_pair(viewer, milestone.pair_id) is None:
        return None
    return milestone


async def find_check_in(viewer: User, pk: int) -> CheckIn | None:
    """Check-in bodies are for the two members only; admins see counts and dates."""
    check_in = await CheckIn.get_or_none(pk=pk).select_related("pair")
    if check_in is None or not is_pair_member(viewer.pk, check_in.pair):
        return None
    return None if await is_blocked_by(viewer.pk, check_in.author_id) else check_in


def _found(obj: T | None) -> T:
    if obj is None:
        raise NotFound()
    return obj


async def visible_group(pk: int) -> Group:
    """Any signed-in user sees any group."""
    return _found(await Group.get_or_none(pk=pk))


async def visible_program(viewer: User, pk: int) -> Program:
    return _found(await find_program(viewer, pk))


async def visible_sign_up(viewer: User, pk: int) -> SignUp:
    return _found(await find_sign_up(viewer, pk))


async def visible_pair(viewer: User, pk: int) -> Pair:
    return _found(await find_pair(viewer, pk))


async def visible_milestone(viewer: User, pk: int) -> Milestone:
    return _found(await find_milestone(viewer, pk))


async def visible_user(pk: int) -> User:
    return _found(await User.get_or_none(pk=pk))


async def require_group_admin(viewer: User, group_id: int) -> None:
    if await role_in_group(viewer.pk, group_id) != GroupRole.ADMIN:
        raise Forbidden("Only an admin of the group may do this.")


def require_pair_member(viewer: User, pair: Pair) -> None:
    if not is_pair_member(viewer.pk, pair):
        raise Forbidden("Only the two members of the pair may do this.")
