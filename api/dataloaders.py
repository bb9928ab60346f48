"""Per-request DataLoaders: one query per kind of thing, however many items ask.

Built afresh for every HTTP request and for every subscription event, so nothing
is cached across requests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models import (
    Answer,
    Group,
    GroupMembership,
    Milestone,
    Pair,
    Program,
    ProgramStep,
    SignUp,
    SignUpQuestion,
    User,
)

M = TypeVar("M", bound=Model)


def by_pk(model: type[M]) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[M | None]]]:
    async def load(keys: Sequence[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(pk__in=list(keys))}
        return [rows.get(key) for key in keys]

    return load


def grouped(
    model: type[M], key_field: str, order: str = "position"
) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[list[M]]]]:
    async def load(keys: Sequence[int]) -> list[list[M]]:
        groups: dict[int, list[M]] = defaultdict(list)
        rows = await model.filter(**{f"{key_field}__in": list(keys)}).order_by(order, "id")
        for row in rows:
            groups[getattr(row, key_field)].append(row)
        return [groups.get(key, []) for key in keys]

    return load


def viewer_rows(
    model: type[M], viewer_id: int | None, key_field: str, user_field: str = "user_id"
) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[list[M]]]]:
    """The viewer's own rows of `model`, grouped by `key_field` (none when anonymous)."""

    async def load(keys: Sequence[int]) -> list[list[M]]:
        if viewer_id is None:
            return [[] for _ in keys]
        found: dict[int, list[M]] = defaultdict(list)
        rows = await model.filter(**{user_field: viewer_id, f"{key_field}__in": list(keys)})
        for row in sorted(rows, key=lambda r: r.pk):
            found[getattr(row, key_field)].append(row)
        return [found.get(key, []) for key in keys]

    return load


@dataclass
class Loaders:
    viewer_id: int | None = None
    users: DataLoader[int, User | None] = field(init=False)
    groups: DataLoader[int, Group | None] = field(init=False)
    programs: DataLoader[int, Program | None] = field(init=False)
    sign_ups: DataLoader[int, SignUp | None] = field(init=False)
    pairs: DataLoader[int, Pair | None] = field(init=False)
    questions: DataLoader[int, SignUpQuestion | None] = field(init=False)
    questions_by_program: DataLoader[int, list[SignUpQuestion]] = field(init=False)
    steps_by_program: DataLoader[int, list[ProgramStep]] = field(init=False)
    milestones_by_pair: DataLoader[int, list[Milestone]] = field(init=False)
    answers_by_sign_up: DataLoader[int, list[Answer]] = field(init=False)
    viewer_memberships: DataLoader[int, list[GroupMembership]] = field(init=False)
    viewer_sign_ups: DataLoader[int, list[SignUp]] = field(init=False)

    def __post_init__(self) -> None:
        self.users = DataLoader(by_pk(User))
        self.groups = DataLoader(by_pk(Group))
        self.programs = DataLoader(by_pk(Program))
        self.sign_ups = DataLoader(by_pk(SignUp))
        self.pairs = DataLoader(by_pk(Pair))
        self.questions = DataLoader(by_pk(SignUpQuestion))
        self.questions_by_program = DataLoader(grouped(SignUpQuestion, "program_id"))
        self.steps_by_program = DataLoader(grouped(ProgramStep, "program_id"))
        self.milestones_by_pair = DataLoader(grouped(Milestone, "pair_id"))
        self.answers_by_sign_up = DataLoader(grouped(Answer, "sign_up_id", order="question_id"))
        # Keyed by group: at most one row (the unique membership).
        self.viewer_memberships = DataLoader(
            viewer_rows(GroupMembership, self.viewer_id, "group_id")
        )
        # Keyed by program: the viewer's sign-ups to it, oldest first.
        self.viewer_sign_ups = DataLoader(viewer_rows(SignUp, self.viewer_id, "program_id"))

    async def viewer_membership(self, group_id: int) -> GroupMembership | None:
        rows = await self.viewer_memberships.load(group_id)
        return rows[0] if rows else None
