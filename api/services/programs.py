"""Programs: created from a template, adapted while DRAFT, then opened and closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from api.errors import BadUserInput, require
from api.program_templates import TEMPLATES
from api.services import access, matching
from api.services.transactions import in_transaction
from api.validation import LIST_MAX, TEXT_MAX, TITLE_MAX, FormatChecker
from models import Program, ProgramStep, SignUpQuestion, User
from models.enums import MentorshipRole, MilestoneKind, ProgramStatus, ProgramTemplate, QuestionKind

# Allowed status changes: (from, to).
_TRANSITIONS = {
    (ProgramStatus.DRAFT, ProgramStatus.OPEN),
    (ProgramStatus.OPEN, ProgramStatus.CLOSED),
    (ProgramStatus.CLOSED, ProgramStatus.OPEN),
}


@dataclass(frozen=True)
class QuestionDraft:
    prompt: str
    required: bool
    applies_to: tuple[MentorshipRole, ...]
    kind: QuestionKind = QuestionKind.TEXT
    options: tuple[str, ...] = ()
    match_key: str | None = None


@dataclass(frozen=True)
class StepDraft:
    kind: MilestoneKind
    title: str
    description: str
    suggested_week: int | None


async def create_program(
    viewer: User,
    group_pk: int,
    template: ProgramTemplate,
    title: str | None,
    description: str | None,
) -> Program:
    """A DRAFT program with the template's questions and steps; title and description
    default to the template's."""
    group = await access.visible_group(group_pk)
    await access.require_group_admin(viewer, group.pk)
    spec = TEMPLATES[template]
    check = FormatChecker()
    title = check.text(spec.title if title is None else title, ["title"], TITLE_MAX)
    description = check.text(
        spec.description if description is None else description,
        ["description"],
        TEXT_MAX,
        required=False,
    )
    check.done()
    require(
        group.category.mentorship_eligible,
        "GROUP_NOT_ELIGIBLE",
        "Mentorship programs are not offered in "
        f"{group.category.value.replace('_', ' ').lower()} groups.",
        ["groupId"],
    )
    questions = [
        QuestionDraft(q.prompt, q.required, q.applies_to, q.kind, q.options, q.match_key)
        for q in spec.questions
    ]
    steps = [StepDraft(s.kind, s.title, s.description, s.suggested_week) for s in spec.steps]
    async with in_transaction():
        program = await Program.create(
            group=group, template=template, title=title, description=description
        )
        await _replace_questions(program, questions)
        await _replace_steps(program, steps)
    return program


async def update_program(
    viewer: User,
    program_pk: int,
    *,
    title: str | None = None,
    description: str | None = None,
    questions: Sequence[QuestionDraft] | None = None,
    steps: Sequence[StepDraft] | None = None,
) -> Program:
    """Adapt a DRAFT program. Each given list replaces the old one; order gives positions."""
    program = await access.visible_program(viewer, program_pk)
    await access.require_group_admin(viewer, program.group_id)
    for name, items in (("questions", questions), ("steps", steps)):
        if items is not None and len(items) > LIST_MAX:
            raise BadUserInput(f"At most {LIST_MAX} {name}.")
    check = FormatChecker()
    if title is not None:
        title = check.text(title, ["title"], TITLE_MAX)
    if description is not None:
        description = check.text(description, ["description"], TEXT_MAX, required=False)
    clean_questions = _check_questions(check, questions) if questions is not None else None
    clean_steps = _check_steps(check, steps) if steps is not None else None
    check.done()
    async with in_transaction():
        program = await Program.filter(pk=program.pk).select_for_update().get()
        require(
            program.status == ProgramStatus.DRAFT,
            "PROGRAM_NOT_DRAFT",
            "Only a DRAFT program can be changed: members may already have signed up.",
        )
        if title is not None:
            program.title = title
        if description is not None:
            program.description = description
        await program.save(update_fields=["title", "description"])
        if clean_questions is not None:
            await _replace_questions(program, clean_questions)
        if clean_steps is not None:
            await _replace_steps(program, clean_steps)
    return program


def _check_questions(
    check: FormatChecker, questions: Sequence[QuestionDraft]
) -> list[QuestionDraft]:
    clean = []
    for i, q in enumerate(questions):
        path = ["questions", str(i)]
        prompt = check.text(q.prompt, [*path, "prompt"], TITLE_MAX)
        if not q.applies_to:
            check.add("BLANK", "Say which roles the question applies to.", [*path, "appliesTo"])
        options = matching.check_options(check, q.kind, q.options, q.match_key, path)
        clean.append(
            QuestionDraft(
                prompt or "",
                q.required,
                tuple(dict.fromkeys(q.applies_to)),
                q.kind,
                options,
                q.match_key,
            )
        )
    return clean


def _check_steps(check: FormatChecker, steps: Sequence[StepDraft]) -> list[StepDraft]:
    if not steps:
        check.add("BLANK", "A program needs at least one step.", ["steps"])
    clean = []
    for i, s in enumerate(steps):
        path = ["steps", str(i)]
        title = check.text(s.title, [*path, "title"], TITLE_MAX)
        description = check.text(s.description, [*path, "description"], TEXT_MAX, required=False)
        if s.suggested_week is not None and not 1 <= s.suggested_week <= 104:
            raise BadUserInput("suggestedWeek must be between 1 and 104.")
        clean.append(StepDraft(s.kind, title or "", description or "", s.suggested_week))
    return clean


async def _replace_questions(program: Program, questions: Sequence[QuestionDraft]) -> None:
    await SignUpQuestion.filter(program_id=program.pk).delete()
    await SignUpQuestion.bulk_create(
        [
            SignUpQuestion(
                program=program,
                position=i,
                prompt=q.prompt,
                required=q.required,
                applies_to=[r.value for r in q.applies_to],
                kind=q.kind,
                options=list(q.options),
                match_key=q.match_key,
            )
            for i, q in enumerate(questions, start=1)
        ]
    )


async def _replace_steps(program: Program, steps: Sequence[StepDraft]) -> None:
    await ProgramStep.filter(program_id=program.pk).delete()
    await ProgramStep.bulk_create(
        [
            ProgramStep(
                program=program,
                position=i,
                kind=s.kind,
                title=s.title,
                description=s.description,
                suggested_week=s.suggested_week,
            )
            for i, s in enumerate(steps, start=1)
        ]
    )


def _transition_refusal(source: ProgramStatus, target: ProgramStatus) -> str:
    """Why a status change is refused, as the admin would say it."""
    if source == target:
        return f"The program is already {target.value.lower()}."
    if source == ProgramStatus.DRAFT:
        return "Open the program first: a draft can only be opened."
    return f"A program that is {source.value.lower()} cannot become {target.value.lower()}."


async def change_status(viewer: User, program_pk: int, target: ProgramStatus) -> Program:
    """Open or close a program; the conditional update makes racing changes safe."""
    program = await access.visible_program(viewer, program_pk)
    await access.require_group_admin(viewer, program.group_id)
    source = program.status
    require(
        (source, target) in _TRANSITIONS,
        "INVALID_TRANSITION",
        _transition_refusal(source, target),
    )
    async with in_transaction():  # so that it records the idempotency key
        changed = await Program.filter(pk=program.pk, status=source).update(status=target)
        require(changed == 1, "INVALID_TRANSITION", "The program changed meanwhile; reload it.")
    program.status = target
    return program
