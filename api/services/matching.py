"""Match suggestions: explainable scores of mentor and mentee sign-ups, tuned per program.

Each criterion gives a value in 0..1 for a (mentee, mentor) couple; the score is the sum
of value x normalised weight, so it lies in 0..1 and equals the sum of the reasons'
contributions. Everything is loaded in a fixed number of queries and scored as numpy
matrices (mentees x mentors), so a cohort of 500 x 500 takes a fraction of a second.

Hard rules, never scored away: not the same person, not a blocked couple, only PENDING
mentees without a pair and live mentors with a free slot.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from api import words
from api.errors import BadUserInput, DomainError, Problem
from api.services import access
from api.services import signups as signups_service
from api.services.engagement import Engagement, describe, engagement_of
from api.services.transactions import in_transaction
from api.validation import LIST_MAX, FormatChecker
from models import Answer, Block, MatchingWeight, Program, SignUp, SignUpQuestion, User
from models.enums import MentorshipRole, QuestionKind, SignUpStatus

# name -> (default weight, what it measures). Order is the order of the reasons.
CRITERIA: dict[str, tuple[float, str]] = {
    "topics": (3.0, "Overlap of the topics or skills both chose (Jaccard)."),
    "meetingPreference": (1.5, "Whether they share a way to meet."),
    "availability": (1.5, "Share of the mentee's times the mentor is also free."),
    "goals": (2.0, "Similarity of their free-text answers (TF-IDF cosine)."),
    "capacity": (1.0, "The mentor's free slots, out of the most a mentor may take."),
    "engagement": (1.0, "The mentor's engagement score."),
}
CHOICE_CRITERIA = ("topics", "meetingPreference", "availability")
# Not a criterion but set with them: the least score a proposed pair may have. Without
# it, an optimal assignment pairs anyone with anyone (a score of 0.045 beats leaving a
# mentee unmatched), and the two objectives agree on every cohort.
MINIMUM_SCORE = "minimumScore"
DEFAULT_MINIMUM_SCORE = 0.2
MINIMUM_SCORE_DESCRIPTION = (
    "The least score a proposed pair may have (0..1): proposedAssignment leaves couples "
    "below it unpaired, and suggestedMatches says so in their reasons."
)
# Shown scores, weights and contributions are rounded to this many decimals (the score
# is the sum of the rounded contributions, so it still equals their sum).
DECIMALS = 4
WEIGHT_MAX = 100.0
OPTION_MAX = 100
OPTIONS_MAX = 50

# --- question options and choice answers -----------------------------------------------


def check_options(
    check: FormatChecker,
    kind: QuestionKind,
    options: Sequence[str],
    match_key: str | None,
    path: Sequence[str],
) -> tuple[str, ...]:
    """Validate a question's options; returns them trimmed."""
    if match_key is not None and match_key not in CHOICE_CRITERIA:
        raise BadUserInput(f"matchKey must be one of {', '.join(CHOICE_CRITERIA)}, or null.")
    if kind == QuestionKind.TEXT:
        if options or match_key is not None:
            raise BadUserInput("A TEXT question has no options and no matchKey.")
        return ()
    if len(options) > OPTIONS_MAX:
        raise BadUserInput(f"At most {OPTIONS_MAX} options.")
    clean = tuple(o.strip() for o in options)
    field = [*path, "options"]
    seen = {o.casefold() for o in clean}
    if len(clean) < 2:
        check.add("INVALID_OPTIONS", "A choice question needs at least two options.", field)
    elif any(not o or len(o) > OPTION_MAX or "," in o for o in clean):
        check.add(
            "INVALID_OPTIONS",
            f"Options must be 1-{OPTION_MAX} characters, without commas.",
            field,
        )
    elif len(seen) != len(clean):
        check.add("INVALID_OPTIONS", "Options must differ from each other.", field)
    return clean


