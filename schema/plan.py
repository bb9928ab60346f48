"""Compiled plans: a validated query document executed without re-deciding its shape.

graphql-core executes every request from the document: it collects each selection's
fields, finds each field's definition and resolver, reads its arguments and picks how
to complete its value, for every object of every list, every time. For a document
already parsed, validated and executed without a request error, all of that is the
same on each request. A `Plan` decides it once (lazily, the first time each selection
meets each runtime type) into `Step`s, and each request only moves values through them.

What a step holds is shared by every request: the response key, the field nodes, the
definition, the resolver (or, for a plain attribute, its name), the arguments when they
are literals, and the steps of its sub-selection per runtime type. What a request owns
(the resolve info, variable values, loaders, the result and its errors) lives in `_Run`.

The semantics are GraphQL's, as graphql-core 3.3 gives them:

- Resolvers are the schema's own (Strawberry's wrappers, with their permission checks
  and argument conversion); only fields Strawberry itself marks as plain attributes
  (`_is_default`) are read directly.
- A resolver's error is located at its path; a null in a non-null position propagates to
  the nearest nullable ancestor, and an error inside an already nulled position is not
  reported (graphql-core's `CollectedErrors`).
- `@skip` and `@include` with variables: the steps are kept per value of those variables.
- Fragments and abstract types: a value of an interface or union is resolved to its
  object type by the type's `resolve_type`, and checked as graphql-core checks it.
- Resolvers' coroutines are stepped by the plan itself, not wrapped in a Task each
  (`_Run._advance`): each runs until it waits on a future, and resumes when that future
  is done, as under a Task. Every load asked for in one pass over the fields is asked
  for before any is awaited, so DataLoader batching is what it was.

Mutations are planned when their operation selects exactly one root field, written as
a field (no fragment at the root): with one field, graphql-core's serial execution of
root fields and the plan's are the same. A mutation of several root fields stays
Strawberry's, which runs them one after another.

A subscription is set up by Strawberry (its checks and replay); each live event is then
executed on a plan of the subscription's selection, with the event as the root value
(`compile_live_plan`, used by schema/sharing.py), as graphql-core's per-event execution
would execute it.

Not planned (Strawberry keeps them): introspection
(`__schema`, `__type`), `@defer`/`@stream` and fragment variables. Not supported: a
list field whose resolver returns an async iterable (graphql-core accepts one; this
schema has none, and the plan would answer "Expected Iterable"). `object.is_type_of` is
not called: the plan knows each object's type from the schema, which is what
`is_type_of` would check.
"""

from __future__ import annotations

import asyncio
import functools
import types
from collections import OrderedDict
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    located_error,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import Executor, default_type_resolver
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import ArgumentNode, DirectiveNode, FragmentDefinitionNode, Visitor
from graphql.pyutils import Path, is_awaitable, is_iterable
from graphql.type.scalars import serialize_boolean, serialize_id, serialize_string
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

_IDENTITY_TYPES: dict[Any, type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
}
_IMMUTABLE_ARGUMENTS = (int, str, float, bool, Enum, type(None))
# A `Path` made the way its NamedTuple constructor makes it, without that constructor's
# Python frame: a page makes one per list item and per resolved field, about 1,200.
_new_path = tuple.__new__
_UNPLANNED_FIELDS = frozenset({"__schema", "__type"})
_UNPLANNED_DIRECTIVES = frozenset({"defer", "stream"})


class _Shape(Visitor):
    """What decides whether a document can be planned, and which variables the steps
    depend on (those of `@skip`/`@include`)."""

    def __init__(self) -> None:
        super().__init__()
        self.plannable = True
        self.directive_variables: set[str] = set()

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        if node.name.value in _UNPLANNED_FIELDS:
            self.plannable = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        name = node.name.value
        if name in _UNPLANNED_DIRECTIVES:
            self.plannable = False
        elif name in ("skip", "include"):
            for argument in node.arguments or ():
                if isinstance(argument.value, VariableNode):
                    self.directive_variables.add(argument.value.name.value)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_args: Any) -> None:
        if node.variable_definitions:
            self.plannable = False


