"""Scale-out: real `python -m api serve` workers sharing one PostgreSQL and one Redis.

The module starts everything itself: its own database (created on the server named by
TEST_DATABASE_URL, dropped at the end), its own `redis-server` on a free port (so the
tests can stop and restart it without disturbing anything else), `python -m api migrate`
once, then two workers, A and B, on their own ports. The tests speak to the workers over
TCP only: HTTP with httpx, subscriptions with raw `graphql-transport-ws` frames over the
`websockets` client, so that errors, dropped sockets and resubscriptions are explicit.

1. Subscribe through A, mutate through B: the events arrive on A (and the other way).
2. Racing `createPair` calls for one mentee, through both workers, make exactly one pair.
3. A worker is SIGKILLed mid-stream: the client resumes on the other worker with its last
   cursor, and nothing is lost or repeated.
4. Redis is stopped and restarted under a `pairEvents` subscriber while mutations go on:
   the client resubscribes with its last cursor and receives every event of the outage
   exactly once, in order. The catch-up time is measured and printed.
5. The same check-in with one `Idempotency-Key`, sent four times at once through both
   workers, is posted once, and every sender gets the same answer.

Every wait is bounded, so a lost event fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

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

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_SERVER = "/usr/bin/redis-server"

pytestmark = [
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="scale-out tests need PostgreSQL: set TEST_DATABASE_URL=postgres://...",
    ),
    pytest.mark.skipif(
        not os.access(REDIS_SERVER, os.X_OK), reason=f"{REDIS_SERVER} is not installed"
    ),
    # The module fixture starts Redis, migrates and boots two workers before the first test.
    pytest.mark.timeout(300),
]

ROOT = servers.ROOT
EVENT_TIMEOUT = 15.0  # seconds to wait for any expected event or state
HTTP_TIMEOUT = 15.0
_names = itertools.count(1)

PAIR_EVENTS = """
subscription($pairId: ID!, $after: String) {
  pairEvents(pairId: $pairId, after: $after) {
    __typename cursor sequence occurredAt pair { id status }
    ... on MilestoneCompletedEvent { milestone { id } }
    ... on CheckInPostedEvent { checkIn { id body } }
    ... on PairEndedEvent { reason }
  }
}"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { milestone { id } userErrors { field message code } }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id body } userErrors { field message code } }
}"""
PROGRAM_PAIRS = """
query($id: ID!) {
  program(id: $id) {
    pairs(first: 100) { totalCount edges { node { id status mentee { id } mentor { id } } } }
  }
}"""
SIGN_UP_STATE = """
query($id: ID!) { node(id: $id) { ... on SignUp { id role status activePairCount } } }"""
TERMINAL_EVENTS = {"PairCompletedEvent", "PairEndedEvent"}


# --- processes: PostgreSQL database, Redis, workers -------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def _admin_sql(statement: str) -> None:
    """Run one statement on the maintenance database `postgres`."""
    import asyncpg

    connection = await asyncpg.connect(_with_database(TEST_DATABASE_URL, "postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Redis:
    """Our own redis-server: no persistence, stoppable and restartable on one port."""

    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> float:
        """Start and wait until it answers PING; returns the monotonic time it did."""
        assert not self.running
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited with {self.process.returncode}:\n{self.log()}")
            with (
                suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return time.monotonic()
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server did not answer PING:\n{self.log()}")
            time.sleep(0.02)

    def stop(self) -> None:
        servers.stop(self.process)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]


@dataclass
class Worker:
    """One `python -m api serve` process on a fixed port (kept across restarts)."""

    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        assert not self.running
        self.process = servers.start_serve(self.env, self.port, self.log_path)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to its clients."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        servers.stop(self.process)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]


@dataclass
class Cluster:
    database_url: str
    redis: Redis
    a: Worker
    b: Worker

    def ensure_up(self) -> None:
        """Bring back whatever an earlier (possibly failed) test left down."""
        if not self.redis.running:
            self.redis.start()
        for worker in (self.a, self.b):
            if not worker.running:
                worker.stop()
                worker.start()

    def logs(self) -> str:
        return (
            f"--- worker A ---\n{self.a.log()}\n--- worker B ---\n{self.b.log()}\n"
            f"--- redis ---\n{self.redis.log()}"
        )


@pytest.fixture(scope="module")
def cluster_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("scale_out")
    name = f"mentorship_scale_{secrets.token_hex(6)}"
    asyncio.run(_admin_sql(f'CREATE DATABASE "{name}"'))
    database_url = _with_database(TEST_DATABASE_URL, name)
    redis = Redis(servers.free_port(), workdir / "redis.log")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BROADCAST_URL=redis.url,
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        LOG_LEVEL="info",
    )
    a = Worker("A", servers.free_port(), env, workdir / "worker-a.log")
    b = Worker("B", servers.free_port(), env, workdir / "worker-b.log")
    cluster = Cluster(database_url, redis, a, b)
    try:
        migrated = subprocess.run(
            [sys.executable, "-m", "api", "migrate"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        redis.start()
        a.start()
        b.start()
        yield cluster
    finally:
        a.stop()
        b.stop()
        redis.stop()
        asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def cluster(cluster_processes: Cluster, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    cluster_processes.ensure_up()
    failed_before = request.session.testsfailed
    yield cluster_processes
    if request.session.testsfailed > failed_before:  # shown as the teardown's output
        print(cluster_processes.logs())


def report(request: pytest.FixtureRequest, message: str, **values: Any) -> None:
    """Print a measurement to the terminal (even without -s) and attach it to the report."""
    for key, value in values.items():
        request.node.user_properties.append((key, value))
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        print(f"\n[scale-out] {message}", flush=True)


# --- HTTP --------------------------------------------------------------------------------


class Http:
    """GraphQL over HTTP to one worker."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.client = httpx.AsyncClient(base_url=worker.http_url, timeout=HTTP_TIMEOUT)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def data(self, query: str, variables: dict | None = None, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, f"worker {self.worker.name}: {response.text}"
        body = response.json()
        assert not body.get("errors"), f"worker {self.worker.name}: {body}"
        return body["data"]

    async def mutate(self, query: str, input: dict, token: str | None = None) -> dict:
        return next(iter((await self.data(query, {"input": input}, token)).values()))

    async def ok(self, query: str, input: dict, token: str | None = None) -> dict:
        payload = await self.mutate(query, input, token)
        assert payload["userErrors"] == [], f"worker {self.worker.name}: {payload}"
        return payload

    async def register(self, name: str) -> str:
        email = f"{name.lower()}.{next(_names)}.{secrets.token_hex(4)}@example.com"
        payload = await self.ok(
            REGISTER, {"email": email, "password": PASSWORD, "name": name, "birthDate": ADULT}
        )
        return payload["token"]

    async def sign_up(
        self, token: str, program_id: str, role: str, capacity: int | None = None
    ) -> str:
        questions = (await self.data(PROGRAM_QUESTIONS, {"id": program_id}, token))["program"][
            "questions"
        ]
        answers = [
            {"questionId": q["id"], "value": f"Answer from a {role.lower()}."}
            for q in questions
            if role in q["appliesTo"]
        ]
        payload = await self.ok(
            SIGN_UP,
            {"programId": program_id, "role": role, "answers": answers, "capacity": capacity},
            token,
        )
        return payload["signUp"]["id"]