def normalize_choice_answer(kind: QuestionKind, options: Sequence[str], value: str) -> str:
    """The stored form of an answer to a choice question: the chosen options, each spelt
    as the option, joined with ", ". A MULTIPLE_CHOICE answer is a JSON list of strings or
    a comma-separated text. Text that names no option is kept as a write-in ("Other"),
    which matching ignores. Raises ValueError for what cannot be an answer."""
    if kind == QuestionKind.TEXT:
        return value
    if value.startswith("["):
        items = json.loads(value)  # JSONDecodeError is a ValueError
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError("a JSON list of option strings")
        items = [i.strip() for i in items if i.strip()]
    elif kind == QuestionKind.MULTIPLE_CHOICE:
        items = [i.strip() for i in re.split(r"[,\n]", value) if i.strip()]
    else:
        items = [value]
    if kind == QuestionKind.SINGLE_CHOICE and len(items) != 1:
        raise ValueError("exactly one option")
    spelling = {o.casefold(): o for o in options}
    return ", ".join(dict.fromkeys(spelling.get(i.casefold(), i) for i in items))


def chosen_options(kind: QuestionKind, options: Sequence[str], stored: str) -> list[str]:
    """The known options a stored answer names (write-ins left out)."""
    if kind == QuestionKind.TEXT:
        return []
    known = set(options)
    items = [stored] if kind == QuestionKind.SINGLE_CHOICE else stored.split(", ")
    return [i for i in items if i in known]


def criterion_of(question: SignUpQuestion) -> str | None:
    """The criterion a question's answers feed: its match key, else topics for choice
    questions, else goals (free text)."""
    if question.kind == QuestionKind.TEXT:
        return "goals"
    return question.match_key or "topics"


# --- weights ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightDraft:
    criterion: str
    weight: float


@dataclass(frozen=True)
class MatchingSettings:
    """A program's matching, as its admin set it: each criterion's raw weight, and the
    minimum score."""

    weights: dict[str, float]
    minimum_score: float


async def program_matching(program_pk: int) -> MatchingSettings:
    """The admin's weights and minimum score, or the defaults, in one query."""
    weights = {name: default for name, (default, _) in CRITERIA.items()}
    minimum = DEFAULT_MINIMUM_SCORE
    rows = await MatchingWeight.filter(program_id=program_pk).values_list("criterion", "weight")
    for criterion, weight in rows:
        if criterion == MINIMUM_SCORE:
            minimum = weight
        elif criterion in weights:
            weights[criterion] = weight
    return MatchingSettings(weights, minimum)


def normalised(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: (w / total if total else 0.0) for name, w in weights.items()}


def _weight_problem(index: int, draft: WeightDraft) -> Problem | None:
    path = ("weights", str(index))
    if draft.criterion == MINIMUM_SCORE:
        if math.isfinite(draft.weight) and 0 <= draft.weight <= 1:
            return None
        return Problem(
            "INVALID_WEIGHT", "The minimum score is a number from 0 to 1.", (*path, "weight")
        )
    if draft.criterion not in CRITERIA:
        return Problem(
            "UNKNOWN_CRITERION",
            f"Unknown criterion {draft.criterion[:50]!r}; use one of "
            f"{', '.join(CRITERIA)} or {MINIMUM_SCORE}.",
            (*path, "criterion"),
        )
    if not (math.isfinite(draft.weight) and 0 <= draft.weight <= WEIGHT_MAX):
        return Problem(
            "INVALID_WEIGHT", f"A weight is a number from 0 to {WEIGHT_MAX:g}.", (*path, "weight")
        )
    return None


async def set_matching_weights(
    viewer: User, program_pk: int, drafts: Sequence[WeightDraft]
) -> tuple[Program, MatchingSettings]:
    """Change some criteria's weights (0..100 each) or the minimum score (0..1); the
    others keep theirs."""
    program = await access.visible_program(viewer, program_pk)
    await access.require_group_admin(viewer, program.group_id)
    if len(drafts) > LIST_MAX:
        raise BadUserInput(f"At most {LIST_MAX} weights.")
    names = [d.criterion for d in drafts]
    if len(set(names)) != len(names):
        raise BadUserInput("Each criterion may appear once.")
    problems = [p for i, d in enumerate(drafts) if (p := _weight_problem(i, d)) is not None]
    if problems:
        raise DomainError(problems)
    current = await program_matching(program.pk)
    weights = dict(current.weights)
    weights.update({d.criterion: d.weight for d in drafts if d.criterion != MINIMUM_SCORE})
    minimum = next((d.weight for d in drafts if d.criterion == MINIMUM_SCORE), None)
    if sum(weights.values()) <= 0:
        raise DomainError.one(
            "INVALID_WEIGHT", "At least one criterion needs a weight above 0.", ["weights"]
        )
    async with in_transaction():
        for draft in drafts:
            await MatchingWeight.update_or_create(
                defaults={"weight": draft.weight},
                program_id=program.pk,
                criterion=draft.criterion,
            )
    return program, MatchingSettings(weights, current.minimum_score if minimum is None else minimum)


