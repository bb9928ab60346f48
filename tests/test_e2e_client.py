"""The whole story from a real client against a real server process.

`python -m api serve` runs as a subprocess on a free port with its own SQLite file; the
tests speak to it over TCP: HTTP with httpx, subscriptions with the `gql` client over
`graphql-transport-ws`. Nothing here shares memory with the server.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

from tests import servers
from tests.helpers import (
    ADULT,
    CREATE_GROUP,
    CREATE_PAIR,
    CREATE_PROGRAM,
    JOIN_GROUP,
    OPEN_PROGRAM,
    PASSWORD,
    PROGRAM_QUESTIONS,
    REGISTER,
    SIGN_UP,
)

ROOT = servers.ROOT
EVENT_TIMEOUT = 10.0  # seconds to wait for any one event: a lost event fails, not hangs

MILESTONES = """
subscription($pairId: ID!) {
  milestoneCompleted(pairId: $pairId) { id title completedAt completedBy { name } }
}"""
CHECK_INS = """
subscription($pairId: ID!) { checkInPosted(pairId: $pairId) { id body author { name } } }"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { id completedAt completedBy { name } } pair { progress status }
    userErrors { field message code }
  }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) {
    checkIn { id body } pair { checkInCount } userErrors { field message code }
  }
}"""
REGISTER_WITH_EMAIL = """
mutation($input: RegisterInput!) {
  register(input: $input) { token user { id name email } userErrors { field message code } }
}"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token user { id name email } userErrors { field message code } }
}"""
PAIR = """
query($id: ID!) {
  pair(id: $id) {
    status checkInCount mentor { name } mentee { name }
    milestones { id completedBy { name } }
    checkIns { totalCount edges { node { body author { name } } } }
  }
}"""
VIEWER_PAIRS = """
{ viewer { name email pairs { totalCount edges { node { id checkInCount progress } } } } }"""


# --- the server process ----------------------------------------------------------------


@dataclass
class Server:
    http_url: str
    ws_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _env(database: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=f"sqlite://{database}", BROADCAST_URL="memory://", **extra)
    return env


@contextmanager
def serving(database: Path) -> Iterator[Server]:
    """`python -m api serve` on a free port; always terminated on the way out."""
    log_path = database.with_suffix(".log")
    with servers.serving(_env(database, LOG_LEVEL="info"), log_path) as (port, process):
        yield Server(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", process, log_path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server on a fresh (not yet created) database: `serve` migrates it first."""
    with serving(tmp_path_factory.mktemp("e2e") / "e2e.db") as running:
        yield running


