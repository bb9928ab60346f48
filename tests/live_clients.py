"""Small clients for tests that drive a real `serve` process over TCP: GraphQL over HTTP
(httpx) and raw `graphql-transport-ws` frames (the `websockets` client), every wait
bounded, plus a scrape of /metrics. Shared by tests/test_leaks.py and tests/test_faults.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import httpx

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

WAIT_S = 10.0  # any single socket wait: a lost frame fails the test instead of hanging it
_names = itertools.count(1)

PAIR_EVENTS = """
subscription($pairId: ID!, $after: String) {
  pairEvents(pairId: $pairId, after: $after) {
    __typename cursor sequence ... on CheckInPostedEvent { checkIn { id body } }
  }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id body } userErrors { code message } }
}"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { milestone { id } userErrors { code message } }
}"""


class Http:
    """GraphQL over HTTP to one server."""

    def __init__(self, base_url: str, timeout: float = WAIT_S) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post(self, query: str, variables: dict | None = None, token: str | None = None):
        """The response body, whatever it says."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def data(self, query: str, variables: dict | None = None, token: str | None = None):
        body = await self.post(query, variables, token)
        assert not body.get("errors"), body
        return body["data"]

    async def ok(self, query: str, input: dict, token: str | None = None) -> dict:
        payload = next(iter((await self.data(query, {"input": input}, token)).values()))
        assert payload["userErrors"] == [], payload
        return payload

    async def register(self, name: str) -> str:
        email = f"{name.lower()}.{next(_names)}.{secrets.token_hex(4)}@example.com"
        payload = await self.ok(
            REGISTER, {"email": email, "password": PASSWORD, "name": name, "birthDate": ADULT}
        )
        return payload["token"]

    async def open_program(self, *members: str) -> tuple[str, str]:
        """(admin token, program id) of an OPEN program whose group has `members`."""
        admin = await self.register("Ada")
        group = await self.ok(
            CREATE_GROUP, {"name": "Faults", "category": "PROFESSIONAL_DEVELOPMENT"}, admin
        )
        for token in members:
            await self.ok(JOIN_GROUP, {"groupId": group["group"]["id"]}, token)
        created = await self.ok(
            CREATE_PROGRAM,
            {"groupId": group["group"]["id"], "template": "CAREER_ADVANCEMENT"},
            admin,
        )
        program_id = created["program"]["id"]
        await self.ok(OPEN_PROGRAM, {"programId": program_id}, admin)
        return admin, program_id

    async def answers(self, token: str, program_id: str, role: str) -> list[dict]:
        questions = (await self.data(PROGRAM_QUESTIONS, {"id": program_id}, token))["program"][
            "questions"
        ]
        return [
            {"questionId": q["id"], "value": f"Answer from a {role.lower()}."}
            for q in questions
            if role in q["appliesTo"]
        ]

    async def sign_up(
        self, token: str, program_id: str, role: str, capacity: int | None = None
    ) -> str:
        answers = await self.answers(token, program_id, role)
        payload = await self.ok(
            SIGN_UP,
            {"programId": program_id, "role": role, "answers": answers, "capacity": capacity},
            token,
        )
        return payload["signUp"]["id"]


@dataclass
class Pair:
    pair_id: str
    milestones: list[str]
    mentor: str
    mentee: str
    admin: str
    program_id: str


async def active_pair(http: Http) -> Pair:
    mentor = await http.register("Maya")
    mentee = await http.register("Milo")
    admin, program_id = await http.open_program(mentor, mentee)
    mentor_sign_up = await http.sign_up(mentor, program_id, "MENTOR")
    mentee_sign_up = await http.sign_up(mentee, program_id, "MENTEE")
    pair = (
        await http.ok(
            CREATE_PAIR, {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up}, admin
        )
    )["pair"]
    return Pair(
        pair["id"], [m["id"] for m in pair["milestones"]], mentor, mentee, admin, program_id
    )


class Socket:
    """One graphql-transport-ws connection; every receive is bounded by WAIT_S."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, ws_url: str, token: str) -> Socket:
        from websockets.asyncio.client import connect

        ws = await asyncio.wait_for(
            connect(
                ws_url,
                subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                open_timeout=WAIT_S,
                ping_interval=None,  # the server pings at the protocol level
                compression=None,
            ),
            WAIT_S,
        )
        sock = cls(ws)
        try:
            await sock.send(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            ack = await sock.receive()
            assert ack["type"] == "connection_ack", ack
        except BaseException:
            await sock.close()
            raise
        return sock

    async def send(self, frame: dict) -> None:
        await asyncio.wait_for(self.ws.send(json.dumps(frame)), WAIT_S)

    async def receive(self) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT_S))
            if frame["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            if frame["type"] != "pong":
                return frame

    async def subscribe(self, op_id: str, query: str, variables: dict) -> None:
        await self.send(
            {"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})

    async def close(self) -> None:
        with suppress(Exception):
            await asyncio.wait_for(self.ws.close(), WAIT_S)


def parse_metrics(text: str) -> dict[str, float]:
    """Unlabelled samples of a Prometheus text exposition, by name."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and "{" not in line:
            name, _, value = line.partition(" ")
            with suppress(ValueError):
                samples[name] = float(value)
    return samples


async def scrape(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse_metrics(response.text)
