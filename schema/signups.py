"""Sign-ups and their answers."""

from __future__ import annotations

import datetime

import strawberry

from api.errors import DomainError
from api.services import signups as signups_service
from api.services.signups import AnswerDraft
from models import SignUp as SignUpModel
from models.enums import MentorshipRole as MentorshipRoleEnum
from schema import enums
from schema.common import Info, Node, Payload, user_errors
from schema.ids import pk_of, pk_or_none
from schema.matching import Engagement, engagement_of
from schema.programs import Program, SignUpQuestion
from schema.users import User


@strawberry.type(description="An answer to a sign-up question.")
class Answer:
    question: SignUpQuestion = strawberry.field(description="The question answered.")
    value: str = strawberry.field(description="The answer.")


@strawberry.type(
    description="A member's sign-up as mentor or mentee; seen by them and group admins."
)
class SignUp(Node):
    @strawberry.field(description="The program signed up for.")
    async def program(self, info: Info) -> Program:
        return Program.of(await info.context.loaders.programs.load(self.model.program_id))

    @strawberry.field(description="Who signed up.")
    async def user(self, info: Info) -> User:
        return User.of(await info.context.loaders.users.load(self.model.user_id))

    @strawberry.field(description="MENTOR or MENTEE.")
    def role(self) -> enums.MentorshipRole:
        return self.model.role

    @strawberry.field(description="PENDING, MATCHED or WITHDRAWN.")
    def status(self) -> enums.SignUpStatus:
        return self.model.status

    @strawberry.field(description="How many mentees a mentor takes (1-5); null for mentees.")
    def capacity(self) -> int | None:
        return self.model.capacity if self.model.role == MentorshipRoleEnum.MENTOR else None

    @strawberry.field(description="How many ACTIVE pairs this sign-up is in.")
    def active_pair_count(self) -> int:
        return self.model.active_pair_count

    @strawberry.field(description="The answers given, in question order.")
    async def answers(self, info: Info) -> list[Answer]:
        loaders = info.context.loaders
        rows = await loaders.answers_by_sign_up.load(self.model.pk)
        questions = await loaders.questions.load_many([row.question_id for row in rows])
        pairs = sorted(zip(rows, questions, strict=True), key=lambda rq: rq[1].position)
        return [Answer(question=SignUpQuestion.of(q), value=row.value) for row, q in pairs]

    @strawberry.field(description="When they signed up.")
    def created_at(self) -> datetime.datetime:
        return self.model.created_at

    @strawberry.field(
        description="Engagement signals from the person's history (group admins, else null)."
    )
    async def engagement(self, info: Info) -> Engagement | None:
        return await engagement_of(info, self.model)

    @classmethod
    def of(cls, model: SignUpModel) -> SignUp:
        return cls(model=model)


@strawberry.input(description="An answer to one sign-up question.")
class AnswerInput:
    question_id: strawberry.ID = strawberry.field(description="The question's ID.")
    value: str = strawberry.field(description="The answer (at most 5,000 characters).")


@strawberry.input(description="Sign up to a program as mentor or mentee.")
class SignUpInput:
    program_id: strawberry.ID = strawberry.field(description="The program.")
    role: enums.MentorshipRole = strawberry.field(description="MENTOR or MENTEE.")
    answers: list[AnswerInput] = strawberry.field(
        description="Answers to the program's questions for this role."
    )
    capacity: int | None = strawberry.field(
        default=None, description="Mentors only: how many mentees you can take, 1-5 (default 1)."
    )


@strawberry.type(description="The result of `signUp`.")
class SignUpPayload(Payload):
    sign_up: SignUp | None = strawberry.field(default=None, description="Your new sign-up.")


@strawberry.input(description="The sign-up to withdraw.")
class WithdrawSignUpInput:
    sign_up_id: strawberry.ID = strawberry.field(description="Your sign-up's ID.")


@strawberry.type(description="The result of `withdrawSignUp`.")
class WithdrawSignUpPayload(Payload):
    sign_up: SignUp | None = strawberry.field(default=None, description="The withdrawn sign-up.")


@strawberry.type
class SignUpMutations:
    @strawberry.mutation(description="Sign up to an OPEN program as mentor or mentee (18+).")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        viewer = await info.context.require_viewer()
        program_pk = pk_of(input.program_id, "Program")
        answers = [
            AnswerDraft(pk_or_none(a.question_id, "SignUpQuestion"), a.value) for a in input.answers
        ]
        try:
            record = await signups_service.sign_up(
                viewer, program_pk, input.role, answers, input.capacity
            )
        except DomainError as error:
            return SignUpPayload(user_errors=user_errors(error))
        return SignUpPayload(sign_up=SignUp.of(record))

    @strawberry.mutation(description="Withdraw your PENDING sign-up.")
    async def withdraw_sign_up(
        self, info: Info, input: WithdrawSignUpInput
    ) -> WithdrawSignUpPayload:
        viewer = await info.context.require_viewer()
        sign_up_pk = pk_of(input.sign_up_id, "SignUp")
        try:
            record = await signups_service.withdraw_sign_up(viewer, sign_up_pk)
        except DomainError as error:
            return WithdrawSignUpPayload(user_errors=user_errors(error))
        return WithdrawSignUpPayload(sign_up=SignUp.of(record))