# --- the cohort, loaded once -----------------------------------------------------------


@dataclass
class Cohort:
    """Everything scoring needs, for the pending mentees and the mentors with room."""

    program: Program
    mentees: list[SignUp]
    mentors: list[SignUp]
    weights: dict[str, float]  # normalised
    minimum_score: float
    values: dict[str, np.ndarray]  # criterion -> (mentees x mentors) in 0..1
    feasible: np.ndarray  # (mentees x mentors) bool: the hard rules
    choices: dict[int, dict[str, list[str]]]  # sign-up pk -> criterion -> options
    terms: dict[int, Counter[str]]  # sign-up pk -> free-text terms
    idf: dict[str, float]
    engagement: dict[int, Engagement]

    @property
    def scores(self) -> np.ndarray:
        """Each couple's score, as shown: the sum of its rounded contributions."""
        total = np.zeros((len(self.mentees), len(self.mentors)))
        for name, weight in self.weights.items():
            total += np.round(round(weight, DECIMALS) * self.values[name], DECIMALS)
        return np.round(total, DECIMALS)

    def below_minimum(self, score: float | np.ndarray) -> Any:
        """Whether a score (or each of a matrix) is under the program's minimum: the one
        rule the assignment and the suggestions' reasons share."""
        return score < self.minimum_score - 1e-9


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "the and for with you your are was were this that what how who can could would have "
        "has had not but about into from our out any all some more most such very also just "
        "like want help my me an of to in on at or as is it be by do",
    )
)


def terms_of(text: str) -> Counter[str]:
    return Counter(w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP)


