"""Program health: `Program.stats` on a seeded program, and `pairsNeedingAttention` as
time passes (the services read the time from `api.clock.now`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api import clock
from tests.helpers import Api
from tests.test_matching import END_PAIR, GOOD, cohort, enrol

STATS = """
query($id: ID!) { program(id: $id) {
  stats {
    signUps { role status count }
    pendingMentees activePairs completedPairs endedPairs
    milestoneCompletionRate checkInsLast7Days overduePairs medianHoursToFirstCheckIn
  }
  pairsNeedingAttention { pair { id } reason overdue stalled }
} }"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) { completeMilestone(input: $input) { userErrors { code } } }"""
POST = """
mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { userErrors { code } } }"""


def _seeded(api: Api):
    """2 mentors, 4 mentees: pair 1 with a check-in and a milestone, pair 2 silent,
    pair 3 ended, one mentee waiting."""
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD, capacity=3)
    other = enrol(api, c, "Noor", "MENTOR", GOOD)
    mentees = [enrol(api, c, name, "MENTEE", GOOD) for name in ("A", "B", "C", "D")]
    busy = api.pair(c.admin, mentor, mentees[0])
    silent = api.pair(c.admin, mentor, mentees[1])
    ended = api.pair(c.admin, other, mentees[2])
    api.ok(END_PAIR, {"pairId": ended["id"]}, c.admin.token)
    api.ok(POST, {"pairId": busy["id"], "body": "Hello!"}, c.people["A"].token)
    api.ok(COMPLETE, {"milestoneId": busy["milestones"][0]["id"]}, c.people["A"].token)
    return c, busy, silent


def _stats(api: Api, c) -> dict:
    return api.data(STATS, {"id": c.program_id}, c.admin.token)["program"]


def test_stats_of_a_seeded_program(api: Api) -> None:
    c, busy, _ = _seeded(api)
    program = _stats(api, c)
    stats = program["stats"]
    counts = {(s["role"], s["status"]): s["count"] for s in stats["signUps"]}
    assert counts == {("MENTOR", "PENDING"): 2, ("MENTEE", "MATCHED"): 2, ("MENTEE", "PENDING"): 2}
    assert stats["pendingMentees"] == 2
    assert (stats["activePairs"], stats["completedPairs"], stats["endedPairs"]) == (2, 0, 1)
    steps = len(busy["milestones"])
    assert stats["milestoneCompletionRate"] == pytest.approx(1 / (3 * steps))
    assert stats["checkInsLast7Days"] == 1
    assert stats["overduePairs"] == 0
    assert 0 <= stats["medianHoursToFirstCheckIn"] < 1
    assert program["pairsNeedingAttention"] == []


def test_overdue_and_stalled_pairs_as_time_passes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, busy, silent = _seeded(api)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=8))
    program = _stats(api, c)
    assert program["stats"]["overduePairs"] == 2
    assert program["stats"]["checkInsLast7Days"] == 0
    attention = program["pairsNeedingAttention"]
    assert {a["pair"]["id"] for a in attention} == {busy["id"], silent["id"]}
    assert all(a["overdue"] and not a["stalled"] for a in attention)
    assert all(a["reason"].startswith("Weekly check-in overdue by 1 day") for a in attention)

    # Less than a day late is said in hours, not "overdue by 0 days".
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=7, hours=5))
    attention = _stats(api, c)["pairsNeedingAttention"]
    assert all(a["reason"].startswith("Weekly check-in overdue by 5 hours") for a in attention)

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=22))
    attention = _stats(api, c)["pairsNeedingAttention"]
    assert all(a["overdue"] and a["stalled"] for a in attention)
    by_pair = {a["pair"]["id"]: a["reason"] for a in attention}
    titles = [m["title"] for m in busy["milestones"]]
    assert f"Stalled on '{titles[1]}' for 3 weeks" in by_pair[busy["id"]]
    assert f"Stalled on '{titles[0]}' for 3 weeks" in by_pair[silent["id"]]


def test_stats_are_for_admins_only(api: Api) -> None:
    c, _, _ = _seeded(api)
    program = api.data(STATS, {"id": c.program_id}, c.people["A"].token)["program"]
    assert program == {"stats": None, "pairsNeedingAttention": None}
