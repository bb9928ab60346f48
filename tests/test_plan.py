"""The compiled-plan lane (schema/plan.py) answers exactly as Strawberry does.

Each case is sent twice as the same viewer: first with its plan forgotten, so that
Strawberry executes it (and the lane learns it), then again, when a plannable query runs
on its plan. `data` and the errors (message, path and code, in any order) must be the
same both times, and the plan may not run more SQL statements. (It can run fewer: it
gathers a whole level's loads before awaiting any, where graphql-core's scheduling now
and then splits one DataLoader batch over two ticks; the fixed pages' counts are
asserted in tests/test_query_counts.py.) The cases are the fuzzer's (tests/test_fuzz.py):
its probes of every sensitive field with IDs from a seeded world, whole documents generated
from the schema (valid and invalid), and argument-taking queries through variables; each
goes out as every viewer there (anonymous, a garbage token, an outsider, two pair members
and a group admin). Mutations are left out: sent twice they would change the world
(tests/test_mutation_plans.py compares them on twin copies of the world).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from schema import pipeline
from tests.backends import TEST_DATABASE_URL, empty_postgres, run_sync
from tests.helpers import Api
from tests.test_fuzz import (
    FUZZ_SETTINGS,
    PROBES,
    World,
    build_world,
    documents,
    fuzz_app,
    probes,
    variable_operations,
)
from tests.test_query_counts import counting_statements

# Heavy: CI runs it on the default Python, once on each back end (the fuzzer's world,
# built on the database the suite runs on).
pytestmark = [pytest.mark.one_python, pytest.mark.timeout(240)]
STATS: Counter[str] = Counter()
# Each example is sent twice as six viewers: fewer examples than the fuzzer's own, and
# fewer on PostgreSQL, where each of a generated document's statements is a round trip.
PLAN_EXAMPLES = int(os.environ.get("PLAN_EXAMPLES", "25" if TEST_DATABASE_URL else "60"))
PLAN_SETTINGS = settings(FUZZ_SETTINGS, max_examples=PLAN_EXAMPLES)


@pytest.fixture(scope="module")
def world(
    template_db: Path, tmp_path_factory: pytest.TempPathFactory, request: Any
) -> Iterator[World]:
    """The fuzzer's seeded world, on PostgreSQL when the suite runs there (the plan reads
    rows its own way on each back end), else on a copy of the migrated SQLite file."""
    if TEST_DATABASE_URL:
        url = request.getfixturevalue("postgres_db")
        run_sync(lambda: empty_postgres(url))
    else:
        path = tmp_path_factory.mktemp("plan") / "plan.db"
        shutil.copy(template_db, path)
        url = f"sqlite://{path}"
    app = fuzz_app(url)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield build_world(Api(client, app))


def _mutates(query: Any) -> bool:
    """True for a document with a mutation (unparseable ones are sent: both refuse)."""
    if not isinstance(query, str):
        return False
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError:
        return False
    return any(
        isinstance(d, graphql.OperationDefinitionNode)
        and d.operation is graphql.OperationType.MUTATION
        for d in document.definitions
    )


# Fields whose value is the moment of the request: the two runs differ by design.
NOW_FIELDS = frozenset({"exportedAt"})


def _without_now(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_now(v) for k, v in value.items() if k not in NOW_FIELDS}
    if isinstance(value, list):
        return [_without_now(item) for item in value]
    return value


def _comparable(body: dict[str, Any]) -> tuple[Any, list[Any]]:
    errors = [
        (e.get("message"), e.get("path"), (e.get("extensions") or {}).get("code"))
        for e in body.get("errors") or []
    ]
    data = _without_now(body.get("data"))
    if data is None and TEST_DATABASE_URL:
        # A non-null root field's error nulls the whole result, and graphql-core keeps
        # the errors of the fields that failed before that: which ones did depends on
        # which of two pooled connections answered first. The message and code still
        # agree; the paths are compared on SQLite, where reads answer in order.
        return None, sorted({(message, code) for message, _, code in errors}, key=repr)
    return data, sorted(errors, key=repr)


def _send(
    world: World, token: str | None, payload: dict[str, Any]
) -> tuple[int, Any, list[str], Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with counting_statements() as statements:
        response = world.api.client.post("/graphql", json=payload, headers=headers)
    try:
        body = response.json()
    except json.JSONDecodeError:
        body = response.text
    return response.status_code, body, statements.lines, _asked(statements.records)


_IN_LIST = re.compile(r"IN \((\$\d+(?:,\$\d+)*)\)")


def _asked(records: list[Any]) -> dict[tuple[str, tuple[str, ...]], Any]:
    """What a request asked of PostgreSQL: each statement by its text with its IN list
    folded, and the other values; for an IN list, all the keys asked under that shape.
    Two reads in flight at once run on two pooled connections, and either may answer
    first, so a loader's batch is sometimes split in two: the same rows asked for, in
    one statement more (SQLite has one connection, answering in order, so there the
    counts are compared as they are)."""
    asked: dict[tuple[str, tuple[str, ...]], Any] = {}
    for record in records:
        if not (isinstance(record.args, tuple) and len(record.args) == 2):
            asked[(record.getMessage(), ())] = asked.get((record.getMessage(), ()), 0) + 1
            continue
        sql, values = str(record.args[0]), list(record.args[1] or [])
        match = _IN_LIST.search(sql)
        keyed = {int(mark[1:]) - 1 for mark in match.group(1).split(",")} if match else set()
        others = tuple(
            "<time>" if isinstance(value, datetime.datetime) else repr(value)
            for index, value in enumerate(values)
            if index not in keyed
        )
        shape = (_IN_LIST.sub("IN (*)", sql), others)
        if match:
            asked.setdefault(shape, set()).update(values[index] for index in keyed)
        else:
            asked[shape] = asked.get(shape, 0) + 1
    return asked


def both_ways(world: World, payload: dict[str, Any]) -> None:
    """Every viewer sends `payload` through Strawberry, then through the plan lane."""
    lane = pipeline.plans_of(world.api.app.state.schema)
    assert lane is not None, "GRAPHQL_CACHES is on by default"
    plans = lane[1]
    query, name = payload.get("query"), payload.get("operationName")
    for viewer in world.viewers.values():
        if isinstance(query, str) and isinstance(name, (str, type(None))):
            plans.forget(query, name)
        first = _send(world, viewer.token, payload)
        planned = (
            isinstance(query, str)
            and isinstance(name, (str, type(None)))
            and bool(plans.get(query, name))
        )
        second = _send(world, viewer.token, payload)
        STATS["planned" if planned else "not planned"] += 1
        assert first[0] == second[0], f"HTTP {first[0]} then {second[0]} as {viewer.name}"
        if isinstance(first[1], dict) and isinstance(second[1], dict):
            assert _comparable(first[1]) == _comparable(second[1]), (
                f"as {viewer.name} (planned: {planned}):\n{first[1]}\n{second[1]}"
            )
        else:
            assert first[1] == second[1]
        if isinstance(first[1], dict) and first[1].get("data") is None:
            # A nulled result aborts the fields still running (graphql-core's abort
            # signal): how far they got depends on when the database answered, which
            # varies from run to run on either back end.
            continue
        if TEST_DATABASE_URL:
            assert second[3] == first[3], (
                f"other SQL as {viewer.name} (planned: {planned}) for {payload}:\n"
                + "\n".join(first[2])
                + "\n--\n"
                + "\n".join(second[2])
            )
            continue
        assert len(second[2]) <= len(first[2]), (
            f"{len(first[2])} then {len(second[2])} SQL statements as {viewer.name} "
            f"(planned: {planned}) for {payload}:\n"
            + "\n".join(first[2])
            + "\n--\n"
            + "\n".join(second[2])
        )


def test_the_probes_of_every_sensitive_field_are_answered_the_same(world: World) -> None:
    """Deep selections with fragments on every Node type, by every seeded ID."""
    for kind in ("node", "pair", "program", "group"):
        for id_ in world.ids:
            both_ways(world, {"query": PROBES[kind], "variables": {"id": id_}})
    both_ways(world, {"query": PROBES["nodes"], "variables": {"ids": world.ids[:40]}})
    both_ways(world, {"query": PROBES["viewer"]})
    both_ways(world, {"query": PROBES["groups"]})


def test_skip_and_include_with_variables_each_get_their_steps(world: World) -> None:
    query = """query($a: Boolean!, $b: Boolean!) { viewer {
        id name @skip(if: $a) email @include(if: $b)
        pairs(first: 5) @include(if: $b) { edges { node { id mentor { name } } } } } }"""
    for a in (False, True):
        for b in (False, True):
            both_ways(world, {"query": query, "variables": {"a": a, "b": b}})


@PLAN_SETTINGS
@given(st.data())
def test_generated_documents_are_answered_the_same(world: World, data: st.DataObject) -> None:
    document = data.draw(world.strategy("documents", documents).filter(lambda q: not _mutates(q)))
    both_ways(world, {"query": document})


@PLAN_SETTINGS
@given(st.data())
def test_generated_variables_are_answered_the_same(world: World, data: st.DataObject) -> None:
    strategy = world.strategy("variables", variable_operations)
    both_ways(world, data.draw(strategy.filter(lambda p: not _mutates(p["query"]))))


@PLAN_SETTINGS
@given(st.data())
def test_generated_probes_are_answered_the_same(world: World, data: st.DataObject) -> None:
    both_ways(world, data.draw(world.strategy("probes", probes)))


def test_most_valid_cases_ran_on_a_plan(world: World) -> None:
    """The comparisons above compared something: many second runs were planned."""
    assert STATS["planned"] >= 150, STATS


def test_two_viewers_run_one_plan_at_once(world: World) -> None:
    """Per-request state lives on the request: interleaved runs of one plan as two
    viewers each get their own answer."""
    query = PROBES["viewer"]
    mentee, mentor = world.viewers["mentee of pair A"], world.viewers["mentor of pair B"]
    alone = {v.name: _send(world, v.token, {"query": query})[1] for v in (mentee, mentor)}
    lane = pipeline.plans_of(world.api.app.state.schema)
    assert lane is not None and lane[1].get(query, None), "the first runs planned it"
    assert alone[mentee.name] != alone[mentor.name]

    async def together() -> list[tuple[str, Any]]:
        transport = httpx.ASGITransport(app=world.api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def one(viewer: Any) -> tuple[str, Any]:
                response = await client.post(
                    "/graphql",
                    json={"query": query},
                    headers={"Authorization": f"Bearer {viewer.token}"},
                )
                return viewer.name, response.json()

            return await asyncio.wait_for(
                asyncio.gather(*(one(v) for _ in range(10) for v in (mentee, mentor))), 30
            )

    for name, body in world.api.run(together):
        assert body == alone[name], name


# --- what the plan and the fast rows rely on -----------------------------------------


def test_the_strawberry_and_graphql_core_internals_the_plan_uses_are_there() -> None:
    """schema/plan.py reads these (pyproject pins both libraries to a minor range): an
    upgrade that changes them fails here first."""
    import inspect

    from graphql.execution.collect_fields import collect_subfields
    from graphql.execution.executor import Executor
    from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo
    from strawberry.types.arguments import convert_arguments
    from strawberry.types.field import StrawberryField
    from strawberry.types.info import Info as StrawberryInfo

    from api.settings import Settings
    from schema import build_schema

    assert _OperationContextAwareGraphQLResolveInfo._fields == (
        "field_name",
        "field_nodes",
        "return_type",
        "parent_type",
        "path",
        "schema",
        "fragments",
        "root_value",
        "operation",
        "variable_values",
        "context",
        "is_awaitable",
        "abort_signal",
        "async_helpers",
        "operation_extensions",
    )
    assert list(inspect.signature(collect_subfields).parameters)[:6] == [
        "schema",
        "fragments",
        "variable_values",
        "operation",
        "return_type",
        "field_details_list",
    ]
    assert callable(Executor.ensure_valid_runtime_type)
    built = build_schema(Settings())
    assert built._schema._strawberry_schema is built
    assert built.schema_converter._exception_handler_specs == ()
    milestone = built._schema.type_map["Milestone"]
    title, completed_by = milestone.fields["title"], milestone.fields["completedBy"]
    assert title.resolve._is_default  # a plain attribute: read directly
    assert not getattr(completed_by.resolve, "_is_default", False)
    field = completed_by.extensions["strawberry-definition"]
    assert isinstance(field, StrawberryField)
    resolver = field.base_resolver
    assert resolver.self_parameter is not None and resolver.info_parameter.name == "info"
    assert resolver.root_parameter is None and resolver.parent_parameter is None
    assert callable(resolver.wrapped_func)
    assert built.config.info_class is not None
    # A direct resolver's arguments, converted as Strawberry's wrapper converts them.
    assert isinstance(built.schema_converter.scalar_registry, dict)
    assert list(inspect.signature(convert_arguments).parameters) == [
        "value",
        "arguments",
        "scalar_registry",
        "config",
        "info",
    ]
    # The lazy Info: every property of Strawberry's Info but `context` (answered from
    # the run) reads through `_raw_info`, and its dataclass fields are those two.
    info_class = built.config.info_class
    assert [f.name for f in dataclasses.fields(info_class)] == ["_raw_info", "_field"]
    for name, member in vars(StrawberryInfo).items():
        if isinstance(member, property) and name != "context":
            source = inspect.getsource(member.fget)
            reads = ("self._raw_info", "self._field", "self.operation")
            assert any(read in source for read in reads), name
    assert "self._raw_info.context" in inspect.getsource(StrawberryInfo.context.fget)


def test_models_built_from_rows_equal_tortoise_s_own(world: World) -> None:
    """models/base.py builds each fetched row itself: the same attributes, the same
    values (datetimes included) as Tortoise's `_init_from_db` gives."""
    from tortoise import connections
    from tortoise.models import Model

    import models
    from models.base import FastModel

    async def compare() -> int:
        compared = 0
        client = connections.get("default")
        for name in models.__all__:
            cls = getattr(models, name)
            if not (isinstance(cls, type) and issubclass(cls, FastModel)):
                continue
            _, rows = await client.execute_query(f'SELECT * FROM "{cls._meta.db_table}"')
            for row in rows:
                ours = cls._init_from_db(**dict(row))
                theirs = Model._init_from_db.__func__(cls, **dict(row))
                assert vars(ours) == vars(theirs), (cls.__name__, vars(ours), vars(theirs))
                compared += 1
        return compared

    assert world.api.run(compare) > 50


