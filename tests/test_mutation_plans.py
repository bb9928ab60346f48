"""Mutations on the compiled-plan lane (schema/plan.py) answer exactly as Strawberry does.

A mutation changes the world, so it cannot be sent twice and compared as the queries
are (tests/test_plan.py). Instead the fuzzer's world is built once and copied: the same
sequence of mutations, as the same viewers, runs on one copy with plans off (Strawberry
executes everything) and on another with every valid single-field mutation planned in
advance. Each answer must be the same on both copies, and so must every later answer:
a difference in what a mutation wrote shows up in what the next ones read. Timestamps
and fresh tokens are the only values allowed to differ.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphql
import pytest
from graphql import specified_rules
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from strawberry.schema.schema import validate_document

from schema import pipeline
from schema.plan import compile_plan
from tests.backends import TEST_DATABASE_URL
from tests.helpers import Api
from tests.test_fuzz import (
    FUZZ_SETTINGS,
    World,
    build_world,
    fuzz_app,
    mutation_documents,
    variable_mutations,
)
from tests.test_operability import make_pair, operation_records, scrape, value

pytestmark = [pytest.mark.one_python, pytest.mark.timeout(300)]
TWIN_SETTINGS = settings(FUZZ_SETTINGS, max_examples=6)
PRIMED: Counter[str] = Counter()
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")

_PAYLOAD = "{ userErrors { code field message } }"
# A pair's story, in order: most kinds of mutation, each as someone allowed and as
# someone who is not. Each entry: viewer, document, variables from the world's IDs.
STORY: list[tuple[str, str, Any]] = [
    (
        "mentee of pair A",
        "mutation($input: PostCheckInInput!) { postCheckIn(input: $input) "
        "{ checkIn { id body author { name } pair { checkInCount } } userErrors { code } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "Week one went well."}},
    ),
    (
        "outsider",
        "mutation P($input: PostCheckInInput!) { postCheckIn(input: $input) "
        "{ checkIn { id } userErrors { code field message } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "Not mine."}},
    ),
    (
        "anonymous",
        "mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { checkIn { id } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "Who am I?"}},
    ),
    (
        "garbage token",
        "mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { checkIn { id } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "A bad token."}},
    ),
    (
        "mentee of pair A",
        "mutation P($input: PostCheckInInput!) { postCheckIn(input: $input) "
        "{ checkIn { id } userErrors { code field message } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "   "}},
    ),
    (
        "mentor of pair B",
        "mutation($input: CompleteMilestoneInput!) { completeMilestone(input: $input) "
        "{ milestone { id completedAt completedBy { name } } userErrors { code field } } }",
        lambda ids: {"input": {"milestoneId": ids["milestone"]}},
    ),
    (
        "mentee of pair A",
        "mutation($input: CompleteMilestoneInput!) { completeMilestone(input: $input) "
        "{ milestone { id completedAt completedBy { name } } userErrors { code field } } }",
        lambda ids: {"input": {"milestoneId": ids["milestone"]}},
    ),
    (
        "outsider",
        f"mutation($input: JoinGroupInput!) {{ joinGroup(input: $input) {_PAYLOAD} }}",
        lambda ids: {"input": {"groupId": ids["group"]}},
    ),
    (
        "outsider",
        f"mutation($input: SignUpInput!) {{ signUp(input: $input) {_PAYLOAD} }}",
        lambda ids: {"input": {"programId": ids["program"], "role": "MENTEE", "answers": []}},
    ),
    (
        "mentee of pair A",
        f"mutation($input: EndPairInput!) {{ endPair(input: $input) {_PAYLOAD} }}",
        lambda ids: {"input": {"pairId": ids["pair"], "reason": "We met our goals."}},
    ),
    (
        "mentee of pair A",
        "mutation P($input: PostCheckInInput!) { postCheckIn(input: $input) "
        "{ checkIn { id } userErrors { code field message } } }",
        lambda ids: {"input": {"pairId": ids["pair"], "body": "After the end."}},
    ),
    (
        "group admin",
        f"mutation($input: CloseProgramInput!) {{ closeProgram(input: $input) {_PAYLOAD} }}",
        lambda ids: {"input": {"programId": ids["program"]}},
    ),
    (
        "outsider",
        'mutation { postCheckIn(input: {pairId: "UGFpcjo5OTk5", body: "x"}) '
        "{ checkIn { id } userErrors { code } } }",
        lambda ids: None,
    ),
    (
        "outsider",
        "mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { checkIn { id } } }",
        lambda ids: {"input": {"pairId": 12}},
    ),
]

_IDS = """{ viewer { pairs(first: 1) { edges { node { id milestones { id }
  program { id group { id } } } } } } }"""


@dataclass
class Twins:
    """The fuzzer's world built once, as a database file to copy, and its viewers."""

    path: Path
    world: World
    tmp: Path
    ids: dict[str, str]


