"""Query limits: depth, aliases, tokens, directives and cost, each from settings.

Every refusal is a top-level error with its own `extensions.code`:

| limit      | setting          | default | code                   |
|------------|------------------|---------|------------------------|
| tokens     | `max_tokens`     | 2,000   | TOO_MANY_TOKENS        |
| depth      | `max_depth`      | 10      | QUERY_TOO_DEEP         |
| aliases    | `max_aliases`    | 15      | TOO_MANY_ALIASES       |
| directives | `max_directives` | 50      | TOO_MANY_DIRECTIVES    |
| cost       | `max_cost`       | 5,000   | QUERY_TOO_COMPLEX      |
| introspection off (`introspection=False`) | |   | INTROSPECTION_DISABLED |

Tokens are counted by the parser (Strawberry's `MaxTokensLimiter`, comments included),
so an oversized document is never built. The other limits are graphql-core validation
rules, so their results are cached with the rest of validation (the rule classes are
built once per schema: the validation cache is keyed by them).

Depth, aliases and cost come from one walk of each operation that expands fragments,
and costs every fragment once. Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter`
re-walk a fragment at every spread, so fragments that spread the next one twice make
them take exponential time (20 such fragments: seconds); hence our own rule.

- Depth: how many fields with a selection nest along the longest path, as Strawberry
  counts it (`{ viewer { id } }` is 1). Introspection fields (`__schema`, `__type`) are
  left out; graphql-core's MaxIntrospectionDepthRule bounds them.
- Aliases: aliased fields in the operation, fragments expanded at every spread.
- Cost: every field costs 1. A paged field (one returning a connection, i.e. a type
  with `edges` and `pageInfo`, or declaring a `first` argument) costs
  `1 + page size * cost of its selection`, where the page size is its literal
  `first`/`last` (clamped to 0..100), the cap (100) when given as a variable (values are
  unknown at validation time), or the default (20) when absent. Plain lists count
  once (multiplier 1): in this schema they are short by construction (questions,
  steps, milestones, answers) or capped (`nodes(ids:)` at 100 IDs, within the token
  limit). Fragments on several types under an abstract type all count (an upper bound).
  Each operation of the document is checked, whichever one the request names.

Outside DEBUG, "Did you mean ...?" suggestions are cut from error messages, so that
field and enum names cannot be fished out of a server with introspection turned off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    TypeNameMetaFieldDef,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from graphql.language import SKIP
from graphql.validation import NoSchemaIntrospectionCustomRule

from api.settings import Settings
from schema.common import PAGE_DEFAULT, PAGE_MAX


def validation_rules(settings: Settings) -> list[type[ValidationRule]]:
    """Our validation rules for the limits `settings` ask for (built once per schema: the
    validation cache is keyed by them)."""
    rules: list[type[ValidationRule]] = [
        shape_rule(settings.max_depth, settings.max_aliases, settings.max_cost),
        directives_rule(settings.max_directives),
    ]
    if not settings.introspection:
        rules.append(NoIntrospection)
    return rules


def refusal(message: str, code: str, nodes: Any = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code})


# --- tokens and suggestions: rewrite errors once the operation has run ----------------


def _copy(error: GraphQLError, message: str) -> GraphQLError:
    """A new error: validation errors are cached and shared, never edit them in place."""
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


class TokenLimit:
    """Strawberry's parser counts tokens (`parse_options["max_tokens"]`, set by
    schema/pipeline.py); its syntax error gets the code TOO_MANY_TOKENS here."""

    def __init__(self, max_tokens: int) -> None:
        self.max_token_count = max_tokens

    def coded(self, error: GraphQLError) -> GraphQLError:
        if f"more than {self.max_token_count} tokens" not in error.message:
            return error
        return refusal(
            f"The query has more than {self.max_token_count} tokens, the limit.",
            "TOO_MANY_TOKENS",
        )


_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def hide_suggestions(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Cut "Did you mean ...?" from error messages (graphql-core has a
    `hide_suggestions` switch, but Strawberry does not pass it to validation)."""
    if not any(_SUGGESTION.search(error.message) for error in errors):
        return errors
    return [_copy(error, _SUGGESTION.sub("", error.message)) for error in errors]


# --- validation rules -----------------------------------------------------------------


class NoIntrospection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule, with the code INTROSPECTION_DISABLED. `__typename` stays
    allowed (clients add it for caching)."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(refusal(error.message, "INTROSPECTION_DISABLED", error.nodes))