@dataclass
class Program:
    admin: str
    program_id: str


async def open_program(http: Http, *members: str) -> Program:
    admin = await http.register("Ada")
    group = await http.ok(
        CREATE_GROUP, {"name": "Scale-out", "category": "PROFESSIONAL_DEVELOPMENT"}, admin
    )
    group_id = group["group"]["id"]
    for token in members:
        await http.ok(JOIN_GROUP, {"groupId": group_id}, token)
    created = await http.ok(
        CREATE_PROGRAM, {"groupId": group_id, "template": "CAREER_ADVANCEMENT"}, admin
    )
    program_id = created["program"]["id"]
    await http.ok(OPEN_PROGRAM, {"programId": program_id}, admin)
    return Program(admin, program_id)


@dataclass
class ActivePair:
    pair_id: str
    milestones: list[str]
    mentor: str
    mentee: str


async def active_pair(http: Http) -> ActivePair:
    mentor = await http.register("Maya")
    mentee = await http.register("Milo")
    program = await open_program(http, mentor, mentee)
    mentor_sign_up = await http.sign_up(mentor, program.program_id, "MENTOR")
    mentee_sign_up = await http.sign_up(mentee, program.program_id, "MENTEE")
    paired = await http.ok(
        CREATE_PAIR,
        {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up},
        program.admin,
    )
    pair = paired["pair"]
    milestones = [m["id"] for m in pair["milestones"]]
    assert len(milestones) >= 3, "the tests complete two milestones without finishing the pair"
    return ActivePair(pair["id"], milestones, mentor, mentee)