def run_cli(*args: str, database: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=ROOT,
        env=_env(database),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- a plain HTTP client -----------------------------------------------------------------


class Http:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def data(self, query: str, variables: dict | None = None, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    async def ok(self, query: str, input: dict, token: str | None = None) -> dict:
        payload = next(iter((await self.data(query, {"input": input}, token)).values()))
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload

    async def register(self, name: str) -> tuple[str, str]:
        email = f"{name.lower()}.{time.monotonic_ns()}@example.com"
        payload = await self.ok(
            REGISTER, {"email": email, "password": PASSWORD, "name": name, "birthDate": ADULT}
        )
        return payload["token"], payload["user"]["id"]

    async def sign_up(self, token: str, program_id: str, role: str) -> str:
        questions = (await self.data(PROGRAM_QUESTIONS, {"id": program_id}, token))["program"][
            "questions"
        ]
        assert any(q["required"] and role in q["appliesTo"] for q in questions)
        answers = [
            {"questionId": q["id"], "value": f"Answer from a {role.lower()}."}
            for q in questions
            if role in q["appliesTo"]
        ]
        payload = await self.ok(
            SIGN_UP, {"programId": program_id, "role": role, "answers": answers}, token
        )
        return payload["signUp"]["id"]


def ws_client(server: Server, token: str) -> Client:
    transport = WebsocketsTransport(
        url=f"{server.ws_url}/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        init_payload={"authorization": f"Bearer {token}"},
    )
    return Client(transport=transport)


async def pump(session: Any, query: str, variables: dict, into: asyncio.Queue) -> None:
    """Put every event of one subscription into a queue, until cancelled."""
    async for result in session.subscribe(GraphQLRequest(query, variable_values=variables)):
        await into.put(result)


async def next_event(queue: asyncio.Queue) -> dict:
    return await asyncio.wait_for(queue.get(), timeout=EVENT_TIMEOUT)


# --- the story ---------------------------------------------------------------------------


async def test_the_program_story_from_a_real_client(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=EVENT_TIMEOUT) as client:
        http = Http(client)

        # Three people register; the admin creates a group; the others join.
        admin, _ = await http.register("Ada")
        mentor, _ = await http.register("Maya")
        mentee, _ = await http.register("Milo")
        group = await http.ok(
            CREATE_GROUP,
            {"name": "Career changers", "category": "PROFESSIONAL_DEVELOPMENT"},
            admin,
        )
        group_id = group["group"]["id"]
        for token in (mentor, mentee):
            joined = await http.ok(JOIN_GROUP, {"groupId": group_id}, token)
            assert joined["membership"]["role"] == "MEMBER"

        # The admin creates a program from a template and opens it.
        created = await http.ok(
            CREATE_PROGRAM, {"groupId": group_id, "template": "CAREER_ADVANCEMENT"}, admin
        )
        program_id = created["program"]["id"]
        assert created["program"]["status"] == "DRAFT"
        opened = await http.ok(OPEN_PROGRAM, {"programId": program_id}, admin)
        assert opened["program"]["status"] == "OPEN"

        # Both sign up, answering the required questions; the admin pairs them.
        mentor_sign_up = await http.sign_up(mentor, program_id, "MENTOR")
        mentee_sign_up = await http.sign_up(mentee, program_id, "MENTEE")
        paired = await http.ok(
            CREATE_PAIR, {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up}, admin
        )
        pair = paired["pair"]
        assert pair["status"] == "ACTIVE"
        assert paired["menteeSignUp"]["status"] == "MATCHED"
        first_milestone = pair["milestones"][0]["id"]

        # The mentee subscribes to both events over one websocket (a real gql client).
        milestones: asyncio.Queue = asyncio.Queue()
        check_ins: asyncio.Queue = asyncio.Queue()
        async with ws_client(server, mentee) as session:
            pumps = [
                asyncio.create_task(pump(session, MILESTONES, {"pairId": pair["id"]}, milestones)),
                asyncio.create_task(pump(session, CHECK_INS, {"pairId": pair["id"]}, check_ins)),
            ]
            try:
                # graphql-transport-ws has no "subscribed" acknowledgement, and this server
                # runs in another process, so the test cannot ask its event bus whether the
                # two listeners are attached yet (the in-process tests poll
                # `listener_count`). An event published before the server subscribes is
                # lost, so give it a moment to run both resolvers up to their first wait.
                await asyncio.sleep(1.0)
                for task in pumps:
                    assert not task.done(), task  # neither subscription was refused

                # The mentor completes a milestone and posts a check-in.
                done = await http.ok(COMPLETE, {"milestoneId": first_milestone}, mentor)
                assert done["milestone"]["completedBy"] == {"name": "Maya"}
                posted = await http.ok(
                    POST_CHECK_IN, {"pairId": pair["id"], "body": "  Hello Milo!  "}, mentor
                )
                assert posted["checkIn"]["body"] == "Hello Milo!"

                # The mentee receives both.
                milestone = (await next_event(milestones))["milestoneCompleted"]
                assert milestone["id"] == first_milestone
                assert milestone["completedBy"] == {"name": "Maya"}
                assert milestone["completedAt"]
                check_in = (await next_event(check_ins))["checkInPosted"]
                assert check_in == {
                    "id": posted["checkIn"]["id"],
                    "body": "Hello Milo!",
                    "author": {"name": "Maya"},
                }

                # Exactly once: after a second check-in, the next checkInPosted event is
                # that second one, not a repeat of the first, and no milestone repeated.
                second = await http.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "Bye"}, mentee)
                again = (await next_event(check_ins))["checkInPosted"]
                assert again == {
                    "id": second["checkIn"]["id"],
                    "body": "Bye",
                    "author": {"name": "Milo"},  # the sender's own check-ins are pushed too
                }
                assert milestones.empty()
                assert check_ins.empty()
            finally:
                for task in pumps:
                    task.cancel()
                results = await asyncio.gather(*pumps, return_exceptions=True)
                for result in results:
                    if not isinstance(result, asyncio.CancelledError):
                        raise AssertionError(f"a subscription ended early: {result!r}")

        # The pair as the mentee sees it afterwards.
        seen = (await http.data(PAIR, {"id": pair["id"]}, mentee))["pair"]
        assert seen["status"] == "ACTIVE"
        assert (seen["mentor"], seen["mentee"]) == ({"name": "Maya"}, {"name": "Milo"})
        assert seen["checkInCount"] == 2
        assert [e["node"]["body"] for e in seen["checkIns"]["edges"]] == ["Bye", "Hello Milo!"]
        assert seen["milestones"][0]["completedBy"] == {"name": "Maya"}


async def test_the_gql_http_transport_speaks_to_the_server(server: Server) -> None:
    """The HTTP side through gql's own httpx transport, as a Python client would use it."""
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        token, user_id = await Http(client).register("Gus")
    transport = HTTPXAsyncTransport(
        url=f"{server.http_url}/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        viewer = await asyncio.wait_for(
            session.execute(GraphQLRequest("{ viewer { id name } }")), timeout=EVENT_TIMEOUT
        )
        assert viewer == {"viewer": {"id": user_id, "name": "Gus"}}
        # Introspection works, so gql validated the query against the served schema.
        assert session.client.schema is not None
        assert "milestoneCompleted" in session.client.schema.subscription_type.fields


