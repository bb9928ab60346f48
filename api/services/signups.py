"""Signing up as mentor or mentee, and withdrawing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError

from api.clock import now, today
from api.errors import BadUserInput, DomainError, Forbidden, NotFound, require
from api.services import access, matching
from api.services.transactions import in_transaction
from api.validation import LIST_MAX, TEXT_MAX, FormatChecker
from models import Answer, Program, SignUp, SignUpQuestion, User
from models.enums import MentorshipRole, ProgramStatus, QuestionKind, SignUpStatus

ADULT_AGE = 18
MAX_MENTOR_CAPACITY = 5
_ALREADY = "You have already signed up for this program in this role."


@dataclass(frozen=True)
class AnswerDraft:
    question_pk: int | None  # None: the ID named another type
    value: str


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


async def sign_up(
    viewer: User,
    program_pk: int,
    role: MentorshipRole,
    answers: Sequence[AnswerDraft],
    capacity: int | None,
) -> SignUp:
    program = await Program.get_or_none(pk=program_pk)
    if program is None:
        raise NotFound()
    questions = {q.pk: q for q in await SignUpQuestion.filter(program_id=program.pk)}
    values = _check_answer_ids(answers, questions, role)

    # Whether the viewer may sign up at all comes before the answers' format: nobody
    # fills in a form they could never send.
    role_in_group = await access.role_in_group(viewer.pk, program.group_id)
    require(role_in_group is not None, "NOT_GROUP_MEMBER", "Join the group first.", ["programId"])
    require(
        program.status == ProgramStatus.OPEN,
        "PROGRAM_NOT_OPEN",
        "This program is not taking sign-ups.",
        ["programId"],
    )
    require(
        age_on(viewer.birth_date, today()) >= ADULT_AGE,
        "UNDERAGE",
        f"Mentorship is open to members aged {ADULT_AGE} and over.",
    )
    taken = SignUp.filter(program_id=program.pk, user_id=viewer.pk, role=role, live=True)
    require(not await taken.exists(), "ALREADY_SIGNED_UP", _ALREADY, ["role"])

    check = FormatChecker()
    if role == MentorshipRole.MENTEE and capacity is not None:
        check.add("INVALID_CAPACITY", "Only mentors have a capacity.", ["capacity"])
    elif capacity is not None and not 1 <= capacity <= MAX_MENTOR_CAPACITY:
        check.add(
            "INVALID_CAPACITY",
            f"A mentor can take 1 to {MAX_MENTOR_CAPACITY} mentees.",
            ["capacity"],
        )
    clean: dict[int, str] = {}
    for index, (question_pk, value) in values.items():
        field = ["answers", str(index), "value"]
        text = check.text(value, field, TEXT_MAX, required=False)
        if text:
            question = questions[question_pk]
            try:
                text = matching.normalize_choice_answer(question.kind, question.options, text)
            except ValueError:  # answered, wrongly: not also MISSING_ANSWER
                check.add("INVALID_CHOICE", _choice_help(question), field)
            clean[question_pk] = text
    for question in sorted(questions.values(), key=lambda q: q.position):
        if question.required and role.value in question.applies_to and question.pk not in clean:
            index = next((i for i, (pk, _) in values.items() if pk == question.pk), None)
            field = ["answers"] if index is None else ["answers", str(index), "value"]
            check.add("MISSING_ANSWER", f"Please answer: {question.prompt}", field)
    check.done()

    try:
        async with in_transaction():
            record = await SignUp.create(
                program=program,
                user=viewer,
                role=role,
                capacity=1 if capacity is None else capacity,
            )
            await Answer.bulk_create(
                [Answer(sign_up=record, question_id=pk, value=v) for pk, v in clean.items()]
            )
    except IntegrityError:  # a racing sign-up in the same role won
        raise DomainError.one("ALREADY_SIGNED_UP", _ALREADY, ["role"]) from None
    return record


def _choice_help(question: SignUpQuestion) -> str:
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return f"Choose one of: {', '.join(question.options)}."
    return f"Choose any of: {', '.join(question.options)} (a JSON list or comma-separated)."


def _check_answer_ids(
    answers: Sequence[AnswerDraft],
    questions: dict[int, SignUpQuestion],
    role: MentorshipRole,
) -> dict[int, tuple[int, str]]:
    """What a correct client never sends: too many answers, unknown or repeated questions."""
    if len(answers) > LIST_MAX:
        raise BadUserInput(f"At most {LIST_MAX} answers.")
    values: dict[int, tuple[int, str]] = {}
    seen: set[int] = set()
    for index, answer in enumerate(answers):
        question = questions.get(answer.question_pk) if answer.question_pk is not None else None
        if question is None:
            raise BadUserInput(f"answers[{index}].questionId is not a question of this program.")
        if role.value not in question.applies_to:
            raise BadUserInput(f"answers[{index}].questionId is not asked of a {role.value}.")
        if question.pk in seen:
            raise BadUserInput(f"answers[{index}] answers the same question twice.")
        seen.add(question.pk)
        values[index] = (question.pk, answer.value)
    return values


async def withdraw_sign_up(viewer: User, sign_up_pk: int) -> SignUp:
    record = await access.visible_sign_up(viewer, sign_up_pk)
    if record.user_id != viewer.pk:
        raise Forbidden("Only the person who signed up may withdraw.")
    async with in_transaction():  # so that it records the idempotency key
        changed = await SignUp.filter(pk=record.pk, status=SignUpStatus.PENDING).update(
            status=SignUpStatus.WITHDRAWN, live=None, withdrawn_at=now()
        )
        require(
            changed == 1,
            "SIGN_UP_NOT_PENDING",
            "Only a pending sign-up can be withdrawn; end the pair instead.",
            ["signUpId"],
        )
    await record.refresh_from_db()
    return record
