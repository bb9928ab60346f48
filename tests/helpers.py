"""Speak GraphQL to the app as given people, and build scenarios through the API."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.testclient import TestClient

from api.pubsub import pair_channel
from schema.ids import decode_id
from tests.backends import dump_database

T = TypeVar("T")

PASSWORD = "correct horse battery"
ADULT = "1990-01-01"
_counter = itertools.count(1)


@dataclass
class Person:
    token: str
    id: str
    name: str
    email: str


@dataclass
class Story:
    """A group with an admin, an OPEN program, a mentor and a mentee signed up."""

    admin: Person
    mentor: Person
    mentee: Person
    group_id: str
    program_id: str
    mentor_sign_up: str
    mentee_sign_up: str


REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { token user { id name } userErrors { field message code } }
}"""
CREATE_GROUP = """
mutation($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id } userErrors { field message code } }
}"""
JOIN_GROUP = """
mutation($input: JoinGroupInput!) {
  joinGroup(input: $input) { membership { id role } userErrors { field message code } }
}"""
CREATE_PROGRAM = """
mutation($input: CreateProgramInput!) {
  createProgram(input: $input) {
    program { id status questions { id required appliesTo } steps { position kind title } }
    userErrors { field message code }
  }
}"""
OPEN_PROGRAM = """
mutation($input: OpenProgramInput!) {
  openProgram(input: $input) { program { id status } userErrors { field message code } }
}"""
PROGRAM_QUESTIONS = (
    "query($id: ID!) { program(id: $id) { questions { id required appliesTo kind options } } }"
)
SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) {
    signUp { id role status capacity activePairCount }
    userErrors { field message code }
  }
}"""
CREATE_PAIR = """
mutation($input: CreatePairInput!) {
  createPair(input: $input) {
    pair { id status milestones { id position title completedAt } }
    mentorSignUp { id status activePairCount }
    menteeSignUp { id status activePairCount }
    userErrors { field message code }
  }
}"""


class GraphQLFailure(AssertionError):
    pass


class Api:
    def __init__(self, client: TestClient, app: Any) -> None:
        self.client = client
        self.app = app

    # --- raw calls -------------------------------------------------------------------

    def post(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        return response.json()

    def data(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        """`data`, failing the test on any top-level error."""
        body = self.post(query, variables, token)
        if body.get("errors"):
            raise GraphQLFailure(f"unexpected errors: {body['errors']}")
        return body["data"]

    def error_code(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> str:
        """The `extensions.code` of the one top-level error the call must produce."""
        body = self.post(query, variables, token)
        errors = body.get("errors") or []
        assert errors, f"expected an error, got {body}"
        return errors[0]["extensions"]["code"]

    def mutate(self, query: str, input: dict, token: str | None = None) -> dict:
        """The payload of a one-field mutation, whatever its userErrors."""
        data = self.data(query, {"input": input}, token)
        return next(iter(data.values()))

    def ok(self, query: str, input: dict, token: str | None = None) -> dict:
        """The payload, failing the test on userErrors."""
        payload = self.mutate(query, input, token)
        if payload.get("userErrors"):
            raise GraphQLFailure(f"unexpected userErrors: {payload['userErrors']}")
        return payload

    # --- observing the system --------------------------------------------------------

    def run(self, make: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Await `make(*args)` on the app's loop, where Tortoise is initialised.

        The way to reach the database straight (ORM or raw SQL) on any backend.
        """
        assert self.client.portal is not None, "the TestClient is not running"
        return self.client.portal.call(make, *args)

    def snapshot(self) -> list[str]:
        """Every row of the database, to show that a refused mutation wrote nothing.

        One `table: {column: value}` line per row, every table, in id order; read through
        the app's own connection, so it works on SQLite and PostgreSQL alike.
        """
        return self.run(dump_database)

    @property
    def published(self) -> int:
        return self.app.state.pubsub.published_count

    def wait_for_listeners(self, pair_id: str, count: int, timeout: float = 5.0) -> None:
        """Block until `count` subscriptions listen on the pair (the server has no ack)."""
        channel = pair_channel(decode_id(pair_id)[1])
        deadline = time.monotonic() + timeout
        while self.app.state.pubsub.listener_count(channel) < count:
            if time.monotonic() > deadline:
                raise GraphQLFailure(f"{count} listeners on {channel} never appeared")
            time.sleep(0.01)

    # --- building scenarios ----------------------------------------------------------

    def person(self, name: str | None = None, birth_date: str = ADULT) -> Person:
        n = next(_counter)
        name = name or f"Person {n}"
        email = f"person{n}@example.com"
        payload = self.ok(
            REGISTER, {"email": email, "password": PASSWORD, "name": name, "birthDate": birth_date}
        )
        return Person(payload["token"], payload["user"]["id"], name, email)

    def group(self, admin: Person, category: str = "PROFESSIONAL_DEVELOPMENT") -> str:
        payload = self.ok(
            CREATE_GROUP, {"name": "Career changers", "category": category}, admin.token
        )
        return payload["group"]["id"]

    def join(self, person: Person, group_id: str) -> None:
        self.ok(JOIN_GROUP, {"groupId": group_id}, person.token)

    def program(
        self,
        admin: Person,
        group_id: str,
        *,
        open: bool = True,
        template: str = "CAREER_ADVANCEMENT",
    ) -> str:
        payload = self.ok(CREATE_PROGRAM, {"groupId": group_id, "template": template}, admin.token)
        program_id = payload["program"]["id"]
        if open:
            self.ok(OPEN_PROGRAM, {"programId": program_id}, admin.token)
        return program_id

    def answers(
        self, program_id: str, role: str, token: str, *, choose: bool = False
    ) -> list[dict]:
        """An answer to every question the program asks of `role`: text everywhere (a
        write-in for a choice question, which matching ignores), or with `choose` each
        choice question's first option, so that two such sign-ups match."""

        def value(question: dict) -> str:
            if choose and question["kind"] == "MULTIPLE_CHOICE":
                return json.dumps(question["options"][:1])
            if choose and question["kind"] == "SINGLE_CHOICE":
                return question["options"][0]
            return f"My answer as {role.lower()}."

        questions = self.data(PROGRAM_QUESTIONS, {"id": program_id}, token)["program"]["questions"]
        return [
            {"questionId": q["id"], "value": value(q)} for q in questions if role in q["appliesTo"]
        ]

    def sign_up(
        self,
        person: Person,
        program_id: str,
        role: str,
        capacity: int | None = None,
        *,
        choose: bool = False,
    ) -> str:
        payload = self.ok(
            SIGN_UP,
            {
                "programId": program_id,
                "role": role,
                "answers": self.answers(program_id, role, person.token, choose=choose),
                "capacity": capacity,
            },
            person.token,
        )
        return payload["signUp"]["id"]

    def pair(self, admin: Person, mentor_sign_up: str, mentee_sign_up: str) -> dict:
        payload = self.ok(
            CREATE_PAIR,
            {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up},
            admin.token,
        )
        return payload["pair"]

    def story(self, *, mentor_capacity: int | None = None) -> Story:
        """Admin, group, OPEN program, one mentor and one mentee signed up (not paired)."""
        admin, mentor, mentee = self.person("Ada"), self.person("Maya"), self.person("Milo")
        group_id = self.group(admin)
        self.join(mentor, group_id)
        self.join(mentee, group_id)
        program_id = self.program(admin, group_id)
        return Story(
            admin=admin,
            mentor=mentor,
            mentee=mentee,
            group_id=group_id,
            program_id=program_id,
            mentor_sign_up=self.sign_up(mentor, program_id, "MENTOR", mentor_capacity),
            mentee_sign_up=self.sign_up(mentee, program_id, "MENTEE"),
        )


class Subscriptions:
    """A graphql-transport-ws client over the TestClient websocket (real frames)."""

    def __init__(self, websocket: Any) -> None:
        self.ws = websocket

    def init(self, token: str | None) -> dict:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        self.ws.send_json({"type": "connection_init", "payload": payload})
        return self.ws.receive_json()

    def subscribe(self, op_id: str, query: str, variables: dict) -> None:
        self.ws.send_json(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    def receive(self) -> dict:
        """The next frame. Tests run under pytest-timeout, so a lost event fails, not hangs."""
        return self.ws.receive_json()