@pytest.fixture(scope="module")
def twins(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    if TEST_DATABASE_URL:
        pytest.skip("twin worlds are copies of a SQLite file: `make test` ran this module")
    tmp = tmp_path_factory.mktemp("mutation-plans")
    path = tmp / "world.db"
    shutil.copy(template_db, path)
    app = fuzz_app(f"sqlite://{path}")
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, app)
        world = build_world(api)
        token = world.viewers["mentee of pair A"].token
        pair = api.data(_IDS, {}, token)["viewer"]["pairs"]["edges"][0]["node"]
    ids = {
        "pair": pair["id"],
        "milestone": pair["milestones"][-1]["id"],
        "program": pair["program"]["id"],
        "group": pair["program"]["group"]["id"],
    }
    yield Twins(path, world, tmp, ids)


def _prime(app: Any, payloads: list[dict[str, Any]]) -> int:
    """Plan, before anything runs, every payload that parses and validates as the
    pipeline would let it (the lane learns only such documents)."""
    lane = pipeline.plans_of(app.state.schema)
    assert lane is not None
    shared, plans = lane
    schema = app.state.schema._schema
    primed = 0
    for payload in payloads:
        query, name = payload.get("query"), payload.get("operationName")
        if not isinstance(query, str) or not isinstance(name, (str, type(None))):
            continue
        try:
            document = graphql.parse(query, max_tokens=shared.settings.max_tokens)
        except graphql.GraphQLError:
            continue
        if validate_document(schema, document, (*specified_rules, *shared.rules)):
            continue
        plan = compile_plan(schema, document, name)
        if plan is not None and plan.is_mutation:
            plans.put(query, name, plan)
            primed += 1
    return primed


def _normal(body: Any) -> Any:
    """The answer with what may differ between two honest runs masked: timestamps, and
    the tokens that register and login make."""
    text = json.dumps(body, sort_keys=True)
    text = _TIMESTAMP.sub("<time>", text)
    text = re.sub(r'"token": "[^"]+"', '"token": "<token>"', text)
    return json.loads(text)


def _replay(
    twins: Twins, name: str, sends: list[tuple[str | None, dict[str, Any]]], *, planned: bool
) -> tuple[list[tuple[int, Any]], int]:
    path = twins.tmp / f"{name}-{'planned' if planned else 'strawberry'}.db"
    shutil.copy(twins.path, path)
    app = fuzz_app(f"sqlite://{path}", graphql_caches=planned)
    answers = []
    with TestClient(app, raise_server_exceptions=False) as client:
        primed = _prime(app, [payload for _, payload in sends]) if planned else 0
        for token, payload in sends:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = client.post("/graphql", json=payload, headers=headers)
            try:
                body: Any = response.json()
            except json.JSONDecodeError:
                body = response.text
            answers.append((response.status_code, _normal(body)))
        # What the mutations wrote, read back the same way on both copies.
        for viewer in twins.world.viewers.values():
            headers = {"Authorization": f"Bearer {viewer.token}"} if viewer.token else {}
            response = client.post("/graphql", json={"query": READ_BACK}, headers=headers)
            answers.append((response.status_code, _normal(response.json())))
    path.unlink()
    return answers, primed


