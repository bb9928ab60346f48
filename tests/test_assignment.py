"""Whole-cohort assignment: optimal (never greedy), capacity-respecting, proposing only;
and `createPairs`, which applies one atomically."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from api.services.assignment import AssignmentObjective, solve
from tests.helpers import Api
from tests.test_matching import (
    BLOCK,
    GOOD,
    SET_WEIGHTS,
    SUGGESTIONS,
    Profile,
    cohort,
    enrol,
)

ASSIGNMENT = """
query($id: ID!, $objective: AssignmentObjective) { program(id: $id) {
  proposedAssignment(objective: $objective) {
    totalScore
    pairs { score mentor { id user { name } } mentee { id user { name } } reasons { criterion } }
    unmatchedMentees { id user { name } }
  }
} }"""
CREATE_PAIRS = """
mutation($input: CreatePairsInput!) {
  createPairs(input: $input) {
    pairs { id status mentor { name } mentee { name } milestones { position } }
    signUps { id status activePairCount }
    userErrors { field message code }
  }
}"""


def greedy(scores: np.ndarray, feasible: np.ndarray, slots: list[int]) -> list[tuple[int, int]]:
    """Best remaining couple first: what an admin's eye (or a naive tool) does."""
    left, taken, chosen = list(slots), set(), []
    order = sorted(np.ndindex(scores.shape), key=lambda ij: -scores[ij])
    for i, j in order:
        if feasible[i, j] and i not in taken and left[j] > 0:
            chosen.append((i, j))
            taken.add(i)
            left[j] -= 1
    return chosen


def brute_force(scores, feasible, slots, objective):
    """Every way to give each mentee a mentor or none: the true optimum's value."""
    mentees, mentors = scores.shape
    best = None
    for choice in itertools.product([None, *range(mentors)], repeat=mentees):
        if any(j is not None and not feasible[i, j] for i, j in enumerate(choice)):
            continue
        if any(sum(1 for j in choice if j == m) > slots[m] for m in range(mentors)):
            continue
        total = sum(scores[i, j] for i, j in enumerate(choice) if j is not None)
        count = sum(1 for j in choice if j is not None)
        key = total if objective == AssignmentObjective.MAX_TOTAL_SCORE else (count, total)
        best = key if best is None or key > best else best
    return best


def value_of(couples, scores, objective):
    total = sum(scores[i, j] for i, j in couples)
    return total if objective == AssignmentObjective.MAX_TOTAL_SCORE else (len(couples), total)


def test_greedy_is_worse_and_ours_is_the_optimum() -> None:
    scores = np.array([[1.0, 0.9], [0.8, 0.0]])
    feasible = np.ones_like(scores, dtype=bool)
    slots = [1, 1]
    assert sum(scores[c] for c in greedy(scores, feasible, slots)) == pytest.approx(1.0)
    ours = solve(scores, feasible, slots)
    assert sorted(ours) == [(0, 1), (1, 0)]
    assert sum(scores[c] for c in ours) == pytest.approx(1.7)
    assert brute_force(scores, feasible, slots, AssignmentObjective.MAX_TOTAL_SCORE) == (
        pytest.approx(1.7)
    )


@pytest.mark.parametrize("objective", list(AssignmentObjective))
@pytest.mark.parametrize("seed", range(25))
def test_solver_matches_brute_force(seed: int, objective: AssignmentObjective) -> None:
    rng = random.Random(seed)
    mentees, mentors = rng.randint(1, 5), rng.randint(1, 3)
    scores = np.array([[rng.random() for _ in range(mentors)] for _ in range(mentees)])
    feasible = np.array([[rng.random() > 0.25 for _ in range(mentors)] for _ in range(mentees)])
    slots = [rng.randint(1, 2) for _ in range(mentors)]
    couples = solve(scores, feasible, slots, objective)
    assert len({i for i, _ in couples}) == len(couples)  # a mentee at most once
    assert all(feasible[i, j] for i, j in couples)
    assert all(sum(1 for _, j in couples if j == m) <= slots[m] for m in range(mentors))
    expected = brute_force(scores, feasible, slots, objective)
    got = value_of(couples, scores, objective)
    if objective == AssignmentObjective.MAX_PAIRS:
        assert got[0] == expected[0]
        assert got[1] == pytest.approx(expected[1], abs=1e-6)
    else:
        assert got == pytest.approx(expected, abs=1e-6)


def _only_topics(api: Api, c) -> None:
    weights = [{"criterion": "topics", "weight": 1}] + [
        {"criterion": n, "weight": 0}
        for n in ("meetingPreference", "availability", "goals", "capacity", "engagement")
    ]
    api.ok(SET_WEIGHTS, {"programId": c.program_id, "weights": weights}, c.admin.token)


