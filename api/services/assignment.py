"""Whole-cohort assignment: the optimal set of pairs, proposed, never written.

Each mentor is expanded into one column per free slot, and each mentee gets the choice
of staying unmatched (a dummy column worth 0), so the rectangular assignment problem
solved by `scipy.optimize.linear_sum_assignment` (a proven exact solver, Jonker-Volgenant)
is exactly a maximum-weight matching that respects capacities and the hard rules:

- MAX_TOTAL_SCORE: a couple is worth its score; the matching maximises the sum.
- MAX_PAIRS: a couple is worth (mentees + 1) + score, so more pairs always win, and among
  the largest matchings the one with the best total score is chosen.

Couples below the program's minimum score (api/services/matching.py) are never proposed:
that is where the two objectives part (the best total may leave a mentee out whom the
most pairs would give a weaker match).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.optimize import linear_sum_assignment

from api.services.matching import DECIMALS, Suggestion, load_cohort, suggestion
from models import Program, SignUp

# Infeasible couples (same person, blocked) are worth this much less than nothing.
_FORBIDDEN = -1e9
# Ties between pairing at score 0 and leaving unmatched go to pairing.
_TIE = 1e-9


class AssignmentObjective(StrEnum):
    MAX_TOTAL_SCORE = "MAX_TOTAL_SCORE"
    MAX_PAIRS = "MAX_PAIRS"


def solve(
    scores: np.ndarray,
    feasible: np.ndarray,
    slots: list[int],
    objective: AssignmentObjective = AssignmentObjective.MAX_TOTAL_SCORE,
) -> list[tuple[int, int]]:
    """Optimal (mentee row, mentor column) couples for a mentees x mentors score matrix,
    with `slots[j]` mentees at most for mentor j. Sorted by mentee."""
    mentees, mentors = scores.shape
    if mentees == 0 or mentors == 0:
        return []
    columns = np.repeat(np.arange(mentors), slots)
    value = scores[:, columns] + _TIE
    if objective == AssignmentObjective.MAX_PAIRS:
        value = value + (mentees + 1)
    value = np.where(feasible[:, columns], value, _FORBIDDEN)
    # One "stay unmatched" column per mentee, worth nothing.
    value = np.hstack([value, np.zeros((mentees, mentees))])
    rows, picked = linear_sum_assignment(value, maximize=True)
    return [
        (int(r), int(columns[c]))
        for r, c in zip(rows, picked, strict=True)
        if c < len(columns) and feasible[r, columns[c]]
    ]


@dataclass(frozen=True)
class Assignment:
    pairs: list[Suggestion]
    total_score: float
    unmatched_mentees: list[SignUp]


async def propose_assignment(
    program: Program, objective: AssignmentObjective, viewer_pk: int | None = None
) -> Assignment:
    """The optimal assignment of the program's pending mentees; writes nothing."""
    cohort = await load_cohort(program, viewer_pk)
    slots = [s.capacity - s.slots_used for s in cohort.mentors]
    scores = cohort.scores
    allowed = cohort.feasible & ~cohort.below_minimum(scores)
    couples = solve(scores, allowed, slots, objective)
    pairs = [suggestion(cohort, i, j) for i, j in couples]
    matched = {i for i, _ in couples}
    return Assignment(
        pairs=pairs,
        total_score=round(sum(p.score for p in pairs), DECIMALS),
        unmatched_mentees=[s for i, s in enumerate(cohort.mentees) if i not in matched],
    )
