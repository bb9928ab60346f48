"""Demo data, made through the services so it obeys every rule a real user does."""

from __future__ import annotations

from datetime import date

from api.services import accounts, groups, pairs, programs, signups
from api.services.signups import AnswerDraft
from models import SignUpQuestion, User
from models.enums import GroupCategory, MentorshipRole, ProgramStatus, ProgramTemplate

DEMO_PASSWORD = "mentorship-demo"
DEMO_PEOPLE = [
    ("admin@example.com", "Ada Admin", "Runs the group and its program."),
    ("mentor@example.com", "Maya Mentor", "Mentor in an active pair."),
    ("mentee@example.com", "Milo Mentee", "Mentee in an active pair."),
    ("mentor2@example.com", "Noor Mentor", "Signed up as mentor, waiting to be paired."),
    ("mentee2@example.com", "Sam Mentee", "Signed up as mentee, waiting to be paired."),
]


def _answers_for(questions: list[SignUpQuestion], role: MentorshipRole) -> list[AnswerDraft]:
    return [
        AnswerDraft(q.pk, f"Demo answer from a {role.value.lower()}.")
        for q in questions
        if role.value in q.applies_to
    ]


async def seed_demo(*, if_empty: bool = False) -> None:
    if if_empty and await User.exists():
        print("The database already has users; demo data not added.")
        return
    people = {}
    for email, name, _ in DEMO_PEOPLE:
        _, people[email] = await accounts.register(
            email, DEMO_PASSWORD, name, date(1985, 6, 15), token_ttl_days=30
        )
    admin = people["admin@example.com"]
    group = await groups.create_group(
        admin,
        "Women in Tech Careers",
        "Peers helping each other grow careers in technology.",
        GroupCategory.PROFESSIONAL_DEVELOPMENT,
    )
    for person in people.values():
        if person is not admin:
            await groups.join_group(person, group.pk)
    program = await programs.create_program(
        admin, group.pk, ProgramTemplate.CAREER_ADVANCEMENT, None, None
    )
    await programs.change_status(admin, program.pk, ProgramStatus.OPEN)
    questions = await SignUpQuestion.filter(program_id=program.pk).order_by("position")
    sign_ups = {}
    for email, role, capacity in [
        ("mentor@example.com", MentorshipRole.MENTOR, 2),
        ("mentee@example.com", MentorshipRole.MENTEE, None),
        ("mentor2@example.com", MentorshipRole.MENTOR, 1),
        ("mentee2@example.com", MentorshipRole.MENTEE, None),
    ]:
        sign_ups[email] = await signups.sign_up(
            people[email], program.pk, role, _answers_for(questions, role), capacity
        )
    pair, _, _ = await pairs.create_pair(
        admin, sign_ups["mentor@example.com"].pk, sign_ups["mentee@example.com"].pk
    )
    milestones = await pair.milestones.all().order_by("position")
    mentor, mentee = people["mentor@example.com"], people["mentee@example.com"]
    await pairs.complete_milestone(mentor, milestones[0].pk)
    await pairs.complete_milestone(mentee, milestones[1].pk)
    await pairs.post_check_in(mentor, pair.pk, "Great first call! Next week: your goal draft.")
    await pairs.post_check_in(mentee, pair.pk, "Thanks! I'll bring two goals to choose from.")

    print(f"Demo data created. Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, name, what in DEMO_PEOPLE:
        print(f"  {email:<22} {name:<12} {what}")