def _assignment(api: Api, c, objective: str | None = None) -> dict:
    variables = {"id": c.program_id, "objective": objective}
    return api.data(ASSIGNMENT, variables, c.admin.token)["program"]["proposedAssignment"]


def test_objectives_through_the_api_and_nothing_is_written(api: Api) -> None:
    """Scores (topics only): A-M1 1, A-M2 1/3, B-M1 1/2, B-M2 blocked. Greedy takes A-M1
    and leaves B alone; MAX_PAIRS pairs both; MAX_TOTAL_SCORE keeps A-M1 (1 > 5/6)."""
    c = cohort(api)
    _only_topics(api, c)
    enrol(api, c, "A", "MENTEE", Profile(topics=["Promotion", "Leadership"]))
    enrol(api, c, "B", "MENTEE", Profile(topics=["Promotion"]))
    enrol(api, c, "M1", "MENTOR", Profile(topics=["Promotion", "Leadership"]))
    enrol(api, c, "M2", "MENTOR", Profile(topics=["Leadership", "Networking"]))
    api.ok(BLOCK, {"userId": c.people["B"].id}, c.people["M2"].token)
    before = api.snapshot()

    best = _assignment(api, c)
    assert [(p["mentee"]["user"]["name"], p["mentor"]["user"]["name"]) for p in best["pairs"]] == [
        ("A", "M1")
    ]
    assert best["totalScore"] == pytest.approx(1.0)
    assert [m["user"]["name"] for m in best["unmatchedMentees"]] == ["B"]

    most = _assignment(api, c, "MAX_PAIRS")
    couples = {(p["mentee"]["user"]["name"], p["mentor"]["user"]["name"]) for p in most["pairs"]}
    assert couples == {("A", "M2"), ("B", "M1")}
    assert most["totalScore"] == pytest.approx(1 / 3 + 1 / 2, abs=1e-4)
    assert most["unmatchedMentees"] == []
    assert most["totalScore"] == pytest.approx(sum(p["score"] for p in most["pairs"]))
    assert api.snapshot() == before


def _couples(assignment: dict) -> set[tuple[str, str]]:
    return {(p["mentee"]["user"]["name"], p["mentor"]["user"]["name"]) for p in assignment["pairs"]}


def test_the_minimum_score_leaves_weak_couples_unpaired_so_the_objectives_part(
    api: Api,
) -> None:
    """Scores (topics only): A-M1 1, A-M2 1/3, B-M1 1/2, B-M2 0. With no minimum, pairing
    B with M2 at 0 costs nothing, so both objectives give {A-M1, B-M2}. Under the
    default minimum (0.2), B-M2 is out: the best total keeps A-M1 alone (1 > 5/6), and
    the most pairs are A-M2 and B-M1."""
    c = cohort(api)
    _only_topics(api, c)
    enrol(api, c, "A", "MENTEE", Profile(topics=["Promotion", "Leadership"]))
    enrol(api, c, "B", "MENTEE", Profile(topics=["Promotion"]))
    enrol(api, c, "M1", "MENTOR", Profile(topics=["Promotion", "Leadership"]))
    enrol(api, c, "M2", "MENTOR", Profile(topics=["Leadership", "Networking"]))

    best, most = _assignment(api, c), _assignment(api, c, "MAX_PAIRS")
    assert _couples(best) == {("A", "M1")}
    assert [m["user"]["name"] for m in best["unmatchedMentees"]] == ["B"]
    assert _couples(most) == {("A", "M2"), ("B", "M1")}
    assert all(p["score"] >= 0.2 for p in best["pairs"] + most["pairs"])
    assert all("minimumScore" not in {r["criterion"] for r in p["reasons"]} for p in most["pairs"])
    weak = next(
        s
        for s in api.data(SUGGESTIONS, {"id": c.program_id}, c.admin.token)["program"][
            "suggestedMatches"
        ]
        if (s["mentee"]["user"]["name"], s["mentor"]["user"]["name"]) == ("B", "M2")
    )
    assert weak["score"] == 0
    assert weak["reasons"][-1]["criterion"] == "minimumScore"
    assert weak["reasons"][-1]["detail"].startswith("Below this program's minimum score of 0.20")

    minimum = {"criterion": "minimumScore", "weight": 0}
    payload = api.ok(SET_WEIGHTS, {"programId": c.program_id, "weights": [minimum]}, c.admin.token)
    assert payload["matchingWeights"][-1] == {
        "criterion": "minimumScore",
        "weight": 0,
        "normalizedWeight": 0,
    }
    assert _couples(_assignment(api, c)) == {("A", "M1"), ("B", "M2")}
    assert _couples(_assignment(api, c, "MAX_PAIRS")) == {("A", "M1"), ("B", "M2")}

    minimum["weight"] = 0.9
    api.ok(SET_WEIGHTS, {"programId": c.program_id, "weights": [minimum]}, c.admin.token)
    assert _couples(_assignment(api, c)) == {("A", "M1")}
    assert _couples(_assignment(api, c, "MAX_PAIRS")) == {("A", "M1")}


