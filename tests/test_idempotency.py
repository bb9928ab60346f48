"""Idempotent retries: a mutation sent with an `Idempotency-Key` runs at most once per
user and key, and its retries get the stored response (api/idempotency.py).

Everything runs against the real app and database: the key's row is read and, to stand
for a worker that died between its commit and storing the response, changed with plain
SQL. Races run through one `httpx.ASGITransport` in the test's loop (as in
tests/test_concurrency.py), and one test drops a response for real: it sends a mutation
to a `serve` process over a socket and closes it without reading the answer. Racing
workers on PostgreSQL are in tests/test_scale_out.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from tortoise import connections

from api.app import create_app
from api.clock import now
from api.services import idempotency, pairs
from api.settings import Settings
from models import IdempotencyKey
from schema import pipeline
from tests import servers
from tests.helpers import CREATE_PAIR, PASSWORD, REGISTER, Api, Person
from tests.test_concurrency import (
    AsyncApi,
    gate,  # noqa: F401  (a fixture: every check before any transaction)
    running,
    scene,
)

POST_CHECK_IN = """
mutation Post($input: PostCheckInInput!) {
  postCheckIn(input: $input) {
    checkIn { id body }
    pair { id checkInCount }
    userErrors { code field message }
  }
}"""
COMPLETE = """
mutation Complete($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { id completedAt }
    userErrors { code field message }
  }
}"""
# Two root fields: never planned, so it runs on Strawberry's path (schema/plan.py).
POST_AND_COMPLETE = """
mutation Both($post: PostCheckInInput!, $complete: CompleteMilestoneInput!) {
  posted: postCheckIn(input: $post) { checkIn { id body } userErrors { code } }
  completed: completeMilestone(input: $complete) { milestone { id completedAt } userErrors { code } }
}"""
END_PAIR = """
mutation End($input: EndPairInput!) {
  endPair(input: $input) { pair { id status } userErrors { code field } }
}"""
LOGOUT = "mutation Out { logout(input: {allSessions: false}) { revokedCount } }"
CHECK_IN_COUNT = "query Count($id: ID!) { pair(id: $id) { checkInCount } }"
MISSING_PAIR = "UGFpcjo5OTk5OTk="  # Pair:999999
_DUPLICATE: ContextVar[bool] = ContextVar("duplicate", default=False)


@dataclasses.dataclass
class ActivePair:
    admin: Person
    mentor: Person
    mentee: Person
    pair_id: str
    milestones: list[str]


def active_pair(api: Api) -> ActivePair:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    milestones = [m["id"] for m in pair["milestones"]]
    return ActivePair(story.admin, story.mentor, story.mentee, pair["id"], milestones)


def send(
    api: Api, query: str, variables: dict, token: str | None, key: str | bytes | None
) -> httpx.Response:
    headers: dict[str, Any] = {"Authorization": f"Bearer {token}"} if token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def error_code(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return error["extensions"]["code"]


def check_in(pair: ActivePair, body: str) -> dict:
    return {"input": {"pairId": pair.pair_id, "body": body}}


def check_in_count(api: Api, pair: ActivePair) -> int:
    return api.data(CHECK_IN_COUNT, {"id": pair.pair_id}, pair.mentee.token)["pair"]["checkInCount"]


async def _rows() -> list[tuple[str, int | None]]:
    return [(row.key, row.status) for row in await IdempotencyKey.all().order_by("id")]


def stored_keys(api: Api) -> list[tuple[str, int | None]]:
    """(key, stored status) of every key's row."""
    return api.run(_rows)


async def _sql(statement: str, *params: Any) -> None:
    connection = connections.get("default")
    marks = (
        [f"${n}" for n in range(1, len(params) + 1)]
        if connection.capabilities.dialect == "postgres"
        else ["?"] * len(params)
    )
    await connection.execute_query(statement.format(*marks), list(params))


def _db_time(value: Any) -> Any:
    return IdempotencyKey._meta.fields_map["created_at"].to_db_value(value, IdempotencyKey)


# --- a retry gets the stored response, on both execution paths --------------------------


