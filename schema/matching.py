"""Matching in GraphQL: question kinds, engagement, suggestions and their reasons,
weights, the proposed assignment, and `createPairs`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.dataloader import DataLoader

from api.errors import BadUserInput, DomainError
from api.services import assignment as assignment_service
from api.services import engagement as engagement_service
from api.services import matching as matching_service
from api.services import pairs as pairs_service
from models import Program as ProgramModel
from models import SignUp as SignUpModel
from models import enums as model_enums
from schema.common import Info, Payload, user_errors
from schema.enums import describe
from schema.ids import pk_of, pk_or_none
from schema.permissions import is_group_admin

if TYPE_CHECKING:
    from schema.pairs import Pair
    from schema.programs import Program
    from schema.signups import SignUp

LazyPair = Annotated["Pair", strawberry.lazy("schema.pairs")]
LazyProgram = Annotated["Program", strawberry.lazy("schema.programs")]
LazySignUp = Annotated["SignUp", strawberry.lazy("schema.signups")]

SUGGESTIONS_DEFAULT = 20
SUGGESTIONS_MAX = 100

QuestionKind = describe(
    model_enums.QuestionKind,
    "How a sign-up question is answered.",
    {
        "TEXT": "Free text.",
        "SINGLE_CHOICE": "One of the question's options.",
        "MULTIPLE_CHOICE": "Any of the question's options: a JSON list, or comma-separated.",
    },
)

AssignmentObjective = describe(
    assignment_service.AssignmentObjective,
    "What the proposed assignment optimises.",
    {
        "MAX_TOTAL_SCORE": "The largest sum of match scores (a weak match may stay unmade).",
        "MAX_PAIRS": "As many pairs as possible; among those, the largest sum of scores.",
    },
)


@strawberry.type(description="Engagement signals of a sign-up, from the person's history here.")
class Engagement:
    tenure_days: int = strawberry.field(description="Days since they joined the group.")
    pairs_completed: int = strawberry.field(description="Their mentorships that COMPLETED.")
    pairs_ended: int = strawberry.field(description="Their mentorships that ENDED early.")
    check_in_regularity: float | None = strawberry.field(
        description="Check-ins per week in their earlier pairs, capped at 1; null if none."
    )
    milestones_completed: int = strawberry.field(description="Milestones done in all their pairs.")
    score: float = strawberry.field(description="0..1: the mean of the four signals above.")

    @classmethod
    def of(cls, value: engagement_service.Engagement) -> Engagement:
        return cls(
            tenure_days=value.tenure_days,
            pairs_completed=value.pairs_completed,
            pairs_ended=value.pairs_ended,
            check_in_regularity=value.check_in_regularity,
            milestones_completed=value.milestones_completed,
            score=value.score,
        )


async def engagement_of(info: Info, sign_up: SignUpModel) -> Engagement | None:
    """Group admins only. One batch per request, however many sign-ups ask."""
    program = await info.context.loaders.programs.load(sign_up.program_id)
    if program is None or not await is_group_admin(info, program.group_id):
        return None
    loaders = info.context.loaders
    loader = loaders.__dict__.get("engagement")
    if loader is None:

        async def load(keys: list[int]) -> list[engagement_service.Engagement | None]:
            rows = await loaders.sign_ups.load_many(keys)
            found: dict[int, engagement_service.Engagement] = {}
            by_group: dict[int, list[SignUpModel]] = {}
            for row in rows:
                if row is not None:
                    group = (await loaders.programs.load(row.program_id)).group_id
                    by_group.setdefault(group, []).append(row)
            for group_id, members in by_group.items():
                found.update(await engagement_service.engagement_of(members, group_id))
            return [found.get(key) for key in keys]

        loader = loaders.__dict__["engagement"] = DataLoader(load)
    value = await loader.load(sign_up.pk)
    return Engagement.of(value) if value is not None else None


@strawberry.type(description="One criterion's part in a match score.")
class MatchReason:
    criterion: str = strawberry.field(
        description="topics, meetingPreference, availability, goals, capacity or "
        "engagement; or minimumScore, for a couple scored below the program's minimum."
    )
    weight: float = strawberry.field(
        description="The criterion's normalised weight (0..1), rounded to 4 decimals; for "
        "minimumScore, the minimum."
    )
    contribution: float = strawberry.field(
        description="weight x the criterion's value (0..1) for this couple, rounded to 4 "
        "decimals; 0 for minimumScore."
    )
    detail: str = strawberry.field(description="Why, for a person to read.")


@strawberry.type(description="A suggested mentor for a mentee, with the reasons.")
class MatchSuggestion:
    mentor: LazySignUp = strawberry.field(description="The mentor's sign-up.")
    mentee: LazySignUp = strawberry.field(description="The mentee's sign-up.")
    score: float = strawberry.field(
        description="0..1, the sum of the reasons' contributions (4 decimals)."
    )
    reasons: list[MatchReason] = strawberry.field(
        description="One per criterion, and a minimumScore reason when the score is below "
        "the program's minimum."
    )

    @classmethod
    def of(cls, value: matching_service.Suggestion) -> MatchSuggestion:
        from schema.signups import SignUp

        return cls(
            mentor=SignUp.of(value.mentor),
            mentee=SignUp.of(value.mentee),
            score=value.score,
            reasons=[
                MatchReason(
                    criterion=r.criterion,
                    weight=r.weight,
                    contribution=r.contribution,
                    detail=r.detail,
                )
                for r in value.reasons
            ],
        )


@strawberry.type(description="An optimal whole-cohort assignment, proposed only.")
class Assignment:
    pairs: list[MatchSuggestion] = strawberry.field(description="The proposed pairs.")
    total_score: float = strawberry.field(description="The sum of the pairs' scores.")
    unmatched_mentees: list[LazySignUp] = strawberry.field(
        description="Pending mentees this assignment leaves without a mentor."
    )


@strawberry.type(description="How much one matching criterion counts in a program.")
class MatchingWeight:
    criterion: str = strawberry.field(description="The criterion's name.")
    weight: float = strawberry.field(
        description="The weight as set (0-100; default or admin's); for minimumScore, the "
        "minimum score (0..1, default 0.2)."
    )
    normalized_weight: float = strawberry.field(
        description="Its share of all the weights (0..1): the weight reasons show. For "
        "minimumScore, the minimum score again (it is not a share)."
    )
    description: str = strawberry.field(description="What the criterion measures.")


def weights_of(settings: matching_service.MatchingSettings) -> list[MatchingWeight]:
    raw = settings.weights
    shares = matching_service.normalised(raw)
    return [
        *(
            MatchingWeight(
                criterion=name,
                weight=raw[name],
                normalized_weight=round(shares[name], matching_service.DECIMALS),
                description=matching_service.CRITERIA[name][1],
            )
            for name in matching_service.CRITERIA
        ),
        MatchingWeight(
            criterion=matching_service.MINIMUM_SCORE,
            weight=settings.minimum_score,
            normalized_weight=settings.minimum_score,
            description=matching_service.MINIMUM_SCORE_DESCRIPTION,
        ),
    ]


def _first(first: int | None) -> int:
    if first is None:
        return SUGGESTIONS_DEFAULT
    if first < 0:
        raise BadUserInput("`first` must not be negative.")
    if first > SUGGESTIONS_MAX:
        raise BadUserInput(f"`first` is capped at {SUGGESTIONS_MAX}.")
    return first


async def suggested_matches(
    info: Info, program: ProgramModel, mentee_sign_up_id: str | None, first: int | None
) -> list[MatchSuggestion] | None:
    viewer = await info.context.require_viewer()
    size = _first(first)
    mentee_pk = None
    if mentee_sign_up_id is not None:
        mentee_pk = pk_or_none(mentee_sign_up_id, "SignUp")
        if mentee_pk is None:
            return []
    if not await is_group_admin(info, program.group_id):
        return None
    found = await matching_service.suggested_matches(program, size, mentee_pk, viewer.pk)
    return [MatchSuggestion.of(s) for s in found]


async def proposed_assignment(
    info: Info, program: ProgramModel, objective: assignment_service.AssignmentObjective
) -> Assignment | None:
    from schema.signups import SignUp

    viewer = await info.context.require_viewer()
    if not await is_group_admin(info, program.group_id):
        return None
    result = await assignment_service.propose_assignment(
        program, assignment_service.AssignmentObjective(objective), viewer.pk
    )
    return Assignment(
        pairs=[MatchSuggestion.of(p) for p in result.pairs],
        total_score=result.total_score,
        unmatched_mentees=[SignUp.of(s) for s in result.unmatched_mentees],
    )


async def matching_weights(info: Info, program: ProgramModel) -> list[MatchingWeight] | None:
    if not await is_group_admin(info, program.group_id):
        return None
    return weights_of(await matching_service.program_matching(program.pk))


@strawberry.input(description="A criterion and its new weight.")
class MatchingWeightInput:
    criterion: str = strawberry.field(description="One of the criteria `matchingWeights` lists.")
    weight: float = strawberry.field(
        description="From 0 (ignored) to 100; for minimumScore, the least score a proposed "
        "pair may have, from 0 to 1."
    )


@strawberry.input(description="New weights for some criteria of a program's matching.")
class SetMatchingWeightsInput:
    program_id: strawberry.ID = strawberry.field(description="The program.")
    weights: list[MatchingWeightInput] = strawberry.field(
        description="The criteria to change; the others keep their weights."
    )


@strawberry.type(description="The result of `setMatchingWeights`.")
class SetMatchingWeightsPayload(Payload):
    program: LazyProgram | None = strawberry.field(default=None, description="The program.")
    matching_weights: list[MatchingWeight] | None = strawberry.field(
        default=None, description="Every criterion's weight, after the change."
    )


@strawberry.input(description="One pair to make: a mentor's and a mentee's sign-up.")
class PairInput:
    mentor_sign_up_id: strawberry.ID = strawberry.field(description="The mentor's sign-up.")
    mentee_sign_up_id: strawberry.ID = strawberry.field(description="The mentee's sign-up.")


@strawberry.input(description="Pairs to make together, all or none (at most 100).")
class CreatePairsInput:
    pairs: list[PairInput] = strawberry.field(
        description="The pairs, e.g. from `proposedAssignment`."
    )


@strawberry.type(description="The result of `createPairs`.")
class CreatePairsPayload(Payload):
    pairs: list[LazyPair] | None = strawberry.field(
        default=None, description="The new pairs, in input order."
    )
    sign_ups: list[LazySignUp] | None = strawberry.field(
        default=None, description="The mentors' and mentees' sign-ups, as they are now."
    )


@strawberry.type
class MatchingMutations:
    @strawberry.mutation(description="Tune how much each matching criterion counts (admins).")
    async def set_matching_weights(
        self, info: Info, input: SetMatchingWeightsInput
    ) -> SetMatchingWeightsPayload:
        from schema.programs import Program

        viewer = await info.context.require_viewer()
        drafts = [matching_service.WeightDraft(w.criterion, w.weight) for w in input.weights]
        try:
            program, weights = await matching_service.set_matching_weights(
                viewer, pk_of(input.program_id, "Program"), drafts
            )
        except DomainError as error:
            return SetMatchingWeightsPayload(user_errors=user_errors(error))
        return SetMatchingWeightsPayload(
            program=Program.of(program), matching_weights=weights_of(weights)
        )

    @strawberry.mutation(
        description="Make several pairs at once, all or none: `createPair`'s rules, with "
        'userErrors at ["pairs", "<index>", ...] (group admins).'
    )
    async def create_pairs(self, info: Info, input: CreatePairsInput) -> CreatePairsPayload:
        from schema.pairs import Pair
        from schema.signups import SignUp

        viewer = await info.context.require_viewer()
        if len(input.pairs) > 100:
            raise BadUserInput("At most 100 pairs.")
        couples = [
            (pk_of(p.mentor_sign_up_id, "SignUp"), pk_of(p.mentee_sign_up_id, "SignUp"))
            for p in input.pairs
        ]
        try:
            made, sign_ups = await pairs_service.create_pairs(viewer, couples)
        except DomainError as error:
            return CreatePairsPayload(user_errors=user_errors(error))
        return CreatePairsPayload(
            pairs=[Pair.of(p) for p in made], sign_ups=[SignUp.of(s) for s in sign_ups]
        )
