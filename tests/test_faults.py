"""Crash and fault tests against a real `python -m api serve` process.

1. SIGKILL mid-flood: dozens of mutations (check-ins, milestone completions, sign-ups,
   createPair) in flight through one worker when it is killed. After a restart on the same
   database, every acknowledged change is there, nothing is there that was not sent,
   in-flight ones are there at most once, and every denormalized counter (a pair's
   check-in, milestone and event counts, a sign-up's active pairs and slots, a group's
   members) equals a recount of the rows: no half-written pair, sign-up or counter.
   Runs on the suite's backend (SQLite in `make test`, PostgreSQL + Redis in
   `make test-scaled`).
2. PostgreSQL restarted under load: a worker serves on a PostgreSQL cluster of the
   test's own (initdb in a temporary directory, on a free port, so the shared server and
   the other tests never notice), which is stopped and started again while requests flow.
   During the outage every request fails within 10 s with `UNAVAILABLE` and /readyz
   answers 503; afterwards the same worker serves again by itself, and every
   acknowledged check-in is in the database. Needs the PostgreSQL server binaries and
   root (or the postgres user); runs in the PostgreSQL pass only.

Each test prints what it measured.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import servers
from tests.backends import TEST_BROADCAST_URL, TEST_DATABASE_URL, _asyncpg_dsn
from tests.helpers import CREATE_PAIR, JOIN_GROUP, SIGN_UP
from tests.live_clients import COMPLETE, POST_CHECK_IN, WAIT_S, Http, active_pair

pytestmark = pytest.mark.timeout(120)


def report(request: pytest.FixtureRequest, message: str) -> None:
    """Print a measurement to the terminal, even without -s."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        print(f"\n[faults] {message}", flush=True)


def _env(database_url: str, broadcast_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BROADCAST_URL=broadcast_url,
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        RATE_LIMIT_USER_PER_MINUTE="0",
        RATE_LIMIT_IP_PER_MINUTE="0",
        CHECK_INS_PER_PAIR_PER_HOUR="100000",
        LOG_LEVEL="warning",
        LOG_FORMAT="text",
    )
    return env