@pytest.mark.parametrize("lane", ["plan", "strawberry"])
def test_a_retry_gets_the_stored_response_and_nothing_runs_twice(api: Api, lane: str) -> None:
    pair = active_pair(api)
    if lane == "plan":
        query, variables = POST_CHECK_IN, check_in(pair, "Week one.")
        api.ok(query, variables["input"], pair.mentee.token)  # learnt: planned from now on
        assert pipeline.plans_of(api.app.state.schema)[1].get(query, None)
        variables = check_in(pair, "Week two.")
    else:
        query = POST_AND_COMPLETE
        variables = {
            "post": check_in(pair, "Week two.")["input"],
            "complete": {"milestoneId": pair.milestones[0]},
        }
    before = check_in_count(api, pair)

    first = send(api, query, variables, pair.mentee.token, "retry-1")
    assert first.status_code == 200 and "errors" not in first.json(), first.text
    if lane == "strawberry":  # two root fields: never planned
        assert not pipeline.plans_of(api.app.state.schema)[1].get(query, None)
    written, published = api.snapshot(), api.published
    assert check_in_count(api, pair) == before + 1
    assert stored_keys(api) == [("retry-1", 200)]

    # The client never saw `first` (a dropped connection, a timeout) and sends it again.
    again = send(api, query, variables, pair.mentee.token, "retry-1")
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert api.snapshot() == written, "the retry wrote something"
    assert api.published == published, "the retry published an event"


def test_without_the_header_nothing_is_stored_and_each_request_runs(api: Api) -> None:
    pair = active_pair(api)
    for _ in range(2):
        assert send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, None)
    assert check_in_count(api, pair) == 2
    assert stored_keys(api) == []


def test_a_new_key_runs_the_same_request_again(api: Api) -> None:
    pair = active_pair(api)
    for key in ("first-key", "second-key"):
        response = send(api, POST_CHECK_IN, check_in(pair, "Same words."), pair.mentee.token, key)
        assert "idempotent-replayed" not in response.headers
    assert check_in_count(api, pair) == 2


def test_keys_belong_to_one_user(api: Api) -> None:
    pair = active_pair(api)
    for person in (pair.mentee, pair.mentor):
        response = send(api, POST_CHECK_IN, check_in(pair, "Hello."), person.token, "shared")
        assert "idempotent-replayed" not in response.headers
    assert check_in_count(api, pair) == 2


def test_the_variables_key_order_does_not_make_another_request(api: Api) -> None:
    pair = active_pair(api)
    send(api, POST_CHECK_IN, check_in(pair, "Order."), pair.mentee.token, "order")
    reordered = {"input": {"body": "Order.", "pairId": pair.pair_id}}
    again = send(api, POST_CHECK_IN, reordered, pair.mentee.token, "order")
    assert again.headers["idempotent-replayed"] == "true"
    assert check_in_count(api, pair) == 1


# --- the key reused for another request ---------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda pair: (POST_CHECK_IN, check_in(pair, "Other words.")), id="variables"),
        pytest.param(
            lambda pair: (COMPLETE, {"input": {"milestoneId": pair.milestones[0]}}),
            id="operation",
        ),
        pytest.param(
            lambda pair: (POST_CHECK_IN.replace("Post(", "Post ("), check_in(pair, "Hi.")),
            id="query text",
        ),
    ],
)
def test_the_key_of_another_request_is_idempotency_key_reused(
    api: Api, other: Callable[[ActivePair], tuple[str, dict]]
) -> None:
    pair = active_pair(api)
    send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, "once")
    written = api.snapshot()

    query, variables = other(pair)
    refused = send(api, query, variables, pair.mentee.token, "once")

    assert refused.status_code == 422
    assert error_code(refused) == "IDEMPOTENCY_KEY_REUSED"
    assert "data" not in refused.json()
    assert api.snapshot() == written


# --- no write, no key ------------------------------------------------------------------


