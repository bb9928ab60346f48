"""The outbox relay on the embedded default (SQLite, memory://), with real processes.

A writer process commits a check-in and its event, then is SIGKILLed before it could
publish: what a crash between commit and publish leaves. The running server's relay
publishes it to an open subscription within the bound, with no later event. Then the
server itself is SIGKILLed, another event is committed while it is down, and the
restarted server's relay publishes it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schema.ids import decode_id
from tests import servers
from tests.test_scale_out import (
    Expected,
    Http,
    ResumingClient,
    Worker,
    active_pair,
    assert_exactly_once_in_order,
    complete_milestone,
    report,
)

pytestmark = pytest.mark.timeout(120)

BOUND = 5.0

# Commit a check-in and its event like postCheckIn, then die before publishing.
CRASHING_WRITER = """
import asyncio, os, signal, sys
from tortoise import Tortoise
from tortoise.transactions import in_transaction
from api import clock
from api.db import tortoise_config
from api.services import events
from models import CheckIn, Pair
from models.enums import PairEventKind

async def main(url, pair_pk, author_pk, body):
    await Tortoise.init(config=tortoise_config(url))
    async with in_transaction():
        pair = await Pair.filter(pk=pair_pk).select_for_update().get()
        check_in = await CheckIn.create(
            pair_id=pair.pk, author_id=author_pk, body=body, created_at=clock.now()
        )
        pair.check_in_count += 1
        await events.record(pair, PairEventKind.CHECK_IN_POSTED, check_in_id=check_in.pk)
        await pair.save(update_fields=["check_in_count", "event_count"])
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
"""


def _crash_after_commit(database_url: str, pair_pk: int, author_pk: int, body: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, database_url, str(pair_pk), str(author_pk), body],
        cwd=servers.ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == -9, done.stdout + done.stderr  # killed after its commit


def _migrate(env: dict[str, str]) -> None:
    migrated = subprocess.run(
        [sys.executable, "-m", "api", "migrate"],
        cwd=servers.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr


def _published_at(path: Path, pair_pk: int, sequence: int) -> str | None:
    with sqlite3.connect(path, timeout=5) as db:
        row = db.execute(
            "SELECT published_at FROM pair_events WHERE pair_id = ? AND sequence = ?",
            (pair_pk, sequence),
        ).fetchone()
    assert row is not None
    return row[0]


async def test_a_crash_after_commit_is_published_by_the_relay_and_after_restart(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "relay.db"
    database_url = f"sqlite://{path}"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BROADCAST_URL="memory://",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        LOG_LEVEL="info",
    )
    await asyncio.to_thread(_migrate, env)
    worker = Worker("S", servers.free_port(), env, tmp_path / "serve.log")
    await asyncio.to_thread(worker.start)
    http = Http(worker)
    client: ResumingClient | None = None
    try:
        pair = await active_pair(http)
        pair_pk = decode_id(pair.pair_id)[1]
        mentor_pk = decode_id(
            (await http.data("{ viewer { id } }", None, pair.mentor))["viewer"]["id"]
        )[1]
        expected = Expected()
        client = ResumingClient([worker], pair.mentee, pair.pair_id)
        client.start()
        await complete_milestone(http, pair, 0, expected)
        await client.wait_for_sequence(1)  # live from here on

        # 1. A writer dies between commit and publish; the server's relay publishes.
        committed = time.monotonic()
        await asyncio.to_thread(_crash_after_commit, database_url, pair_pk, mentor_pk, "lost?")
        expected.add("CheckInPostedEvent", "lost?")
        await asyncio.wait_for(client.wait_for_sequence(2), BOUND + 1)
        delay = client.received[-1].at - committed
        assert delay <= BOUND, delay
        assert client.subscribe_attempts == 1  # delivered live, not by a replay

        # 2. The server is killed; an event is committed while it is down; after the
        # restart its relay publishes it (and the client resumes by cursor).
        worker.kill()
        await asyncio.to_thread(_crash_after_commit, database_url, pair_pk, mentor_pk, "down")
        expected.add("CheckInPostedEvent", "down")
        assert _published_at(path, pair_pk, 3) is None
        restarted = time.monotonic()
        await asyncio.to_thread(worker.start)
        deadline = restarted + servers.STARTUP_DEADLINE + BOUND
        while _published_at(path, pair_pk, 3) is None:
            assert time.monotonic() < deadline, "the restarted relay never published it"
            await asyncio.sleep(0.1)
        published_after = time.monotonic() - restarted
        await client.wait_for_sequence(3)
        await asyncio.sleep(0.5)  # room for a repeat to show up
    finally:
        if client is not None:
            await client.stop()
        await http.aclose()
        worker.stop()
    assert_exactly_once_in_order(client.events, expected)
    report(
        request,
        f"SQLite: a writer killed after commit, delivered live by the relay in {delay:.3f} s; "
        f"an event committed while the server was down published {published_after:.3f} s "
        "after the restart began; 0 lost, 0 duplicated",
    )
