"""The three program templates: the content a program starts from. Data only; the
services copy it into a program's own questions and steps when the program is created."""

from dataclasses import dataclass

from models.enums import MentorshipRole, MilestoneKind, ProgramTemplate, QuestionKind

BOTH = (MentorshipRole.MENTOR, MentorshipRole.MENTEE)
MENTOR_ONLY = (MentorshipRole.MENTOR,)
MENTEE_ONLY = (MentorshipRole.MENTEE,)


# Choice questions that matching compares (`match_key` names the criterion).
MEETING_OPTIONS = ("Video call", "Phone", "Messages", "In person")
AVAILABILITY_OPTIONS = (
    "Weekday mornings",
    "Weekday afternoons",
    "Weekday evenings",
    "Weekends",
)


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    prompt: str
    required: bool
    applies_to: tuple[MentorshipRole, ...]
    kind: QuestionKind = QuestionKind.TEXT
    options: tuple[str, ...] = ()
    match_key: str | None = None


def topics_question(prompt: str, options: tuple[str, ...]) -> QuestionSpec:
    return QuestionSpec(
        prompt=prompt,
        required=True,
        applies_to=BOTH,
        kind=QuestionKind.MULTIPLE_CHOICE,
        options=options,
        match_key="topics",
    )


MEETING_QUESTION = QuestionSpec(
    prompt="How do you prefer to meet: video call, phone, messages, or in person?",
    required=True,
    applies_to=BOTH,
    kind=QuestionKind.MULTIPLE_CHOICE,
    options=MEETING_OPTIONS,
    match_key="meetingPreference",
)
AVAILABILITY_QUESTION = QuestionSpec(
    prompt="Which days and times usually work for you for a weekly check-in?",
    required=True,
    applies_to=BOTH,
    kind=QuestionKind.MULTIPLE_CHOICE,
    options=AVAILABILITY_OPTIONS,
    match_key="availability",
)


@dataclass(frozen=True, slots=True)
class StepSpec:
    kind: MilestoneKind
    title: str
    description: str
    suggested_week: int


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    template: ProgramTemplate
    title: str
    description: str
    questions: tuple[QuestionSpec, ...]
    steps: tuple[StepSpec, ...]