def _uses_variables(arguments: Iterable[ArgumentNode]) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_args: Any) -> None:
            nonlocal found
            found = True

    for argument in arguments or ():
        visit(argument, Finder())
    return found


class Step:
    """One response key of one selection on one object type: decided once, shared."""

    __slots__ = (
        "arguments",
        "attribute",
        "converted",
        "default_resolver",
        "definition",
        "details",
        "direct",
        "field",
        "getattr",
        "leaf",
        "leaf_type",
        "non_null",
        "key",
        "name",
        "nodes",
        "parent_type",
        "resolve",
        "return_type",
        "static_arguments",
        "subplans",
        "typename",
    )

    def __init__(
        self,
        key: str,
        details: list[FieldDetails],
        parent_type: GraphQLObjectType,
        variables: VariableValues,
        schema: GraphQLSchema,
    ) -> None:
        self.key = key
        self.details = details
        self.nodes: list[FieldNode] = [detail.node for detail in details]
        self.name = self.nodes[0].name.value
        self.parent_type = parent_type
        self.typename = self.name == "__typename"
        self.subplans: dict[str, list[Step]] = {}  # runtime type name -> its steps
        self.static_arguments: dict[str, Any] | None = None
        self.converted: dict[str, Any] | None = None  # a direct resolver's, when static
        self.attribute: str | None = None
        self.default_resolver: Callable[[Any, str], Any] | None = None
        self.resolve: Callable[..., Any] | None = None
        self.direct: _Direct | None = None
        self.field: Any = None
        self.leaf: Any = None
        self.leaf_type: type | None = None
        self.getattr = False
        self.non_null = False
        if self.typename:
            return
        definition: GraphQLField = parent_type.fields[self.name]
        self.definition = definition
        self.return_type: GraphQLOutputType = definition.type
        self.non_null = is_non_null_type(definition.type)
        inner = definition.type.of_type if self.non_null else definition.type  # type: ignore[union-attr]
        self.leaf = inner if is_leaf_type(inner) else None  # completed in place (`_Run._fields`)
        # A value of exactly this type is its own result (graphql-core's serializers of
        # String, ID and Boolean return it unchanged).
        self.leaf_type = _IDENTITY_TYPES.get(getattr(self.leaf, "coerce_output_value", None))
        self.arguments = bool(definition.args)
        node = self.nodes[0]
        if self.arguments and not _uses_variables(node.arguments):
            self.static_arguments = get_argument_values(definition, node, variables)
        resolve = definition.resolve
        strawberry_field = (definition.extensions or {}).get("strawberry-definition")
        self.field = strawberry_field
        if resolve is not None and getattr(resolve, "_is_default", False) and strawberry_field:
            self.attribute = strawberry_field.python_name
            self.default_resolver = strawberry_field.default_resolver
            self.getattr = self.default_resolver is getattr
        elif strawberry_field is not None and (
            direct := _direct(strawberry_field, definition, schema)
        ):
            self.direct = direct
        else:
            self.resolve = resolve or _default_field_resolver


class _Direct:
    """How to call a resolver straight: what Strawberry's wrapper would pass it."""

    __slots__ = (
        "arguments",
        "config",
        "function",
        "info",
        "lazy_info",
        "scalar_registry",
        "source_names",
        "takes_self",
    )

    def __init__(self, resolver: Any, field: Any, strawberry_schema: Any) -> None:
        info_class = strawberry_schema.config.info_class
        self.arguments = field.arguments
        self.config = strawberry_schema.config
        self.scalar_registry = strawberry_schema.schema_converter.scalar_registry
        self.function = resolver.wrapped_func
        self.takes_self = resolver.self_parameter is not None
        self.source_names = tuple(
            p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
        )
        self.info = resolver.info_parameter.name if resolver.info_parameter else None
        self.lazy_info = _lazy_info_class(info_class)


