"""GraphQL over HTTP, hardened: GET for queries only, CSRF refusals, no batching, a body
limit, media-type negotiation with the spec's status codes, masked faults."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from starlette.testclient import TestClient
from tortoise import connections

from api.app import create_app
from api.graphql import PREFLIGHT_HEADERS, preferred_media_type
from api.settings import Settings
from schema import pipeline
from tests.backends import TEST_DATABASE_URL
from tests.helpers import ADULT, PASSWORD, REGISTER, Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
TYPENAME = {"query": "{ __typename }"}
VIEWER = "{ viewer { id name } }"


def register_body(email: str = "csrf@example.com") -> dict:
    return {
        "query": REGISTER,
        "variables": {
            "input": {"email": email, "password": PASSWORD, "name": "Eve", "birthDate": ADULT}
        },
    }


def refusal(response, status: int, code: str) -> dict:
    """The one error of a refusal: a GraphQL-style body, no data, the status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body, body
    assert len(body["errors"]) == 1, body
    assert body["errors"][0]["extensions"]["code"] == code, body
    return body["errors"][0]


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


# --- GET: queries only ------------------------------------------------------------------


def test_a_query_over_get_works(client: TestClient) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": "query Q($n: String!) { __type(name: $n) { name } }",
            "variables": json.dumps({"n": "User"}),
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"__type": {"name": "User"}}}


def test_a_mutation_over_get_is_refused_with_405_and_runs_nothing(api: Api) -> None:
    before = api.snapshot()
    body = register_body()
    response = api.client.get(
        "/graphql", params={"query": body["query"], "variables": json.dumps(body["variables"])}
    )
    error = refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in error["message"]
    assert response.headers["allow"] == "POST"
    assert api.snapshot() == before


def test_a_mutation_planned_over_post_is_still_refused_over_get(api: Api) -> None:
    """A mutation run once over POST is on the plan lane (schema/plan.py): the lane
    keeps the HTTP method rule."""
    body = register_body()
    assert api.client.post("/graphql", json=body).json()["data"]["register"]["token"]
    lane = pipeline.plans_of(api.app.state.schema)
    assert lane is not None and lane[1].get(body["query"], None), "planned"
    before = api.snapshot()
    again = register_body("later@example.com")
    response = api.client.get(
        "/graphql", params={"query": again["query"], "variables": json.dumps(again["variables"])}
    )
    refusal(response, 405, "METHOD_NOT_ALLOWED")
    assert api.snapshot() == before


def test_get_picks_the_named_operation_before_refusing_a_mutation(client: TestClient) -> None:
    document = "query Q { __typename } mutation M { __typename }"
    ok = client.get("/graphql", params={"query": document, "operationName": "Q"})
    assert ok.json() == {"data": {"__typename": "Query"}}
    refused = client.get("/graphql", params={"query": document, "operationName": "M"})
    refusal(refused, 405, "METHOD_NOT_ALLOWED")


def test_subscriptions_are_not_served_over_http(client: TestClient) -> None:
    query = 'subscription { checkInPosted(pairId: "x") { id } }'
    refusal(client.get("/graphql", params={"query": query}), 400, "BAD_REQUEST")
    refusal(client.post("/graphql", json={"query": query}), 400, "BAD_REQUEST")


def test_a_browser_without_a_query_gets_graphiql(client: TestClient) -> None:
    response = client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_get_without_a_query_is_a_400(client: TestClient) -> None:
    response = client.get("/graphql", headers={"accept": "application/json"})
    refusal(response, 400, "BAD_REQUEST")


# --- POST: JSON only, CSRF ---------------------------------------------------------------


def test_queries_and_mutations_over_json_post_still_work(api: Api) -> None:
    person = api.person()
    assert api.data(VIEWER, token=person.token)["viewer"]["name"] == person.name


SIMPLE_BODIES = {
    "text/plain": {
        "content": json.dumps(register_body()),
        "headers": {"content-type": "text/plain"},
    },
    "form": {"data": {"query": REGISTER}},
    "multipart": {
        "files": {"operations": ("o.json", json.dumps(register_body()), "application/json")}
    },
    "no content type": {"content": json.dumps(register_body()).encode()},
}


