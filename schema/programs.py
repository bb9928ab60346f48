"""Programs, their sign-up questions and guided timeline."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.errors import DomainError
from api.services import access
from api.services import programs as programs_service
from api.services.assignment import AssignmentObjective as AssignmentObjectiveEnum
from api.services.programs import QuestionDraft, StepDraft
from models import Pair as PairModel
from models import Program as ProgramModel
from models.enums import MentorshipRole as MentorshipRoleEnum
from models.enums import ProgramStatus as ProgramStatusEnum
from models.enums import QuestionKind as QuestionKindEnum
from schema import enums, prefetch
from schema import matching as matching_schema
from schema import stats as stats_schema
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
from schema.groups import Group
from schema.ids import pk_of
from schema.matching import (
    Assignment,
    AssignmentObjective,
    MatchingWeight,
    MatchSuggestion,
    QuestionKind,
)
from schema.permissions import is_group_admin
from schema.stats import PairAttention, ProgramStats

if TYPE_CHECKING:
    from schema.pairs import Pair
    from schema.signups import SignUp

LazyPair = Annotated["Pair", strawberry.lazy("schema.pairs")]
LazySignUp = Annotated["SignUp", strawberry.lazy("schema.signups")]


@strawberry.type(description="A question members answer when they sign up.")
class SignUpQuestion(Node):
    @strawberry.field(description="The question.")
    def prompt(self) -> str:
        return self.model.prompt

    @strawberry.field(description="Whether an answer is required of the roles it applies to.")
    def required(self) -> bool:
        return self.model.required

    @strawberry.field(description="Which roles are asked this question.")
    def applies_to(self) -> list[enums.MentorshipRole]:
        return [MentorshipRoleEnum(r) for r in self.model.applies_to]

    @strawberry.field(description="TEXT, SINGLE_CHOICE or MULTIPLE_CHOICE.")
    def kind(self) -> QuestionKind:  # type: ignore[valid-type]
        return self.model.kind

    @strawberry.field(description="The choices, in order; empty for TEXT questions.")
    def options(self) -> list[str]:
        return list(self.model.options)

    @strawberry.field(
        description="The matching criterion its answers feed (topics, meetingPreference, "
        "availability); null: topics for choice questions, goals for text."
    )
    def match_key(self) -> str | None:
        return self.model.match_key

    @classmethod
    def of(cls, model: object) -> SignUpQuestion:
        return cls(model=model)


@strawberry.type(description="One step of a program's guided timeline.")
class MilestoneStep:
    position: int = strawberry.field(description="Order in the timeline, from 1.")
    kind: enums.MilestoneKind = strawberry.field(description="What the step is about.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="What the pair does in this step.")
    suggested_week: int | None = strawberry.field(description="The week it is suggested for.")


@strawberry.type(description="A mentorship program in a group.")
class Program(Node):
    @strawberry.field(description="The group the program runs in.")
    async def group(self, info: Info) -> Group:
        return Group.of(await info.context.loaders.groups.load(self.model.group_id))

    @strawberry.field(description="The template the program started from.")
    def template(self) -> enums.ProgramTemplate:
        return self.model.template

    @strawberry.field(description="The program's title.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="What the program offers and to whom.")
    def description(self) -> str:
        return self.model.description

    @strawberry.field(description="DRAFT, OPEN or CLOSED.")
    def status(self) -> enums.ProgramStatus:
        return self.model.status

    @strawberry.field(description="The sign-up questions, in order.")
    async def questions(self, info: Info) -> list[SignUpQuestion]:
        rows = await info.context.loaders.questions_by_program.load(self.model.pk)
        return [SignUpQuestion.of(row) for row in rows]

    @strawberry.field(description="The guided timeline every new pair receives.")
    async def steps(self, info: Info) -> list[MilestoneStep]:
        rows = await info.context.loaders.steps_by_program.load(self.model.pk)
        return [
            MilestoneStep(
                position=s.position,
                kind=s.kind,
                title=s.title,
                description=s.description,
                suggested_week=s.suggested_week,
            )
            for s in rows
        ]

    @strawberry.field(description="Your own sign-ups to this program, withdrawn ones included.")
    async def viewer_sign_ups(self, info: Info) -> list[LazySignUp]:
        from schema.signups import SignUp

        await info.context.require_viewer()
        rows = await info.context.loaders.viewer_sign_ups.load(self.model.pk)
        return [SignUp.of(row) for row in rows]

    @strawberry.field(description="Everyone's sign-ups; group admins only, null for others.")
    async def sign_ups(
        self,
        info: Info,
        role: Annotated[
            enums.MentorshipRole | None, strawberry.argument(description="Only this role.")
        ] = None,
        status: Annotated[
            enums.SignUpStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazySignUp] | None:
        from schema.signups import SignUp

        viewer = await info.context.viewer()
        if viewer is None or not await is_group_admin(info, self.model.group_id):
            return None
        query = access.sign_ups_visible_to(viewer.pk, self.model.pk)
        if role is not None:
            query = query.filter(role=role)
        if status is not None:
            query = query.filter(status=status)
        return await paginate(query, SignUp.of, first=first, after=after, last=last, before=before)

    @strawberry.field(description="The program's pairs: admins see all, members their own.")
    async def pairs(
        self,
        info: Info,
        status: Annotated[
            enums.PairStatus | None, strawberry.argument(description="Only this status.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LazyPair]:
        from schema.pairs import Pair

        viewer = await info.context.require_viewer()
        query = PairModel.fast_query(program_id=self.model.pk)
        if not await is_group_admin(info, self.model.group_id):
            query = query.either(mentor_id=viewer.pk, mentee_id=viewer.pk)
        if status is not None:
            query = query.filter(status=status)
        page = await paginate(query, Pair.of, first=first, after=after, last=last, before=before)
        await prefetch.pairs_page(info, [edge.node.model for edge in page.edges], "edges", "node")
        return page

    @strawberry.field(
        description="Mentors for pending mentees, best first (group admins, else null): for "
        "one mentee, or the best couples across the cohort."
    )
    async def suggested_matches(
        self,
        info: Info,
        mentee_sign_up_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only suggestions for this mentee's sign-up."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="How many (default 20, at most 100).")
        ] = 20,
    ) -> list[MatchSuggestion] | None:
        return await matching_schema.suggested_matches(info, self.model, mentee_sign_up_id, first)

    @strawberry.field(
        description="An optimal whole-cohort assignment of the pending mentees that respects "
        "capacities (group admins, else null). It proposes only; `createPairs` applies it."
    )
    async def proposed_assignment(
        self,
        info: Info,
        objective: Annotated[
            AssignmentObjective | None,  # type: ignore[valid-type]
            strawberry.argument(description="What to optimise (null: MAX_TOTAL_SCORE)."),
        ] = AssignmentObjectiveEnum.MAX_TOTAL_SCORE,
    ) -> Assignment | None:
        chosen = objective or AssignmentObjectiveEnum.MAX_TOTAL_SCORE
        return await matching_schema.proposed_assignment(info, self.model, chosen)

    @strawberry.field(description="How much each matching criterion counts (group admins).")
    async def matching_weights(self, info: Info) -> list[MatchingWeight] | None:
        return await matching_schema.matching_weights(info, self.model)

    @strawberry.field(description="The program's health at a glance (group admins).")
    async def stats(self, info: Info) -> ProgramStats | None:
        return await stats_schema.program_stats(info, self.model)

    @strawberry.field(
        description="ACTIVE pairs overdue for their weekly check-in, or stalled on one "
        "milestone for 3 weeks or more, with the reason (group admins)."
    )
    async def pairs_needing_attention(self, info: Info) -> list[PairAttention] | None:
        return await stats_schema.pairs_needing_attention(info, self.model)

    @strawberry.field(description="When the program was created.")
    def created_at(self) -> datetime.datetime:
        return self.model.created_at

    @classmethod
    def of(cls, model: ProgramModel) -> Program:
        return cls(model=model)


@strawberry.input(description="A new DRAFT program from a template.")
class CreateProgramInput:
    group_id: strawberry.ID = strawberry.field(description="The group to run it in.")
    template: enums.ProgramTemplate = strawberry.field(
        description="The template: its questions and steps are copied into the program."
    )
    title: str | None = strawberry.field(
        default=None, description="The title (at most 200 characters); default: the template's."
    )
    description: str | None = strawberry.field(
        default=None, description="The description; default: the template's."
    )


@strawberry.input(description="A sign-up question, for `updateProgram`.")
class SignUpQuestionInput:
    prompt: str = strawberry.field(description="The question (at most 200 characters).")
    required: bool = strawberry.field(description="Whether an answer is required.")
    applies_to: list[enums.MentorshipRole] = strawberry.field(description="Which roles are asked.")
    kind: QuestionKind = strawberry.field(  # type: ignore[valid-type]
        default=QuestionKindEnum.TEXT, description="How it is answered (default TEXT)."
    )
    options: list[str] | None = strawberry.field(
        default=None,
        description="Choice questions: 2-50 options, each 1-100 characters, no commas.",
    )
    match_key: str | None = strawberry.field(
        default=None,
        description="Choice questions: the criterion its answers feed (topics, "
        "meetingPreference or availability); default topics.",
    )


@strawberry.input(description="A timeline step, for `updateProgram`.")
class MilestoneStepInput:
    kind: enums.MilestoneKind = strawberry.field(description="What the step is about.")
    title: str = strawberry.field(description="Short title (at most 200 characters).")
    description: str = strawberry.field(description="What the pair does in this step.")
    suggested_week: int | None = strawberry.field(
        default=None, description="The week it is suggested for (1-104)."
    )


@strawberry.input(description="Changes to a DRAFT program; omitted fields stay as they are.")
class UpdateProgramInput:
    program_id: strawberry.ID = strawberry.field(description="The program.")
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    questions: list[SignUpQuestionInput] | None = strawberry.field(
        default=None, description="Replaces every question; positions follow the order."
    )
    steps: list[MilestoneStepInput] | None = strawberry.field(
        default=None, description="Replaces every step; positions follow the order."
    )


@strawberry.input(description="The program to open or close.")
class ProgramStatusInput:
    program_id: strawberry.ID = strawberry.field(description="The program.")


@strawberry.type(description="The result of a mutation on a program.")
class ProgramPayload(Payload):
    program: Program | None = strawberry.field(default=None, description="The program.")


CreateProgramPayload = strawberry.type(
    type("CreateProgramPayload", (ProgramPayload,), {}),
    description="The result of `createProgram`.",
)
UpdateProgramPayload = strawberry.type(
    type("UpdateProgramPayload", (ProgramPayload,), {}),
    description="The result of `updateProgram`.",
)
OpenProgramPayload = strawberry.type(
    type("OpenProgramPayload", (ProgramPayload,), {}),
    description="The result of `openProgram`.",
)
CloseProgramPayload = strawberry.type(
    type("CloseProgramPayload", (ProgramPayload,), {}),
    description="The result of `closeProgram`.",
)
OpenProgramInput = strawberry.input(
    type("OpenProgramInput", (ProgramStatusInput,), {}), description="The program to open."
)
CloseProgramInput = strawberry.input(
    type("CloseProgramInput", (ProgramStatusInput,), {}), description="The program to close."
)


@strawberry.type
class ProgramQueries:
    @strawberry.field(description="A program by ID; null if missing or not visible to you.")
    async def program(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its ID.")]
    ) -> Program | None:
        from schema.nodes import find_node

        return await find_node(info, id, "Program")


async def _status_change(info: Info, program_id: str, target: ProgramStatusEnum, payload: type):
    viewer = await info.context.require_viewer()
    try:
        program = await programs_service.change_status(viewer, pk_of(program_id, "Program"), target)
    except DomainError as error:
        return payload(user_errors=user_errors(error))
    return payload(program=Program.of(program))


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(description="Start a DRAFT program from a template (group admins).")
    async def create_program(self, info: Info, input: CreateProgramInput) -> CreateProgramPayload:  # type: ignore[valid-type]
        viewer = await info.context.require_viewer()
        try:
            program = await programs_service.create_program(
                viewer,
                pk_of(input.group_id, "Group"),
                input.template,
                input.title,
                input.description,
            )
        except DomainError as error:
            return CreateProgramPayload(user_errors=user_errors(error))
        return CreateProgramPayload(program=Program.of(program))

    @strawberry.mutation(description="Adapt a DRAFT program before announcing it (group admins).")
    async def update_program(self, info: Info, input: UpdateProgramInput) -> UpdateProgramPayload:  # type: ignore[valid-type]
        viewer = await info.context.require_viewer()
        questions = (
            [
                QuestionDraft(
                    q.prompt,
                    q.required,
                    tuple(q.applies_to),
                    QuestionKindEnum(q.kind),
                    tuple(q.options or ()),
                    q.match_key,
                )
                for q in input.questions
            ]
            if input.questions is not None
            else None
        )
        steps = (
            [StepDraft(s.kind, s.title, s.description, s.suggested_week) for s in input.steps]
            if input.steps is not None
            else None
        )
        try:
            program = await programs_service.update_program(
                viewer,
                pk_of(input.program_id, "Program"),
                title=input.title,
                description=input.description,
                questions=questions,
                steps=steps,
            )
        except DomainError as error:
            return UpdateProgramPayload(user_errors=user_errors(error))
        return UpdateProgramPayload(program=Program.of(program))

    @strawberry.mutation(description="Announce a program: it takes sign-ups (group admins).")
    async def open_program(self, info: Info, input: OpenProgramInput) -> OpenProgramPayload:  # type: ignore[valid-type]
        return await _status_change(
            info, input.program_id, ProgramStatusEnum.OPEN, OpenProgramPayload
        )

    @strawberry.mutation(description="Stop taking sign-ups; pairs go on (group admins).")
    async def close_program(self, info: Info, input: CloseProgramInput) -> CloseProgramPayload:  # type: ignore[valid-type]
        return await _status_change(
            info, input.program_id, ProgramStatusEnum.CLOSED, CloseProgramPayload
        )
