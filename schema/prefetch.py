"""Prefetch that follows the selection: a page of pairs loads what its fields will ask for.

A connection's resolver knows its page before any nested field runs. When the selection
asks for the pairs' people or milestones, it fills the request's loaders with all of them
(`fill`: the keys join the loader's batch, with no future gathered per key) and waits, so
that every nested resolver then finds its data loaded and answers at once
(`already_loaded`) instead of suspending on a load: a page of 50 pairs had about 150 such
suspensions, each a coroutine, a future and a turn of the loop.

The statements are the ones the nested fields would have caused (one per loader batch,
in the same batches), so a page issues the same SQL whichever way it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, VariableNode
from strawberry.types.nodes import get_variable_values

from api.dataloaders import already_loaded, fill
from models import Pair as PairModel
from schema.common import Info


def _included(node: Any, variables: dict[str, Any]) -> bool:
    """`@skip` and `@include` as graphql-core reads them."""
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include") or not directive.arguments:
            continue
        argument = directive.arguments[0].value
        if isinstance(argument, VariableNode):
            value = variables.get(argument.name.value)
        else:
            value = getattr(argument, "value", None)
        if bool(value) == (name == "skip"):
            return False
    return True


def _children(nodes: Iterable[Any], name: str, info: Any) -> list[FieldNode]:
    """The fields called `name` in the selections of `nodes`, through fragments."""
    fragments, variables = info.fragments, get_variable_values(info)
    found: list[FieldNode] = []
    pending = [selection for node in nodes for selection in _selections(node)]
    while pending:
        selection = pending.pop()
        if not _included(selection, variables):
            continue
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(_selections(selection))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(_selections(fragment))
    return found


def _selections(node: Any) -> tuple[Any, ...]:
    return tuple(node.selection_set.selections) if node.selection_set else ()


def selected(info: Info, *path: str) -> bool:
    """Does this field's selection ask for `path` (field names, outermost first)?"""
    raw = info._raw_info
    nodes: list[Any] = list(raw.field_nodes)
    for name in path:
        nodes = _children(nodes, name, raw)
        if not nodes:
            return False
    return True


async def pairs_page(info: Info, pairs: Sequence[PairModel], *at: str) -> None:
    """Load what the selection at `at` (say `edges`, `node`) asks of these pairs."""
    if not pairs:
        return
    loaders = info.context.loaders
    people: list[int] = []
    if selected(info, *at, "mentor"):
        people.extend(pair.mentor_id for pair in pairs)
    if selected(info, *at, "mentee"):
        people.extend(pair.mentee_id for pair in pairs)
    if people:
        await fill(loaders.users, people)
    if not selected(info, *at, "milestones"):
        return
    keys = [pair.pk for pair in pairs]
    await fill(loaders.milestones_by_pair, keys)
    if selected(info, *at, "milestones", "completedBy"):
        done: list[int] = []
        for key in keys:
            loaded = already_loaded(loaders.milestones_by_pair, key)
            if loaded is not None:  # a failed load is reported by the field that reads it
                done.extend(row.completed_by_id for row in loaded.result() if row.completed_by_id)
        if done:
            await fill(loaders.users, done)