async def load_cohort(program: Program, viewer_pk: int | None = None) -> Cohort:
    """The cohort in a fixed number of queries, whatever its size. With `viewer_pk`,
    the sign-ups of people who blocked the viewer are left out (the admin does not see
    them, see `access.sign_ups_visible_to`)."""
    questions = {q.pk: q for q in await SignUpQuestion.filter(program_id=program.pk)}
    settings = await program_matching(program.pk)
    weights = normalised(settings.weights)
    query = SignUp.filter(program_id=program.pk, live=True)
    if viewer_pk is not None:
        query = access.sign_ups_visible_to(viewer_pk, program.pk).filter(live=True)
    live = await query.order_by("id")
    mentees = [
        s
        for s in live
        if s.role == MentorshipRole.MENTEE
        and s.status == SignUpStatus.PENDING
        and s.slots_used < s.capacity
    ]
    mentors = [s for s in live if s.role == MentorshipRole.MENTOR and s.slots_used < s.capacity]
    ids = {s.pk for s in mentees} | {s.pk for s in mentors}
    answers = await Answer.filter(sign_up__program_id=program.pk, sign_up__live=True).values_list(
        "sign_up_id", "question_id", "value"
    )
    user_ids = sorted({s.user_id for s in mentees} | {s.user_id for s in mentors})
    blocks = (
        await Block.filter(blocker_id__in=user_ids, blocked_id__in=user_ids).values_list(
            "blocker_id", "blocked_id"
        )
        if user_ids
        else []
    )
    engagement = await engagement_of(mentors, program.group_id)

    choices: dict[int, dict[str, list[str]]] = {pk: {} for pk in ids}
    texts: dict[int, list[str]] = {pk: [] for pk in ids}
    for sign_up_id, question_id, value in answers:
        question = questions.get(question_id)
        if sign_up_id not in ids or question is None:
            continue
        criterion = criterion_of(question)
        if criterion == "goals":
            texts[sign_up_id].append(value)
        else:
            picked = chosen_options(question.kind, question.options, value)
            bucket = choices[sign_up_id].setdefault(criterion, [])
            bucket.extend(o for o in picked if o not in bucket)
    terms = {pk: terms_of(" ".join(parts)) for pk, parts in texts.items()}

    values: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {c: [] for c in CHOICE_CRITERIA}
    for question in questions.values():
        criterion = criterion_of(question)
        if criterion in vocab:
            vocab[criterion].extend(o for o in question.options if o not in vocab[criterion])
    for criterion in CHOICE_CRITERIA:
        e = _indicator(mentees, choices, criterion, vocab[criterion])
        m = _indicator(mentors, choices, criterion, vocab[criterion])
        shared = e @ m.T
        e_size, m_size = e.sum(axis=1)[:, None], m.sum(axis=1)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            if criterion == "topics":
                union = e_size + m_size - shared
                values[criterion] = np.where(union > 0, shared / union, 0.0)
            elif criterion == "meetingPreference":
                values[criterion] = (shared > 0).astype(float)
            else:
                values[criterion] = np.where(e_size > 0, shared / e_size, 0.0)
    idf = _idf([terms[s.pk] for s in mentees] + [terms[s.pk] for s in mentors])
    values["goals"] = _cosine([terms[s.pk] for s in mentees], [terms[s.pk] for s in mentors], idf)
    free = np.array(
        [(s.capacity - s.slots_used) / signups_service.MAX_MENTOR_CAPACITY for s in mentors]
    )
    values["capacity"] = np.broadcast_to(np.clip(free, 0, 1), (len(mentees), len(mentors)))
    drive = np.array([engagement[s.pk].score for s in mentors])
    values["engagement"] = np.broadcast_to(drive, (len(mentees), len(mentors)))

    mentee_users = np.array([s.user_id for s in mentees], dtype=np.int64)
    mentor_users = np.array([s.user_id for s in mentors], dtype=np.int64)
    feasible = mentee_users[:, None] != mentor_users[None, :]
    if blocks:
        mentee_at = {u: i for i, u in enumerate(mentee_users.tolist())}
        mentor_at: dict[int, list[int]] = {}
        for j, u in enumerate(mentor_users.tolist()):
            mentor_at.setdefault(u, []).append(j)
        for a, b in blocks:
            for x, y in ((a, b), (b, a)):
                if x in mentee_at:
                    for j in mentor_at.get(y, []):
                        feasible[mentee_at[x], j] = False
    return Cohort(
        program=program,
        mentees=mentees,
        mentors=mentors,
        weights=weights,
        minimum_score=settings.minimum_score,
        values=values,
        feasible=feasible,
        choices=choices,
        terms=terms,
        idf=idf,
        engagement=engagement,
    )


def _indicator(
    sign_ups: list[SignUp],
    choices: dict[int, dict[str, list[str]]],
    criterion: str,
    vocab: list[str],
) -> np.ndarray:
    column = {o: k for k, o in enumerate(vocab)}
    matrix = np.zeros((len(sign_ups), max(len(vocab), 1)))
    for row, sign_up in enumerate(sign_ups):
        for option in choices[sign_up.pk].get(criterion, []):
            matrix[row, column[option]] = 1.0
    return matrix


