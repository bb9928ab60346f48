"""Match suggestions: question kinds, scores and their reasons, weights, the hard rules,
engagement, and a bounded number of SQL statements."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.helpers import SIGN_UP, Api, Person
from tests.test_query_counts import counting_statements

QUESTIONS = """
query($id: ID!) { program(id: $id) { questions { id prompt kind options matchKey appliesTo required } } }"""
SUGGESTIONS = """
query($id: ID!, $mentee: ID, $first: Int) { program(id: $id) {
  suggestedMatches(menteeSignUpId: $mentee, first: $first) {
    score mentor { id user { name } } mentee { id user { name } }
    reasons { criterion weight contribution detail }
  }
} }"""
WEIGHTS = "query($id: ID!) { program(id: $id) { matchingWeights { criterion weight normalizedWeight description } } }"
SET_WEIGHTS = """
mutation($input: SetMatchingWeightsInput!) {
  setMatchingWeights(input: $input) {
    program { id } matchingWeights { criterion weight normalizedWeight }
    userErrors { field message code }
  }
}"""
ENGAGEMENT = """
query($id: ID!) { node(id: $id) { ... on SignUp { engagement {
  tenureDays pairsCompleted pairsEnded checkInRegularity milestonesCompleted score
} answers { question { kind } value } } } }"""
BLOCK = "mutation($input: BlockUserInput!) { blockUser(input: $input) { userErrors { code } } }"
END_PAIR = "mutation($input: EndPairInput!) { endPair(input: $input) { userErrors { code } } }"

CRITERIA_ORDER = ("topics", "meetingPreference", "availability", "goals", "capacity", "engagement")
CRITERIA = set(CRITERIA_ORDER)


@dataclass
class Profile:
    """What a person answers: choices per match key, and a free-text goal."""

    topics: list[str] = field(default_factory=list)
    meeting: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    goal: str = "Happy to talk."


@dataclass
class Cohort:
    admin: Person
    group_id: str
    program_id: str
    people: dict[str, Person] = field(default_factory=dict)
    sign_ups: dict[str, str] = field(default_factory=dict)  # name -> sign-up id


def answers_for(api: Api, program_id: str, role: str, profile: Profile, token: str) -> list[dict]:
    questions = api.data(QUESTIONS, {"id": program_id}, token)["program"]["questions"]
    chosen = {
        "topics": profile.topics,
        "meetingPreference": profile.meeting,
        "availability": profile.times,
    }
    answers = []
    for q in questions:
        if role not in q["appliesTo"]:
            continue
        if q["kind"] == "TEXT":
            answers.append({"questionId": q["id"], "value": profile.goal})
        elif chosen.get(q["matchKey"]):
            answers.append({"questionId": q["id"], "value": ", ".join(chosen[q["matchKey"]])})
        elif q["required"]:  # a write-in, which matching ignores
            answers.append({"questionId": q["id"], "value": "Not sure yet"})
    return answers


def cohort(api: Api) -> Cohort:
    admin = api.person("Ada")
    group_id = api.group(admin)
    return Cohort(admin, group_id, api.program(admin, group_id))


def enrol(
    api: Api, c: Cohort, name: str, role: str, profile: Profile, capacity: int | None = None
) -> str:
    person = c.people.get(name)
    if person is None:
        person = c.people[name] = api.person(name)
        api.join(person, c.group_id)
    answers = answers_for(api, c.program_id, role, profile, person.token)
    payload = api.ok(
        SIGN_UP,
        {"programId": c.program_id, "role": role, "answers": answers, "capacity": capacity},
        person.token,
    )
    c.sign_ups[f"{name}:{role}"] = payload["signUp"]["id"]
    return payload["signUp"]["id"]


def suggestions(api: Api, c: Cohort, mentee: str | None = None, first: int | None = None):
    variables = {"id": c.program_id, "mentee": mentee, "first": first}
    return api.data(SUGGESTIONS, variables, c.admin.token)["program"]["suggestedMatches"]


GOOD = Profile(
    topics=["Changing fields", "Interviewing"],
    meeting=["Video call"],
    times=["Weekday evenings", "Weekends"],
    goal="Move from teaching into data analysis with python and sql.",
)


def _ranked_cohort(api: Api) -> Cohort:
    c = cohort(api)
    enrol(api, c, "Mia", "MENTEE", GOOD)
    enrol(
        api,
        c,
        "Close",
        "MENTOR",
        Profile(
            topics=["Changing fields", "Interviewing", "Networking"],
            meeting=["Video call", "Phone"],
            times=["Weekday evenings"],
            goal="I moved from teaching into data analysis; python and sql every day.",
        ),
    )
    enrol(
        api,
        c,
        "Far",
        "MENTOR",
        Profile(
            topics=["Negotiating pay"],
            meeting=["In person"],
            times=["Weekday mornings"],
            goal="Twenty years in retail management.",
        ),
    )
    return c


def test_templates_ask_choice_questions_for_matching(api: Api) -> None:
    c = cohort(api)
    questions = api.data(QUESTIONS, {"id": c.program_id}, c.admin.token)["program"]["questions"]
    keys = {q["matchKey"]: q for q in questions if q["kind"] == "MULTIPLE_CHOICE"}
    assert set(keys) == {"topics", "meetingPreference", "availability"}
    assert keys["meetingPreference"]["options"] == ["Video call", "Phone", "Messages", "In person"]
    assert all(q["options"] == [] for q in questions if q["kind"] == "TEXT")


def test_choice_answers_are_stored_as_the_options_and_bad_ones_refused(api: Api) -> None:
    c = cohort(api)
    sign_up = enrol(api, c, "Mia", "MENTEE", Profile(topics=["interviewing", "FIRST JOB"]))
    answers = api.data(ENGAGEMENT, {"id": sign_up}, c.admin.token)["node"]["answers"]
    assert "First job, Interviewing" not in [a["value"] for a in answers]
    assert "Interviewing, First job" in [a["value"] for a in answers]

    newcomer = api.person()
    api.join(newcomer, c.group_id)
    answers = answers_for(api, c.program_id, "MENTEE", GOOD, newcomer.token)
    questions = api.data(QUESTIONS, {"id": c.program_id}, c.admin.token)["program"]["questions"]
    topics = next(q["id"] for q in questions if q["matchKey"] == "topics")
    index = next(i for i, a in enumerate(answers) if a["questionId"] == topics)
    answers[index]["value"] = "[1, 2]"
    before = api.snapshot()
    payload = api.mutate(
        SIGN_UP, {"programId": c.program_id, "role": "MENTEE", "answers": answers}, newcomer.token
    )
    assert payload["userErrors"] == [
        {
            "field": ["answers", str(index), "value"],
            "code": "INVALID_CHOICE",
            "message": payload["userErrors"][0]["message"],
        }
    ]
    assert "Interviewing" in payload["userErrors"][0]["message"]
    assert api.snapshot() == before


def test_suggestions_are_ranked_and_explained(api: Api) -> None:
    c = _ranked_cohort(api)
    found = suggestions(api, c, c.sign_ups["Mia:MENTEE"])
    assert [s["mentor"]["user"]["name"] for s in found] == ["Close", "Far"]
    best, worst = found
    assert 0 <= worst["score"] < best["score"] <= 1
    for s in found:
        scored = [r for r in s["reasons"] if r["criterion"] != "minimumScore"]
        assert [r["criterion"] for r in scored] == list(CRITERIA_ORDER)
        assert s["score"] == pytest.approx(sum(r["contribution"] for r in s["reasons"]))
        assert sum(r["weight"] for r in scored) == pytest.approx(1, abs=1e-3)
        assert all(0 <= r["contribution"] <= r["weight"] + 1e-9 for r in s["reasons"])
        # Shown to 4 decimals, not as 0.04000000000000001.
        numbers = [s["score"]] + [r[k] for r in s["reasons"] for k in ("weight", "contribution")]
        assert all(round(n, 4) == n for n in numbers)
    # The far mentor scores under the default minimum (0.2): a reason says so.
    assert worst["score"] < 0.2 <= best["score"]
    assert "minimumScore" not in {r["criterion"] for r in best["reasons"]}
    below = worst["reasons"][-1]
    assert below == {
        "criterion": "minimumScore",
        "weight": 0.2,
        "contribution": 0,
        "detail": "Below this program's minimum score of 0.20: proposedAssignment leaves "
        "this couple unpaired",
    }
    reasons = {r["criterion"]: r for r in best["reasons"]}
    assert reasons["topics"]["detail"] == "Shares 2 of 3 topics: Changing fields, Interviewing"
    assert reasons["topics"]["contribution"] == pytest.approx(
        reasons["topics"]["weight"] * 2 / 3, abs=1e-4
    )
    assert reasons["meetingPreference"]["detail"] == "Both can meet by: Video call"
    assert reasons["availability"]["detail"] == (
        "Mentor is free 1 of the mentee's 2 times: Weekday evenings"
    )
    assert "python" in reasons["goals"]["detail"] and "sql" in reasons["goals"]["detail"]
    assert reasons["capacity"]["detail"] == "Mentor has 1 of 1 slot free"
    assert reasons["engagement"]["detail"].startswith("Engagement ")
    far = {r["criterion"]: r for r in worst["reasons"]}
    assert far["topics"]["contribution"] == 0
    assert far["meetingPreference"]["detail"].startswith("No way to meet in common")
    assert far["goals"]["contribution"] == 0


def test_suggestions_across_the_cohort_and_first(api: Api) -> None:
    c = _ranked_cohort(api)
    enrol(api, c, "Ned", "MENTEE", Profile(topics=["Negotiating pay"], meeting=["In person"]))
    everything = suggestions(api, c)
    assert len(everything) == 4
    scores = [s["score"] for s in everything]
    assert scores == sorted(scores, reverse=True)
    assert len(suggestions(api, c, first=1)) == 1
    assert suggestions(api, c, first=0) == []
    body = api.post(SUGGESTIONS, {"id": c.program_id, "first": 101}, c.admin.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    body = api.post(SUGGESTIONS, {"id": c.program_id, "mentee": "nope"}, c.admin.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_weights_are_tunable_and_change_the_ranking(api: Api) -> None:
    c = _ranked_cohort(api)
    enrol(api, c, "Roomy", "MENTOR", Profile(topics=["Leadership"]), capacity=5)
    weights = api.data(WEIGHTS, {"id": c.program_id}, c.admin.token)["program"]["matchingWeights"]
    assert [w["criterion"] for w in weights] == [*CRITERIA_ORDER, "minimumScore"]
    assert all(w["description"] for w in weights)
    scored = [w for w in weights if w["criterion"] != "minimumScore"]
    assert sum(w["normalizedWeight"] for w in scored) == pytest.approx(1, abs=1e-3)
    assert weights[-1]["weight"] == weights[-1]["normalizedWeight"] == 0.2

    only_capacity = [{"criterion": name, "weight": 0} for name in CRITERIA - {"capacity"}]
    payload = api.ok(
        SET_WEIGHTS, {"programId": c.program_id, "weights": only_capacity}, c.admin.token
    )
    shares = {w["criterion"]: w["normalizedWeight"] for w in payload["matchingWeights"]}
    assert shares["capacity"] == 1 and shares["topics"] == 0
    best = suggestions(api, c, c.sign_ups["Mia:MENTEE"])[0]
    assert best["mentor"]["user"]["name"] == "Roomy"
    assert best["score"] == pytest.approx(1.0)
    reasons = {r["criterion"]: r for r in best["reasons"]}
    assert reasons["capacity"]["weight"] == 1 and reasons["topics"]["weight"] == 0


@pytest.mark.parametrize(
    ("weights", "code", "field"),
    [
        ([{"criterion": "looks", "weight": 1}], "UNKNOWN_CRITERION", ["weights", "0", "criterion"]),
        (
            [{"criterion": "topics", "weight": 1}, {"criterion": "goals", "weight": -1}],
            "INVALID_WEIGHT",
            ["weights", "1", "weight"],
        ),
        ([{"criterion": "goals", "weight": 101}], "INVALID_WEIGHT", ["weights", "0", "weight"]),
        (
            [{"criterion": name, "weight": 0} for name in sorted(CRITERIA)],
            "INVALID_WEIGHT",
            ["weights"],
        ),
    ],
)
def test_bad_weights_are_refused_and_write_nothing(
    api: Api, weights: list[dict], code: str, field: list[str]
) -> None:
    c = cohort(api)
    before = api.snapshot()
    payload = api.mutate(
        SET_WEIGHTS, {"programId": c.program_id, "weights": weights}, c.admin.token
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert payload["matchingWeights"] is None
    assert api.snapshot() == before


def test_weights_duplicates_and_permissions(api: Api) -> None:
    c = cohort(api)
    twice = [{"criterion": "goals", "weight": 1}, {"criterion": "goals", "weight": 2}]
    body = api.post(
        SET_WEIGHTS, {"input": {"programId": c.program_id, "weights": twice}}, c.admin.token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    member = api.person()
    api.join(member, c.group_id)
    one = [{"criterion": "goals", "weight": 1}]
    body = api.post(
        SET_WEIGHTS, {"input": {"programId": c.program_id, "weights": one}}, member.token
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    program = api.data(WEIGHTS, {"id": c.program_id}, member.token)["program"]
    assert program["matchingWeights"] is None
    found = api.data(SUGGESTIONS, {"id": c.program_id}, member.token)["program"]
    assert found["suggestedMatches"] is None


def test_hard_rules_same_person_blocked_capacity_and_pending(api: Api) -> None:
    c = cohort(api)
    both = enrol(api, c, "Both", "MENTEE", GOOD)
    enrol(api, c, "Both", "MENTOR", GOOD)
    blocked_mentee = enrol(api, c, "Bea", "MENTEE", GOOD)
    enrol(api, c, "Blocker", "MENTOR", GOOD)
    api.ok(BLOCK, {"userId": c.people["Bea"].id}, c.people["Blocker"].token)
    full = enrol(api, c, "Full", "MENTOR", GOOD)
    paired = enrol(api, c, "Paired", "MENTEE", GOOD)
    api.pair(c.admin, full, paired)

    couples = {
        (s["mentee"]["user"]["name"], s["mentor"]["user"]["name"]) for s in suggestions(api, c)
    }
    assert couples == {("Both", "Blocker"), ("Bea", "Both")}
    assert [s["mentor"]["user"]["name"] for s in suggestions(api, c, both)] == ["Blocker"]
    assert [s["mentor"]["user"]["name"] for s in suggestions(api, c, blocked_mentee)] == ["Both"]
    assert suggestions(api, c, paired) == []


def test_engagement_for_admins_only(api: Api) -> None:
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD)
    mentee = enrol(api, c, "Milo", "MENTEE", GOOD)
    pair = api.pair(c.admin, mentor, mentee)
    api.ok(END_PAIR, {"pairId": pair["id"]}, c.admin.token)
    engagement = api.data(ENGAGEMENT, {"id": mentor}, c.admin.token)["node"]["engagement"]
    assert engagement["pairsEnded"] == 1 and engagement["pairsCompleted"] == 0
    assert engagement["tenureDays"] == 0 and engagement["checkInRegularity"] == 0
    assert 0 <= engagement["score"] <= 1
    own = api.data(ENGAGEMENT, {"id": mentor}, c.people["Maya"].token)["node"]
    assert own["engagement"] is None


def _statements(api: Api, c: Cohort) -> int:
    query = SUGGESTIONS.replace("user { name }", "user { name } engagement { score }")
    with counting_statements() as counter:
        api.data(query, {"id": c.program_id}, c.admin.token)
    return counter.count


def test_suggestions_take_a_fixed_number_of_statements(api: Api) -> None:
    small, large = cohort(api), cohort(api)
    for c, size in ((small, 1), (large, 5)):
        for n in range(size):
            enrol(api, c, f"Mentor {n}", "MENTOR", GOOD)
            enrol(api, c, f"Mentee {n}", "MENTEE", GOOD)
    few, many = _statements(api, small), _statements(api, large)
    assert few > 0
    assert many == few