async def test_register_and_login_payloads_show_your_own_email(server: Server) -> None:
    """`email` is visible to that user only, and the payload's user is you: a client cache
    filled from these payloads must not record your email as null."""
    async with httpx.AsyncClient(base_url=server.http_url, timeout=EVENT_TIMEOUT) as client:
        http = Http(client)
        email = f"eve.{time.monotonic_ns()}@example.com"
        registered = await http.ok(
            REGISTER_WITH_EMAIL,
            {"email": email, "password": PASSWORD, "name": "Eve", "birthDate": ADULT},
        )
        logged_in = await http.ok(LOGIN, {"email": email, "password": PASSWORD})
        viewer = await http.data("{ viewer { email } }", token=logged_in["token"])
        assert viewer == {"viewer": {"email": email}}  # the same user, asking with the token
        assert logged_in["user"]["email"] == email
        assert registered["user"]["email"] == email


# --- the command line --------------------------------------------------------------------


@dataclass
class Demo:
    server: Server
    seed_output: str
    again_output: str


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """`seed-demo` on a fresh database (twice), then a server on that database."""
    database = tmp_path / "demo.db"
    assert not database.exists()
    seeded = run_cli("seed-demo", database=database)
    assert seeded.returncode == 0, seeded.stderr
    again = run_cli("seed-demo", "--if-empty", database=database)
    assert again.returncode == 0, again.stderr
    with serving(database) as server:
        yield Demo(server, seeded.stdout, again.stdout)


async def test_seed_demo_prints_logins_that_work_against_the_served_database(
    demo: Demo,
) -> None:
    out = demo.seed_output
    password = re.search(r"\(password: (\S+)\)", out)
    assert password, out
    logins = re.findall(r"^\s+(\S+@example\.com)\s", out, flags=re.MULTILINE)
    assert logins == [
        "admin@example.com",
        "mentor@example.com",
        "mentee@example.com",
        "mentor2@example.com",
        "mentee2@example.com",
    ]
    # Seeding again with --if-empty left the data alone.
    assert "already has users" in demo.again_output

    async with httpx.AsyncClient(base_url=demo.server.http_url, timeout=EVENT_TIMEOUT) as client:
        http = Http(client)
        admin = await http.ok(LOGIN, {"email": "admin@example.com", "password": password.group(1)})
        assert admin["user"]["name"] == "Ada Admin"
        viewer = (await http.data("{ viewer { email } }", token=admin["token"]))["viewer"]
        assert viewer == {"email": "admin@example.com"}

        wrong = await http.data(
            LOGIN, {"input": {"email": "admin@example.com", "password": "not-the-password"}}
        )
        assert [e["code"] for e in wrong["login"]["userErrors"]] == ["INVALID_CREDENTIALS"]

        # The demo mentee's pair is there, with the seeded progress and check-ins.
        mentee = await http.ok(
            LOGIN, {"email": "mentee@example.com", "password": password.group(1)}
        )
        pairs = (await http.data(VIEWER_PAIRS, token=mentee["token"]))["viewer"]["pairs"]
        assert pairs["totalCount"] == 1
        assert pairs["edges"][0]["node"]["checkInCount"] == 5
        assert 0 < pairs["edges"][0]["node"]["progress"] < 1

        # The program has a history an admin can explore: pairs of different ages, one
        # overdue, one stalled, one completed, one ended with its reason.
        groups = (await http.data(ADMIN_PROGRAM, token=admin["token"]))["viewer"]["groups"]
        program_id = groups["edges"][0]["node"]["programs"]["edges"][0]["node"]["id"]
        program = (await http.data(DEMO_HISTORY, {"id": program_id}, token=admin["token"]))[
            "program"
        ]
        stats = program["stats"]
        assert (stats["activePairs"], stats["completedPairs"], stats["endedPairs"]) == (3, 1, 1)
        assert stats["overduePairs"] == 1
        assert 6 <= stats["medianHoursToFirstCheckIn"] <= 48  # not the seed's instant
        attention = {(a["overdue"], a["stalled"]) for a in program["pairsNeedingAttention"]}
        assert attention == {(True, False), (False, True)}
        nodes = [edge["node"] for edge in program["pairs"]["edges"]]
        ended = [n for n in nodes if n["status"] == "ENDED"]
        assert len(ended) == 1 and ended[0]["endReason"]
        assert len({n["createdAt"][:10] for n in nodes}) == len(nodes)  # paired on other days


ADMIN_PROGRAM = """{ viewer { groups(first: 1) { edges { node {
  programs(first: 1) { edges { node { id } } } } } } } }"""
DEMO_HISTORY = """query($id: ID!) { program(id: $id) {
  stats { activePairs completedPairs endedPairs overduePairs medianHoursToFirstCheckIn }
  pairsNeedingAttention { overdue stalled reason }
  pairs(first: 20) { edges { node { status endReason createdAt } } } } }"""


def test_export_schema_prints_the_schema_file(tmp_path: Path) -> None:
    on_disk = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    printed = run_cli("export-schema", database=tmp_path / "unused.db")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == on_disk

    written = tmp_path / "schema.graphql"
    to_file = run_cli("export-schema", "--output", str(written), database=tmp_path / "unused.db")
    assert to_file.returncode == 0, to_file.stderr
    assert written.read_text(encoding="utf-8") == on_disk
