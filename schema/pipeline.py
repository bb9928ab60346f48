"""Every per-operation concern of the schema in one Strawberry extension with four hooks.

Strawberry wraps each hook of each extension in a context manager for every operation,
10-25 µs apiece whatever the hook does: eight extensions cost about a third of a
`{ __typename }` request (`make bench`, (b)). `RequestPipeline` does the same work as
those eight, in the same order, in one `on_operation`, `on_parse`, `on_validate` and
`on_execute` (and `on_stream_result` for subscription results):

- entering the operation: the token limit for the parser, our validation rules, and
  the check-in flood limit for the services (api/ratelimit.py);
- parsing and validation through LRU caches, when `graphql_caches` is on (a document
  that fails to parse is left to Strawberry's own parse, inside its error handling);
- execution: the observer notes the operation's name and type, then the rate limit may
  refuse a mutation before it runs;
- leaving, innermost first as the eight ran: error codes and masking
  (schema/errors.py), the flood limit reset, "Did you mean" cut from messages outside
  DEBUG, TOO_MANY_TOKENS given its code, and last the log line and metrics
  (schema/observability.py), which see the final errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError, ValidationRule, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionResult as StrawberryExecutionResult
from strawberry.types.graphql import OperationType

from api import metrics, ratelimit, runtime
from api.ratelimit import RateLimit, check_in_limit
from api.settings import Settings
from schema import observability
from schema.errors import ErrorCodes, log_faults
from schema.limits import TokenLimit, hide_suggestions, validation_rules
from schema.live import HandOff
from schema.observability import OperationObserver
from schema.plan import Plan, PlanCache, compile_plan, execute_plan

CACHE_SIZE = 1000
_MASKING = ErrorCodes()  # keeps no state of its own: one for every operation


class _Shared:
    """What every operation of one schema shares: settings, rules, caches, counters."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rules: tuple[type[ValidationRule], ...] = tuple(validation_rules(settings))
        self.names = metrics.operation_names(settings.metrics_max_operation_names)
        self.tokens = TokenLimit(settings.max_tokens)  # only its `coded` is used
        self.rate_limit = RateLimit(settings=settings, counter=ratelimit.make_counter(settings))
        self.hide_suggestions = not settings.debug
        self.parse = lru_cache(maxsize=CACHE_SIZE)(parse) if settings.graphql_caches else None
        self.validate = (
            lru_cache(maxsize=CACHE_SIZE)(validate_document) if settings.graphql_caches else None
        )
        self.plans = PlanCache(CACHE_SIZE) if settings.graphql_caches else None


class RequestPipeline(OperationObserver):
    """The eight concerns above as one extension; built per operation, sharing `_Shared`."""

    def __init__(self, shared: _Shared) -> None:
        super().__init__(names=shared.names)
        self.shared = shared
        self.masking = _MASKING
        self.stream_result_processed = False
        self.handed_off = False

    def on_operation(self) -> Iterator[None]:
        shared, context = self.shared, self.execution_context
        started = time.perf_counter()
        context.parse_options["max_tokens"] = shared.settings.max_tokens
        context.validation_rules = context.validation_rules + shared.rules
        flood = check_in_limit.set(shared.settings.check_ins_per_pair_per_hour)
        raised: BaseException | None = None
        try:
            try:
                yield
            except GraphQLSyntaxError as error:  # raised by the cached parse
                raise shared.tokens.coded(error) from None
            finally:
                with contextlib.suppress(ValueError):  # finished in another context
                    check_in_limit.reset(flood)
            self._leave()
        except (asyncio.CancelledError, GeneratorExit):
            raise  # a subscription stopped by its client: not an error
        except BaseException as error:
            raised = error
            raise
        finally:
            if self.handed_off:
                self._hand_off(started)
            else:
                if self.subscribed:
                    metrics.SUBSCRIPTIONS.dec()
                    runtime.note_teardown()
                self._record(time.perf_counter() - started, raised)

    def _hand_off(self, started: float) -> None:
        """A subscription gone live in the hub (schema/live.py) ends later: it is
        recorded then, with only what the record needs kept until then."""
        handoff = self.execution_context.result.data  # type: ignore[union-attr]
        label, operation_type = self.label, self.operation_type
        name = self.execution_context.operation_name

        def ended(error: Exception | None) -> None:
            metrics.SUBSCRIPTIONS.dec()
            runtime.note_teardown()
            codes = [] if error is None else [observability.error_code(_coded(error))]
            observability.record(label, operation_type, name, time.perf_counter() - started, codes)

        handoff.on_end = ended

    def _leave(self) -> None:
        """The eight extensions' work after the operation, innermost first."""
        context = self.execution_context
        if not self.stream_result_processed:
            self._mask(context.result)
        result = context.result
        errors = list(getattr(result, "errors", None) or [])
        if not errors:
            return
        if self.shared.hide_suggestions:
            errors = hide_suggestions(errors)
        errors = [self.shared.tokens.coded(error) for error in errors]
        result.errors = errors  # type: ignore[union-attr]  # errors means a result

    def _mask(self, result: Any) -> None:
        """MaskErrors' own handling of an operation's result (schema/errors.py)."""
        if isinstance(result, (GraphQLExecutionResult, StrawberryExecutionResult)):
            self.masking._process_result(result)
        elif initial := getattr(result, "initial_result", None):
            self.masking._process_result(initial)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each subscription result is masked before it reaches the client; a hand-off
        to the hub is no result (schema/live.py)."""
        if isinstance(getattr(result, "data", None), HandOff):
            self.handed_off = True
        else:
            self.stream_result_processed = True
            self.masking._process_stream_result(result)
        yield None

    def on_parse(self) -> Iterator[None]:
        cached = self.shared.parse
        if cached is not None:
            context = self.execution_context
            with contextlib.suppress(GraphQLError):  # Strawberry's own parse reports it
                context.graphql_document = cached(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        cached = self.shared.validate
        if cached is not None:
            context = self.execution_context
            context.pre_execution_errors = cached(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        # Reached only after parsing and validation passed: the name is the schema's.
        context = self.execution_context
        operation_type = context.operation_type
        self.operation_type = operation_type.value
        self.label = self.names.label(context.operation_name)
        if operation_type is OperationType.SUBSCRIPTION:
            metrics.SUBSCRIPTIONS.inc()
            runtime.note_setup()  # its objects are worth freezing (api/runtime.py)
            self.subscribed = True
        elif operation_type is OperationType.MUTATION and context.result is None:
            await self.shared.rate_limit.refuse_if_over(context)
        yield


def _coded(error: Exception) -> GraphQLError:
    return (
        error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)
    )


def finish_live_result(operation_name: str | None, result: GraphQLExecutionResult) -> None:
    """A live event's result (executed in the hub, not by Strawberry), treated as
    Strawberry treats each subscription result: faults logged, then error codes and
    masking."""
    if result.errors:
        log_faults(result.errors, operation_name)
        _MASKING._process_stream_result(result)


def live_error_result(operation_name: str | None, error: Exception) -> GraphQLExecutionResult:
    """The result that ends a live subscription with `error`, as Strawberry ends one
    whose source raised: no data, the error coded (and masked when unexpected)."""
    result = GraphQLExecutionResult(data=None, errors=[_coded(error)])
    finish_live_result(operation_name, result)
    return result


def schema_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The schema's one extension, as the factory Strawberry wants."""
    shared = _Shared(settings)

    def factory() -> SchemaExtension:
        return RequestPipeline(shared)

    factory.counter = shared.rate_limit.counter  # type: ignore[attr-defined]  # for tests
    factory.shared = shared  # type: ignore[attr-defined]  # for the plans (below)
    return [factory]


