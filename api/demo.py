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


# (email, name, role, capacity, topics, ways to meet, times, written answer): enough
# different people that `suggestedMatches` and `proposedAssignment` are worth a look.
Profile = tuple[str, str, MentorshipRole, int | None, str, str, str, str]
MENTOR, MENTEE = MentorshipRole.MENTOR, MentorshipRole.MENTEE
DEMO_PROFILES: list[Profile] = [
    (
        "mentor@example.com",
        "Maya Mentor",
        MENTOR,
        2,
        "Promotion, Leadership, Negotiating pay",
        "Video call, Phone",
        "Weekday evenings",
        "Engineering manager; I coach people going for "
        "their first promotion to senior and on to leading a team.",
    ),
    (
        "mentee@example.com",
        "Milo Mentee",
        MENTEE,
        None,
        "Promotion, Leadership",
        "Video call",
        "Weekday evenings, Weekends",
        "I want to make the case for a promotion to senior engineer "
        "and start leading a small team.",
    ),
    (
        "mentor2@example.com",
        "Noor Mentor",
        MENTOR,
        1,
        "Changing fields, Interviewing, Networking",
        "Video call, Messages",
        "Weekday evenings, Weekends",
        "I switched from teaching to data "
        "analysis; happy to help with python, sql and interviews for analyst roles.",
    ),
    (
        "mentee2@example.com",
        "Sam Mentee",
        MENTEE,
        None,
        "Changing fields, Interviewing",
        "Video call",
        "Weekends",
        "Teacher hoping to move into data analysis; learning python and "
        "sql and preparing for interviews.",
    ),
    (
        "mentor3@example.com",
        "Priya Mentor",
        MENTOR,
        2,
        "First job, Interviewing, Networking",
        "In person, Video call",
        "Weekday afternoons",
        "Recruiter for ten years: resumes, first jobs and interview practice.",
    ),
    (
        "mentor4@example.com",
        "Omar Mentor",
        MENTOR,
        1,
        "Negotiating pay, Promotion",
        "Phone",
        "Weekday mornings",
        "Finance lead; salary negotiation and asking for a raise.",
    ),
    (
        "mentor5@example.com",
        "Lena Mentor",
        MENTOR,
        3,
        "Returning after a break, Changing fields",
        "Video call, Messages",
        "Weekday mornings, Weekday afternoons",
        "Came back to product "
        "management after three years of parenting; I help people return after a career break.",
    ),
    (
        "mentor6@example.com",
        "Jon Mentor",
        MENTOR,
        1,
        "Leadership, Networking",
        "In person",
        "Weekends",
        "Startup founder; building a network and leading early teams.",
    ),
    (
        "mentor7@example.com",
        "Ines Mentor",
        MENTOR,
        2,
        "First job, Changing fields",
        "Messages, Video call",
        "Weekday evenings",
        "Bootcamp graduate turned web developer; first jobs in tech and switching into software.",
    ),
    (
        "mentor8@example.com",
        "Kofi Mentor",
        MENTOR,
        1,
        "Interviewing, Promotion",
        "Video call",
        "Weekends, Weekday evenings",
        "Staff engineer who runs interview loops; system design interviews and promotion packets.",
    ),
    (
        "mentee3@example.com",
        "Ada Lovell",
        MENTEE,
        None,
        "First job",
        "Video call, In person",
        "Weekday afternoons",
        "Graduating soon and looking for a first job in marketing.",
    ),
    (
        "mentee4@example.com",
        "Ben Ortiz",
        MENTEE,
        None,
        "Negotiating pay",
        "Phone",
        "Weekday mornings",
        "I have an offer and want to negotiate the salary.",
    ),
    (
        "mentee5@example.com",
        "Chloe Park",
        MENTEE,
        None,
        "Returning after a break",
        "Video call, Messages",
        "Weekday mornings",
        "Returning to product work after a break to raise my kids; I need to refresh my skills.",
    ),
    (
        "mentee6@example.com",
        "Dev Shah",
        MENTEE,
        None,
        "Leadership, Networking",
        "In person",
        "Weekends",
        "New team lead at a startup; want to grow my network and lead well.",
    ),
    (
        "mentee7@example.com",
        "Eva Novak",
        MENTEE,
        None,
        "Changing fields, First job",
        "Messages",
        "Weekday evenings",
        "Moving from retail into web development; building projects for a first developer job.",
    ),
    (
        "mentee8@example.com",
        "Femi Ade",
        MENTEE,
        None,
        "Interviewing",
        "Video call",
        "Weekends",
        "Preparing for system design interviews at larger companies.",
    ),
    (
        "mentee9@example.com",
        "Gus Berg",
        MENTEE,
        None,
        "Promotion",
        "Phone, Video call",
        "Weekday evenings",
        "Writing my promotion packet and asking my manager for feedback.",
    ),
    (
        "mentee10@example.com",
        "Hana Ito",
        MENTEE,
        None,
        "Changing fields, Networking",
        "Video call",
        "Weekday afternoons",
        "Nurse curious about health data analysis; who should I talk to?",
    ),
    (
        "mentee11@example.com",
        "Ivo Rossi",
        MENTEE,
        None,
        "Leadership",
        "Messages",
        "Weekday mornings",
        "Stepping into leadership; how to run one-to-ones.",
    ),
    (
        "mentee12@example.com",
        "Jade Wu",
        MENTEE,
        None,
        "First job, Interviewing",
        "In person",
        "Weekday afternoons",
        "Career changer from hospitality, practising interviews for a first office job.",
    ),
]


def _answers_for(questions: list[SignUpQuestion], profile: Profile) -> list[AnswerDraft]:
    """Choices by the question's match key; the written answer for text questions."""
    _, _, role, _, topics, meeting, times, text = profile
    chosen = {"topics": topics, "meetingPreference": meeting, "availability": times}
    return [
        AnswerDraft(q.pk, chosen.get(q.match_key or "topics", topics) if q.options else text)
        for q in questions
        if role.value in q.applies_to
    ]


async def seed_demo(*, if_empty: bool = False) -> None:
    if if_empty and await User.exists():
        print("The database already has users; demo data not added.")
        return
    people = {}
    for email, name in [("admin@example.com", "Ada Admin")] + [p[:2] for p in DEMO_PROFILES]:
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
    for profile in DEMO_PROFILES:
        email, _, role, capacity = profile[:4]
        sign_ups[email] = await signups.sign_up(
            people[email], program.pk, role, _answers_for(questions, profile), capacity
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
    more = len(DEMO_PROFILES) - (len(DEMO_PEOPLE) - 1)
    print(f"  ...and {more} more mentors and mentees (mentor3-8@, mentee3-12@example.com),")
    print("  waiting to be paired: try Program.suggestedMatches and proposedAssignment.")
