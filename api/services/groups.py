"""Groups, membership and roles."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from api.clock import now
from api.errors import DomainError, require
from api.services import access
from api.services.transactions import in_transaction
from api.validation import NAME_MAX, TEXT_MAX, FormatChecker
from models import Group, GroupMembership, Program, SignUp, User
from models.enums import GroupCategory, GroupRole, SignUpStatus

_NOT_MEMBER = "Not a member of this group."
_LAST_ADMIN = "A group needs at least one admin: make someone else an admin first."


async def create_group(
    viewer: User, name: str, description: str | None, category: GroupCategory
) -> Group:
    check = FormatChecker()
    name = check.text(name, ["name"], NAME_MAX)
    description = check.text(description or "", ["description"], TEXT_MAX, required=False)
    check.done()
    async with in_transaction():
        group = await Group.create(
            name=name, description=description, category=category, member_count=1
        )
        await GroupMembership.create(group=group, user=viewer, role=GroupRole.ADMIN)
    return group


async def join_group(viewer: User, group_pk: int) -> tuple[Group, GroupMembership]:
    group = await access.visible_group(group_pk)
    already = "You are already a member of this group."
    require(
        not await GroupMembership.filter(group_id=group.pk, user_id=viewer.pk).exists(),
        "ALREADY_GROUP_MEMBER",
        already,
        ["groupId"],
    )
    try:
        async with in_transaction():
            membership = await GroupMembership.create(group=group, user=viewer)
            await Group.filter(pk=group.pk).update(member_count=F("member_count") + 1)
    except IntegrityError:
        raise DomainError.one("ALREADY_GROUP_MEMBER", already, ["groupId"]) from None
    await group.refresh_from_db()
    return group, membership


async def _admin_count(group_pk: int) -> int:
    return await GroupMembership.filter(group_id=group_pk, role=GroupRole.ADMIN).count()


async def _lock_group(group_pk: int) -> None:
    """Serialise role changes in one group, so two admins can't both step down."""
    await Group.filter(pk=group_pk).select_for_update().first()


async def leave_group(viewer: User, group_pk: int) -> Group:
    """Leave; pending sign-ups in the group's programs are withdrawn, pairs go on."""
    group = await access.visible_group(group_pk)
    async with in_transaction():
        await _lock_group(group.pk)
        membership = await GroupMembership.get_or_none(group_id=group.pk, user_id=viewer.pk)
        require(membership is not None, "NOT_GROUP_MEMBER", _NOT_MEMBER, ["groupId"])
        assert membership is not None
        require(
            membership.role != GroupRole.ADMIN or await _admin_count(group.pk) > 1,
            "LAST_ADMIN",
            _LAST_ADMIN,
            ["groupId"],
        )
        await membership.delete()
        await Group.filter(pk=group.pk).update(member_count=F("member_count") - 1)
        program_ids = await Program.filter(group_id=group.pk).values_list("id", flat=True)
        await SignUp.filter(
            user_id=viewer.pk, program_id__in=program_ids, status=SignUpStatus.PENDING, live=True
        ).update(status=SignUpStatus.WITHDRAWN, live=None, withdrawn_at=now())
    await group.refresh_from_db()
    return group


async def set_member_role(
    viewer: User, group_pk: int, user_pk: int, role: GroupRole
) -> GroupMembership:
    group = await access.visible_group(group_pk)
    await access.require_group_admin(viewer, group.pk)
    await access.visible_user(user_pk)
    async with in_transaction():
        await _lock_group(group.pk)
        membership = await GroupMembership.get_or_none(group_id=group.pk, user_id=user_pk)
        require(membership is not None, "NOT_GROUP_MEMBER", _NOT_MEMBER, ["userId"])
        assert membership is not None
        demoting_admin = membership.role == GroupRole.ADMIN and role != GroupRole.ADMIN
        require(
            not demoting_admin or await _admin_count(group.pk) > 1,
            "LAST_ADMIN",
            _LAST_ADMIN,
            ["role"],
        )
        membership.role = role
        await membership.save(update_fields=["role"])
    return membership
