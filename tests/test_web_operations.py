"""The example app's operations (web/src/operations.ts) pass the server's own validation,
depth and cost limits included.

GraphQL Code Generator checks them against schema.graphql in `make lint` (the generated
types in web/src/gql must be up to date), but it knows nothing of the server's limits,
which an operation meets only when a browser sends it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.language import Visitor

from api.settings import Settings
from schema import schema
from schema.limits import validation_rules

OPERATIONS = Path(__file__).resolve().parent.parent / "web" / "src" / "operations.ts"
# graphql(`...`): the client preset's documents, literals with no ${}.
DOCUMENT = re.compile(r"graphql\(`((?:[^`$]|\$(?!\{))*)`\)")


def _parsed() -> DocumentNode:
    text = OPERATIONS.read_text(encoding="utf-8")
    found = DOCUMENT.findall(text)
    assert len(found) == text.count("graphql(`"), "a document the generator can't read"
    return parse("\n".join(found))


def _spreads(node: object) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())  # type: ignore[arg-type]
    return names


def operations() -> dict[str, DocumentNode]:
    """Each operation with the fragments it uses, as the generated document sends it."""
    document = _parsed()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found: dict[str, DocumentNode] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        assert definition.name is not None
        needed: list[FragmentDefinitionNode] = []
        pending = _spreads(definition)
        while pending:
            fragment = fragments[pending.pop()]
            if fragment not in needed:
                needed.append(fragment)
                pending |= _spreads(fragment)
        found[definition.name.value] = DocumentNode(definitions=(definition, *needed))
    return found


OPERATIONS_BY_NAME = operations()


@pytest.mark.parametrize("name", sorted(OPERATIONS_BY_NAME))
def test_the_apps_operation_passes_the_servers_validation(name: str) -> None:
    rules = [*specified_rules, *validation_rules(Settings())]
    errors = validate(schema._schema, OPERATIONS_BY_NAME[name], rules)
    assert not errors, f"{name}: {[e.message for e in errors]}"


def test_every_operation_of_the_app_is_found() -> None:
    assert len(OPERATIONS_BY_NAME) >= 15
    assert {"Login", "Pair", "PairEvents", "PostCheckIn", "SignUp"} <= set(OPERATIONS_BY_NAME)
