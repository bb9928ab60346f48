"""Per-request DataLoaders: one query per kind of thing, however many items ask.

Built afresh for every HTTP request and for every subscription event, so nothing
is cached across requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable, Sequence
from contextvars import ContextVar
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

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
from models.base import FastModel

# While a subscription event's shared execution runs (schema/sharing.py), a one-item
# list that `viewer_asked()` sets: anything that reads who the viewer is calls it (the
# context's viewer and token, the viewer's own loaders below), so a result that never
# asked can be shared with every other subscriber of the event.
VIEWER_READ: ContextVar[list[bool] | None] = ContextVar("viewer_read", default=None)


def viewer_asked() -> None:
    asked = VIEWER_READ.get()
    if asked is not None:
        asked[0] = True


M = TypeVar("M", bound=FastModel)
K = TypeVar("K")
T = TypeVar("T")


def already_loaded(loader: DataLoader[K, T], key: K) -> asyncio.Future[T] | None:
    """The finished load of `key`, if this request has one: a resolver can then answer
    at once instead of returning an awaitable (graphql-core runs each awaitable field as
    a task, which on a page of hundreds of items costs more than the data)."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future  # type: ignore[return-value]


async def fill(loader: DataLoader[K, T], keys: Iterable[K]) -> None:
    """Load `keys` into `loader` and wait until they are there, as awaiting `load_many`
    would but without gathering a future per key: a prefetch of a page's people and
    milestones (schema/prefetch.py) made about 300 such callbacks per page. The keys
    join the loader's current batch, so they batch with anyone else's loads of this
    turn of the loop. A failed load stays in the loader, as it keeps one: each field
    that reads the key reports it."""
    futures = [loader.load(key) for key in dict.fromkeys(keys)]
    for future in futures:
        if not future.done():
            with contextlib.suppress(Exception):
                await future
    for future in futures:
        if future.done() and not future.cancelled():
            future.exception()  # retrieved: its fields report it


def by_pk(model: type[M]) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[M | None]]]:
    async def load(keys: Sequence[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.where_in("pk", keys)}
        return [rows.get(key) for key in keys]

    return load


def grouped(
    model: type[M], key_field: str, order: str = "position"
) -> Callable[[Sequence[int]], Coroutine[Any, Any, list[list[M]]]]:
    async def load(keys: Sequence[int]) -> list[list[M]]:
        groups: dict[int, list[M]] = defaultdict(list)
        rows = await model.where_in(key_field, keys, (order, "id"))
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
        rows = await model.where_in(key_field, keys, ("id",), **{user_field: viewer_id})
        for row in rows:
            found[getattr(row, key_field)].append(row)
        return [found.get(key, []) for key in keys]

    return load


class Loaders:
    """The loaders of one request or one subscription event. Each is built on first use:
    a request uses a few of them, and an idle subscription none."""

    def __init__(self, viewer_id: int | None = None) -> None:
        self.viewer_id = viewer_id

    @cached_property
    def users(self) -> DataLoader[int, User | None]:
        return DataLoader(by_pk(User))

    @cached_property
    def groups(self) -> DataLoader[int, Group | None]:
        return DataLoader(by_pk(Group))

    @cached_property
    def programs(self) -> DataLoader[int, Program | None]:
        return DataLoader(by_pk(Program))

    @cached_property
    def sign_ups(self) -> DataLoader[int, SignUp | None]:
        return DataLoader(by_pk(SignUp))

    @cached_property
    def pairs(self) -> DataLoader[int, Pair | None]:
        return DataLoader(by_pk(Pair))

    @cached_property
    def questions(self) -> DataLoader[int, SignUpQuestion | None]:
        return DataLoader(by_pk(SignUpQuestion))

    @cached_property
    def questions_by_program(self) -> DataLoader[int, list[SignUpQuestion]]:
        return DataLoader(grouped(SignUpQuestion, "program_id"))

    @cached_property
    def steps_by_program(self) -> DataLoader[int, list[ProgramStep]]:
        return DataLoader(grouped(ProgramStep, "program_id"))

    @cached_property
    def milestones_by_pair(self) -> DataLoader[int, list[Milestone]]:
        return DataLoader(grouped(Milestone, "pair_id"))

    @cached_property
    def answers_by_sign_up(self) -> DataLoader[int, list[Answer]]:
        return DataLoader(grouped(Answer, "sign_up_id", order="question_id"))

    # The viewer's own rows: every use says so (`viewer_asked`), not only the first.

    @property
    def viewer_memberships(self) -> DataLoader[int, list[GroupMembership]]:
        """Keyed by group: at most one row (the unique membership)."""
        viewer_asked()
        return self._viewer_memberships

    @cached_property
    def _viewer_memberships(self) -> DataLoader[int, list[GroupMembership]]:
        return DataLoader(viewer_rows(GroupMembership, self.viewer_id, "group_id"))

    @property
    def viewer_sign_ups(self) -> DataLoader[int, list[SignUp]]:
        """Keyed by program: the viewer's sign-ups to it, oldest first."""
        viewer_asked()
        return self._viewer_sign_ups

    @cached_property
    def _viewer_sign_ups(self) -> DataLoader[int, list[SignUp]]:
        return DataLoader(viewer_rows(SignUp, self.viewer_id, "program_id"))

    async def viewer_membership(self, group_id: int) -> GroupMembership | None:
        rows = await self.viewer_memberships.load(group_id)
        return rows[0] if rows else None