@pytest.mark.parametrize(
    "refused",
    [
        # completeMilestone's transaction finds the milestone done and rolls back.
        pytest.param(
            lambda pair: (COMPLETE, {"input": {"milestoneId": pair.milestones[0]}}),
            id="rolled back in a service transaction",
        ),
        # postCheckIn's SQL script refuses a blank body inside its transaction.
        pytest.param(
            lambda pair: (POST_CHECK_IN, check_in(pair, "   ")), id="rolled back in a script"
        ),
        # A pair that does not exist: NOT_FOUND, a top-level error.
        pytest.param(
            lambda pair: (POST_CHECK_IN, {"input": {"pairId": MISSING_PAIR, "body": "Hi."}}),
            id="not found",
        ),
        # endPair checks the reason's length before opening its transaction.
        pytest.param(
            lambda pair: (END_PAIR, {"input": {"pairId": pair.pair_id, "reason": "x" * 501}}),
            id="refused before any transaction",
        ),
    ],
)
def test_a_mutation_that_wrote_nothing_leaves_no_key(
    api: Api, refused: Callable[[ActivePair], tuple[str, dict]]
) -> None:
    pair = active_pair(api)
    api.ok(COMPLETE, {"milestoneId": pair.milestones[0]}, pair.mentee.token)
    before = api.snapshot()

    query, variables = refused(pair)
    response = send(api, query, variables, pair.mentee.token, "no-write")
    body = response.json()
    payload = next(iter((body.get("data") or {}).values()), None)
    assert body.get("errors") or payload["userErrors"], body

    assert api.snapshot() == before, "a refused mutation wrote something, or its key"
    # Nothing holds the key: another request may use it, and runs.
    used = send(api, POST_CHECK_IN, check_in(pair, "Now for real."), pair.mentee.token, "no-write")
    assert used.json()["data"]["postCheckIn"]["checkIn"]["body"] == "Now for real."
    assert stored_keys(api) == [("no-write", 200)]


def test_a_mutation_that_wrote_then_answered_with_user_errors_keeps_its_key(api: Api) -> None:
    """changePassword with the wrong current password counts a failed sign-in (a
    transaction that commits) before it answers INVALID_CREDENTIALS: the retry gets that
    answer and does not count a second failure."""
    person = api.person()
    change = (
        "mutation Change($input: ChangePasswordInput!) "
        "{ changePassword(input: $input) { userErrors { code field } } }"
    )
    variables = {"input": {"currentPassword": "wrong password", "newPassword": "a new password"}}
    first = send(api, change, variables, person.token, "pw")
    assert first.json()["data"]["changePassword"]["userErrors"][0]["code"] == (
        "INVALID_CREDENTIALS"
    )
    written = api.snapshot()
    again = send(api, change, variables, person.token, "pw")
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert api.snapshot() == written


# --- what ignores the key -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["a-query-key", ""])
def test_queries_ignore_the_key(api: Api, key: str) -> None:
    pair = active_pair(api)
    before = send(api, CHECK_IN_COUNT, {"id": pair.pair_id}, pair.mentee.token, key)
    assert before.status_code == 200 and before.json()["data"]["pair"]["checkInCount"] == 0
    api.ok(POST_CHECK_IN, check_in(pair, "Hi.")["input"], pair.mentee.token)

    after = send(api, CHECK_IN_COUNT, {"id": pair.pair_id}, pair.mentee.token, key)
    assert after.json()["data"]["pair"]["checkInCount"] == 1, "a query was answered from a key"
    assert "idempotent-replayed" not in after.headers
    assert stored_keys(api) == []


def test_anonymous_mutations_run_as_usual_with_a_key(api: Api) -> None:
    """register and login have no user to keep a key for: each request runs."""
    variables = {
        "input": {
            "email": "anon@example.com",
            "password": PASSWORD,
            "name": "Anon",
            "birthDate": "1990-01-01",
        }
    }
    first = send(api, REGISTER, variables, None, "sign-up-key")
    assert first.json()["data"]["register"]["userErrors"] == []
    again = send(api, REGISTER, variables, None, "sign-up-key")
    assert [e["code"] for e in again.json()["data"]["register"]["userErrors"]] == ["EMAIL_TAKEN"]
    assert stored_keys(api) == []


def test_a_bad_token_with_a_key_is_unauthenticated(api: Api) -> None:
    pair = active_pair(api)
    response = send(api, POST_CHECK_IN, check_in(pair, "Hi."), "not-a-token", "bad-token")
    assert error_code(response) == "UNAUTHENTICATED"
    assert stored_keys(api) == []


