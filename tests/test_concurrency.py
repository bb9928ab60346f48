"""Races: concurrent mutations cannot overbook a mentor, pair a mentee twice, complete a
milestone twice or sign someone up twice, and the database enforces capacity by itself.

The races are real: each test runs the app's lifespan in its own event loop and fires the
mutations with `asyncio.gather` through one `httpx.ASGITransport`, so the requests
interleave at every `await` (their pre-checks all read the same state before any of
them writes). The TestClient would run them one after another in its portal thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.services import pairs
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
    GraphQLFailure,
    Person,
)

_counter = itertools.count(1)

COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { id completedAt completedBy { id } }
    pair { id progress }
    userErrors { field message code }
  }
}"""
PROGRAM_PAIRS = """
query($id: ID!) {
  program(id: $id) { pairs { totalCount edges { node { id mentee { id } mentor { id } } } } }
}"""
SIGN_UP_STATE = """
query($id: ID!) {
  node(id: $id) { ... on SignUp { id role status capacity activePairCount } }
}"""
VIEWER_SIGN_UPS = """
query($id: ID!) { program(id: $id) { viewerSignUps { id role status } } }"""
PAIR_MILESTONES = """
query($id: ID!) {
  pair(id: $id) { progress milestones { id completedAt completedBy { id } } }
}"""


# --- an async twin of tests.helpers.Api ----------------------------------------------