@pytest.mark.parametrize("value", [-0.1, 1.5, 100])
def test_a_minimum_score_outside_0_to_1_is_refused(api: Api, value: float) -> None:
    c = cohort(api)
    before = api.snapshot()
    weights = [{"criterion": "topics", "weight": 5}, {"criterion": "minimumScore", "weight": value}]
    payload = api.mutate(
        SET_WEIGHTS, {"programId": c.program_id, "weights": weights}, c.admin.token
    )
    assert payload["userErrors"] == [
        {
            "field": ["weights", "1", "weight"],
            "code": "INVALID_WEIGHT",
            "message": "The minimum score is a number from 0 to 1.",
        }
    ]
    assert api.snapshot() == before


def test_capacity_is_respected_and_the_proposal_applies(api: Api) -> None:
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD, capacity=2)
    for name in ("X", "Y", "Z"):
        enrol(api, c, name, "MENTEE", GOOD)
    proposal = _assignment(api, c, "MAX_PAIRS")
    assert len(proposal["pairs"]) == 2
    assert {p["mentor"]["id"] for p in proposal["pairs"]} == {mentor}
    assert len(proposal["unmatchedMentees"]) == 1

    pairs = [
        {"mentorSignUpId": p["mentor"]["id"], "menteeSignUpId": p["mentee"]["id"]}
        for p in proposal["pairs"]
    ]
    payload = api.ok(CREATE_PAIRS, {"pairs": pairs}, c.admin.token)
    assert [p["status"] for p in payload["pairs"]] == ["ACTIVE", "ACTIVE"]
    assert all(p["milestones"] for p in payload["pairs"])
    statuses = {s["id"]: (s["status"], s["activePairCount"]) for s in payload["signUps"]}
    assert statuses[mentor] == ("MATCHED", 2)
    assert _assignment(api, c)["pairs"] == []


def test_create_pairs_is_all_or_nothing(api: Api) -> None:
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD)
    first = enrol(api, c, "X", "MENTEE", GOOD)
    second = enrol(api, c, "Y", "MENTEE", GOOD)
    before, published = api.snapshot(), api.published
    pairs = [
        {"mentorSignUpId": mentor, "menteeSignUpId": first},
        {"mentorSignUpId": mentor, "menteeSignUpId": second},
    ]
    payload = api.mutate(CREATE_PAIRS, {"pairs": pairs}, c.admin.token)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("MENTOR_AT_CAPACITY", ["pairs", "1", "mentorSignUpId"])
    ]
    assert payload["pairs"] is None
    assert api.snapshot() == before
    assert api.published == published

    same = [{"mentorSignUpId": first, "menteeSignUpId": second}]
    payload = api.mutate(CREATE_PAIRS, {"pairs": same}, c.admin.token)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("WRONG_ROLE", ["pairs", "0"])
    ]
    twice = [
        {"mentorSignUpId": mentor, "menteeSignUpId": first},
        {"mentorSignUpId": mentor, "menteeSignUpId": first},
    ]
    payload = api.mutate(CREATE_PAIRS, {"pairs": twice}, c.admin.token)
    assert payload["userErrors"][0]["field"] == ["pairs", "1", "menteeSignUpId"]
    assert api.snapshot() == before


def test_create_pairs_input_and_permissions(api: Api) -> None:
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD)
    mentee = enrol(api, c, "Milo", "MENTEE", GOOD)
    one = [{"mentorSignUpId": mentor, "menteeSignUpId": mentee}]
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": []}}, c.admin.token) == (
        "BAD_USER_INPUT"
    )
    too_many = one * 101
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": too_many}}, c.admin.token) == (
        "BAD_USER_INPUT"
    )
    bad = [{"mentorSignUpId": "???", "menteeSignUpId": mentee}]
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": bad}}, c.admin.token) == (
        "BAD_USER_INPUT"
    )
    member = c.people["Maya"]
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": one}}, member.token) == "NOT_FOUND"
    outsider = api.person()
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": one}}, outsider.token) == "NOT_FOUND"
    assert api.error_code(CREATE_PAIRS, {"input": {"pairs": one}}) == "UNAUTHENTICATED"
    program = api.data(ASSIGNMENT, {"id": c.program_id}, member.token)["program"]
    assert program["proposedAssignment"] is None
