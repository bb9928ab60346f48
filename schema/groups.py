"""Groups and membership."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.errors import DomainError
from api.services import groups as groups_service
from models import Group as GroupModel
from models import GroupMembership as MembershipModel
from models import Program as ProgramModel
from models.enums import GroupRole as GroupRoleEnum
from models.enums import ProgramStatus as ProgramStatusEnum
from schema import enums
from schema.common import (
    After,
    Before,
    Connection,
    First,
    Info,
    Last,
    Node,
    Payload,
    paginate,
    user_errors,
)
from schema.ids import pk_of, pk_or_none
from schema.permissions import viewer_role
from schema.users import User

if TYPE_CHECKING:
    from schema.programs import Program

LazyProgram = Annotated["Program", strawberry.lazy("schema.programs")]


@strawberry.type(description="A community with admins and members, where programs run.")
class Group(Node):
    @strawberry.field(description="The group's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="What the group is for.")
    def description(self) -> str:
        return self.model.description

    @strawberry.field(description="What the group is about.")
    def category(self) -> enums.GroupCategory:
        return self.model.category

    @strawberry.field(description="Whether mentorship programs can run here (by category).")
    def mentorship_eligible(self) -> bool:
        return self.model.category.mentorship_eligible

    @strawberry.field(description="How many members the group has.")
    def member_count(self) -> int:
        return self.model.member_count

    @strawberry.field(description="Your role here; null if you are not a member.")
    async def viewer_role(self, info: Info) -> enums.GroupRole | None:
        return await viewer_role(info, self.model.pk)

    @strawberry.field(description="Your membership; null if you are not a member.")
    async def viewer_membership(self, info: Info) -> GroupMembership | None:
        if await info.context.viewer() is None:
            return None
        membership = await info.context.loaders.viewer_membership(self.model.pk)
        return GroupMembership.of(membership) if membership else None

    @strawberry.field(description="The members; null unless you are one.")
    async def members(
        self,
        info: Info,
        role: Annotated[
            enums.GroupRole | None, strawberry.argument(description="Only members with this role.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[GroupMembership] | None:
        if await viewer_role(info, self.model.pk) is None:
            return None
        query = MembershipModel.filter(group_id=self.model.pk)
        if role is not None:
            query = query.filter(role=role)
        return await paginate(
            query, GroupMembership.of, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description="The group's programs: members see announced ones, admins drafts too."
    )
    async def programs(
        self,
        info: Info,
        status: Annotated[
            enums.ProgramStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazyProgram]:
        from schema.programs import Program

        role = await viewer_role(info, self.model.pk)
        query = ProgramModel.filter(group_id=self.model.pk)
        if role is None:
            query = query.filter(id__in=[])
        elif role != GroupRoleEnum.ADMIN:
            query = query.exclude(status=ProgramStatusEnum.DRAFT)
        if status is not None:
            query = query.filter(status=status)
        return await paginate(
            query, Program.of, first=first, after=after, last=last, before=before, newest_first=True
        )

    @strawberry.field(description="When the group was created.")
    def created_at(self) -> datetime.datetime:
        return self.model.created_at

    @classmethod
    def of(cls, model: GroupModel) -> Group:
        return cls(model=model)


@strawberry.type(description="A person's membership of a group.")
class GroupMembership(Node):
    @strawberry.field(description="The group.")
    async def group(self, info: Info) -> Group:
        return Group.of(await info.context.loaders.groups.load(self.model.group_id))

    @strawberry.field(description="The member.")
    async def user(self, info: Info) -> User:
        return User.of(await info.context.loaders.users.load(self.model.user_id))

    @strawberry.field(description="The member's role.")
    def role(self) -> enums.GroupRole:
        return self.model.role

    @strawberry.field(description="When they joined.")
    def joined_at(self) -> datetime.datetime:
        return self.model.joined_at

    @classmethod
    def of(cls, model: MembershipModel) -> GroupMembership:
        return cls(model=model)


@strawberry.input(description="A new group; you become its admin.")
class CreateGroupInput:
    name: str = strawberry.field(description="The name (at most 100 characters).")
    category: enums.GroupCategory = strawberry.field(description="What the group is about.")
    description: str | None = strawberry.field(
        default=None, description="What the group is for (at most 5,000 characters)."
    )


@strawberry.type(description="The result of `createGroup`.")
class CreateGroupPayload(Payload):
    group: Group | None = strawberry.field(default=None, description="The new group.")


@strawberry.input(description="The group to join.")
class JoinGroupInput:
    group_id: strawberry.ID = strawberry.field(description="The group's ID.")


@strawberry.type(description="The result of `joinGroup`.")
class JoinGroupPayload(Payload):
    group: Group | None = strawberry.field(default=None, description="The group.")
    membership: GroupMembership | None = strawberry.field(
        default=None, description="Your new membership."
    )


@strawberry.input(description="The group to leave.")
class LeaveGroupInput:
    group_id: strawberry.ID = strawberry.field(description="The group's ID.")


@strawberry.type(description="The result of `leaveGroup`.")
class LeaveGroupPayload(Payload):
    group: Group | None = strawberry.field(default=None, description="The group you left.")


@strawberry.input(description="A member's new role.")
class SetMemberRoleInput:
    group_id: strawberry.ID = strawberry.field(description="The group's ID.")
    user_id: strawberry.ID = strawberry.field(description="The member's user ID.")
    role: enums.GroupRole = strawberry.field(description="The new role.")


@strawberry.type(description="The result of `setMemberRole`.")
class SetMemberRolePayload(Payload):
    membership: GroupMembership | None = strawberry.field(
        default=None, description="The changed membership."
    )


@strawberry.type
class GroupQueries:
    @strawberry.field(description="Every group, to find one to join.")
    async def groups(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        category: Annotated[
            enums.GroupCategory | None, strawberry.argument(description="Only this category.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Only groups whose name contains this.")
        ] = None,
    ) -> Connection[Group]:
        await info.context.require_viewer()
        query = GroupModel.all()
        if category is not None:
            query = query.filter(category=category)
        if search and search.strip():
            query = query.filter(name__icontains=search.strip()[:100])
        return await paginate(query, Group.of, first=first, after=after, last=last, before=before)

    @strawberry.field(description="A group by ID; null if there is none.")
    async def group(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Group | None:
        await info.context.require_viewer()
        pk = pk_or_none(id, "Group")
        model = await info.context.loaders.groups.load(pk) if pk else None
        return Group.of(model) if model else None


@strawberry.type
class GroupMutations:
    @strawberry.mutation(description="Create a group; you become its admin.")
    async def create_group(self, info: Info, input: CreateGroupInput) -> CreateGroupPayload:
        viewer = await info.context.require_viewer()
        try:
            group = await groups_service.create_group(
                viewer, input.name, input.description, input.category
            )
        except DomainError as error:
            return CreateGroupPayload(user_errors=user_errors(error))
        return CreateGroupPayload(group=Group.of(group))

    @strawberry.mutation(description="Join a group as a member.")
    async def join_group(self, info: Info, input: JoinGroupInput) -> JoinGroupPayload:
        viewer = await info.context.require_viewer()
        group_pk = pk_of(input.group_id, "Group")
        try:
            group, membership = await groups_service.join_group(viewer, group_pk)
        except DomainError as error:
            return JoinGroupPayload(user_errors=user_errors(error))
        return JoinGroupPayload(group=Group.of(group), membership=GroupMembership.of(membership))

    @strawberry.mutation(description="Leave a group; your pending sign-ups there are withdrawn.")
    async def leave_group(self, info: Info, input: LeaveGroupInput) -> LeaveGroupPayload:
        viewer = await info.context.require_viewer()
        group_pk = pk_of(input.group_id, "Group")
        try:
            group = await groups_service.leave_group(viewer, group_pk)
        except DomainError as error:
            return LeaveGroupPayload(user_errors=user_errors(error))
        return LeaveGroupPayload(group=Group.of(group))

    @strawberry.mutation(description="Change a member's role (group admins).")
    async def set_member_role(self, info: Info, input: SetMemberRoleInput) -> SetMemberRolePayload:
        viewer = await info.context.require_viewer()
        group_pk = pk_of(input.group_id, "Group")
        user_pk = pk_of(input.user_id, "User")
        try:
            membership = await groups_service.set_member_role(
                viewer, group_pk, user_pk, GroupRoleEnum(input.role.value)
            )
        except DomainError as error:
            return SetMemberRolePayload(user_errors=user_errors(error))
        return SetMemberRolePayload(membership=GroupMembership.of(membership))