def _idf(documents: list[Counter[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over the cohort's own answers."""
    frequency: Counter[str] = Counter()
    for document in documents:
        frequency.update(document.keys())
    n = len(documents)
    return {term: math.log((1 + n) / (1 + df)) + 1 for term, df in frequency.items()}


def _tfidf(documents: list[Counter[str]], idf: dict[str, float], column: dict[str, int]):
    rows, cols, data = [], [], []
    for r, document in enumerate(documents):
        for term, count in document.items():
            rows.append(r)
            cols.append(column[term])
            data.append(count * idf[term])
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(documents), max(len(column), 1)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


def _cosine(
    mentees: list[Counter[str]], mentors: list[Counter[str]], idf: dict[str, float]
) -> np.ndarray:
    column = {term: k for k, term in enumerate(idf)}
    similarity = _tfidf(mentees, idf, column) @ _tfidf(mentors, idf, column).T
    return np.clip(similarity.toarray(), 0.0, 1.0)


# --- suggestions and their reasons -----------------------------------------------------


@dataclass(frozen=True)
class Reason:
    criterion: str
    weight: float
    contribution: float
    detail: str


@dataclass(frozen=True)
class Suggestion:
    mentor: SignUp
    mentee: SignUp
    score: float
    reasons: list[Reason]


def _names(options: Sequence[str]) -> str:
    return ", ".join(options) if options else "none"


def _detail(cohort: Cohort, criterion: str, i: int, j: int) -> str:
    mentee, mentor = cohort.mentees[i], cohort.mentors[j]
    value = float(cohort.values[criterion][i, j])
    if criterion in CHOICE_CRITERIA:
        wants = cohort.choices[mentee.pk].get(criterion, [])
        offers = cohort.choices[mentor.pk].get(criterion, [])
        shared = [o for o in wants if o in offers]
        if criterion == "topics":
            if not wants or not offers:
                return "Topics not given by " + ("the mentee" if not wants else "the mentor")
            union = len(set(wants) | set(offers))
            return f"Shares {len(shared)} of {union} topics: {_names(shared)}"
        if criterion == "meetingPreference":
            if shared:
                return f"Both can meet by: {_names(shared)}"
            return f"No way to meet in common (mentee: {_names(wants)}; mentor: {_names(offers)})"
        if not wants:
            return "The mentee gave no times"
        return (
            f"Mentor is free {len(shared)} of the mentee's {words.count(len(wants), 'time')}: "
            f"{_names(shared)}"
        )
    if criterion == "goals":
        a, b = cohort.terms[mentee.pk], cohort.terms[mentor.pk]
        common = sorted(set(a) & set(b), key=lambda t: (-a[t] * b[t] * cohort.idf[t] ** 2, t))
        if not common:
            return "No words in common in their written answers"
        return f"Written answers are {value:.0%} similar; shared words: {', '.join(common[:5])}"
    if criterion == "capacity":
        free = mentor.capacity - mentor.slots_used
        return f"Mentor has {free} of {words.count(mentor.capacity, 'slot')} free"
    return describe(cohort.engagement[mentor.pk])


def suggestion(cohort: Cohort, i: int, j: int) -> Suggestion:
    reasons = [
        Reason(
            criterion=name,
            weight=round(weight, DECIMALS),
            # Rounded as `Cohort.scores` rounds, so a couple's score is the same there.
            contribution=float(
                np.round(round(weight, DECIMALS) * cohort.values[name][i, j], DECIMALS)
            ),
            detail=_detail(cohort, name, i, j),
        )
        for name, weight in cohort.weights.items()
    ]
    score = float(np.round(sum(r.contribution for r in reasons), DECIMALS))
    if cohort.below_minimum(score):
        reasons.append(
            Reason(
                criterion=MINIMUM_SCORE,
                weight=cohort.minimum_score,
                contribution=0.0,
                detail=f"Below this program's minimum score of {cohort.minimum_score:.2f}: "
                "proposedAssignment leaves this couple unpaired",
            )
        )
    return Suggestion(
        mentor=cohort.mentors[j], mentee=cohort.mentees[i], score=score, reasons=reasons
    )


def ranked(cohort: Cohort, first: int, mentee_pk: int | None = None) -> list[Suggestion]:
    """The best `first` couples: for one mentee, or across the whole cohort."""
    if not cohort.mentees or not cohort.mentors or first == 0:
        return []
    scores = np.where(cohort.feasible, cohort.scores, -1.0)
    if mentee_pk is not None:
        at = [i for i, s in enumerate(cohort.mentees) if s.pk == mentee_pk]
        if not at:
            return []
        row = scores[at[0]]
        order = np.argsort(-row, kind="stable")[:first]
        return [suggestion(cohort, at[0], int(j)) for j in order if row[j] >= 0]
    flat = scores.ravel()
    k = min(first, flat.size)
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top], kind="stable")]
    width = scores.shape[1]
    return [suggestion(cohort, int(f) // width, int(f) % width) for f in top if flat[f] >= 0]


async def suggested_matches(
    program: Program, first: int, mentee_pk: int | None = None, viewer_pk: int | None = None
) -> list[Suggestion]:
    """Ranked suggestions; the caller checked that the viewer is the group's admin."""
    cohort = await load_cohort(program, viewer_pk)
    return ranked(cohort, first, mentee_pk)