READ_BACK = """{ viewer { id name email
  pairs(first: 20) { edges { node { id status checkInCount endReason
    checkIns(first: 20) { edges { node { id body author { name } } } }
    milestones { id title completedBy { name } } } } }
  groups(first: 20) { edges { node { id name
    programs(first: 20) { edges { node { id title status questions { prompt } } } } } } } } }"""


def _compare(twins: Twins, name: str, sends: list[tuple[str | None, dict[str, Any]]]) -> int:
    reference, _ = _replay(twins, name, sends, planned=False)
    ours, primed = _replay(twins, name, sends, planned=True)
    assert len(ours) == len(reference)
    for n, (theirs, mine) in enumerate(zip(reference, ours, strict=True)):
        what = sends[n] if n < len(sends) else "the read-back"
        assert mine == theirs, f"answer {n} differs for {what}:\n{theirs}\n{mine}"
    return primed


def _token(twins: Twins, viewer: str) -> str | None:
    return twins.world.viewers[viewer].token


def test_a_members_story_is_answered_the_same_on_plans(twins: Twins) -> None:
    sends = [
        (_token(twins, viewer), {"query": query, "variables": variables(twins.ids)})
        for viewer, query, variables in STORY
    ]
    assert _compare(twins, "story", sends) == len(sends), "every step ran on a plan"


def _mutations_only(payload: dict[str, Any]) -> bool:
    try:
        document = graphql.parse(payload["query"])
    except (graphql.GraphQLError, TypeError):
        return False
    return any(
        isinstance(d, graphql.OperationDefinitionNode)
        and d.operation is graphql.OperationType.MUTATION
        for d in document.definitions
    )


@TWIN_SETTINGS
@given(st.data())
def test_generated_mutations_are_answered_the_same_on_plans(
    twins: Twins, data: st.DataObject
) -> None:
    """Every mutation through variables drawn from the world, and whole generated
    mutation documents, each sent by any viewer, twenty in a row."""
    world = twins.world
    variables = world.strategy("variable mutations", variable_mutations)
    literal = world.strategy("mutation documents", mutation_documents).map(lambda q: {"query": q})
    payloads = st.one_of(variables, literal).filter(_mutations_only)
    viewers = st.sampled_from(sorted(world.viewers))
    sends = data.draw(st.lists(st.tuples(viewers, payloads), min_size=20, max_size=20))
    sent = [(_token(twins, viewer), payload) for viewer, payload in sends]
    PRIMED["generated"] += _compare(twins, "generated", sent)
    PRIMED["sent"] += len(sent)


def test_many_generated_mutations_ran_on_plans() -> None:
    """The comparison above compared something: a good share of the generated
    mutations were valid, and ran on their plan."""
    assert PRIMED["generated"] >= PRIMED["sent"] // 4, PRIMED


def test_a_planned_mutation_is_counted_and_logged_as_a_mutation(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """The lane records what the pipeline records: operation type, name and outcome."""
    pair_id, mentor, _ = make_pair(api)
    query = (
        "mutation WeeklyNote($input: PostCheckInInput!) { postCheckIn(input: $input) "
        "{ checkIn { id } userErrors { code } } }"
    )
    labels = {"operation": "WeeklyNote", "type": "mutation", "outcome": "ok"}
    before = value(scrape(api.client), "graphql_operations_total", **labels)
    with caplog.at_level(logging.INFO):
        for n in range(3):
            api.ok(query, {"pairId": pair_id, "body": f"Note {n}."}, mentor)
    lane = pipeline.plans_of(api.app.state.schema)
    assert lane is not None and lane[1].get(query, None), "the last two ran on the plan"
    assert value(scrape(api.client), "graphql_operations_total", **labels) == before + 3
    lines = [r for r in operation_records(caplog) if r.operation_name == "WeeklyNote"]
    assert [(r.operation_type, r.outcome) for r in lines] == [("mutation", "ok")] * 3
