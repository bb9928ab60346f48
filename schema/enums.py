"""The product's enums as GraphQL enums, each value described for GraphiQL."""

from __future__ import annotations

from enum import Enum

import strawberry

from models import enums


def describe(
    cls: type[Enum], description: str, values: dict[str, str], *, name: str | None = None
) -> type[Enum]:
    """Expose a Python enum with a description on the type and on every value."""
    missing = {m.name for m in cls} ^ set(values)
    if missing:
        raise ValueError(f"{cls.__name__}: describe exactly its values, not {sorted(missing)}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[value.name]
    return wrapped


GroupCategory = describe(
    enums.GroupCategory,
    "What a group is about. Mentorship is offered in the first five.",
    {
        "PARENTING": "Parents supporting parents.",
        "PROFESSIONAL_DEVELOPMENT": "Careers, trades and professions.",
        "PERSONAL_DEVELOPMENT": "Growing as a person: habits, confidence, wellbeing.",
        "EDUCATION": "Learning, schools and study.",
        "CRISIS_RECOVERY": "Recovering from a crisis, with peers who have been there.",
        "HOBBIES": "Pastimes. No mentorship programs.",
        "OTHER": "Anything else. No mentorship programs.",
    },
)

GroupRole = describe(
    enums.GroupRole,
    "A member's role in a group.",
    {
        "ADMIN": "Runs the group and its mentorship programs.",
        "MODERATOR": "Moderates conversations; in v1 has a member's rights.",
        "MEMBER": "Belongs to the group.",
    },
)

ProgramTemplate = describe(
    enums.ProgramTemplate,
    "The template a program starts from: its questions and its guided timeline.",
    {
        "CAREER_ADVANCEMENT": "Growing a career: a promotion, a new field, a first job.",
        "SKILL_DEVELOPMENT": "Learning one skill with someone who has it.",
        "ENCOURAGEMENT_AND_SUPPORT": "Peer encouragement through a hard time.",
    },
)

ProgramStatus = describe(
    enums.ProgramStatus,
    "Where a program is in its life: DRAFT, then OPEN, then CLOSED (and OPEN again).",
    {
        "DRAFT": "Created, not announced; only group admins see it.",
        "OPEN": "Announced and taking sign-ups.",
        "CLOSED": "No new sign-ups; pairing and pairs go on.",
    },
)

MentorshipRole = describe(
    enums.MentorshipRole,
    "The side of a mentorship a person signs up for.",
    {"MENTOR": "Offers guidance.", "MENTEE": "Seeks guidance."},
)

SignUpStatus = describe(
    enums.SignUpStatus,
    "Where a sign-up stands.",
    {
        "PENDING": "Waiting to be paired (a mentor: has room for more mentees).",
        "MATCHED": "Paired (a mentor: every slot of their capacity is taken).",
        "WITHDRAWN": "Withdrawn by the person; never paired again.",
    },
)

PairStatus = describe(
    enums.PairStatus,
    "Where a pair stands.",
    {
        "ACTIVE": "Working through its milestones.",
        "COMPLETED": "Every milestone is done.",
        "ENDED": "Ended early by a member or an admin.",
    },
)

MilestoneKind = describe(
    enums.MilestoneKind,
    "What a step of the guided timeline is about.",
    {
        "INTRODUCTIONS": "Getting to know each other.",
        "GOAL_SETTING": "Agreeing on a goal.",
        "RESOURCE_SHARING": "Exploring and sharing resources.",
        "SKILL_KNOWLEDGE": "Building skill knowledge.",
        "PLANNING": "Making a plan.",
        "ACTION": "Acting on the plan.",
        "REFLECTION": "Looking back on what was learned.",
        "CUSTOM": "A step the program's admin wrote.",
    },
)