@pytest.mark.parametrize("kind", list(SIMPLE_BODIES))
def test_a_post_a_browser_could_forge_is_refused_as_csrf(api: Api, kind: str) -> None:
    before = api.snapshot()
    response = api.client.post("/graphql", **SIMPLE_BODIES[kind])
    error = refusal(response, 400, "CSRF_REFUSED")
    assert "Cross-Site Request Forgery" in error["message"]
    assert api.snapshot() == before


@pytest.mark.parametrize("header", PREFLIGHT_HEADERS)
@pytest.mark.parametrize("kind", list(SIMPLE_BODIES))
def test_a_preflight_header_lifts_the_csrf_refusal_but_only_json_is_read(
    api: Api, kind: str, header: str
) -> None:
    """With a preflight header the request is not forgeable; its body still is not JSON."""
    request = dict(SIMPLE_BODIES[kind])
    request["headers"] = {**request.get("headers", {}), header: "1"}
    before = api.snapshot()
    refusal(api.client.post("/graphql", **request), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert api.snapshot() == before


def test_an_empty_preflight_header_does_not_count(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=json.dumps(TYPENAME),
        headers={"content-type": "text/plain", "apollo-require-preflight": ""},
    )
    refusal(response, 400, "CSRF_REFUSED")


@pytest.mark.parametrize("content_type", ["application/xml", "application/graphql"])
def test_other_content_types_are_unsupported(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/graphql", content="{ __typename }", headers={"content-type": content_type}
    )
    refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_with_a_charset_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=json.dumps(TYPENAME),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.json() == {"data": {"__typename": "Query"}}


# --- batching and malformed bodies ------------------------------------------------------


def test_batched_operations_are_refused_and_none_runs(api: Api) -> None:
    before = api.snapshot()
    response = api.client.post("/graphql", json=[register_body("a@example.com"), TYPENAME])
    error = refusal(response, 400, "BATCHING_NOT_SUPPORTED")
    assert "one operation per request" in error["message"]
    assert api.snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{ "not a JSON',
        b"5",
        b'"query"',
        b'{"notquery": "{ __typename }"}',
        b'{"query": 5}',
        b'{"query": "{ __typename }", "variables": "x"}',
        b'{"query": "{ __typename }", "extensions": []}',
        b'{"query": "{ __typename }", "operationName": {"a": 1}}',
        b'{"query": "{ __typename }", "operationName": "Missing"}',
    ],
    ids=[
        "empty",
        "not-json",
        "number",
        "string",
        "no-query",
        "query-number",
        "variables-string",
        "extensions-array",
        "operation-name-object",
        "unknown-operation",
    ],
)
def test_malformed_requests_get_400_with_a_graphql_error_body(
    client: TestClient, body: bytes
) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": "application/json"})
    refusal(response, 400, "BAD_REQUEST")


# --- the body limit ---------------------------------------------------------------------


def padded(size: int) -> bytes:
    """A valid JSON body of exactly `size` bytes (trailing whitespace is valid JSON)."""
    body = json.dumps(TYPENAME).encode()
    return body + b" " * (size - len(body))


def test_a_body_over_one_megabyte_is_refused_with_413(client: TestClient) -> None:
    response = client.post(
        "/graphql", content=padded(1_000_001), headers={"content-type": "application/json"}
    )
    error = refusal(response, 413, "PAYLOAD_TOO_LARGE")
    assert "1000000" in error["message"]