@dataclass
class Expected:
    """What each mutation should produce as an event, in commit order."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, typename: str, detail: str) -> int:
        self.items.append((typename, detail))
        return len(self.items)


async def post_check_in(http: Http, pair: ActivePair, token: str, body: str, expected: Expected):
    payload = await http.ok(POST_CHECK_IN, {"pairId": pair.pair_id, "body": body}, token)
    assert payload["checkIn"]["body"] == body
    return expected.add("CheckInPostedEvent", body)


async def complete_milestone(http: Http, pair: ActivePair, index: int, expected: Expected):
    milestone = pair.milestones[index]
    await http.ok(COMPLETE, {"milestoneId": milestone}, pair.mentor)
    return expected.add("MilestoneCompletedEvent", milestone)


def detail(event: dict) -> str:
    if event["__typename"] == "CheckInPostedEvent":
        return event["checkIn"]["body"]
    if event["__typename"] == "MilestoneCompletedEvent":
        return event["milestone"]["id"]
    return ""


def assert_exactly_once_in_order(events: list[dict], expected: Expected) -> None:
    sequences = [e["sequence"] for e in events]
    duplicates = sorted({s for s in sequences if sequences.count(s) > 1})
    missing = sorted(set(range(1, len(expected.items) + 1)) - set(sequences))
    assert not duplicates and not missing, f"duplicated {duplicates}, missing {missing}"
    assert sequences == list(range(1, len(expected.items) + 1)), sequences
    assert [(e["__typename"], detail(e)) for e in events] == expected.items


# --- a resuming pairEvents client over raw graphql-transport-ws ---------------------------


class SubscriptionEnded(Exception):
    """The server ended the subscription (error, next-with-errors or complete)."""

    def __init__(self, outcome: str, codes: list[str]) -> None:
        super().__init__(outcome, codes)
        self.outcome = outcome
        self.codes = codes


@dataclass
class Interruption:
    at: float
    worker: str
    outcome: str
    codes: list[str]


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, worker: Worker, token: str) -> Socket:
        from websockets.asyncio.client import connect

        ws = await asyncio.wait_for(
            connect(worker.ws_url, subprotocols=["graphql-transport-ws"], open_timeout=5), 10
        )
        sock = cls(ws)
        try:
            await sock.send(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            ack = await asyncio.wait_for(sock.receive(), 10)
            assert ack["type"] == "connection_ack", ack
        except BaseException:
            await sock.close()
            raise
        return sock

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def receive(self) -> dict:
        while True:
            frame = json.loads(await self.ws.recv())
            if frame["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            if frame["type"] == "pong":
                continue
            return frame

    async def subscribe(self, op_id: str, variables: dict) -> None:
        await self.send(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": PAIR_EVENTS, "variables": variables},
            }
        )

    async def next_event(self, op_id: str) -> dict:
        """The next event of `op_id`; SubscriptionEnded when the server ends it."""
        while True:
            frame = await self.receive()
            if frame.get("id") != op_id:
                continue  # a late frame of an earlier, already ended subscription
            if frame["type"] == "next":
                payload = frame["payload"]
                if payload.get("errors"):
                    codes = [e.get("extensions", {}).get("code", "?") for e in payload["errors"]]
                    raise SubscriptionEnded("next with errors", codes)
                return payload["data"]["pairEvents"]
            if frame["type"] == "error":
                codes = [e.get("extensions", {}).get("code", "?") for e in frame["payload"]]
                raise SubscriptionEnded("error", codes)
            if frame["type"] == "complete":
                raise SubscriptionEnded("complete", [])
            raise AssertionError(f"unexpected frame {frame}")

    @property
    def closed(self) -> bool:
        from websockets.protocol import State

        return self.ws.state is not State.OPEN

    async def close(self) -> None:
        with suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


@dataclass
class Received:
    event: dict
    at: float
    worker: str


class ResumingClient:
    """Follows one pair's events like a careful client: subscribe with the last cursor;
    when the subscription ends with an error, resubscribe on the same socket after a
    short backoff; when the socket drops, fail over to the next worker.
    Records every event received, duplicates included."""

    def __init__(self, workers: list[Worker], token: str, pair_id: str) -> None:
        self.workers = workers
        self.token = token
        self.pair_id = pair_id
        self.cursor: str | None = None
        self.received: list[Received] = []
        self.interruptions: list[Interruption] = []
        self.subscribe_attempts = 0
        self.finished = False
        self._worker = 0
        self._task: asyncio.Task | None = None

    @property
    def events(self) -> list[dict]:
        return [r.event for r in self.received]

    @property
    def worker(self) -> Worker:
        return self.workers[self._worker % len(self.workers)]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        if not self._task.done():
            self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        sock: Socket | None = None
        backoff = 0.05
        try:
            while not self.finished:
                worker = self.worker
                try:
                    if sock is None or sock.closed:
                        sock = await Socket.open(worker, self.token)
                    self.subscribe_attempts += 1
                    op_id = f"events-{self.subscribe_attempts}"
                    await sock.subscribe(op_id, {"pairId": self.pair_id, "after": self.cursor})
                    while True:
                        event = await sock.next_event(op_id)
                        self.received.append(Received(event, time.monotonic(), worker.name))
                        self.cursor = event["cursor"]
                        backoff = 0.05
                        if event["__typename"] in TERMINAL_EVENTS:
                            self.finished = True
                            return
                except SubscriptionEnded as ended:
                    self.interruptions.append(
                        Interruption(time.monotonic(), worker.name, ended.outcome, ended.codes)
                    )
                except (OSError, TimeoutError, ConnectionError) as exc:
                    await self._drop(sock, worker, exc)
                    sock = None
                except Exception as exc:  # websockets' ConnectionClosed, InvalidStatus...
                    if type(exc).__module__.split(".")[0] != "websockets":
                        raise
                    await self._drop(sock, worker, exc)
                    sock = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 0.4)
        finally:
            if sock is not None:
                await sock.close()

    async def _drop(self, sock: Socket | None, worker: Worker, exc: BaseException) -> None:
        """The connection is gone: note it and try the next worker."""
        self.interruptions.append(
            Interruption(time.monotonic(), worker.name, f"disconnected ({type(exc).__name__})", [])
        )
        if sock is not None:
            await sock.close()
        self._worker += 1

    async def wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + EVENT_TIMEOUT
        while not predicate():
            assert self._task is not None
            if self._task.done():
                self._task.result()  # raises what killed the client loop
                raise AssertionError(f"the client stopped before {what}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out waiting for {what}: received sequences "
                    f"{[e['sequence'] for e in self.events]}, interruptions {self.interruptions}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_sequence(self, sequence: int) -> None:
        await self.wait_until(
            lambda: any(e["sequence"] >= sequence for e in self.events), f"event {sequence}"
        )


# --- 1. subscribe through A, mutate through B ----------------------------------------------


async def test_events_mutated_through_one_worker_arrive_on_the_other(cluster: Cluster) -> None:
    a, b = Http(cluster.a), Http(cluster.b)
    try:
        pair = await active_pair(b)
        # The mentee follows through A, the mentor through B.
        on_a = ResumingClient([cluster.a], pair.mentee, pair.pair_id)
        on_b = ResumingClient([cluster.b], pair.mentor, pair.pair_id)
        on_a.start()
        on_b.start()
        try:
            expected = Expected()
            # The first event may arrive by replay (no ack says the subscription is live);
            # once it has arrived, the listener is attached and the replay has run, so every
            # later event can only reach the other worker live, through Redis.
            await complete_milestone(b, pair, 0, expected)
            await on_a.wait_for_sequence(1)
            await on_b.wait_for_sequence(1)
            for n in range(3):
                sequence = await post_check_in(b, pair, pair.mentor, f"via B {n}", expected)
                await on_a.wait_for_sequence(sequence)  # B -> A
                sequence = await post_check_in(a, pair, pair.mentee, f"via A {n}", expected)
                await on_b.wait_for_sequence(sequence)  # A -> B
            sequence = await complete_milestone(b, pair, 1, expected)
            await on_a.wait_for_sequence(sequence)
            await on_b.wait_for_sequence(sequence)
            await asyncio.sleep(0.3)  # room for a duplicate to show up
        finally:
            await on_a.stop()
            await on_b.stop()
        for client in (on_a, on_b):
            assert client.interruptions == []
            assert client.subscribe_attempts == 1
            assert_exactly_once_in_order(client.events, expected)
        assert {r.worker for r in on_a.received} == {"A"}
    finally:
        await a.aclose()
        await b.aclose()


# --- 2. racing createPair through both workers ---------------------------------------------


async def test_racing_create_pair_through_both_workers_makes_one_pair(cluster: Cluster) -> None:
    rounds, mentors_count = 5, 4
    a, b = Http(cluster.a), Http(cluster.b)
    try:
        mentor_tokens = [await a.register(f"Mentor{i}") for i in range(mentors_count)]
        mentee_tokens = [await b.register(f"Mentee{i}") for i in range(rounds)]
        program = await open_program(a, *mentor_tokens, *mentee_tokens)
        mentors = [
            await a.sign_up(token, program.program_id, "MENTOR", capacity=5)
            for token in mentor_tokens
        ]
        mentees = [await b.sign_up(token, program.program_id, "MENTEE") for token in mentee_tokens]

        for mentee in mentees:
            # Every mentor at once, for the same mentee, alternating the workers.
            payloads = await asyncio.gather(
                *(
                    (a if i % 2 == 0 else b).mutate(
                        CREATE_PAIR,
                        {"mentorSignUpId": mentor, "menteeSignUpId": mentee},
                        program.admin,
                    )
                    for i, mentor in enumerate(mentors)
                )
            )
            made = [p for p in payloads if p["pair"] is not None]
            refused = [p for p in payloads if p["pair"] is None]
            assert len(made) == 1, payloads
            assert made[0]["userErrors"] == []
            assert made[0]["menteeSignUp"]["status"] == "MATCHED"
            for payload in refused:
                assert [e["code"] for e in payload["userErrors"]] == ["MENTEE_ALREADY_PAIRED"]
                assert payload["mentorSignUp"] is None and payload["menteeSignUp"] is None

        # What both workers now read from the shared database.
        for http in (a, b):
            pairs = (await http.data(PROGRAM_PAIRS, {"id": program.program_id}, program.admin))[
                "program"
            ]["pairs"]
            assert pairs["totalCount"] == rounds
            mentees_paired = [edge["node"]["mentee"]["id"] for edge in pairs["edges"]]
            assert len(set(mentees_paired)) == rounds
            states = [
                (await http.data(SIGN_UP_STATE, {"id": s}, program.admin))["node"]
                for s in (*mentors, *mentees)
            ]
            assert sum(s["activePairCount"] for s in states[:mentors_count]) == rounds
            assert all(s["status"] == "MATCHED" for s in states[mentors_count:])
            assert all(s["activePairCount"] == 1 for s in states[mentors_count:])
    finally:
        await a.aclose()
        await b.aclose()


# --- 3. a worker SIGKILLed mid-stream ------------------------------------------------------


async def test_a_killed_worker_loses_nothing_the_client_resumes_on_the_other(
    cluster: Cluster, request: pytest.FixtureRequest
) -> None:
    total = 14
    kill_after = 4
    b = Http(cluster.b)
    try:
        pair = await active_pair(b)
        client = ResumingClient([cluster.a, cluster.b], pair.mentee, pair.pair_id)
        client.start()
        expected = Expected()
        killed_at: float | None = None
        try:

            async def produce() -> None:
                # A steady stream of mutations through B, before, during and after the kill.
                for n in range(total):
                    if n in (3, 9):
                        await complete_milestone(b, pair, 0 if n == 3 else 1, expected)
                    else:
                        author = pair.mentor if n % 2 else pair.mentee
                        await post_check_in(b, pair, author, f"stream {n}", expected)
                    await asyncio.sleep(0.1)

            producer = asyncio.create_task(produce())
            try:
                await client.wait_for_sequence(kill_after)
                assert not producer.done(), "the kill must come mid-stream"
                cluster.a.kill()
                killed_at = time.monotonic()
                await asyncio.wait_for(producer, EVENT_TIMEOUT * 2)
            finally:
                if not producer.done():
                    producer.cancel()
                    with suppress(asyncio.CancelledError):
                        await producer
            await client.wait_for_sequence(total)
            # One more event after everything: any repeat would have come before it.
            sentinel = await post_check_in(b, pair, pair.mentor, "sentinel", expected)
            await client.wait_for_sequence(sentinel)
        finally:
            await client.stop()

        assert_exactly_once_in_order(client.events, expected)
        on_a = [r for r in client.received if r.worker == "A"]
        on_b = [r for r in client.received if r.worker == "B"]
        assert len(on_a) >= kill_after and on_b, [r.worker for r in client.received]
        assert client.received == on_a + on_b  # A until it died, then B only
        assert [i.worker for i in client.interruptions][:1] == ["A"]
        assert killed_at is not None
        failover = on_b[0].at - killed_at
        report(
            request,
            f"SIGKILL of worker A: {len(on_a)} events on A, {len(on_b)} on B after resuming "
            f"with the last cursor, 0 lost, 0 duplicated; first event on B "
            f"{failover:.3f} s after the kill; interruptions: "
            f"{[(i.worker, i.outcome) for i in client.interruptions]}",
            failover_seconds=round(failover, 3),
        )
    finally:
        await b.aclose()
        # Worker A comes back for the next test (the `cluster` fixture checks as well).
        if not cluster.a.running:
            cluster.a.stop()
            cluster.a.start()


# --- 4. Redis stopped and restarted under a subscriber -------------------------------------


async def test_redis_outage_every_event_arrives_once_after_resuming(
    cluster: Cluster, request: pytest.FixtureRequest
) -> None:
    a, b = Http(cluster.a), Http(cluster.b)
    try:
        pair = await active_pair(b)
        client = ResumingClient([cluster.a], pair.mentee, pair.pair_id)
        client.start()
        expected = Expected()
        try:
            # Before: live through Redis, B -> A.
            await complete_milestone(b, pair, 0, expected)
            await client.wait_for_sequence(1)
            for n in range(2):
                sequence = await post_check_in(b, pair, pair.mentor, f"before {n}", expected)
                await client.wait_for_sequence(sequence)
            before = len(expected.items)
            assert client.interruptions == []

            # Redis goes away.
            cluster.redis.stop()
            down_at = time.monotonic()

            # Mutations keep succeeding, through both workers, all through the outage.
            latencies: list[float] = []

            async def mutate_during_outage(numbers: range) -> None:
                for n in numbers:
                    started = time.monotonic()
                    if n == 4:
                        await complete_milestone(a, pair, 1, expected)
                    else:
                        http = a if n % 2 else b
                        author = pair.mentee if n % 3 else pair.mentor
                        await post_check_in(http, pair, author, f"during outage {n}", expected)
                    latencies.append(time.monotonic() - started)

            await mutate_during_outage(range(4))

            # The open subscription ended with UNAVAILABLE (the client keeps retrying).
            await client.wait_until(
                lambda: any(i.at > down_at for i in client.interruptions),
                "the subscription to end when Redis went away",
            )
            first = next(i for i in client.interruptions if i.at > down_at)
            assert "UNAVAILABLE" in first.codes, client.interruptions

            # A new subscription fails fast while Redis is down.
            probe = await Socket.open(cluster.b, pair.mentor)
            try:
                started = time.monotonic()
                await probe.subscribe("probe", {"pairId": pair.pair_id, "after": None})
                with pytest.raises(SubscriptionEnded) as refused:
                    await asyncio.wait_for(probe.next_event("probe"), EVENT_TIMEOUT)
                refused_in = time.monotonic() - started
                assert "UNAVAILABLE" in refused.value.codes, refused.value
            finally:
                await probe.close()
            # More changes while the client keeps retrying, then a while with none.
            attempts_before = client.subscribe_attempts
            await mutate_during_outage(range(4, 8))
            during = len(expected.items)
            await asyncio.sleep(1.0)
            assert client.subscribe_attempts > attempts_before, "the client stopped retrying"
            delivered_during_outage = [
                e["sequence"] for e in client.events if e["sequence"] > before
            ]

            # Redis comes back (same port, empty: no persistence).
            up_at = cluster.redis.start()
            outage = up_at - down_at
            await client.wait_for_sequence(during)
            caught_up_at = max(r.at for r in client.received if r.event["sequence"] <= during)
            catch_up = caught_up_at - up_at

            # Live again after the outage, and a sentinel flushes out any repeat.
            for n in range(2):
                sequence = await post_check_in(b, pair, pair.mentor, f"after {n}", expected)
                await client.wait_for_sequence(sequence)
            sentinel = await post_check_in(a, pair, pair.mentee, "sentinel", expected)
            await client.wait_for_sequence(sentinel)
        finally:
            await client.stop()

        assert_exactly_once_in_order(client.events, expected)
        assert {r.worker for r in client.received} == {"A"}
        report(
            request,
            f"Redis outage of {outage:.2f} s: {during - before} events committed during it "
            f"(mutation latency max {max(latencies):.3f} s), "
            f"{len(delivered_during_outage)} delivered before Redis was back; "
            f"new subscription refused in {refused_in:.3f} s; "
            f"{client.subscribe_attempts} subscribe attempts, "
            f"{len(client.interruptions)} interruptions; "
            f"catch-up after Redis restart: {catch_up:.3f} s; 0 lost, 0 duplicated",
            catch_up_seconds=round(catch_up, 3),
            outage_seconds=round(outage, 3),
        )
    finally:
        await a.aclose()
        await b.aclose()
        if not cluster.redis.running:
            cluster.redis.start()


# --- 5. racing retries with one Idempotency-Key, through both workers ----------------------

CHECK_IN_COUNT = "query($id: ID!) { pair(id: $id) { checkInCount } }"


async def test_racing_retries_with_one_idempotency_key_through_both_workers_run_once(
    cluster: Cluster,
) -> None:
    """The same keyed check-in sent four times at once, alternating the workers: one
    posts it, the others wait on the key's row in PostgreSQL and answer with its response."""
    rounds, racers = 5, 4
    a, b = Http(cluster.a), Http(cluster.b)
    try:
        pair = await active_pair(a)
        for n in range(rounds):
            body = f"Sent four times at once, posted once ({n})."
            request = {
                "query": POST_CHECK_IN,
                "variables": {"input": {"pairId": pair.pair_id, "body": body}},
            }
            headers = {
                "Authorization": f"Bearer {pair.mentee}",
                "Idempotency-Key": f"race-{n}-{secrets.token_hex(8)}",
            }
            responses = await asyncio.gather(
                *(
                    (a if i % 2 == 0 else b).client.post("/graphql", json=request, headers=headers)
                    for i in range(racers)
                )
            )
            assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
            assert len({r.content for r in responses}) == 1, [r.text for r in responses]
            assert responses[0].json()["data"]["postCheckIn"]["checkIn"]["body"] == body
            assert sum("idempotent-replayed" in r.headers for r in responses) == racers - 1

        for http in (a, b):
            count = await http.data(CHECK_IN_COUNT, {"id": pair.pair_id}, pair.mentee)
            assert count["pair"]["checkInCount"] == rounds
    finally:
        await a.aclose()
        await b.aclose()