def test_the_retry_of_a_mutation_that_ended_its_session_is_unauthenticated(api: Api) -> None:
    person = api.person()
    first = send(api, LOGOUT, {}, person.token, "bye")
    assert first.json()["data"]["logout"]["revokedCount"] == 1
    assert stored_keys(api) == [("bye", 200)]
    assert error_code(send(api, LOGOUT, {}, person.token, "bye")) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 256, id="256 characters"),
        pytest.param(b"caf\xe9", id="not ASCII"),
        pytest.param("tab\there", id="a control character"),
    ],
)
def test_a_malformed_key_on_a_mutation_is_bad_user_input(api: Api, key: str | bytes) -> None:
    pair = active_pair(api)
    before = api.snapshot()
    response = send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, key)
    assert response.status_code == 400
    assert error_code(response) == "BAD_USER_INPUT"
    assert "Idempotency-Key" in response.json()["errors"][0]["message"]
    assert api.snapshot() == before


def test_a_key_of_255_printable_characters_is_accepted(api: Api) -> None:
    pair = active_pair(api)
    key = ("~ !" * 100)[:255]
    send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, key)
    assert stored_keys(api) == [(key, 200)]


# --- a retry while the first has not answered, or never will -----------------------------


def _unstore(api: Api, key: str, age: timedelta) -> None:
    """Leave the key's row as a worker leaves it when it dies after its commit and before
    storing the response: no response, written `age` ago."""
    api.run(
        _sql,
        'UPDATE "idempotency_keys" SET "status" = NULL, "content_type" = NULL, '
        '"body" = NULL, "created_at" = {} WHERE "key" = {}',
        _db_time(now() - age),
        key,
    )


def test_a_retry_while_the_first_has_not_answered_is_idempotency_key_in_use(
    settings: Settings,
) -> None:
    app = create_app(dataclasses.replace(settings, idempotency_wait_s=0.3))
    with TestClient(app) as client:
        api = Api(client, app)
        pair = active_pair(api)
        send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, "slow")
        _unstore(api, "slow", timedelta(seconds=5))
        written = api.snapshot()

        started = time.monotonic()
        retry = send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, "slow")
        assert time.monotonic() - started >= 0.3, "it did not wait for the first"
        assert retry.status_code == 409
        assert error_code(retry) == "IDEMPOTENCY_KEY_IN_USE"
        assert api.snapshot() == written


def test_a_retry_after_a_crash_between_commit_and_response_is_idempotency_response_lost(
    api: Api,
) -> None:
    pair = active_pair(api)
    send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, "crashed")
    _unstore(api, "crashed", timedelta(minutes=2))
    written = api.snapshot()

    retry = send(api, POST_CHECK_IN, check_in(pair, "Hi."), pair.mentee.token, "crashed")

    assert retry.status_code == 409
    assert error_code(retry) == "IDEMPOTENCY_RESPONSE_LOST"
    assert api.snapshot() == written, "the mutation ran again"
    assert check_in_count(api, pair) == 1


async def test_a_retry_waits_for_the_first_response(app) -> None:
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[1], mentees=1)
        pair_input = {"mentorSignUpId": s.mentors[0][1], "menteeSignUpId": s.mentees[0][1]}
        request = {"query": CREATE_PAIR, "variables": {"input": pair_input}}
        headers = {"Authorization": f"Bearer {s.admin.token}", "Idempotency-Key": "wait"}
        first = await api.http.post("/graphql", json=request, headers=headers)
        [row] = await IdempotencyKey.all()
        await _sql('UPDATE "idempotency_keys" SET "status" = NULL WHERE "id" = {}', row.id)

        retry = asyncio.create_task(api.http.post("/graphql", json=request, headers=headers))
        await asyncio.sleep(0.3)
        assert not retry.done(), "the retry answered before the first stored its response"
        await idempotency.store_response(
            row.user_id, "wait", 200, first.headers["content-type"], first.text
        )
        answered = await asyncio.wait_for(retry, timeout=10)

        assert answered.status_code == 200 and answered.content == first.content
        assert answered.headers["idempotent-replayed"] == "true"
        assert await api.pair_count(s.admin, s.program_id) == 1


# --- 24 hours ---------------------------------------------------------------------------