def directives_rule(max_directives: int) -> type[ValidationRule]:
    class MaxDirectivesRule(ValidationRule):
        """Directives as written in the document: each one is parsed and validated,
        so a flood of `@include` costs the server even when it changes nothing."""

        count = 0

        def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
            self.count += 1

        def leave_document(self, node: DocumentNode, *_args: Any) -> None:
            if self.count > max_directives:
                self.report_error(
                    refusal(
                        f"The query uses {self.count} directives; the limit is {max_directives}.",
                        "TOO_MANY_DIRECTIVES",
                    )
                )

    return MaxDirectivesRule


@dataclass(frozen=True)
class Shape:
    """What a selection asks for: nesting depth, aliases and cost (see module doc)."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: Shape) -> Shape:
        """Two selections side by side: the deeper depth, the sums of the rest."""
        return Shape(
            max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost
        )


class ShapeMeter:
    """Measures operations of one document, measuring each fragment once."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, Shape] = {}
        self.entered: set[str] = set()

    def operation(self, node: OperationDefinitionNode) -> Shape:
        return self.selections(node.selection_set, self.schema.get_root_type(node.operation))

    def selections(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> Shape:
        shape = Shape()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                shape += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                shape += self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                shape += self.fragment(selection.name.value)
        return shape

    def fragment(self, name: str) -> Shape:
        if name in self.measured:
            return self.measured[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.entered:
            return Shape()  # unknown or cyclic: other rules report it
        self.entered.add(name)
        shape = self.selections(
            fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value)
        )
        self.measured[name] = shape
        return shape

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Shape:
        aliases = 1 if node.alias else 0
        if node.selection_set is None:
            return Shape(0, aliases, 1)
        definition = field_definition(parent, node.name.value)
        type_ = get_named_type(definition.type) if definition else None
        inner = self.selections(node.selection_set, type_)
        depth = 0 if node.name.value.startswith("__") else inner.depth + 1
        return Shape(
            depth, inner.aliases + aliases, 1 + page_size(node, definition, type_) * inner.cost
        )


def field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    meta = {"__typename": TypeNameMetaFieldDef, "__schema": SchemaMetaFieldDef}
    if name in meta or name == "__type":
        return meta.get(name, TypeMetaFieldDef)
    fields = getattr(parent, "fields", None)
    return fields.get(name) if isinstance(fields, dict) else None


def is_connection(type_: GraphQLNamedType | None) -> bool:
    return isinstance(type_, GraphQLObjectType) and {"edges", "pageInfo"} <= type_.fields.keys()


def page_size(node: FieldNode, definition: GraphQLField | None, type_: Any) -> int:
    """How many times a field's selection may be resolved (1 unless it is paged)."""
    args = definition.args if definition else {}
    if not (is_connection(type_) or "first" in args):
        return 1
    sizes = []
    for arg in node.arguments or ():
        if arg.name.value in ("first", "last"):
            if isinstance(arg.value, IntValueNode):
                sizes.append(min(max(int(arg.value.value), 0), PAGE_MAX))
            elif isinstance(arg.value, VariableNode):
                sizes.append(PAGE_MAX)
    if sizes:
        return max(sizes)
    default = args["first"].default_value if "first" in args else None
    return default if isinstance(default, int) else PAGE_DEFAULT


def shape_rule(max_depth: int, max_aliases: int, max_cost: int) -> type[ValidationRule]:
    class QueryShapeRule(ValidationRule):
        """Refuses an operation nested too deep, with too many aliases, or too costly."""

        def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
            meter = ShapeMeter(self.context.schema, node)
            for operation in node.definitions:
                if not isinstance(operation, OperationDefinitionNode):
                    continue
                shape = meter.operation(operation)
                name = f"Operation '{operation.name.value}'" if operation.name else "The query"
                if shape.depth > max_depth:
                    self.refuse(
                        f"{name} is nested {shape.depth} deep; the limit is {max_depth}.",
                        "QUERY_TOO_DEEP",
                        operation,
                    )
                if shape.aliases > max_aliases:
                    self.refuse(
                        f"{name} uses {shape.aliases} aliases; the limit is {max_aliases}.",
                        "TOO_MANY_ALIASES",
                        operation,
                    )
                if shape.cost > max_cost:
                    self.refuse(
                        f"{name} costs {shape.cost}; the limit is {max_cost}. Each field "
                        f"costs 1 and a connection multiplies what it selects by its page "
                        f"size (`first`, {PAGE_MAX} when given as a variable, "
                        f"{PAGE_DEFAULT} when absent).",
                        "QUERY_TOO_COMPLEX",
                        operation,
                    )
            return SKIP

        def refuse(self, message: str, code: str, node: OperationDefinitionNode) -> None:
            self.report_error(refusal(message, code, node))

    return QueryShapeRule
