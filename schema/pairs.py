"""Pairs, milestones and check-ins, and the live subscriptions of a pair."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable
from typing import Annotated

import strawberry

from api.dataloaders import already_loaded
from api.errors import DomainError
from api.services import access
from api.services import pairs as pairs_service
from models import CheckIn as CheckInModel
from models import Milestone as MilestoneModel
from models import Pair as PairModel
from models.enums import PairStatus as PairStatusEnum
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
from schema.ids import pk_of
from schema.permissions import is_pair_member
from schema.programs import Program
from schema.signups import SignUp
from schema.users import User

CHECK_IN_INTERVAL = datetime.timedelta(days=7)


async def _user(info: Info, pk: int | None) -> User | None:
    if pk is None:
        return None
    model = await info.context.loaders.users.load(pk)
    return User.of(model) if model else None


def _user_soon(info: Info, pk: int | None) -> User | None | Awaitable[User | None]:
    """The user at once when none or already loaded by this request, else an awaitable:
    most `completedBy` and `author` fields on a page then cost no task."""
    if pk is None:
        return None
    done = already_loaded(info.context.loaders.users, pk)
    if done is None:
        return _user(info, pk)
    model = done.result()
    return User.of(model) if model else None


@strawberry.type(description="One milestone of a pair's timeline.")
class Milestone(Node):
    @strawberry.field(description="The pair.")
    async def pair(self, info: Info) -> Pair:
        return Pair.of(await info.context.loaders.pairs.load(self.model.pair_id))

    position: int = strawberry.field(description="Order in the timeline, from 1.")
    kind: enums.MilestoneKind = strawberry.field(description="What the milestone is about.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="What the pair does for it.")
    suggested_week: int | None = strawberry.field(description="The week it is suggested for.")
    completed_at: datetime.datetime | None = strawberry.field(
        description="When it was done; null if not yet."
    )

    @strawberry.field(description="Who marked it done; null if not yet.", graphql_type=User | None)
    def completed_by(self, info: Info) -> User | Awaitable[User | None] | None:
        return _user_soon(info, self.model.completed_by_id)

    @classmethod
    def of(cls, model: MilestoneModel) -> Milestone:
        return cls(
            model=model,
            position=model.position,
            kind=model.kind,
            title=model.title,
            description=model.description,
            suggested_week=model.suggested_week,
            completed_at=model.completed_at,
        )


@strawberry.type(description="A mentor and a mentee working through a program together.")
class Pair(Node):
    @strawberry.field(description="The program the pair belongs to.")
    async def program(self, info: Info) -> Program:
        return Program.of(await info.context.loaders.programs.load(self.model.program_id))

    @strawberry.field(description="The mentor.", graphql_type=User)
    def mentor(self, info: Info) -> User | Awaitable[User | None] | None:
        return _user_soon(info, self.model.mentor_id)

    @strawberry.field(description="The mentee.", graphql_type=User)
    def mentee(self, info: Info) -> User | Awaitable[User | None] | None:
        return _user_soon(info, self.model.mentee_id)

    @strawberry.field(description="ACTIVE, COMPLETED or ENDED.")
    def status(self) -> enums.PairStatus:
        return self.model.status

    @strawberry.field(
        description="The pair's milestones, in timeline order.", graphql_type=list[Milestone]
    )
    def milestones(self, info: Info) -> list[Milestone] | Awaitable[list[Milestone]]:
        done = already_loaded(info.context.loaders.milestones_by_pair, self.model.pk)
        if done is None:
            return self._milestones(info)
        return [Milestone.of(row) for row in done.result()]

    async def _milestones(self, info: Info) -> list[Milestone]:
        rows = await info.context.loaders.milestones_by_pair.load(self.model.pk)
        return [Milestone.of(row) for row in rows]

    @strawberry.field(description="Share of milestones done, from 0 to 1.")
    def progress(self) -> float:
        total = self.model.milestone_count
        return self.model.completed_milestone_count / total if total else 0.0

    @strawberry.field(
        description="Check-ins, newest first; null for anyone but the pair's two members."
    )
    async def check_ins(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CheckIn] | None:
        viewer = await info.context.viewer()
        if viewer is None or not is_pair_member(viewer.pk, self.model):
            return None
        query = access.check_ins_visible_to(viewer.pk, self.model.pk)
        return await paginate(
            query, CheckIn.of, first=first, after=after, last=last, before=before, newest_first=True
        )

    @strawberry.field(description="How many check-ins the pair has posted.")
    def check_in_count(self) -> int:
        return self.model.check_in_count

    @strawberry.field(description="When the last check-in was posted; null if none yet.")
    def last_check_in_at(self) -> datetime.datetime | None:
        return self.model.last_check_in_at

    @strawberry.field(
        description="When the next weekly check-in is due: 7 days after the last one, "
        "or after pairing if none; null unless ACTIVE."
    )
    def next_check_in_due(self) -> datetime.datetime | None:
        if self.model.status != PairStatusEnum.ACTIVE:
            return None
        return (self.model.last_check_in_at or self.model.created_at) + CHECK_IN_INTERVAL

    @strawberry.field(description="When the pair was made.")
    def created_at(self) -> datetime.datetime:
        return self.model.created_at

    @strawberry.field(description="When the last milestone was done; null unless COMPLETED.")
    def completed_at(self) -> datetime.datetime | None:
        return self.model.completed_at

    @strawberry.field(description="When the pair was ended; null unless ENDED.")
    def ended_at(self) -> datetime.datetime | None:
        return self.model.ended_at

    @strawberry.field(description="Who ended the pair; null unless ENDED.")
    async def ended_by(self, info: Info) -> User | None:
        return await _user(info, self.model.ended_by_id)

    @strawberry.field(description="Why the pair was ended, if a reason was given.")
    def end_reason(self) -> str | None:
        return self.model.end_reason

    @classmethod
    def of(cls, model: PairModel) -> Pair:
        return cls(model=model)


@strawberry.type(description="A message in a pair's weekly conversation; only the two see it.")
class CheckIn(Node):
    @strawberry.field(description="The pair.")
    async def pair(self, info: Info) -> Pair:
        return Pair.of(await info.context.loaders.pairs.load(self.model.pair_id))

    @strawberry.field(description="Who posted it.", graphql_type=User)
    def author(self, info: Info) -> User | Awaitable[User | None] | None:
        return _user_soon(info, self.model.author_id)

    body: str = strawberry.field(description="The message.")
    created_at: datetime.datetime = strawberry.field(description="When it was posted.")

    @classmethod
    def of(cls, model: CheckInModel) -> CheckIn:
        return cls(model=model, body=model.body, created_at=model.created_at)


@strawberry.input(description="Pair a mentor's sign-up with a mentee's.")
class CreatePairInput:
    mentor_sign_up_id: strawberry.ID = strawberry.field(description="The MENTOR sign-up.")
    mentee_sign_up_id: strawberry.ID = strawberry.field(description="The MENTEE sign-up.")


@strawberry.type(description="The result of `createPair` or `endPair`.")
class PairChangePayload(Payload):
    pair: Pair | None = strawberry.field(default=None, description="The pair.")
    mentor_sign_up: SignUp | None = strawberry.field(
        default=None, description="The mentor's sign-up, as it now stands."
    )
    mentee_sign_up: SignUp | None = strawberry.field(
        default=None, description="The mentee's sign-up, as it now stands."
    )


CreatePairPayload = strawberry.type(
    type("CreatePairPayload", (PairChangePayload,), {}), description="The result of `createPair`."
)
EndPairPayload = strawberry.type(
    type("EndPairPayload", (PairChangePayload,), {}), description="The result of `endPair`."
)


@strawberry.input(description="The milestone to mark done.")
class CompleteMilestoneInput:
    milestone_id: strawberry.ID = strawberry.field(description="The milestone.")


@strawberry.type(description="The result of `completeMilestone`.")
class CompleteMilestonePayload(Payload):
    milestone: Milestone | None = strawberry.field(default=None, description="The milestone.")
    pair: Pair | None = strawberry.field(default=None, description="Its pair, with new progress.")


@strawberry.input(description="A check-in message for your pair.")
class PostCheckInInput:
    pair_id: strawberry.ID = strawberry.field(description="Your pair.")
    body: str = strawberry.field(description="The message (at most 4,000 characters).")


@strawberry.type(description="The result of `postCheckIn`.")
class PostCheckInPayload(Payload):
    check_in: CheckIn | None = strawberry.field(default=None, description="The new check-in.")
    pair: Pair | None = strawberry.field(default=None, description="The pair, with new counts.")


@strawberry.input(description="End a pair early.")
class EndPairInput:
    pair_id: strawberry.ID = strawberry.field(description="The pair.")
    reason: str | None = strawberry.field(
        default=None, description="Why (at most 500 characters); the other member sees it."
    )


@strawberry.type
class PairQueries:
    @strawberry.field(description="A pair by ID; null if missing or not visible to you.")
    async def pair(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Pair | None:
        from schema.nodes import find_node

        return await find_node(info, id, "Pair")


@strawberry.type
class PairMutations:
    @strawberry.mutation(description="Pair a mentor with a mentee (group admins).")
    async def create_pair(self, info: Info, input: CreatePairInput) -> CreatePairPayload:  # type: ignore[valid-type]
        viewer = await info.context.require_viewer()
        mentor_pk = pk_of(input.mentor_sign_up_id, "SignUp")
        mentee_pk = pk_of(input.mentee_sign_up_id, "SignUp")
        try:
            pair, mentor, mentee = await pairs_service.create_pair(viewer, mentor_pk, mentee_pk)
        except DomainError as error:
            return CreatePairPayload(user_errors=user_errors(error))
        return CreatePairPayload(
            pair=Pair.of(pair), mentor_sign_up=SignUp.of(mentor), mentee_sign_up=SignUp.of(mentee)
        )

    @strawberry.mutation(description="Mark one of your pair's milestones as done.")
    async def complete_milestone(
        self, info: Info, input: CompleteMilestoneInput
    ) -> CompleteMilestonePayload:
        viewer = await info.context.require_viewer()
        milestone_pk = pk_of(input.milestone_id, "Milestone")
        try:
            milestone, pair = await pairs_service.complete_milestone(viewer, milestone_pk)
        except DomainError as error:
            return CompleteMilestonePayload(user_errors=user_errors(error))
        return CompleteMilestonePayload(milestone=Milestone.of(milestone), pair=Pair.of(pair))

    @strawberry.mutation(description="Post a check-in to your pair.")
    async def post_check_in(self, info: Info, input: PostCheckInInput) -> PostCheckInPayload:
        viewer = await info.context.require_viewer()
        pair_pk = pk_of(input.pair_id, "Pair")
        try:
            check_in, pair = await pairs_service.post_check_in(viewer, pair_pk, input.body)
        except DomainError as error:
            return PostCheckInPayload(user_errors=user_errors(error))
        return PostCheckInPayload(check_in=CheckIn.of(check_in), pair=Pair.of(pair))

    @strawberry.mutation(description="End a pair early (its members or a group admin).")
    async def end_pair(self, info: Info, input: EndPairInput) -> EndPairPayload:  # type: ignore[valid-type]
        viewer = await info.context.require_viewer()
        pair_pk = pk_of(input.pair_id, "Pair")
        try:
            pair, mentor, mentee = await pairs_service.end_pair(viewer, pair_pk, input.reason)
        except DomainError as error:
            return EndPairPayload(user_errors=user_errors(error))
        return EndPairPayload(
            pair=Pair.of(pair), mentor_sign_up=SignUp.of(mentor), mentee_sign_up=SignUp.of(mentee)
        )