PAIR_PAGE = """query Pair($id: ID!) { viewer { id name } pair(id: $id) {
  id status mentor { id name } mentee { id name }
  milestones { id title completedBy { id name } }
  checkIns(first: 50) { totalCount edges { node { id body author { id name } } } } } }"""


def test_resolvers_awaiting_one_load_together_each_get_it(world: World) -> None:
    """The example app's pair page: `mentor`, `mentee` and every check-in's `author`
    wait on the same few user loads at once. The plan runs resolvers' coroutines
    itself (schema/plan.py `_advance`), and each must get the value, as under Tasks."""
    api = world.api
    mentor, mentee = world.people["mentor-a"], world.people["mentee-a"]
    pairs = api.data("{ viewer { pairs(first: 5) { edges { node { id } } } } }", None, mentee.token)
    pair_id = pairs["viewer"]["pairs"]["edges"][0]["node"]["id"]
    post = "mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { checkIn { id } } }"
    for token, body in ((mentee.token, "hello"), (mentor.token, "hi"), (mentee.token, "more")):
        api.data(post, {"input": {"pairId": pair_id, "body": body}}, token)
    first = api.post(PAIR_PAGE, {"id": pair_id}, mentor.token)  # Strawberry's run
    for token in (mentee.token, mentor.token):  # planned
        body = api.post(PAIR_PAGE, {"id": pair_id}, token)
        assert "errors" not in body, body
    assert api.post(PAIR_PAGE, {"id": pair_id}, mentor.token) == first
    assert len(first["data"]["pair"]["checkIns"]["edges"]) >= 4