def test_a_body_of_exactly_one_megabyte_is_served(client: TestClient) -> None:
    response = client.post(
        "/graphql", content=padded(1_000_000), headers={"content-type": "application/json"}
    )
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_streamed_body_without_content_length_is_counted(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield json.dumps(TYPENAME).encode()
        for _ in range(20):
            yield b" " * 60_000

    response = client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    refusal(response, 413, "PAYLOAD_TOO_LARGE")


def test_a_lying_content_length_is_refused_before_reading(client: TestClient) -> None:
    response = client.post(
        "/graphql",
        content=json.dumps(TYPENAME),
        headers={"content-type": "application/json", "content-length": "5000000"},
    )
    refusal(response, 413, "PAYLOAD_TOO_LARGE")


def test_the_body_limit_comes_from_settings(settings: Settings) -> None:
    with client_for(dataclasses.replace(settings, max_body_bytes=1000)) as client:
        headers = {"content-type": "application/json"}
        ok = client.post("/graphql", content=padded(1000), headers=headers)
        assert ok.json() == {"data": {"__typename": "Query"}}
        refusal(
            client.post("/graphql", content=padded(1001), headers=headers), 413, "PAYLOAD_TOO_LARGE"
        )


# --- media types and status codes -------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("text/html", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
        (f"{GRAPHQL_RESPONSE}, */*;q=0.1", GRAPHQL_RESPONSE),
    ],
)
def test_accept_negotiation(client: TestClient, accept: str | None, expected: str) -> None:
    assert preferred_media_type(accept) == expected
    headers = {} if accept is None else {"accept": accept}
    response = client.post("/graphql", json=TYPENAME, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert "accept" in response.headers["vary"].lower()
    assert response.json() == {"data": {"__typename": "Query"}}


REQUEST_ERRORS = {
    "syntax": {"query": "{"},
    "validation": {"query": "{ noSuchField }"},
    "coercion": {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
}


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
def test_request_errors_are_400_without_data_in_graphql_response_json(
    client: TestClient, kind: str
) -> None:
    response = client.post(
        "/graphql", json=REQUEST_ERRORS[kind], headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
def test_request_errors_keep_200_and_null_data_in_application_json(
    client: TestClient, kind: str
) -> None:
    """The spec's legacy rule, and what clients sending no Accept header rely on."""
    for headers in ({}, {"accept": "application/json"}):
        response = client.post("/graphql", json=REQUEST_ERRORS[kind], headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_field_errors_are_200_with_data_in_graphql_response_json(client: TestClient) -> None:
    """Execution happened: the response has data, so 200 in either media type."""
    query = '{ viewer { id } group(id: "R3JvdXA6MQ==") { id } }'
    for accept in (GRAPHQL_RESPONSE, "application/json"):
        response = client.post("/graphql", json={"query": query}, headers={"accept": accept})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] == {"viewer": None, "group": None}
        assert body["errors"][0]["path"] == ["group"]
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_refusals_use_the_negotiated_media_type(client: TestClient) -> None:
    response = client.post("/graphql", json=[TYPENAME], headers={"accept": GRAPHQL_RESPONSE})
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    refusal(response, 400, "BATCHING_NOT_SUPPORTED")


# --- faults stay masked -----------------------------------------------------------------


@pytest.mark.skipif(
    TEST_DATABASE_URL is not None, reason="drops a table: only on the per-test SQLite file"
)
def test_an_unexpected_fault_is_masked(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """A real fault, not a mock: the token table vanishes under a signed-in read."""
    token = api.person().token

    async def drop_tokens() -> None:
        await connections.get("default").execute_script("DROP TABLE auth_tokens")

    api.run(drop_tokens)
    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = api.client.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"authorization": f"Bearer {token}", "accept": GRAPHQL_RESPONSE},
        )
    body = response.json()
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "auth_tokens" not in response.text
    assert "no such table" in caplog.text


# --- CORS -------------------------------------------------------------------------------


def test_cors_answers_only_the_allowed_origins(settings: Settings) -> None:
    allowed = "https://app.example"
    with client_for(dataclasses.replace(settings, allowed_origins=(allowed,))) as client:
        preflight = {
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        }
        ok = client.options("/graphql", headers={"origin": allowed, **preflight})
        assert ok.status_code == 200
        assert ok.headers["access-control-allow-origin"] == allowed
        refused = client.options(
            "/graphql", headers={"origin": "https://evil.example", **preflight}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