@functools.cache
def _lazy_info_class(info_class: type) -> Any:
    """The schema's Info class, its graphql-core resolve info made on first use: most
    direct resolvers on a page (a pair's people, a milestone's `completedBy`) read only
    `info.context`, and making the resolve info for each was a tenth of a page's work.
    Relies on Strawberry's `Info` reading everything else through `_raw_info`."""

    class LazyInfo(info_class):  # type: ignore[misc, valid-type]
        def __init__(self, run: _Run, step: Step, parent_type: Any, path: Path) -> None:
            self._run, self._step, self._parent_type, self._path = run, step, parent_type, path
            self._field = step.field
            self._raw: Any = None

        @property
        def _raw_info(self) -> Any:
            if self._raw is None:
                self._raw = self._run._info(self._step, self._parent_type, self._path)
            return self._raw

        @property
        def context(self) -> Any:
            return self._run.context

    LazyInfo.__name__ = LazyInfo.__qualname__ = f"Lazy{info_class.__name__}"
    return LazyInfo


def _direct(field: Any, definition: GraphQLField, schema: GraphQLSchema) -> _Direct | None:
    """A resolver without field extensions (permission classes are one) or exception
    handlers, whose arguments are all scalars or enums (or lists of them), gets from
    Strawberry's wrapper only its source, its Info and its converted arguments
    (`get_arguments`, `StrawberryField.get_result`): call it with those, directly."""
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    resolver = field.base_resolver
    if (
        strawberry_schema is None
        or resolver is None
        or not all(is_leaf_type(get_named_type(a.type)) for a in definition.args.values())
        or field.extensions
        or field.is_subscription
        or type(field).get_result is not StrawberryField.get_result
        or strawberry_schema.schema_converter._exception_handler_specs
    ):
        return None
    return _Direct(resolver, field, strawberry_schema)


def _default_field_resolver(source: Any, info: Any, **_arguments: Any) -> Any:
    """graphql-core's default, for a field without a resolver (none in this schema)."""
    from graphql import default_field_resolver

    return default_field_resolver(source, info, **_arguments)


