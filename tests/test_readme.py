"""The README's examples work as written, on `make run`'s demo data.

Its curl commands are run as they are (their JSON bodies, with `$TOKEN` the token the
first one printed), its GraphiQL login is run, and every GraphQL document in it (the
blocks, the curl bodies, the Python subscription) passes the server's own validation,
limits included: a reader pastes them into GraphiQL, where the depth and cost limits
apply. The guides in docs/ are run by tests/test_docs.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, specified_rules, validate
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from schema import schema
from schema.limits import validation_rules
from tests.test_e2e_client import run_cli

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
CURL_BODY = re.compile(r"-d '(.*?)'", re.DOTALL)


def readme_blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m.group(2) for m in BLOCK.finditer(text) if m.group(1) == language]


def curl_bodies() -> list[dict[str, Any]]:
    return [json.loads(body) for block in readme_blocks("sh") for body in CURL_BODY.findall(block)]


def documents() -> list[str]:
    """Every GraphQL document in the README, wherever it is written."""
    found = list(readme_blocks("graphql"))
    found += [body["query"] for body in curl_bodies()]
    for block in readme_blocks("python"):
        found += re.findall(r'"""\n(subscription.*?)"""', block, re.DOTALL)
    for block in readme_blocks("js"):
        found += re.findall(r'query: "(.*?)"', block)
    return found


def test_every_document_passes_the_servers_validation_limits_included() -> None:
    rules = [*specified_rules, *validation_rules(Settings())]
    found = documents()
    assert len(found) >= 5
    for document in found:
        errors = validate(schema._schema, parse(document), rules)
        assert not errors, f"{[e.message for e in errors]} in\n{document}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """`make run`'s data (`seed-demo`) served by the app."""
    database = tmp_path_factory.mktemp("readme") / "demo.db"
    seeded = run_cli("seed-demo", database=database)
    assert seeded.returncode == 0, seeded.stderr
    with TestClient(create_app(Settings(database_url=f"sqlite://{database}"))) as client:
        yield client


def _post(client: TestClient, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]


def _login(client: TestClient, email: str) -> str:
    login = readme_blocks("graphql")[0]
    assert "login(" in login
    return _post(client, {"query": login.replace("mentee@example.com", email)})["login"]["token"]


def test_the_curl_examples_run_as_written(demo: TestClient) -> None:
    login, pairs, post = curl_bodies()
    token = _post(demo, login)["login"]["token"]
    viewer = _post(demo, pairs, token)["viewer"]
    assert viewer["name"] == "Milo Mentee"
    [pair] = [edge["node"] for edge in viewer["pairs"]["edges"]]
    assert pair["id"] == post["variables"]["input"]["pairId"], "the README's pair ID is real"
    assert 0 < pair["progress"] < 1 and pair["milestones"]
    posted = _post(demo, post, token)["postCheckIn"]
    assert posted["userErrors"] == []
    assert posted["checkIn"]["body"] == post["variables"]["input"]["body"]


def test_the_graphiql_login_gives_a_token(demo: TestClient) -> None:
    login = readme_blocks("graphql")[0]
    data = _post(demo, {"query": login})["login"]
    assert data["token"] and data["userErrors"] == []
    assert data["user"] == {"name": "Milo Mentee"}
