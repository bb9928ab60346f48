"""Demo data, made through the services so it obeys every rule a real user does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from api.clock import now
from api.services import accounts, groups, pairs, programs, signups
from api.services.signups import AnswerDraft
from models import (
    CheckIn,
    Group,
    GroupMembership,
    Milestone,
    Notification,
    Pair,
    PairEvent,
    Program,
    SignUp,
    SignUpQuestion,
    User,
)
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


@dataclass(frozen=True)
class History:
    """One pair's past: paired `days_ago`, then each step at its day after pairing
    (fractions are hours): ("milestone", who, day) completes the next milestone,
    ("the rest", who, day) every one left, a day apart, which completes the pair;
    ("check-in", who, day, text); and a last ("end", who, day, reason) for a pair that
    ended."""

    mentor: str
    mentee: str
    days_ago: float
    steps: tuple[tuple[Any, ...], ...]


M, E = "mentor", "mentee"
# Pairs of different ages, so that `stats` and `pairsNeedingAttention` have something to
# show: healthy, overdue for its check-in, stalled on a milestone, completed, ended.
HISTORIES = [
    History(
        "mentor@example.com",
        "mentee@example.com",
        24,
        (
            ("check-in", M, 0.8, "Great first call! Next week: your goal draft."),
            ("milestone", M, 1),
            ("check-in", E, 1.5, "Thanks! I'll bring two goals to choose from."),
            ("check-in", E, 8, "Goal draft shared: senior in two review cycles."),
            ("milestone", E, 12),
            ("check-in", M, 15, "Read your draft: let's add the design review you led."),
            ("check-in", E, 21, "Added it, and booked a talk with my manager."),
        ),
    ),
    History(  # overdue: the last check-in was 12 days ago
        "mentor3@example.com",
        "mentee3@example.com",
        30,
        (
            ("check-in", E, 1.25, "Hi! My resume is attached; where do I start?"),
            ("milestone", M, 2),
            ("check-in", M, 9, "Cut it to one page and lead with the campus project."),
            ("milestone", E, 18),
            ("check-in", E, 18, "Sent out five applications this week."),
        ),
    ),
    History(  # stalled: no milestone for four weeks, though they keep checking in
        "mentor5@example.com",
        "mentee5@example.com",
        35,
        (
            ("check-in", M, 0.25, "Welcome back! Which skills feel rusty?"),
            ("milestone", E, 6),
            ("check-in", E, 7, "Roadmapping and the new analytics tools."),
            ("check-in", M, 14, "Try the free course I sent, a module a week."),
            ("check-in", E, 21, "Busy weeks with the kids; one module done."),
            ("check-in", E, 32, "Still on module two, but I'm not giving up."),
        ),
    ),
    History(  # completed: every milestone done
        "mentor8@example.com",
        "mentee8@example.com",
        70,
        (
            ("check-in", E, 1.8, "Ready to start: my first loop is in two months."),
            ("milestone", M, 3),
            ("check-in", M, 10, "Mock interview one: a URL shortener. Solid start."),
            ("milestone", E, 20),
            ("check-in", E, 27, "Practised caching and queues all week."),
            ("milestone", E, 40),
            ("check-in", M, 48, "Mock two went very well."),
            ("milestone", M, 52),
            ("check-in", E, 56, "I got the offer. Thank you!"),
            ("the rest", E, 57),
        ),
    ),
    History(  # ended early, with a reason
        "mentor4@example.com",
        "mentee4@example.com",
        40,
        (
            ("check-in", E, 0.4, "The offer arrives Friday; help!"),
            ("milestone", M, 3),
            ("check-in", M, 6, "Ask for 10% more and a signing bonus."),
            ("end", E, 20, "I signed the offer I was negotiating: we met our goal early."),
        ),
    ),
]


async def _live_through(
    history: History, admin: User, people: dict[str, User], sign_ups: dict[str, Any]
) -> None:
    """Make the pair and live its steps through the services, then move every timestamp
    they wrote to the day the step stands for."""
    started = now() - timedelta(days=history.days_ago)
    pair, _, _ = await pairs.create_pair(
        admin, sign_ups[history.mentor].pk, sign_ups[history.mentee].pk
    )
    who = {M: people[history.mentor], E: people[history.mentee]}
    milestones = list(await Milestone.filter(pair_id=pair.pk).order_by("position"))
    # event pk -> when it happened: the pairing's own events, then each step's.
    times: dict[int, datetime] = {
        pk: started for pk in await PairEvent.filter(pair_id=pair.pk).values_list("id", flat=True)
    }
    last_check_in = None
    for step in history.steps:
        kind, person, day = step[0], who[step[1]], started + timedelta(days=step[2])
        if kind in ("milestone", "the rest"):
            for _ in range(1 if kind == "milestone" else len(milestones)):
                milestone = milestones.pop(0)
                await pairs.complete_milestone(person, milestone.pk)
                await Milestone.filter(pk=milestone.pk).update(completed_at=day)
                if not milestones:
                    await Pair.filter(pk=pair.pk).update(completed_at=day)
                await _stamp(pair.pk, times, day)
                day += timedelta(days=1)
            continue
        elif kind == "check-in":
            check_in, _ = await pairs.post_check_in(person, pair.pk, step[3])
            await CheckIn.filter(pk=check_in.pk).update(created_at=day)
            last_check_in = day
        else:
            await pairs.end_pair(person, pair.pk, step[3])
            await Pair.filter(pk=pair.pk).update(ended_at=day)
        await _stamp(pair.pk, times, day)
    await Pair.filter(pk=pair.pk).update(created_at=started, last_check_in_at=last_check_in)
    for event_pk, day in times.items():
        await PairEvent.filter(pk=event_pk).update(occurred_at=day)
    await Notification.filter(pair_id=pair.pk).update(created_at=started)


async def _stamp(pair_pk: int, times: dict[int, datetime], day: datetime) -> None:
    """The events the last step recorded happened on `day`."""
    for event in await PairEvent.filter(pair_id=pair_pk).exclude(id__in=list(times)):
        times[event.pk] = day


async def _backdate_the_rest(user_pks: list[int], group_pk: int, program_pk: int) -> None:
    """The demo's people registered and joined, the program opened and they signed up,
    all before the first pair (nobody else's rows are touched)."""
    before = now() - timedelta(days=max(h.days_ago for h in HISTORIES) + 14)
    await User.filter(pk__in=user_pks).update(created_at=before - timedelta(days=7))
    await Group.filter(pk=group_pk).update(created_at=before - timedelta(days=7))
    await GroupMembership.filter(group_id=group_pk).update(joined_at=before - timedelta(days=3))
    await Program.filter(pk=program_pk).update(created_at=before - timedelta(days=2))
    await SignUp.filter(program_id=program_pk).update(created_at=before)


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
    for history in HISTORIES:
        await _live_through(history, admin, people, sign_ups)
    await _backdate_the_rest([person.pk for person in people.values()], group.pk, program.pk)

    print(f"Demo data created. Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, name, what in DEMO_PEOPLE:
        print(f"  {email:<22} {name:<12} {what}")
    more = len(DEMO_PROFILES) - (len(DEMO_PEOPLE) - 1)
    print(f"  ...and {more} more mentors and mentees (mentor3-8@, mentee3-12@example.com).")
    print("  The program has weeks of history: pairs overdue for a check-in, stalled on a")
    print("  milestone, completed and ended (try Program.stats and pairsNeedingAttention),")
    print("  and people waiting to be paired (try suggestedMatches and proposedAssignment).")