class AsyncApi:
    """Speaks GraphQL to the app in the test's own loop; builds scenarios through the API."""

    def __init__(self, http: httpx.AsyncClient, app: Any) -> None:
        self.http = http
        self.app = app

    async def post(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code in (200, 400), response.text
        return response.json()

    async def data(
        self, query: str, variables: dict | None = None, token: str | None = None
    ) -> dict:
        body = await self.post(query, variables, token)
        if body.get("errors"):
            raise GraphQLFailure(f"unexpected errors: {body['errors']}")
        return body["data"]

    async def mutate(self, query: str, input: dict, token: str | None = None) -> dict:
        data = await self.data(query, {"input": input}, token)
        return next(iter(data.values()))

    async def ok(self, query: str, input: dict, token: str | None = None) -> dict:
        payload = await self.mutate(query, input, token)
        if payload.get("userErrors"):
            raise GraphQLFailure(f"unexpected userErrors: {payload['userErrors']}")
        return payload

    @property
    def published(self) -> int:
        return self.app.state.pubsub.published_count

    # --- building scenarios ------------------------------------------------------------

    async def person(self, name: str | None = None) -> Person:
        n = next(_counter)
        name = name or f"Racer {n}"
        email = f"racer{n}@example.com"
        payload = await self.ok(
            REGISTER, {"email": email, "password": PASSWORD, "name": name, "birthDate": ADULT}
        )
        return Person(payload["token"], payload["user"]["id"], name, email)

    async def group(self, admin: Person) -> str:
        payload = await self.ok(
            CREATE_GROUP,
            {"name": "Career changers", "category": "PROFESSIONAL_DEVELOPMENT"},
            admin.token,
        )
        return payload["group"]["id"]

    async def join(self, person: Person, group_id: str) -> None:
        await self.ok(JOIN_GROUP, {"groupId": group_id}, person.token)

    async def program(self, admin: Person, group_id: str) -> str:
        payload = await self.ok(
            CREATE_PROGRAM, {"groupId": group_id, "template": "CAREER_ADVANCEMENT"}, admin.token
        )
        program_id = payload["program"]["id"]
        await self.ok(OPEN_PROGRAM, {"programId": program_id}, admin.token)
        return program_id

    async def sign_up_input(
        self, person: Person, program_id: str, role: str, capacity: int | None = None
    ) -> dict:
        data = await self.data(PROGRAM_QUESTIONS, {"id": program_id}, person.token)
        answers = [
            {"questionId": q["id"], "value": f"My answer as {role.lower()}."}
            for q in data["program"]["questions"]
            if role in q["appliesTo"]
        ]
        return {"programId": program_id, "role": role, "answers": answers, "capacity": capacity}

    async def sign_up(
        self, person: Person, program_id: str, role: str, capacity: int | None = None
    ) -> str:
        sign_up_input = await self.sign_up_input(person, program_id, role, capacity)
        payload = await self.ok(SIGN_UP, sign_up_input, person.token)
        return payload["signUp"]["id"]

    async def pair(self, admin: Person, mentor_sign_up: str, mentee_sign_up: str) -> dict:
        payload = await self.ok(
            CREATE_PAIR,
            {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up},
            admin.token,
        )
        return payload["pair"]

    # --- observing -----------------------------------------------------------------------

    async def pair_count(self, admin: Person, program_id: str) -> int:
        data = await self.data(PROGRAM_PAIRS, {"id": program_id}, admin.token)
        return data["program"]["pairs"]["totalCount"]

    async def sign_up_state(self, admin: Person, sign_up_id: str) -> dict:
        return (await self.data(SIGN_UP_STATE, {"id": sign_up_id}, admin.token))["node"]


@dataclass
class Scene:
    admin: Person
    group_id: str
    program_id: str
    mentors: list[tuple[Person, str]]  # (person, sign-up ID)
    mentees: list[tuple[Person, str]]


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[AsyncApi]:
    """The app with its lifespan (database, event bus) in this test's event loop."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield AsyncApi(http, app)


async def scene(api: AsyncApi, *, mentor_capacities: list[int], mentees: int) -> Scene:
    """An admin's group with an OPEN program, and mentors and mentees signed up to it."""
    admin = await api.person("Ada")
    group_id = await api.group(admin)
    program_id = await api.program(admin, group_id)
    mentor_people = [await api.person() for _ in mentor_capacities]
    mentee_people = [await api.person() for _ in range(mentees)]
    for person in mentor_people + mentee_people:
        await api.join(person, group_id)
    return Scene(
        admin=admin,
        group_id=group_id,
        program_id=program_id,
        mentors=[
            (p, await api.sign_up(p, program_id, "MENTOR", c))
            for p, c in zip(mentor_people, mentor_capacities, strict=True)
        ],
        mentees=[(p, await api.sign_up(p, program_id, "MENTEE")) for p in mentee_people],
    )


@pytest.fixture
def slot_updates(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records what each conditional slot UPDATE in `createPair` decided.

    It lets a test show that its race is real: some losers passed every pre-check and
    were refused by the conditional UPDATE inside the transaction, not by a pre-check
    that already saw the winner's pair.
    """
    decided: list[bool] = []
    take_slot = pairs._take_slot

    async def recording(sign_up_pk: int) -> bool:
        taken = await take_slot(sign_up_pk)
        decided.append(taken)
        return taken

    monkeypatch.setattr(pairs, "_take_slot", recording)
    return decided


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """`gate(n)`: the next n `createPair` calls all finish their checks before any of
    them opens its transaction, so the race is decided by the database every time,
    not by scheduling luck. (A pass-through: each call then runs as usual.)"""
    real = pairs.in_transaction

    def arm(parties: int) -> None:
        barrier = asyncio.Barrier(parties)

        @contextlib.asynccontextmanager
        async def gated(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            with contextlib.suppress(TimeoutError, asyncio.BrokenBarrierError):
                await asyncio.wait_for(barrier.wait(), timeout=5)
            async with real(*args, **kwargs) as connection:
                yield connection

        monkeypatch.setattr(pairs, "in_transaction", gated)

    return arm


def codes(payload: dict) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def split(payloads: list[dict], key: str) -> tuple[list[dict], list[dict]]:
    """(payloads that changed something, payloads refused with userErrors)."""
    won = [p for p in payloads if p[key] is not None]
    lost = [p for p in payloads if p[key] is None]
    for p in won:
        assert p["userErrors"] == [], p
    for p in lost:
        assert p["userErrors"], p
    return won, lost


# --- createPair races ----------------------------------------------------------------


@pytest.mark.parametrize("racers", [2, 5])
async def test_identical_create_pair_calls_make_exactly_one_pair(
    app, slot_updates: list[bool], gate: Callable[[int], None], racers: int
) -> None:
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[5], mentees=1)
        (_, mentor_sign_up), (_, mentee_sign_up) = s.mentors[0], s.mentees[0]
        pair_input = {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up}
        published = api.published

        gate(racers)
        payloads = await asyncio.gather(
            *(api.mutate(CREATE_PAIR, pair_input, s.admin.token) for _ in range(racers))
        )

        won, lost = split(payloads, "pair")
        assert False in slot_updates, "no loser reached the conditional UPDATE: no real race"
        assert len(won) == 1
        assert len(lost) == racers - 1
        for p in lost:
            assert codes(p) == ["MENTEE_ALREADY_PAIRED"]
            assert p["userErrors"][0]["field"] == ["menteeSignUpId"]
            assert p["mentorSignUp"] is None and p["menteeSignUp"] is None
        assert won[0]["menteeSignUp"]["status"] == "MATCHED"
        assert await api.pair_count(s.admin, s.program_id) == 1
        mentee = await api.sign_up_state(s.admin, mentee_sign_up)
        assert (mentee["status"], mentee["activePairCount"]) == ("MATCHED", 1)
        mentor = await api.sign_up_state(s.admin, mentor_sign_up)
        # One of five slots taken: the losers' slot updates were rolled back.
        assert (mentor["status"], mentor["activePairCount"]) == ("PENDING", 1)
        # The winner's two PAIRED notifications (one per member); the losers publish nothing.
        assert api.published == published + 2


async def test_two_mentors_racing_for_one_mentee_make_one_pair(
    app, slot_updates: list[bool], gate: Callable[[int], None]
) -> None:
    """Different mentors, same mentee: the loser's mentor slot must not stay taken."""
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[1, 1], mentees=1)
        (_, mentee_sign_up) = s.mentees[0]

        gate(len(s.mentors))
        payloads = await asyncio.gather(
            *(
                api.mutate(
                    CREATE_PAIR,
                    {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up},
                    s.admin.token,
                )
                for _, mentor_sign_up in s.mentors
            )
        )

        won, lost = split(payloads, "pair")
        assert False in slot_updates, "no loser reached the conditional UPDATE: no real race"
        assert len(won) == 1 and len(lost) == 1
        assert codes(lost[0]) == ["MENTEE_ALREADY_PAIRED"]
        assert await api.pair_count(s.admin, s.program_id) == 1
        assert (await api.sign_up_state(s.admin, mentee_sign_up))["status"] == "MATCHED"
        winner = won[0]["mentorSignUp"]["id"]
        for _, mentor_sign_up in s.mentors:
            state = await api.sign_up_state(s.admin, mentor_sign_up)
            if mentor_sign_up == winner:
                assert (state["status"], state["activePairCount"]) == ("MATCHED", 1)
            else:
                assert (state["status"], state["activePairCount"]) == ("PENDING", 0)


@pytest.mark.parametrize("mentees", [3, 5])
async def test_racing_for_the_last_slots_of_a_mentor_makes_exactly_capacity_pairs(
    app, slot_updates: list[bool], gate: Callable[[int], None], mentees: int
) -> None:
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[2], mentees=mentees)
        (_, mentor_sign_up) = s.mentors[0]

        gate(mentees)
        payloads = await asyncio.gather(
            *(
                api.mutate(
                    CREATE_PAIR,
                    {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up},
                    s.admin.token,
                )
                for _, mentee_sign_up in s.mentees
            )
        )

        won, lost = split(payloads, "pair")
        assert False in slot_updates, "no loser reached the conditional UPDATE: no real race"
        assert len(won) == 2
        assert len(lost) == mentees - 2
        for p in lost:
            assert codes(p) == ["MENTOR_AT_CAPACITY"]
            assert p["userErrors"][0]["field"] == ["mentorSignUpId"]
        assert await api.pair_count(s.admin, s.program_id) == 2

        mentor = await api.sign_up_state(s.admin, mentor_sign_up)
        assert mentor == {
            "id": mentor_sign_up,
            "role": "MENTOR",
            "status": "MATCHED",  # full: active pairs equal capacity
            "capacity": 2,
            "activePairCount": 2,
        }
        paired = {p["menteeSignUp"]["id"] for p in won}
        for _, mentee_sign_up in s.mentees:
            state = await api.sign_up_state(s.admin, mentee_sign_up)
            if mentee_sign_up in paired:
                assert (state["status"], state["activePairCount"]) == ("MATCHED", 1)
            else:
                # The loser's mentee slot, taken first in the transaction, was rolled back.
                assert (state["status"], state["activePairCount"]) == ("PENDING", 0)


