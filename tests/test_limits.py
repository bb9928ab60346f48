"""Query limits over real HTTP: each refused with its own code, each configurable."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from graphql import get_introspection_query
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from tests.helpers import Api


def refusal(api: Api, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    """The one top-level error the query must produce, with no data."""
    body = api.post(query, variables, token)
    assert body.get("data") is None, body
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


@contextmanager
def app_with(settings: Settings, **changes: object) -> Iterator[Api]:
    app = create_app(dataclasses.replace(settings, **changes))
    with TestClient(app) as client:
        yield Api(client, app)


def nested(levels: int) -> str:
    """A query `levels` deep (fields with a selection along the longest path), going
    groups > edges > node > programs > edges > node > group > programs..., first: 1."""
    path = ["groups(first: 1)", "edges", "node"]
    path += ["programs(first: 1)", "edges", "node", "group"] * levels
    query = "__typename"
    for field in reversed(path[:levels]):
        query = f"{field} {{ {query} }}"
    return "{ " + query + " }"


# --- depth -----------------------------------------------------------------------------


def test_depth_at_the_limit_passes_and_one_more_is_refused(api: Api) -> None:
    token = api.person().token
    assert "groups" in api.data(nested(10), token=token)
    error = refusal(api, nested(11), token=token)
    assert error["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert "nested 11 deep; the limit is 10" in error["message"]


def test_depth_counts_through_fragments(api: Api) -> None:
    query = nested(11).replace("{ groups", "{ ...F } fragment F on Query { groups", 1)
    assert refusal(api, query)["extensions"]["code"] == "QUERY_TOO_DEEP"


# --- aliases ---------------------------------------------------------------------------


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(count)) + " }"


def test_aliases_at_the_limit_pass_and_one_more_is_refused(api: Api) -> None:
    assert api.data(aliased(15)) == {f"a{i}": None for i in range(15)}
    error = refusal(api, aliased(16))
    assert error["extensions"]["code"] == "TOO_MANY_ALIASES"
    assert "16 aliases; the limit is 15" in error["message"]


def test_aliases_count_at_every_spread_of_a_fragment(api: Api) -> None:
    query = "{ ...F ...G } fragment F on Query { " + aliased(8)[2:-2] + " }"
    query += " fragment G on Query { ...F }"
    assert refusal(api, query)["extensions"]["code"] == "TOO_MANY_ALIASES"


# --- tokens ----------------------------------------------------------------------------


def tokens(count: int) -> str:
    """`{ viewer { id } }` is 6 tokens; comments count too (each one is parsed)."""
    return "{ viewer { id } }\n" + "# padding\n" * (count - 6)


def test_tokens_at_the_limit_pass_and_one_more_is_refused(api: Api) -> None:
    assert api.data(tokens(2000)) == {"viewer": None}
    error = refusal(api, tokens(2001))
    assert error["extensions"]["code"] == "TOO_MANY_TOKENS"
    assert "more than 2000 tokens" in error["message"]


def test_a_long_document_of_real_tokens_is_refused(api: Api) -> None:
    ids = ", ".join(f'"id{i}"' for i in range(2000))
    assert refusal(api, f"{{ nodes(ids: [{ids}]) {{ id }} }}")["extensions"]["code"] == (
        "TOO_MANY_TOKENS"
    )


# --- directives ------------------------------------------------------------------------


def directives(count: int) -> str:
    return "{ viewer { " + " ".join(["id @include(if: true)"] * count) + " } }"


def test_directives_at_the_limit_pass_and_one_more_is_refused(api: Api) -> None:
    assert api.data(directives(50)) == {"viewer": None}
    error = refusal(api, directives(51))
    assert error["extensions"]["code"] == "TOO_MANY_DIRECTIVES"
    assert "51 directives; the limit is 50" in error["message"]


# --- cost ------------------------------------------------------------------------------

GROUPS_PROGRAMS = """
query NAME {
  groups(first: OUTER) { edges { node { programs(first: INNER) { edges { node { id } } } } } }
}"""


def groups_programs(outer: str, inner: str, name: str = "") -> str:
    """The query, declaring `$n` when a page size is `$n`."""
    name += "($n: Int)" if "$n" in (outer, inner) else ""
    return GROUPS_PROGRAMS.replace("OUTER", outer).replace("INNER", inner).replace("NAME", name)


def test_connections_multiply_the_cost_beneath_them(api: Api) -> None:
    token = api.person().token
    # programs: 1 + 50 * (edges 1 + node 1 + id 1) = 151
    # groups: 1 + 50 * (edges 1 + node 1 + programs 151) = 7651
    error = refusal(api, groups_programs("50", "50"), {"n": 1}, token)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "costs 7651; the limit is 5000" in error["message"]
    # 1 + 5 * (2 + (1 + 5 * 3)) = 91
    assert api.data(groups_programs("5", "5"), {"n": 1}, token) == {"groups": {"edges": []}}


def test_a_variable_page_size_counts_as_the_cap_and_an_absent_one_as_the_default(
    api: Api,
) -> None:
    token = api.person().token
    # programs(first: 20): 1 + 20 * 3 = 61; groups(first: 50): 1 + 50 * 63 = 3151
    assert api.data(groups_programs("50", "20"), {"n": 1}, token) == {"groups": {"edges": []}}
    # The same with `first: $n`, whatever n is: 1 + 100 * 63 = 6301.
    error = refusal(api, groups_programs("$n", "20"), {"n": 1}, token)
    assert "costs 6301" in error["message"]
    # programs(first: 100): 1 + 100 * 3 = 301; groups(first: null), the default: 1 + 20 * 303 = 6061
    error = refusal(api, groups_programs("null", "100"), {"n": 1}, token)
    assert "costs 6061" in error["message"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_named_and_inline_fragments_count_like_the_fields_they_hold(api: Api) -> None:
    query = """
    query { groups(first: 50) { edges { node { ...Programs } } } }
    fragment Programs on Group {
      ... on Group { programs(first: 50) { edges { node { id } } } }
    }"""
    assert "costs 7651" in refusal(api, query)["message"]


def test_fragments_spread_twice_at_every_level_are_measured_quickly(api: Api) -> None:
    """Each fragment is measured once: a walk that re-walks them takes 2**100 steps."""
    count = 100
    query = "{ ...F0 }\n" + "".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}\n" for i in range(count)
    )
    query += f"fragment F{count} on Query {{ viewer {{ id }} }}"
    started = time.monotonic()
    error = refusal(api, query)
    assert time.monotonic() - started < 5
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert f"costs {2**count * 2}" in error["message"]


def test_every_operation_of_the_document_is_checked(api: Api) -> None:
    query = "query Cheap { viewer { id } } " + groups_programs("50", "50", "Costly")
    body = api.client.post("/graphql", json={"query": query, "operationName": "Cheap"}).json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "Operation 'Costly' costs 7651" in body["errors"][0]["message"]


# --- defaults that must keep working ----------------------------------------------------


def test_graphiqls_introspection_query_passes_every_default_limit(api: Api) -> None:
    data = api.data(get_introspection_query(descriptions=True))
    assert data["__schema"]["queryType"]["name"] == "Query"


# --- configurability -------------------------------------------------------------------

SMALL = "{ me: viewer @include(if: true) { id } }"  # depth 1, 1 alias, 1 directive, cost 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"max_depth": 0}, "QUERY_TOO_DEEP"),
        ({"max_aliases": 0}, "TOO_MANY_ALIASES"),
        ({"max_tokens": 10}, "TOO_MANY_TOKENS"),
        ({"max_directives": 0}, "TOO_MANY_DIRECTIVES"),
        ({"max_cost": 1}, "QUERY_TOO_COMPLEX"),
        ({"introspection": False}, None),
    ],
)
def test_each_limit_follows_its_setting(settings: Settings, change: dict, code: str) -> None:
    with app_with(settings) as api:
        assert api.data(SMALL) == {"me": None}
    with app_with(settings, **change) as api:
        if code is None:
            assert api.data(SMALL) == {"me": None}
        else:
            assert refusal(api, SMALL)["extensions"]["code"] == code


# --- suggestions and introspection -----------------------------------------------------

TYPO = "{ viewer { nme } }"


def test_suggestions_are_hidden_outside_debug(api: Api) -> None:
    error = refusal(api, TYPO)
    assert error["message"] == "Cannot query field 'nme' on type 'User'."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_suggestions_are_shown_in_debug(settings: Settings) -> None:
    with app_with(settings, debug=True) as api:
        error = refusal(api, TYPO)
    assert error["message"] == "Cannot query field 'nme' on type 'User'. Did you mean 'name'?"


def test_suggestions_for_enum_values_in_variables_are_hidden_too(api: Api) -> None:
    token = api.person().token
    query = "query($c: GroupCategory) { groups(category: $c) { totalCount } }"
    error = refusal(api, query, {"c": "HOBBYS"}, token)
    assert "Did you mean" not in error["message"]
    assert "HOBBIES" not in error["message"]


def test_introspection_is_on_by_default_and_off_by_setting(settings: Settings) -> None:
    query = "{ __schema { queryType { name } } }"
    with app_with(settings) as api:
        assert api.data(query) == {"__schema": {"queryType": {"name": "Query"}}}
    with app_with(settings, introspection=False) as api:
        errors = api.post(query)["errors"]  # one per introspection field
        assert {error["extensions"]["code"] for error in errors} == {"INTROSPECTION_DISABLED"}
        assert "introspection has been disabled" in errors[0]["message"]
        assert api.data("{ viewer { __typename } }") == {"viewer": None}