def test_a_key_older_than_24_hours_is_forgotten(api: Api) -> None:
    pair = active_pair(api)
    send(api, POST_CHECK_IN, check_in(pair, "Yesterday."), pair.mentee.token, "old")
    send(api, POST_CHECK_IN, check_in(pair, "Today."), pair.mentee.token, "recent")
    api.run(
        _sql,
        'UPDATE "idempotency_keys" SET "created_at" = {} WHERE "key" = {}',
        _db_time(now() - timedelta(hours=24, minutes=1)),
        "old",
    )

    # Expired: the same key runs another request instead of REUSED, and takes the row over.
    again = send(api, POST_CHECK_IN, check_in(pair, "Another day."), pair.mentee.token, "old")
    assert again.json()["data"]["postCheckIn"]["checkIn"]["body"] == "Another day."
    assert sorted(stored_keys(api)) == [("old", 200), ("recent", 200)]

    api.run(
        _sql,
        'UPDATE "idempotency_keys" SET "created_at" = {} WHERE "key" = {}',
        _db_time(now() - timedelta(hours=25)),
        "old",
    )
    assert api.run(idempotency.delete_expired) == 1  # what the reminder pass runs
    assert stored_keys(api) == [("recent", 200)]


# --- racing duplicates --------------------------------------------------------------------


async def _race(api: AsyncApi, request: dict, token: str, key: str, racers: int) -> list:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return await asyncio.wait_for(
        asyncio.gather(
            *(api.http.post("/graphql", json=request, headers=headers) for _ in range(racers))
        ),
        timeout=30,
    )


@pytest.mark.parametrize("gated", [False, True], ids=["interleaved", "all past their checks"])
async def test_racing_duplicates_on_one_app_pair_people_once(
    app,
    gate: Callable[[int], None],  # noqa: F811  (the fixture imported above)
    gated: bool,
) -> None:
    """Interleaved, a late duplicate may see the pair already made and refuse before its
    transaction: it then answers with the first one's response. Gated, every duplicate
    passes its checks first, and the key's insert in its transaction refuses it."""
    racers = 4
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[5], mentees=1)
        pair_input = {"mentorSignUpId": s.mentors[0][1], "menteeSignUpId": s.mentees[0][1]}
        published = api.published
        if gated:
            gate(racers)

        responses = await _race(
            api,
            {"query": CREATE_PAIR, "variables": {"input": pair_input}},
            s.admin.token,
            "pair-once",
            racers,
        )

        assert {r.status_code for r in responses} == {200}
        assert len({r.content for r in responses}) == 1, [r.text for r in responses]
        assert responses[0].json()["data"]["createPair"]["userErrors"] == []
        assert sum("idempotent-replayed" in r.headers for r in responses) == racers - 1
        assert await api.pair_count(s.admin, s.program_id) == 1
        assert api.published == published + 2  # the one pair's two PAIRED notifications


async def test_a_duplicate_whose_checks_see_the_first_ones_change_answers_as_it_did(
    app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The duplicate looks the key up before the first runs, then its checks see the pair
    the first made and refuse before any transaction (MENTEE_ALREADY_PAIRED). It wrote
    nothing, and its answer is the first one's response, not that refusal."""
    duplicate_checking, first_answered = asyncio.Event(), asyncio.Event()
    checked = pairs._checked_couple

    async def duplicate_checks_after_the_first(*args: Any) -> Any:
        if _DUPLICATE.get():
            duplicate_checking.set()
            await asyncio.wait_for(first_answered.wait(), timeout=10)
        return await checked(*args)

    monkeypatch.setattr(pairs, "_checked_couple", duplicate_checks_after_the_first)
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[5], mentees=1)
        pair_input = {"mentorSignUpId": s.mentors[0][1], "menteeSignUpId": s.mentees[0][1]}
        request = {"query": CREATE_PAIR, "variables": {"input": pair_input}}
        headers = {"Authorization": f"Bearer {s.admin.token}", "Idempotency-Key": "late"}

        async def duplicate() -> httpx.Response:
            _DUPLICATE.set(True)  # this task's context: the app runs in it
            return await api.http.post("/graphql", json=request, headers=headers)

        async def first() -> httpx.Response:
            await asyncio.wait_for(duplicate_checking.wait(), timeout=10)
            response = await api.http.post("/graphql", json=request, headers=headers)
            first_answered.set()
            return response

        two, one = await asyncio.wait_for(asyncio.gather(duplicate(), first()), timeout=30)

        assert one.json()["data"]["createPair"]["userErrors"] == []
        assert "idempotent-replayed" not in one.headers
        assert two.content == one.content and two.headers["idempotent-replayed"] == "true"
        assert await api.pair_count(s.admin, s.program_id) == 1