class Plan:
    """A query document, compiled for one schema. Build it with `compile_plan`."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        directive_variables: tuple[str, ...],
    ) -> None:
        self.schema = schema
        self.document = document
        self.operation = operation
        self.root_type = {
            OperationType.MUTATION: schema.mutation_type,
            OperationType.SUBSCRIPTION: schema.subscription_type,
        }.get(operation.operation, schema.query_type)
        self.directive_variables = directive_variables
        self.fragments: dict[str, FragmentDetails] = {}
        self.fragment_nodes: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments[definition.name.value] = FragmentDetails(definition)
                self.fragment_nodes[definition.name.value] = definition
        self._roots: dict[tuple[Any, ...], list[Step]] = {}
        self._type_check = _TypeCheck(schema)
        self._shapes: dict[int, tuple[bool, Any, str]] = {}

    @property
    def is_mutation(self) -> bool:
        return self.operation.operation is OperationType.MUTATION

    def root_steps(self, variables: VariableValues) -> tuple[tuple[Any, ...], list[Step]]:
        key = self.directive_key(variables)
        steps = self._roots.get(key)
        if steps is None:
            assert self.root_type is not None
            grouped = collect_fields(
                self.schema, self.fragments, variables, self.root_type, self.operation
            ).grouped_field_set
            steps = [
                Step(name, details, self.root_type, variables, self.schema)
                for name, details in grouped.items()
            ]
            self._roots[key] = steps
        return key, steps

    def sub_steps(
        self, step: Step, runtime_type: GraphQLObjectType, variables: VariableValues
    ) -> list[Step]:
        """The steps of `step`'s sub-selection on `runtime_type` (the caller's steps
        already belong to one value of the directive variables)."""
        steps = step.subplans.get(runtime_type.name)
        if steps is None:
            grouped = collect_subfields(
                self.schema,
                self.fragments,
                variables,
                self.operation,
                runtime_type,
                step.details,
            ).grouped_field_set
            steps = [
                Step(name, details, runtime_type, variables, self.schema)
                for name, details in grouped.items()
            ]
            step.subplans[runtime_type.name] = steps
        return steps

    def shape(self, type_: Any) -> tuple[bool, Any, str]:
        """`_shape_of(type_)`, remembered (the plan keeps its schema's types alive)."""
        found = self._shapes.get(id(type_))
        if found is None:
            found = self._shapes[id(type_)] = _shape_of(type_)
        return found

    def directive_key(self, variables: VariableValues) -> tuple[Any, ...]:
        if not self.directive_variables:
            return ()
        coerced = variables.coerced
        return tuple(bool(coerced.get(name)) for name in self.directive_variables)


_LEAF, _LIST, _OBJECT, _ABSTRACT = "leaf", "list", "object", "abstract"


def _shape_of(type_: Any) -> tuple[bool, Any, str]:
    """(non-null, the type inside, what kind of completion it takes)."""
    non_null = is_non_null_type(type_)
    inner = type_.of_type if non_null else type_
    if is_leaf_type(inner):
        return non_null, inner, _LEAF
    if is_list_type(inner):
        return non_null, inner, _LIST
    if is_abstract_type(inner):
        return non_null, inner, _ABSTRACT
    if is_object_type(inner):
        return non_null, inner, _OBJECT
    raise TypeError(f"Cannot complete value of unexpected output type {inner}.")


class _TypeCheck:
    """graphql-core's own runtime-type checks for abstract values (the method reads only
    `self.schema`)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def runtime_type(
        self, name: Any, abstract: GraphQLAbstractType, step: Step, info: Any, value: Any
    ) -> GraphQLObjectType:
        return Executor.ensure_valid_runtime_type(
            self,  # type: ignore[arg-type]
            name,
            abstract,
            step.details,
            info,
            value,
        )


def compile_plan(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Plan | None:
    """A plan for the document's query operation, or for a mutation of one root field;
    None when it is not plannable."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    if operation.operation is OperationType.MUTATION:
        roots = operation.selection_set.selections
        if len(roots) != 1 or not isinstance(roots[0], FieldNode):
            return None
    elif operation.operation is not OperationType.QUERY:
        return None
    shape = _Shape()
    visit(document, shape)
    if not shape.plannable:
        return None
    return Plan(schema, document, operation, tuple(sorted(shape.directive_variables)))


def compile_live_plan(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> Plan | None:
    """A plan for one event of a subscription: the selection executed on the event's
    value, as graphql-core's per-event execution does (the root field's resolver is
    Strawberry's, which returns the event). None when it is not plannable."""
    if operation.operation is not OperationType.SUBSCRIPTION:
        return None
    shape = _Shape()
    visit(document, shape)
    if not shape.plannable:
        return None
    return Plan(schema, document, operation, tuple(sorted(shape.directive_variables)))


async def execute_live_plan(
    plan: Plan, context: Any, variables: VariableValues, event: Any
) -> PlanResult:
    """One event of a subscription on its plan, with the subscription's variables
    (coerced once, when it subscribed)."""
    return await _Run(plan, context, variables, event, None).execute()


class PlanCache:
    """Plans by (document text, operation name), least recently used out first. A key
    whose document cannot be planned is remembered as None, so it is not tried again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Plan | None | bool:
        """The plan; None for a document known to be unplannable; False when unknown."""
        key = (query, operation_name)
        if key not in self._plans:
            return False
        self._plans.move_to_end(key)
        return self._plans[key]

    def put(self, query: str, operation_name: str | None, plan: Plan | None) -> None:
        self._plans[(query, operation_name)] = plan
        self._plans.move_to_end((query, operation_name))
        while len(self._plans) > self.size:
            self._plans.popitem(last=False)

    def forget(self, query: str, operation_name: str | None) -> None:
        """Drop one document's plan (tests use it to run Strawberry's path again)."""
        self._plans.pop((query, operation_name), None)

    def __len__(self) -> int:
        return len(self._plans)


_AWAITABLE_TYPES: dict[type, bool] = {}


def _awaitable(value: Any) -> bool:
    """graphql-core's `is_awaitable`, remembered per type (a generator-based coroutine
    is the one case decided per object)."""
    kind = type(value)
    known = _AWAITABLE_TYPES.get(kind)
    if known is None:
        if kind is types.GeneratorType:
            return is_awaitable(value)
        known = _AWAITABLE_TYPES[kind] = is_awaitable(value)
    return known


_FAILED = object()


class _Slot:
    """Where a completed object or list sits: its container and key, whether that
    position may be null, and the slot of the container (for null propagation)."""

    __slots__ = ("container", "key", "nullable", "parent", "path")

    def __init__(
        self, container: Any, key: Any, nullable: bool, parent: _Slot | None, path: Path | None
    ) -> None:
        self.container = container
        self.key = key
        self.nullable = nullable
        self.parent = parent
        self.path = path


class _Waiting:
    """A position whose value waits on a future: a resolver's suspended coroutine (or
    None for a bare future), and where its value goes."""

    __slots__ = (
        "awaited",
        "container",
        "coroutine",
        "info",
        "key",
        "path",
        "slot",
        "step",
        "type_",
    )

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        coroutine: Any,
        awaited: Any,
        step: Step,
        type_: Any,
        path: Path,
        container: Any,
        key: Any,
        slot: _Slot | None,
        info: Any,
    ) -> None:
        self.coroutine = coroutine
        self.awaited = awaited
        self.step = step
        self.type_ = type_
        self.path = path
        self.container = container
        self.key = key
        self.slot = slot
        self.info = info


class PlanResult:
    """What a planned execution gives: graphql-core's result fields."""

    __slots__ = ("data", "errors")

    def __init__(self, data: dict[str, Any] | None, errors: list[GraphQLError] | None) -> None:
        self.data = data
        self.errors = errors