# --- other races -----------------------------------------------------------------------


async def test_racing_milestone_completions_complete_it_once(app) -> None:
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[1], mentees=1)
        (mentor, mentor_sign_up), (mentee, mentee_sign_up) = s.mentors[0], s.mentees[0]
        pair = await api.pair(s.admin, mentor_sign_up, mentee_sign_up)
        milestone_id = pair["milestones"][0]["id"]
        published = api.published

        payloads = await asyncio.gather(
            api.mutate(COMPLETE, {"milestoneId": milestone_id}, mentor.token),
            api.mutate(COMPLETE, {"milestoneId": milestone_id}, mentee.token),
        )

        won, lost = split(payloads, "milestone")
        assert len(won) == 1 and len(lost) == 1
        assert codes(lost[0]) == ["ALREADY_COMPLETED"]
        assert lost[0]["pair"] is None
        assert api.published == published + 1  # one event: the refused call published none
        total = len(pair["milestones"])
        seen = (await api.data(PAIR_MILESTONES, {"id": pair["id"]}, mentee.token))["pair"]
        assert seen["progress"] == pytest.approx(1 / total)
        done = [m for m in seen["milestones"] if m["completedAt"] is not None]
        assert [m["id"] for m in done] == [milestone_id]
        assert done[0]["completedBy"] == won[0]["milestone"]["completedBy"]