# --- the compiled-plan lane (schema/plan.py) -------------------------------------------


def plans_of(schema: Any) -> tuple[_Shared, PlanCache] | None:
    """The schema's pipeline state and plan cache, when plans are on (GRAPHQL_CACHES)."""
    for factory in schema.extensions:
        shared = getattr(factory, "shared", None)
        if isinstance(shared, _Shared) and shared.plans is not None:
            return shared, shared.plans
    return None


def learn_plan(
    schema: Any, plans: PlanCache, query: str, operation_name: str | None, result: Any
) -> None:
    """After Strawberry executed a document with no request error (parsing, validation,
    the limits and variable coercion all passed), compile it for the next requests."""
    if getattr(result, "data", None) is None:
        return
    try:
        document = parse(query)
    except GraphQLError:  # pragma: no cover - it was just parsed
        return
    plans.put(query, operation_name, compile_plan(schema._schema, document, operation_name))


async def execute_planned(  # noqa: PLR0913, PLR0917
    shared: _Shared,
    plan: Plan,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    root_value: Any,
    operation_extensions: dict[str, Any] | None,
) -> StrawberryExecutionResult:
    """A planned operation with what the pipeline does around any (`RequestPipeline`):
    for a mutation, the flood limit for the services and the rate limit first; after
    it, faults logged, codes and masking, suggestions cut, then the log line and
    metrics."""
    started = time.perf_counter()
    if operation_name is None and plan.operation.name is not None:
        operation_name = plan.operation.name.value
    label = shared.names.label(operation_name)
    operation_type = "mutation" if plan.is_mutation else "query"
    raised: BaseException | None = None
    result: StrawberryExecutionResult | None = None
    flood = check_in_limit.set(shared.settings.check_ins_per_pair_per_hour)
    try:
        refusal = await shared.rate_limit.refusal(context) if plan.is_mutation else None
        if refusal is not None:
            result = StrawberryExecutionResult(data=None, errors=[refusal])
        else:
            planned = await execute_plan(plan, context, variables, root_value, operation_extensions)
            result = StrawberryExecutionResult(data=planned.data, errors=planned.errors)
        if result.errors:
            log_faults(result.errors, operation_name)
            _MASKING._process_result(result)
            errors = result.errors
            if shared.hide_suggestions:
                errors = hide_suggestions(errors)
            result.errors = [shared.tokens.coded(error) for error in errors]
        return result
    except (asyncio.CancelledError, GeneratorExit):
        raise
    except BaseException as error:
        raised = error
        raise
    finally:
        with contextlib.suppress(ValueError):  # finished in another context
            check_in_limit.reset(flood)
        seconds = time.perf_counter() - started
        if raised is not None:
            codes = [observability.error_code(raised)]
        else:
            codes = [observability.error_code(error) for error in (result.errors or [])]  # type: ignore[union-attr]
        data = getattr(result, "data", None)
        observability.record(label, operation_type, operation_name, seconds, codes, data)
