"""One execution of a subscription's selection per event, shared by every subscriber in
this process who would get the same answer.

Every subscriber of a pair receives each of its events, and most ask the same thing
(`checkInPosted { id body createdAt author { name } }`). graphql-core executes each
subscription's selection on its own; here the subscription resolvers yield their value
wrapped in a `SharedEvent`, which carries the event's per-process memo
(`EventRows.results`), and `SharingExecutionContext` executes the selection once per
(operation, variables) and hands the same result to the others.

**What depends on the viewer is resolved per viewer.** No list of fields has to be kept:
the first execution runs with a flag (`api.dataloaders.VIEWER_READ`) that the context raises
whenever anything asks who the viewer is (`viewer()`, `require_viewer()`, the viewer's
own loaders, the token). A result whose execution never asked is the same for everyone
and is shared; one that asked (a `User.email`, which only its owner sees; a pair's
check-ins, filtered by blocks; an admin-only field) is executed again for each viewer,
and shared only among the same viewer's subscriptions. `tests/test_sharing.py` shows
two viewers of one event each seeing what they may see.

The encoded `payload` of a shared result is shared too (api/graphql.py's adapter): each
subscriber's `next` frame is the same bytes with its own operation id spliced in.

With plans on (GRAPHQL_CACHES), a shared execution runs on a compiled plan of the
subscription's selection (schema/plan.py), not graphql-core's executor: an event's
selection is decided once per document, not once per event.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.dataloaders import VIEWER_READ
from schema.live import HandOff
from schema.pipeline import plans_of
from schema.plan import Plan, compile_live_plan, execute_live_plan

Outcome = tuple[Any, bool]  # (the execution result, whether it asked who the viewer is)

# Counted for tests and the bench: executions run (and how many of them on a plan), and
# results handed to a subscriber without running again.
stats = {"executed": 0, "shared": 0, "planned": 0}


@dataclass(slots=True)
class SharedEvent:
    """What a subscription resolver yields: the field's value, and the event's memo."""

    value: Any
    results: dict[Any, asyncio.Future[Outcome | None]]


# Live plans by (schema, operation) identity, holding both: subscribers of one document
# share its parsed operation (the pipeline's parse cache), so they share its plan, and
# a plan is a cheap key for an event's memo (hashing the operation's AST was not).
_LIVE_PLANS: OrderedDict[tuple[int, int], tuple[Any, Any, Plan | None]] = OrderedDict()
_LIVE_PLANS_MAX = 1000


def live_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> Any:
    """The subscription operation's plan, or the operation itself when there is none
    (plans off, or a document the plan does not take): either is the memo's key."""
    key = (id(schema), id(operation))
    entry = _LIVE_PLANS.get(key)
    if entry is not None:
        _LIVE_PLANS.move_to_end(key)
        return entry[2] or operation
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    plan = None
    if strawberry_schema is not None and plans_of(strawberry_schema) is not None:
        document = DocumentNode(definitions=(operation, *fragments.values()))
        plan = compile_live_plan(schema, document, operation)
    _LIVE_PLANS[key] = (schema, operation, plan)
    if len(_LIVE_PLANS) > _LIVE_PLANS_MAX:
        _LIVE_PLANS.popitem(last=False)
    return plan or operation


def _frozen(value: Any) -> Any:
    """A hashable stand-in for coerced variable values."""
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


async def _once(
    memo: dict[Any, asyncio.Future[Outcome | None]],
    key: Any,
    run: Callable[[], Awaitable[Outcome]],
) -> tuple[Outcome | None, bool]:
    """`run()` once per key; concurrent callers wait for the first. Returns the outcome
    (None when the first run failed or was cancelled: the caller then runs on its own)
    and whether this caller ran it."""
    entry = memo.get(key)
    if entry is not None:
        return await asyncio.shield(entry), False  # a waiter going away can't cancel it
    future: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
    memo[key] = future
    try:
        outcome = await run()
    except BaseException:
        memo.pop(key, None)
        future.set_result(None)
        raise
    future.set_result(outcome)
    return outcome, True


class SharingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, sharing per-event executions (see above).
    Queries, mutations and anything not yielded as a `SharedEvent` run as usual."""

    _shared: SharedEvent | None = None
    _handoff: HandOff | None = None  # no selection to execute: the transport takes it
    # Set on the executors of live events (api/graphql.py): errors and masking, once
    # per execution, so a shared result is processed once.
    after_event: Callable[[GraphQLExecutionResult], None] | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if isinstance(payload, HandOff):
            payload.executor = self  # live events are executed through this executor
            executor = super().build_per_event_executor(None)
            executor._handoff = payload
            return executor
        if not isinstance(payload, SharedEvent):
            return super().build_per_event_executor(payload)
        executor = super().build_per_event_executor(payload.value)
        executor._shared = payload
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if self._handoff is not None:
            return GraphQLExecutionResult(data=self._handoff, errors=None)
        if self._shared is None:
            result = super().execute_operation(serially)
            if self.after_event is not None:
                return self._finished(result)
            return result
        return self._execute_shared(self._shared, serially)

    async def _finished(self, result: Any) -> GraphQLExecutionResult:
        if self.is_awaitable(result):
            result = await result
        assert self.after_event is not None
        self.after_event(result)
        return result

    async def _tracked(self, serially: bool | None, plan: Plan | None = None) -> Outcome:
        """Execute (on `plan` when given), noting whether anything asked who the viewer is."""
        stats["executed"] += 1
        asked = [False]
        token = VIEWER_READ.set(asked)
        try:
            if plan is not None:
                stats["planned"] += 1
                assert self._shared is not None
                planned = await execute_live_plan(
                    plan, self.context_value, self.variable_values, self._shared.value
                )
                result = GraphQLExecutionResult(data=planned.data, errors=planned.errors)
            else:
                result = super().execute_operation(serially)
                if self.is_awaitable(result):
                    result = await result
        finally:
            VIEWER_READ.reset(token)
        if self.after_event is not None:
            self.after_event(result)
        return result, asked[0]

    async def _execute_shared(
        self, shared: SharedEvent, serially: bool | None
    ) -> GraphQLExecutionResult:
        memo = shared.results
        selection = live_plan(self.schema, self.operation, self.fragment_definitions)
        plan = selection if isinstance(selection, Plan) else None
        key = (selection, _frozen(self.variable_values.coerced))
        viewer = getattr(self.context_value, "_viewer", None)
        viewer_key = (*key, getattr(viewer, "pk", None))

        async def run() -> Outcome:
            outcome = await self._tracked(serially, plan)
            if outcome[1] and viewer_key not in memo:  # this viewer's, for its other tabs
                done: asyncio.Future[Outcome | None] = asyncio.get_running_loop().create_future()
                done.set_result(outcome)
                memo[viewer_key] = done
            return outcome

        outcome, ran = await _once(memo, key, run)
        if outcome is not None and outcome[1] and not ran:
            # It asked who the viewer is, and that was someone else: once per viewer.
            outcome, ran = await _once(memo, viewer_key, run)
        if outcome is None:  # the first execution failed: no sharing for this one
            return (await self._tracked(serially, plan))[0]
        if not ran:
            stats["shared"] += 1
        return outcome[0]