async def test_racing_sign_ups_for_the_same_role_make_one(app) -> None:
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[], mentees=0)
        person = await api.person("Twice")
        await api.join(person, s.group_id)
        sign_up_input = await api.sign_up_input(person, s.program_id, "MENTOR", 2)

        payloads = await asyncio.gather(
            *(api.mutate(SIGN_UP, sign_up_input, person.token) for _ in range(2))
        )

        won, lost = split(payloads, "signUp")
        assert len(won) == 1 and len(lost) == 1
        assert codes(lost[0]) == ["ALREADY_SIGNED_UP"]
        assert lost[0]["userErrors"][0]["field"] == ["role"]
        mine = (await api.data(VIEWER_SIGN_UPS, {"id": s.program_id}, person.token))["program"]
        assert mine["viewerSignUps"] == [
            {"id": won[0]["signUp"]["id"], "role": "MENTOR", "status": "PENDING"}
        ]
        # The other role is still free: the race blocked only the duplicate.
        await api.sign_up(person, s.program_id, "MENTEE")


# --- the database enforces capacity and uniqueness by itself -------------------------
#
# Raw SQL through the app's own Tortoise connection, so the same statements run on SQLite
# and PostgreSQL; Tortoise raises its IntegrityError for both drivers' violations.


class _Rollback(Exception):
    """Raised to leave an `in_transaction` block with its writes undone."""


async def _paired_scene(api: AsyncApi) -> Scene:
    """A mentor (capacity 2) with one active pair, and a pending mentee."""
    s = await scene(api, mentor_capacities=[2], mentees=2)
    await api.pair(s.admin, s.mentors[0][1], s.mentees[0][1])
    return s


async def _sign_up_slots() -> list[tuple[str, int, int]]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT role, capacity, slots_used FROM sign_ups"
    )
    return sorted((row["role"], row["capacity"], row["slots_used"]) for row in rows)


async def _refused(statement: str, match: str) -> None:
    """The statement violates a constraint; its transaction is rolled back."""
    with pytest.raises(IntegrityError, match=match):
        async with in_transaction() as db:
            await db.execute_query(statement)


async def test_the_database_rejects_slots_beyond_capacity(app) -> None:
    async with running(app) as api:
        await _paired_scene(api)
        before = await _sign_up_slots()
        assert before == [("MENTEE", 1, 0), ("MENTEE", 1, 1), ("MENTOR", 2, 1)]
        for statement in (
            "UPDATE sign_ups SET slots_used = capacity + 1",
            "UPDATE sign_ups SET slots_used = capacity + 1 WHERE role = 'MENTOR'",
            "UPDATE sign_ups SET slots_used = -1",
            "UPDATE sign_ups SET active_pair_count = -1",
        ):
            await _refused(statement, "sign_ups_slots_within_capacity")
        # Up to capacity is allowed: the constraint is exactly "0 <= slots_used <= capacity".
        with contextlib.suppress(_Rollback):
            async with in_transaction() as db:
                await db.execute_query("UPDATE sign_ups SET slots_used = capacity")
                (row,) = await db.execute_query_dict(
                    "SELECT MAX(slots_used - capacity) AS over FROM sign_ups"
                )
                assert row["over"] == 0
                raise _Rollback
        assert await _sign_up_slots() == before


async def test_the_database_allows_one_live_sign_up_per_program_person_and_role(app) -> None:
    copy = """
        INSERT INTO sign_ups (program_id, user_id, role, status, capacity, slots_used,
                              active_pair_count, live, created_at, withdrawn_at)
        SELECT program_id, user_id, role, 'PENDING', capacity, 0, 0, {live}, created_at, NULL
        FROM sign_ups WHERE role = 'MENTOR' AND live = TRUE
    """
    async with running(app) as api:
        await _paired_scene(api)
        # SQLite: "UNIQUE constraint failed"; PostgreSQL: "violates unique constraint".
        await _refused(copy.format(live="TRUE"), "(?i)unique constraint")
        with contextlib.suppress(_Rollback):
            async with in_transaction() as db:
                # Withdrawn sign-ups (live NULL) are history, not duplicates: any number.
                await db.execute_query(copy.format(live="NULL"))
                await db.execute_query(copy.format(live="NULL"))
                # The same person in the other role is a different sign-up.
                await db.execute_query(
                    """
                    INSERT INTO sign_ups (program_id, user_id, role, status, capacity,
                                          slots_used, active_pair_count, live, created_at)
                    SELECT program_id, user_id, 'MENTEE', 'PENDING', 1, 0, 0, TRUE, created_at
                    FROM sign_ups WHERE role = 'MENTOR' AND live = TRUE
                    """
                )
                (row,) = await db.execute_query_dict("SELECT COUNT(*) AS n FROM sign_ups")
                assert row["n"] == 3 + 3
                raise _Rollback
        (row,) = await connections.get("default").execute_query_dict(
            "SELECT COUNT(*) AS n FROM sign_ups"
        )
        assert row["n"] == 3