TEMPLATES: dict[ProgramTemplate, TemplateSpec] = {
    ProgramTemplate.CAREER_ADVANCEMENT: TemplateSpec(
        template=ProgramTemplate.CAREER_ADVANCEMENT,
        title="Career Advancement Mentorship",
        description=(
            "For members who want to move forward at work: going for a promotion, switching "
            "fields, returning after a break, or landing a first role. Mentees are paired with "
            "members a little further along a similar path. Over eight weeks, each pair agrees on "
            "one concrete career goal, works out what it takes, practices the hard conversation, "
            "and takes a real step toward it, checking in every week."
        ),
        questions=(
            QuestionSpec(
                prompt=(
                    "What career goal would you most like help with, such as a promotion, "
                    "switching fields, or finding your first job?"
                ),
                required=True,
                applies_to=MENTEE_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "What could you help a mentee with, such as interviewing, asking for a "
                    "promotion, negotiating pay, or changing fields?"
                ),
                required=True,
                applies_to=MENTOR_ONLY,
            ),
            QuestionSpec(
                prompt="What industry do you work in, and what stage of your career are you at?",
                required=True,
                applies_to=BOTH,
            ),
            topics_question(
                "Which topics do you want help with (mentees) or can you help with (mentors)?",
                (
                    "Promotion",
                    "Changing fields",
                    "First job",
                    "Interviewing",
                    "Negotiating pay",
                    "Leadership",
                    "Returning after a break",
                    "Networking",
                ),
            ),
            MEETING_QUESTION,
            AVAILABILITY_QUESTION,
            QuestionSpec(
                prompt="Is there anything else you'd like your mentor or mentee to know about you?",
                required=False,
                applies_to=BOTH,
            ),
        ),
        steps=(
            StepSpec(
                kind=MilestoneKind.INTRODUCTIONS,
                title="Get to know each other",
                description=(
                    "Share how you each got to where you are now, what you enjoy about your work, "
                    "and what has been hard. Agree on when and how you'll check in each week."
                ),
                suggested_week=1,
            ),
            StepSpec(
                kind=MilestoneKind.GOAL_SETTING,
                title="Agree on one career goal",
                description=(
                    "Narrow the mentee's hopes down to one goal you can make real progress on in "
                    "the next two months, like preparing a promotion case or applying to roles in "
                    "a new field. Write it in one sentence, along with how you'll know it's done."
                ),
                suggested_week=2,
            ),
            StepSpec(
                kind=MilestoneKind.RESOURCE_SHARING,
                title="Share useful resources and contacts",
                description=(
                    "The mentor shares job boards, courses, people worth meeting, and good "
                    "examples, such as a strong resume or a promotion write-up, that fit the goal. "
                    "Pick the two or three most useful and set the rest aside."
                ),
                suggested_week=3,
            ),
            StepSpec(
                kind=MilestoneKind.SKILL_KNOWLEDGE,
                title="Learn what the goal really takes",
                description=(
                    "Work out what the goal actually requires: the skills hiring managers look "
                    "for, how promotions are decided at the mentee's workplace, or how people in "
                    "the new field describe their work. List any gaps and one way to close each."
                ),
                suggested_week=4,
            ),
            StepSpec(
                kind=MilestoneKind.PLANNING,
                title="Make a step-by-step plan",
                description=(
                    "Turn the goal into a short list of dated steps, such as updating the resume, "
                    "booking time with a manager, or reaching out to three people in the new "
                    "field. Keep each step small enough to finish in a week."
                ),
                suggested_week=5,
            ),
            StepSpec(
                kind=MilestoneKind.CUSTOM,
                title="Practice with a mock interview",
                description=(
                    "Run a mock interview, or role-play the conversation the goal depends on, "
                    "like asking for a promotion or a raise. Swap roles once, then the mentor "
                    "names two things that went well and one thing to work on."
                ),
                suggested_week=6,
            ),
            StepSpec(
                kind=MilestoneKind.ACTION,
                title="Take the first real step",
                description=(
                    "The mentee acts on the plan: sends the applications, has the conversation "
                    "with their manager, or contacts the people on their list. Use the check-in "
                    "to talk through how it went and what to adjust."
                ),
                suggested_week=7,
            ),
            StepSpec(
                kind=MilestoneKind.REFLECTION,
                title="Look back and look ahead",
                description=(
                    "Talk about what has changed since week one, what worked, and what you'd do "
                    "differently. Agree on the mentee's next step on their own, and whether you'd "
                    "both like to stay in touch."
                ),
                suggested_week=8,
            ),
        ),
    ),
    ProgramTemplate.SKILL_DEVELOPMENT: TemplateSpec(
        template=ProgramTemplate.SKILL_DEVELOPMENT,
        title="Skill Development Mentorship",
        description=(
            "For members who want to get better at one specific skill, from public speaking or "
            "coding to bookkeeping or a craft. Mentees are matched with members who already "
            "practice that skill and enjoy passing it on. Over about seven weeks, each pair sets a "
            "skill goal, learns and practices with weekly feedback, and finishes with a small "
            "showcase of what the mentee can now do."
        ),
        questions=(
            QuestionSpec(
                prompt=(
                    "Which skill would you like to build, and what would you like to be able "
                    "to do with it?"
                ),
                required=True,
                applies_to=MENTEE_ONLY,
            ),
            QuestionSpec(
                prompt="Which skills could you help a mentee learn or improve?",
                required=True,
                applies_to=MENTOR_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "How would you describe your current level in this skill: just starting, "
                    "some experience, or fairly confident?"
                ),
                required=True,
                applies_to=MENTEE_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "How long have you practiced these skills, and have you taught or coached "
                    "anyone in them before?"
                ),
                required=True,
                applies_to=MENTOR_ONLY,
            ),
            topics_question(
                "Which skills do you want to build (mentees) or can you teach (mentors)?",
                (
                    "Public speaking",
                    "Writing",
                    "Coding",
                    "Data analysis",
                    "Design",
                    "Bookkeeping",
                    "Languages",
                    "Crafts",
                ),
            ),
            MEETING_QUESTION,
            AVAILABILITY_QUESTION,
            QuestionSpec(
                prompt=(
                    "Is there anything about how you learn or teach best that your match "
                    "should know?"
                ),
                required=False,
                applies_to=BOTH,
            ),
        ),
        steps=(
            StepSpec(
                kind=MilestoneKind.INTRODUCTIONS,
                title="Get to know each other",
                description=(
                    "Share how each of you came to the skill and what you enjoy about it. The "
                    "mentee describes where they are today, and you agree on when and how you'll "
                    "check in each week."
                ),
                suggested_week=1,
            ),
            StepSpec(
                kind=MilestoneKind.GOAL_SETTING,
                title="Agree on a skill goal",
                description=(
                    "Pick one specific, visible result the mentee can reach in about six weeks, "
                    "like giving a five-minute talk without notes or building a small working app. "
                    'Write down what "done" will look like.'
                ),
                suggested_week=2,
            ),
            StepSpec(
                kind=MilestoneKind.RESOURCE_SHARING,
                title="Gather learning resources",
                description=(
                    "The mentor shares the books, videos, courses, tools, and communities that "
                    "helped them, and together you choose a few that suit the mentee's level and "
                    "budget. A short list you'll actually use beats a long one."
                ),
                suggested_week=2,
            ),
            StepSpec(
                kind=MilestoneKind.SKILL_KNOWLEDGE,
                title="Learn the fundamentals",
                description=(
                    "Work through the core ideas of the skill together. The mentor shows or "
                    "explains, the mentee tries it, and you talk about the common beginner "
                    "mistakes and how to spot them."
                ),
                suggested_week=3,
            ),
            StepSpec(
                kind=MilestoneKind.PLANNING,
                title="Make a practice plan",
                description=(
                    "Set up a weekly practice routine the mentee can realistically keep, with "
                    "small exercises that build toward the goal. Decide what the mentee will bring "
                    "to each check-in for feedback."
                ),
                suggested_week=4,
            ),
            StepSpec(
                kind=MilestoneKind.ACTION,
                title="Practice and get feedback",
                description=(
                    "The mentee practices on their own and brings their work to the check-in: a "
                    "draft, a recording, some code, or a finished piece. The mentor gives specific "
                    "feedback, and you adjust the plan together."
                ),
                suggested_week=5,
            ),
            StepSpec(
                kind=MilestoneKind.CUSTOM,
                title="Hold a practice showcase",
                description=(
                    "The mentee shows what they can do now: gives the talk, demos the project, or "
                    "shares the finished piece, with the mentor and anyone else they'd like to "
                    "invite. Celebrate the progress before getting into notes."
                ),
                suggested_week=6,
            ),
            StepSpec(
                kind=MilestoneKind.REFLECTION,
                title="Reflect and plan what's next",
                description=(
                    "Compare where the mentee started with where they are now. Talk about what "
                    "helped most, what to keep practicing, and which resources or communities can "
                    "support them from here."
                ),
                suggested_week=7,
            ),
        ),
    ),
    ProgramTemplate.ENCOURAGEMENT_AND_SUPPORT: TemplateSpec(
        template=ProgramTemplate.ENCOURAGEMENT_AND_SUPPORT,
        title="Encouragement and Support Mentorship",
        description=(
            "For members going through something hard, such as a loss, a health challenge, "
            "recovery, or a big life change, who would value a steady, understanding person to "
            "talk with. Mentors are fellow members, often with lived experience of something "
            "similar; they are peers, not counselors or medical professionals. Over eight gentle "
            "weeks, pairs check in weekly, set one small goal, and build a support network that "
            "lasts beyond the program."
        ),
        questions=(
            QuestionSpec(
                prompt=(
                    "What would you like support with right now, sharing only as much as you feel "
                    "comfortable with?"
                ),
                required=True,
                applies_to=MENTEE_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "What kind of support do you feel able to offer, such as listening, sharing "
                    "what helped you, or encouraging small steps?"
                ),
                required=True,
                applies_to=MENTOR_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "As a peer mentor, not a counselor or therapist, what lived experience do you "
                    "have that could help you relate to a mentee?"
                ),
                required=True,
                applies_to=MENTOR_ONLY,
            ),
            QuestionSpec(
                prompt=(
                    "What kinds of support, if any, have helped you before, such as a group, a "
                    "friend, or a mentor?"
                ),
                required=False,
                applies_to=MENTEE_ONLY,
            ),
            topics_question(
                "Which topics would you like support with (mentees) or can you support (mentors)?",
                (
                    "Stress",
                    "Grief",
                    "Job loss",
                    "Parenting",
                    "Health",
                    "Loneliness",
                    "Big life change",
                    "Confidence",
                ),
            ),
            MEETING_QUESTION,
            AVAILABILITY_QUESTION,
            QuestionSpec(
                prompt=(
                    "Is there anything you'd like your match to know, or any topics you'd rather "
                    "not talk about?"
                ),
                required=False,
                applies_to=BOTH,
            ),
        ),
        steps=(
            StepSpec(
                kind=MilestoneKind.INTRODUCTIONS,
                title="Get to know each other",
                description=(
                    "Take it slowly and talk about more than the hard things: your interests, your "
                    "week, what brought you to the group. Agree on how you'll reach each other, "
                    "when you'll check in, and anything that's off-limits for now."
                ),
                suggested_week=1,
            ),
            StepSpec(
                kind=MilestoneKind.GOAL_SETTING,
                title="Choose one small goal",
                description=(
                    "Pick one small, gentle goal for the next few weeks, like getting outside "
                    "three times a week or reconnecting with a friend. It should feel doable on a "
                    "tough day, not just a good one."
                ),
                suggested_week=2,
            ),
            StepSpec(
                kind=MilestoneKind.RESOURCE_SHARING,
                title="Share what has helped",
                description=(
                    "The mentor shares what helped them through a similar time, such as books, "
                    "routines, groups, or services. Together, also look up professional and crisis "
                    "support nearby, so it's easy to find if more than a peer can offer is needed."
                ),
                suggested_week=3,
            ),
            StepSpec(
                kind=MilestoneKind.SKILL_KNOWLEDGE,
                title="Explore ways to cope",
                description=(
                    "Talk about coping approaches that have worked for each of you, like a daily "
                    "routine, journaling, moving your body, or asking for help. The mentee picks "
                    "one or two to try, with no pressure to get it right."
                ),
                suggested_week=4,
            ),
            StepSpec(
                kind=MilestoneKind.CUSTOM,
                title="Map your support network",
                description=(
                    "Together, list the people, places, and services the mentee can lean on: "
                    "friends, family, group members, and professionals. Notice where support feels "
                    "thin and choose one connection to strengthen."
                ),
                suggested_week=5,
            ),
            StepSpec(
                kind=MilestoneKind.PLANNING,
                title="Plan for the weeks ahead",
                description=(
                    "Break the goal into a few small steps, and plan for the hard moments too: "
                    "what the mentee can do, and who they can reach out to, when a day goes badly. "
                    "Keep the plan short enough to remember."
                ),
                suggested_week=6,
            ),
            StepSpec(
                kind=MilestoneKind.ACTION,
                title="Take a step forward",
                description=(
                    "The mentee tries one step from the plan, such as going to a group meetup or "
                    "reaching out to someone on their support map. At the check-in, talk about how "
                    "it felt, and treat setbacks as part of the process, not a failure."
                ),
                suggested_week=7,
            ),
            StepSpec(
                kind=MilestoneKind.REFLECTION,
                title="Reflect on how far you've come",
                description=(
                    "Look back at how things felt in week one and how they feel now, and name the "
                    "progress, however small. Talk about how the mentee will keep their support "
                    "network going, and whether you'd like to stay in touch."
                ),
                suggested_week=8,
            ),
        ),
    ),
}