async def execute_plan(
    plan: Plan,
    context: Any,
    variable_inputs: dict[str, Any] | None,
    root_value: Any = None,
    operation_extensions: dict[str, Any] | None = None,
) -> PlanResult:
    """Run `plan` for one request. Variable errors are a request error, as in graphql-core."""
    coerced = get_variable_values(
        plan.schema, plan.operation.variable_definitions or [], variable_inputs or {}, 50
    )
    if isinstance(coerced, list):
        return PlanResult(None, coerced)
    run = _Run(plan, context, coerced, root_value, operation_extensions)
    return await run.execute()


class _Run:
    """One request's execution of a plan: everything here belongs to this request."""

    __slots__ = (
        "context",
        "data",
        "errors",
        "extensions",
        "nulled",
        "plan",
        "ready",
        "root",
        "variables",
        "waiting",
        "wakeup",
    )

    def __init__(
        self,
        plan: Plan,
        context: Any,
        variables: VariableValues,
        root_value: Any,
        operation_extensions: dict[str, Any] | None,
    ) -> None:
        self.plan = plan
        self.context = context
        self.variables = variables
        self.root = root_value
        self.extensions = operation_extensions
        self.errors: list[GraphQLError] = []
        self.nulled: set[Path | None] = set()
        # Entries: (coroutine or None, the future it waits on, step, type, path, container,
        # key, slot, info). `waiting` until the future is done, then `ready`; a done
        # callback moves them and wakes `execute`, as a Task's wake-up would.
        self.waiting: dict[_Waiting, None] = {}
        self.ready: list[_Waiting] = []
        self.wakeup: asyncio.Future[None] | None = None
        self.data: dict[str, Any] | None = {}

    async def execute(self) -> PlanResult:
        plan = self.plan
        assert plan.root_type is not None
        _key, steps = plan.root_steps(self.variables)
        data = self.data
        assert data is not None
        self._fields(steps, plan.root_type, self.root, data, None, None)
        loop = asyncio.get_running_loop()
        try:
            while self.waiting or self.ready:
                if not self.ready:
                    self.wakeup = loop.create_future()
                    await self.wakeup
                batch, self.ready = self.ready, []
                for entry in batch:
                    self._resume(entry)
        except BaseException:
            for entry in list(self.waiting):  # cancelled: close what still waits
                if entry.coroutine is not None:
                    entry.coroutine.close()
            raise
        return PlanResult(self.data, self.errors or None)

    # --- fields ----------------------------------------------------------------------

    def _fields(
        self,
        steps: list[Step],
        parent_type: GraphQLObjectType,
        source: Any,
        out: dict[str, Any],
        slot: _Slot | None,
        path: Path | None,
    ) -> None:
        for step in steps:
            key = step.key
            if step.typename:
                out[key] = parent_type.name
                continue
            if step.attribute is not None and step.leaf is not None:
                # A plain attribute of a scalar or enum type, the commonest field: in place,
                # with no path unless something goes wrong (then the general way below
                # reports exactly what graphql-core would).
                try:
                    if step.getattr:
                        value = getattr(source, step.attribute)
                    else:
                        value = step.default_resolver(source, step.attribute)  # type: ignore[misc]
                except Exception as error:
                    out[key] = None
                    field_path = Path(path, key, parent_type.name)
                    self._field_error(error, step, step.return_type, field_path, out, key, slot)
                    continue
                if type(value) is step.leaf_type:
                    out[key] = value
                    continue
                out[key] = None  # keeps the response's key order
                if value is None:
                    if not step.non_null:
                        continue
                elif not _awaitable(value):
                    try:
                        completed = step.leaf.coerce_output_value(value)
                    except Exception:  # noqa: BLE001 - reported below, the general way
                        completed = _FAILED
                    if (
                        completed is not None
                        and completed is not Undefined
                        and completed is not _FAILED
                    ):
                        out[key] = completed
                        continue
                field_path = Path(path, key, parent_type.name)
                self._complete_position(
                    step, step.return_type, value, field_path, out, key, slot, None
                )
                continue
            out[key] = None  # keeps the response's key order
            field_path = _new_path(Path, (path, key, parent_type.name))
            info = None
            try:
                if step.attribute is not None:
                    value = step.default_resolver(source, step.attribute)  # type: ignore[misc]
                elif (direct := step.direct) is not None:
                    kwargs = {name: source for name in direct.source_names}
                    if step.arguments:
                        kwargs.update(self._arguments(step, direct))
                    if direct.info is not None:
                        kwargs[direct.info] = direct.lazy_info(self, step, parent_type, field_path)
                    if direct.takes_self:
                        value = direct.function(source, **kwargs)
                    else:
                        value = direct.function(**kwargs)
                else:
                    info = self._info(step, parent_type, field_path)
                    if step.static_arguments is not None:
                        arguments = step.static_arguments
                    elif step.arguments:
                        arguments = get_argument_values(
                            step.definition, step.nodes[0], self.variables
                        )
                    else:
                        arguments = {}
                    value = step.resolve(source, info, **arguments)  # type: ignore[misc]
            except Exception as error:
                self._field_error(error, step, step.return_type, field_path, out, key, slot)
                continue
            if type(value) is step.leaf_type:  # a resolved ID or String: its own result
                out[key] = value
                continue
            self._complete_position(step, step.return_type, value, field_path, out, key, slot, info)

    def _arguments(self, step: Step, direct: _Direct) -> dict[str, Any]:
        """A direct resolver's arguments as Strawberry's wrapper converts them; made
        once per step when they are literals of immutable values."""
        if step.converted is not None:
            return step.converted
        static = step.static_arguments
        if static is not None:
            raw = static
        else:
            raw = get_argument_values(step.definition, step.nodes[0], self.variables)
        converted = convert_arguments(
            raw, direct.arguments, scalar_registry=direct.scalar_registry, config=direct.config
        )
        if static is not None and all(
            isinstance(value, _IMMUTABLE_ARGUMENTS) for value in converted.values()
        ):
            step.converted = converted
        return converted

    def _info(self, step: Step, parent_type: GraphQLObjectType, path: Path) -> Any:
        plan = self.plan
        return _OperationContextAwareGraphQLResolveInfo(
            step.name,
            step.nodes,
            step.return_type,
            parent_type,
            path,
            plan.schema,
            plan.fragment_nodes,
            self.root,
            plan.operation,
            self.variables,  # graphql-core's VariableValues, as its executor passes
            self.context,
            is_awaitable,
            None,
            None,
            self.extensions,
        )

    # --- completion ------------------------------------------------------------------

    def _complete_position(  # noqa: PLR0913, PLR0917
        self,
        step: Step,
        type_: GraphQLOutputType,
        value: Any,
        path: Path,
        container: Any,
        key: Any,
        slot: _Slot | None,
        info: Any,
    ) -> None:
        """Complete `value` of `type_` into container[key]; an error there is handled
        as graphql-core handles a field's (or a list item's) error."""
        if _awaitable(value):
            if type(value) is types.CoroutineType:
                self._advance(value, step, type_, path, container, key, slot, info)
            else:  # a future (a DataLoader's), or another awaitable made one
                future = asyncio.ensure_future(value)
                self._wait(_Waiting(None, future, step, type_, path, container, key, slot, info))
            return
        try:
            if isinstance(value, Exception):
                raise value
            self._complete(step, type_, value, path, container, key, slot, info)
        except Exception as error:
            self._field_error(error, step, type_, path, container, key, slot)

    def _advance(  # noqa: PLR0913, PLR0917
        self,
        coroutine: Any,
        step: Step,
        type_: Any,
        path: Path,
        container: Any,
        key: Any,
        slot: _Slot | None,
        info: Any,
    ) -> None:
        """Run a resolver's coroutine to its next wait, as a Task would, without one:
        a resolver whose data is loaded finishes here and then, and one that waits
        hands its future to the next level (so its loads batch with the level's). Each
        Task costs several loop callbacks; a page has a hundred such resolvers."""
        try:
            awaited = coroutine.send(None)
        except StopIteration as done:
            self._complete_position(step, type_, done.value, path, container, key, slot, info)
            return
        except Exception as error:
            self._field_error(error, step, type_, path, container, key, slot)
            return
        if awaited is not None and asyncio.isfuture(awaited):
            # What a Task does with a yielded future at once: another coroutine may await
            # the same future (a DataLoader's, for the same key) before it is done.
            awaited._asyncio_future_blocking = False
        elif awaited is not None:
            coroutine.close()
            error = RuntimeError(f"A resolver awaited {awaited!r}, which is not a future.")
            self._field_error(error, step, type_, path, container, key, slot)
            return
        self._wait(_Waiting(coroutine, awaited, step, type_, path, container, key, slot, info))

    def _wait(self, entry: _Waiting) -> None:
        self.waiting[entry] = None
        awaited = entry.awaited
        if awaited is None:  # a bare yield: ready at the loop's next turn
            asyncio.get_running_loop().call_soon(self._done, entry)
        else:
            awaited.add_done_callback(lambda _future: self._done(entry))

    def _done(self, entry: _Waiting) -> None:
        if self.waiting.pop(entry, False) is not False:
            self.ready.append(entry)
            if self.wakeup is not None and not self.wakeup.done():
                self.wakeup.set_result(None)

    def _resume(self, entry: _Waiting) -> None:
        coroutine, awaited, step, type_ = entry.coroutine, entry.awaited, entry.step, entry.type_
        path, container, key, slot, info = (
            entry.path,
            entry.container,
            entry.key,
            entry.slot,
            entry.info,
        )
        if coroutine is not None:
            self._advance(coroutine, step, type_, path, container, key, slot, info)
            return
        if awaited.cancelled():
            raise asyncio.CancelledError()
        error = awaited.exception()
        if error is not None and not isinstance(error, Exception):
            raise error  # cancellation and the like are not field errors
        outcome = error if error is not None else awaited.result()
        self._complete_position(step, type_, outcome, path, container, key, slot, info)

    def _complete(  # noqa: PLR0913, PLR0917
        self,
        step: Step,
        type_: GraphQLOutputType,
        value: Any,
        path: Path,
        container: Any,
        key: Any,
        slot: _Slot | None,
        info: Any,
    ) -> None:
        shape = self.plan.shape(type_)
        non_null, inner, kind = shape
        if value is None or value is Undefined:
            if non_null:
                raise TypeError(
                    f"Cannot return null for non-nullable field {step.parent_type}.{step.name}."
                )
            container[key] = None
            return
        if kind is _LEAF:
            completed = inner.coerce_output_value(value)
            if completed is Undefined or completed is None:
                from graphql.pyutils import inspect

                raise TypeError(
                    f"Expected `{inspect(inner)}.coerce_output_value({inspect(value)})` to"
                    f" return non-nullable value, returned: {inspect(completed)}"
                )
            container[key] = completed
            return
        if kind is _LIST:
            if not is_iterable(value):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{step.parent_type}.{step.name}'."
                )
            items = list(value)
            completed_list: list[Any] = [None] * len(items)
            container[key] = completed_list
            list_slot = _Slot(container, key, not non_null, slot, path)
            item_type = inner.of_type
            item_non_null, item_inner, item_kind = self.plan.shape(item_type)
            if item_kind is _OBJECT:
                # A list of objects, the page's bulk: each ready item straight into its
                # fields (what `_complete_position` and `_complete` would do for it).
                item_steps = self.plan.sub_steps(step, item_inner, self.variables)
                for index, item in enumerate(items):
                    item_path = _new_path(Path, (path, index, None))
                    if (
                        item is None
                        or item is Undefined
                        or _awaitable(item)
                        or isinstance(item, Exception)
                    ):
                        self._complete_position(
                            step, item_type, item, item_path, completed_list, index, list_slot, info
                        )
                        continue
                    out = {}
                    completed_list[index] = out
                    item_slot = _Slot(
                        completed_list, index, not item_non_null, list_slot, item_path
                    )
                    self._fields(item_steps, item_inner, item, out, item_slot, item_path)
                return
            for index, item in enumerate(items):
                self._complete_position(
                    step,
                    item_type,
                    item,
                    _new_path(Path, (path, index, None)),
                    completed_list,
                    index,
                    list_slot,
                    info,
                )
            return
        if kind is _OBJECT:
            out: dict[str, Any] = {}
            container[key] = out
            object_slot = _Slot(container, key, not non_null, slot, path)
            self._fields(
                self.plan.sub_steps(step, inner, self.variables),
                inner,
                value,
                out,
                object_slot,
                path,
            )
            return
        if kind is _ABSTRACT:
            info = info or self._info(step, step.parent_type, path)
            resolve_type = inner.resolve_type or default_type_resolver
            name = resolve_type(value, info, inner)
            if is_awaitable(name):
                raise TypeError("An abstract type resolved asynchronously is not planned.")
            runtime = self.plan._type_check.runtime_type(name, inner, step, info, value)
        out = {}
        container[key] = out
        object_slot = _Slot(container, key, not non_null, slot, path)
        steps = self.plan.sub_steps(step, runtime, self.variables)
        self._fields(steps, runtime, value, out, object_slot, path)

    # --- errors ----------------------------------------------------------------------

    def _field_error(  # noqa: PLR0913, PLR0917
        self,
        raw: Exception,
        step: Step,
        type_: GraphQLOutputType,
        path: Path,
        container: Any,
        key: Any,
        slot: _Slot | None,
    ) -> None:
        error = located_error(raw, step.nodes, path.as_list())
        if not is_non_null_type(type_):
            container[key] = None
            self._add(error, path)
            return
        while slot is not None:  # to the nearest nullable ancestor
            if slot.nullable:
                slot.container[slot.key] = None
                self._add(error, slot.path)
                return
            slot = slot.parent
        self.data = None
        self._add(error, None)

    def _add(self, error: GraphQLError, path: Path | None) -> None:
        nulled = self.nulled
        if None in nulled:
            return
        position = path
        while position is not None:
            if position in nulled:
                return
            position = position.prev
        nulled.add(path)
        self.errors.append(error)


__all__ = ["Plan", "PlanCache", "PlanResult", "compile_plan", "execute_plan"]