async def _rows(database_url: str, sql: str) -> list[dict[str, Any]]:
    """Rows of one query, read straight from the database (not through the server)."""
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite://").split("?")[0]
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql)]
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(database_url), timeout=WAIT_S)
    try:
        return [dict(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


# Every denormalized counter against a recount of its rows: each query returns the rows
# that disagree (none, when the database is consistent).
COUNTER_CHECKS = {
    "pairs.check_in_count": """
        SELECT p.id, p.check_in_count AS stored, (SELECT count(*) FROM check_ins c
          WHERE c.pair_id = p.id) AS counted FROM pairs p""",
    "pairs.event_count": """
        SELECT p.id, p.event_count AS stored, (SELECT count(*) FROM pair_events e
          WHERE e.pair_id = p.id) AS counted,
          (SELECT coalesce(max(sequence), 0) FROM pair_events e WHERE e.pair_id = p.id) AS top
        FROM pairs p""",
    "pairs.milestone_count": """
        SELECT p.id, p.milestone_count AS stored, (SELECT count(*) FROM milestones m
          WHERE m.pair_id = p.id) AS counted FROM pairs p""",
    "pairs.completed_milestone_count": """
        SELECT p.id, p.completed_milestone_count AS stored, (SELECT count(*) FROM milestones m
          WHERE m.pair_id = p.id AND m.completed_at IS NOT NULL) AS counted FROM pairs p""",
    "sign_ups.active_pair_count": """
        SELECT s.id, s.active_pair_count AS stored, (SELECT count(*) FROM pairs p
          WHERE (p.mentor_sign_up_id = s.id OR p.mentee_sign_up_id = s.id)
            AND p.status = 'ACTIVE') AS counted FROM sign_ups s""",
    "sign_ups.slots_used": """
        SELECT s.id, s.slots_used AS stored, (SELECT count(*) FROM pairs p
          WHERE (p.mentor_sign_up_id = s.id AND p.status = 'ACTIVE')
             OR (p.mentee_sign_up_id = s.id AND p.status IN ('ACTIVE', 'COMPLETED'))
          ) AS counted FROM sign_ups s""",
    "groups.member_count": """
        SELECT g.id, g.member_count AS stored, (SELECT count(*) FROM group_memberships m
          WHERE m.group_id = g.id) AS counted FROM groups g""",
}


async def _counter_mismatches(database_url: str) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for name, sql in COUNTER_CHECKS.items():
        bad = [
            row
            for row in await _rows(database_url, sql)
            if row["stored"] != row["counted"] or row.get("top", row["counted"]) != row["counted"]
        ]
        if bad:
            found[name] = bad
    return found


# --- 1. SIGKILL mid-flood ----------------------------------------------------------------


def _database_id(global_id: str) -> int:
    """The row id in a Relay global id (`base64("Type:id")`)."""
    return int(base64.b64decode(global_id).decode().rpartition(":")[2])


@dataclass
class Outcomes:
    """What each mutation's client saw: acknowledged (an answer), or cut off (in flight)."""

    acknowledged: dict[str, dict] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)


async def test_sigkill_mid_flood_keeps_exactly_the_acknowledged_changes(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = _env(database_url, TEST_BROADCAST_URL)
    log_path = tmp_path / "serve.log"
    port = servers.free_port()
    process = servers.start_serve(env, port, log_path)
    http = Http(f"http://127.0.0.1:{port}")
    try:
        # A program with 6 active pairs, 8 mentees and 4 mentors waiting to be paired,
        # and 12 members who have not signed up yet.
        pairs = [await active_pair(http) for _ in range(6)]
        admin, program_id = pairs[0].admin, pairs[0].program_id
        group_of = await http.data(
            "query($id: ID!) { program(id: $id) { group { id } } }", {"id": program_id}, admin
        )
        group_id = group_of["program"]["group"]["id"]
        waiting_mentees, waiting_mentors, members = [], [], []
        for n in range(24):
            token = await http.register(f"Member{n}")
            await http.ok(JOIN_GROUP, {"groupId": group_id}, token)
            if n < 8:
                waiting_mentees.append(await http.sign_up(token, program_id, "MENTEE"))
            elif n < 12:
                waiting_mentors.append(await http.sign_up(token, program_id, "MENTOR", 2))
            else:
                members.append(token)
        mentee_answers = await http.answers(members[0], program_id, "MENTEE")
        # Mutations of every kind, all sent at once.
        mutations: list[tuple[str, str, dict, str]] = []  # (key, query, input, token)
        for n in range(30):
            pair = pairs[n % len(pairs)]
            mutations.append(
                (
                    f"check-in {n}",
                    POST_CHECK_IN,
                    {"pairId": pair.pair_id, "body": f"flood {n}"},
                    pair.mentor if n % 2 else pair.mentee,
                )
            )
        for n, pair in enumerate(pairs):
            mutations.append(
                (f"milestone {n}", COMPLETE, {"milestoneId": pair.milestones[0]}, pair.mentor)
            )
        for n, token in enumerate(members):
            mutations.append(
                (
                    f"sign-up {n}",
                    SIGN_UP,
                    {"programId": program_id, "role": "MENTEE", "answers": mentee_answers},
                    token,
                )
            )
        for n, mentee in enumerate(waiting_mentees):
            mentor = waiting_mentors[n % len(waiting_mentors)]
            mutations.append(
                (
                    f"pair {n}",
                    CREATE_PAIR,
                    {"mentorSignUpId": mentor, "menteeSignUpId": mentee},
                    admin,
                )
            )
        random.Random(13).shuffle(mutations)  # every kind both answered and cut off
        outcomes = Outcomes()
        first_acks = asyncio.Event()

        async def send(key: str, query: str, input: dict, token: str) -> None:
            outcomes.sent.add(key)
            try:
                body = await http.post(query, {"input": input}, token)
            except (httpx.TransportError, ValueError):
                outcomes.in_flight.add(key)
                return
            assert not body.get("errors"), body
            payload = next(iter(body["data"].values()))
            assert payload["userErrors"] == [], (key, payload)
            outcomes.acknowledged[key] = payload
            if len(outcomes.acknowledged) >= 12:
                first_acks.set()

        flood = [asyncio.create_task(send(*m)) for m in mutations]
        await asyncio.wait_for(first_acks.wait(), 30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed_with = len(mutations) - len(outcomes.acknowledged)
        await asyncio.wait_for(asyncio.gather(*flood), 30)
        assert outcomes.sent == {m[0] for m in mutations}
        assert len(outcomes.acknowledged) + len(outcomes.in_flight) == len(mutations)
        assert len(outcomes.in_flight) >= 10, "the kill must come mid-flood"

        # Restart on the same database: it serves again, and the rows tell the story.
        await http.aclose()
        process = servers.start_serve(env, port, log_path)
        http = Http(f"http://127.0.0.1:{port}")
        check_ins = {
            row["body"]: row["n"]
            for row in await _rows(
                database_url,
                "SELECT body, count(*) AS n FROM check_ins WHERE body LIKE 'flood %' GROUP BY body",
            )
        }
        completed = {
            row["id"]
            for row in await _rows(
                database_url, "SELECT id FROM milestones WHERE completed_at IS NOT NULL"
            )
        }
        mentee_sign_ups = (
            await _rows(database_url, "SELECT count(*) AS n FROM sign_ups WHERE role = 'MENTEE'")
        )[0]["n"]
        pair_count = (await _rows(database_url, "SELECT count(*) AS n FROM pairs"))[0]["n"]
        mismatches = await _counter_mismatches(database_url)
        pairs_without_milestones = await _rows(
            database_url,
            "SELECT id FROM pairs p WHERE NOT EXISTS "
            "(SELECT 1 FROM milestones m WHERE m.pair_id = p.id)",
        )
        sign_ups_without_answers = await _rows(
            database_url,
            "SELECT id FROM sign_ups s WHERE NOT EXISTS "
            "(SELECT 1 FROM answers a WHERE a.sign_up_id = s.id)",
        )
        alive = await http.data("{ __typename }")
    finally:
        await http.aclose()
        servers.stop(process)

    def tally(kind: str, present: int) -> tuple[int, int, int]:
        """(acknowledged, in flight, found in the database) for one kind of mutation."""
        acked = len([k for k in outcomes.acknowledged if k.startswith(kind)])
        cut = len([k for k in outcomes.in_flight if k.startswith(kind)])
        return acked, cut, present

    flood_bodies = {m[2]["body"] for m in mutations if "body" in m[2]}
    acked_bodies = {
        outcomes.acknowledged[k]["checkIn"]["body"]
        for k in outcomes.acknowledged
        if k.startswith("check-in")
    }
    acked_milestones = {
        _database_id(outcomes.acknowledged[k]["milestone"]["id"])
        for k in outcomes.acknowledged
        if k.startswith("milestone")
    }
    figures = {
        "check-ins": tally("check-in", sum(check_ins.values())),
        "milestones": tally("milestone", len(completed)),
        "sign-ups": tally("sign-up", mentee_sign_ups - len(waiting_mentees) - len(pairs)),
        "pairs": tally("pair ", pair_count - len(pairs)),
    }
    duplicated = [body for body, n in check_ins.items() if n > 1]
    report(
        request,
        f"SIGKILL with {killed_with} of {len(mutations)} mutations unanswered; "
        f"(acknowledged, in flight, found) per kind: {figures}; "
        f"acknowledged but lost: {len(acked_bodies - set(check_ins))} check-ins, "
        f"{len(acked_milestones - completed)} milestones; duplicated {len(duplicated)}; "
        f"counter mismatches {sum(len(v) for v in mismatches.values())}, pairs without "
        f"milestones {len(pairs_without_milestones)}, sign-ups without answers "
        f"{len(sign_ups_without_answers)}",
    )
    assert alive == {"__typename": "Query"}
    assert not duplicated, duplicated
    assert set(check_ins) <= flood_bodies
    assert acked_bodies <= set(check_ins)
    assert acked_milestones <= completed
    for kind, (acked, cut, present) in figures.items():
        assert acked <= present <= acked + cut, (kind, acked, cut, present)
    assert not mismatches, mismatches
    assert not pairs_without_milestones, pairs_without_milestones
    assert not sign_ups_without_answers, sign_ups_without_answers


# --- 2. PostgreSQL restarted under load ---------------------------------------------------

PG_BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
OUTAGE_S = 3.0
FAIL_WITHIN_S = 10.0


def _as_postgres(command: list[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL server command as the postgres user (initdb refuses root)."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@dataclass
class PrivateCluster:
    """A PostgreSQL cluster of this test's own: initdb in a temporary directory, on a free
    port, stopped and started at will without touching the shared server."""

    bin: Path
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        done = _as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-w",
                "start",
                "-l",
                str(self.data.parent / "postgres.log"),
            ]
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self) -> None:
        _as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if not TEST_DATABASE_URL:
        pytest.skip("a PostgreSQL test: runs in the PostgreSQL pass (make test-scaled)")
    if not PG_BINARIES or not shutil.which("runuser") and os.geteuid() == 0:
        pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
    # Not under pytest's own temporary directory: the postgres user cannot enter it.
    root = Path(tempfile.mkdtemp(prefix="mentorship-pg-restart-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = PrivateCluster(PG_BINARIES[-1].parent, root / "data", servers.free_port())
    made = _as_postgres(
        [
            str(cluster.bin / "initdb"),
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        ]
    )
    if made.returncode != 0:
        pytest.skip(f"initdb failed (root or the postgres user is needed): {made.stderr[-300:]}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_postgres_restart_fails_fast_with_unavailable_then_serves_again(
    private_cluster: PrivateCluster, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    migrated = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "api", "migrate"],
        cwd=servers.ROOT,
        env=_env(private_cluster.url, "memory://"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    env = _env(private_cluster.url, "memory://")
    port = servers.free_port()
    process = servers.start_serve(env, port, tmp_path / "serve.log")
    http = Http(f"http://127.0.0.1:{port}", timeout=30)
    try:
        pair = await active_pair(http)
        acknowledged: list[str] = []
        outcomes: list[tuple[float, float, str]] = []  # (started, took, code or "ok")
        ready: list[tuple[float, int]] = []
        stop_at = asyncio.Event()
        t0 = time.monotonic()

        async def writer(lane: int) -> None:
            n = 0
            while not stop_at.is_set():
                body = f"lane {lane} #{n}"
                n += 1
                started = time.monotonic()
                answer = await http.post(
                    POST_CHECK_IN, {"input": {"pairId": pair.pair_id, "body": body}}, pair.mentor
                )
                took = time.monotonic() - started
                if answer.get("errors"):
                    codes = [e.get("extensions", {}).get("code") for e in answer["errors"]]
                    outcomes.append((started - t0, took, ",".join(map(str, codes))))
                else:
                    assert answer["data"]["postCheckIn"]["userErrors"] == [], answer
                    acknowledged.append(body)
                    outcomes.append((started - t0, took, "ok"))
                await asyncio.sleep(0.05)

        async def probe() -> None:
            while not stop_at.is_set():
                response = await http.client.get("/readyz")
                ready.append((time.monotonic() - t0, response.status_code))
                await asyncio.sleep(0.25)

        load = [asyncio.create_task(writer(lane)) for lane in range(4)]
        load.append(asyncio.create_task(probe()))
        await asyncio.sleep(1.0)
        down_at = time.monotonic() - t0
        await asyncio.to_thread(private_cluster.stop)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(private_cluster.start)
        up_at = time.monotonic() - t0
        # Serving again by itself: wait for an acknowledged check-in after the restart.
        deadline = time.monotonic() + 15
        while not any(s > up_at and code == "ok" for s, _, code in outcomes):
            assert time.monotonic() < deadline, outcomes[-10:]
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        stop_at.set()
        await asyncio.wait_for(asyncio.gather(*load), 30)
        stored = {
            row["body"] for row in await _rows(private_cluster.url, "SELECT body FROM check_ins")
        }
    finally:
        await http.aclose()
        servers.stop(process)

    failed = [(s, took, code) for s, took, code in outcomes if code != "ok"]
    recovered = min(s + took for s, took, code in outcomes if s > up_at and code == "ok")
    not_ready = [at for at, status in ready if status == 503]
    report(
        request,
        f"PostgreSQL down {down_at:.2f}-{up_at:.2f} s: {len(outcomes)} check-ins sent, "
        f"{len(acknowledged)} acknowledged, {len(failed)} failed with codes "
        f"{sorted({code for _, _, code in failed})}, slowest failure "
        f"{max((t for _, t, _ in failed), default=0):.3f} s; /readyz 503 {len(not_ready)} "
        f"times; first success {recovered - up_at:.2f} s after the restart; "
        f"lost {len(set(acknowledged) - stored)}, duplicated "
        f"{len(acknowledged) - len(set(acknowledged))}",
    )
    assert failed, "the outage must be felt"
    assert {code for _, _, code in failed} == {"UNAVAILABLE"}, failed
    assert all(took < FAIL_WITHIN_S for _, took, _ in failed)
    assert not_ready and all(down_at <= at for at in not_ready)
    assert ready[-1][1] == 200
    assert set(acknowledged) <= stored