async def test_racing_duplicate_check_ins_on_one_app_post_once(app) -> None:
    racers = 5
    async with running(app) as api:
        s = await scene(api, mentor_capacities=[1], mentees=1)
        admin, (_, mentor_sign_up), (mentee, mentee_sign_up) = (
            s.admin,
            s.mentors[0],
            s.mentees[0],
        )
        pair = await api.pair(admin, mentor_sign_up, mentee_sign_up)
        request = {
            "query": POST_CHECK_IN,
            "variables": {"input": {"pairId": pair["id"], "body": "Once."}},
        }

        responses = await _race(api, request, mentee.token, "check-in-once", racers)

        assert {r.status_code for r in responses} == {200}
        assert len({r.content for r in responses}) == 1, [r.text for r in responses]
        count = await api.data(CHECK_IN_COUNT, {"id": pair["id"]}, mentee.token)
        assert count["pair"]["checkInCount"] == 1


# --- a response dropped on the wire ---------------------------------------------------------


def _http_post(body: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        "POST /graphql HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def test_a_retry_after_a_dropped_connection_gets_the_stored_response(tmp_path: Path) -> None:
    """A real server: the client sends the mutation and hangs up without reading the
    answer, as a phone losing its network does; the retry gets what it missed."""
    database = tmp_path / "dropped.db"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{database}",
        BROADCAST_URL="memory://",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
    )
    with (
        servers.serving(env, tmp_path / "serve.log") as (port, _),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15) as http,
    ):
        api = _HttpApi(http)
        pair = api.active_pair()
        request = json.dumps(
            {"query": POST_CHECK_IN, "variables": check_in(pair, "Sent once.")}
        ).encode()
        headers = {"Authorization": f"Bearer {pair.mentee.token}", "Idempotency-Key": "lost"}

        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(_http_post(request, headers))
        # Hung up. The server carries on: wait (bounded) for it to store the answer.
        deadline = time.monotonic() + 15
        while not _stored(database, "lost"):
            assert time.monotonic() < deadline, "the mutation never stored its response"
            time.sleep(0.05)

        retry = http.post(
            "/graphql", content=request, headers={**headers, "Content-Type": "application/json"}
        )
        assert retry.status_code == 200, retry.text
        assert retry.headers["idempotent-replayed"] == "true"
        assert retry.json()["data"]["postCheckIn"]["checkIn"]["body"] == "Sent once."
        count = api.data(CHECK_IN_COUNT, {"id": pair.pair_id}, pair.mentee.token)
        assert count["pair"]["checkInCount"] == 1


def _stored(database: Path, key: str) -> bool:
    with sqlite3.connect(database, timeout=5) as db:
        row = db.execute(
            'SELECT "status" FROM "idempotency_keys" WHERE "key" = ?', (key,)
        ).fetchone()
    return row is not None and row[0] is not None


class _HttpApi(Api):
    """tests.helpers.Api's scenario builders over a real socket (httpx.Client)."""

    def __init__(self, http: httpx.Client) -> None:
        super().__init__(http, None)  # type: ignore[arg-type]  # same post/json interface

    def active_pair(self) -> ActivePair:
        return active_pair(self)


def test_every_transaction_opens_where_it_can_claim_the_key() -> None:
    """A transaction opened with Tortoise's own `in_transaction` would not write the key,
    and its mutation could run twice: only api/services/transactions.py may import it."""
    root = servers.ROOT
    direct = [
        str(path.relative_to(root))
        for folder in ("api", "schema")
        for path in (root / folder).rglob("*.py")
        if "tortoise.transactions" in path.read_text(encoding="utf-8")
    ]
    assert direct == ["api/services/transactions.py"]
