"""`node`, `nodes` and typed lookups by global ID; null for whatever the viewer can't see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from api.errors import BadUserInput
from api.services import access
from api.validation import LIST_MAX
from models import Group as GroupModel
from models import GroupMembership as MembershipModel
from models import Notification as NotificationModel
from models import SignUpQuestion as QuestionModel
from models import User as UserModel
from schema.common import Info, Node
from schema.groups import Group, GroupMembership
from schema.ids import decode_id
from schema.notifications import Notification
from schema.pairs import CheckIn, Milestone, Pair
from schema.programs import Program, SignUpQuestion
from schema.signups import SignUp
from schema.users import User

Finder = Callable[[Any, int], Awaitable[Any]]


async def _user(viewer: Any, pk: int) -> Any:
    return await UserModel.get_or_none(pk=pk)


async def _group(viewer: Any, pk: int) -> Any:
    return await GroupModel.get_or_none(pk=pk)


async def _membership(viewer: Any, pk: int) -> Any:
    """Members of a group see its memberships."""
    membership = await MembershipModel.get_or_none(pk=pk)
    if membership and await access.role_in_group(viewer.pk, membership.group_id) is not None:
        return membership
    return None


async def _question(viewer: Any, pk: int) -> Any:
    question = await QuestionModel.get_or_none(pk=pk)
    if question and await access.find_program(viewer, question.program_id):
        return question
    return None


async def _notification(viewer: Any, pk: int) -> Any:
    """A notification is its person's alone."""
    return await NotificationModel.get_or_none(pk=pk, user_id=viewer.pk)


_FINDERS: dict[str, tuple[Finder, Callable[[Any], Node]]] = {
    "User": (_user, User.of),
    "Group": (_group, Group.of),
    "GroupMembership": (_membership, GroupMembership.of),
    "Program": (access.find_program, Program.of),
    "SignUpQuestion": (_question, SignUpQuestion.of),
    "SignUp": (access.find_sign_up, SignUp.of),
    "Pair": (access.find_pair, Pair.of),
    "Milestone": (access.find_milestone, Milestone.of),
    "CheckIn": (access.find_check_in, CheckIn.of),
    "Notification": (_notification, Notification.of),
}


async def find_node(info: Info, raw_id: str, expected: str | None = None) -> Any:
    viewer = await info.context.require_viewer()
    typename, pk = decode_id(raw_id)
    if expected is not None and typename != expected:
        return None
    finder = _FINDERS.get(typename)
    if finder is None:
        return None
    find, wrap = finder
    model = await find(viewer, pk)
    return wrap(model) if model is not None else None


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by global ID; null if missing or not visible.")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Node | None:
        return await find_node(info, id)

    @strawberry.field(description="Objects by global ID, in order; null where not visible.")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="At most 100 IDs.")],
    ) -> list[Node | None]:
        await info.context.require_viewer()
        if len(ids) > LIST_MAX:
            raise BadUserInput(f"At most {LIST_MAX} IDs.")
        for raw in ids:
            decode_id(raw)  # a malformed ID anywhere fails the whole call
        return [await find_node(info, raw) for raw in ids]
