"""`python -m api backup FILE` (api/backup.py): a copy of the SQLite database taken while
a real server writes to it holds every row committed before it, no half of a commit,
and serves again once restored; a PostgreSQL DATABASE_URL and a FILE that cannot be
written are one-line errors. And every command of docs/operations.md's Backups section
runs as written (the PostgreSQL ones when the suite runs on PostgreSQL).

Real files and processes throughout: `seed-demo`'s database, `python -m api serve` on it,
a client posting check-ins over HTTP while the backups are taken, and SQLite reading
the copies and the live database (as a second reader, which WAL allows).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests import servers
from tests.backends import _asyncpg_dsn, run_sync

ROOT = servers.ROOT
PASSWORD = "mentorship-demo"  # the demo's (api/demo.py)
CLI_TIMEOUT = 60
# A check-in's transaction writes these tables, and nothing else changes while it runs
# (but the outbox relay's `published_at`, which `tables` leaves out).
WRITTEN = {"check_ins", "pair_events", "pairs"}
LOGIN = "mutation($input: LoginInput!) { login(input: $input) { token } }"
MY_PAIR = "{ viewer { pairs(first: 1) { edges { node { id checkInCount } } } } }"
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { code message } }
}"""


def cli_env(database: Path | str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    url = database if isinstance(database, str) else f"sqlite://{database}"
    env.update(
        DATABASE_URL=url,
        BROADCAST_URL="memory://",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        LOG_LEVEL="warning",
        **extra,
    )
    return env


def run_cli(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def tables(path: Path) -> dict[str, set[tuple]]:
    """Every row of every table, in one read transaction (a consistent view)."""
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30) as db:
        db.execute("BEGIN")
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        found = {}
        for name in names:
            # Less the outbox's `published_at`: the server's relay marks rows (the seed's,
            # published by no server) at its own pace, apart from the writes checked here.
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{name}")')]
            kept = ", ".join(f'"{c}"' for c in columns if c != "published_at")
            found[name] = set(db.execute(f'SELECT {kept} FROM "{name}"'))
        db.execute("COMMIT")
    return found


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


@dataclass
class Writer:
    """Posts numbered check-ins into one pair, one after another, until stopped."""

    base_url: str
    token: str
    pair_id: str
    acked: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=10) as http:
            number = 0
            while not self.stop.is_set():
                number += 1
                body = {"pairId": self.pair_id, "body": f"backup test #{number}"}
                try:
                    answer = http.post(
                        "/graphql", json={"query": POST_CHECK_IN, "variables": {"input": body}}
                    ).json()
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                    return
                if answer.get("errors") or answer["data"]["postCheckIn"]["userErrors"]:
                    self.failures.append(str(answer))
                    return
                self.acked.append(number)


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make run`'s demo data, seeded once; each test copies it."""
    path = tmp_path_factory.mktemp("backup-demo") / "demo.db"
    seeded = run_cli("seed-demo", env=cli_env(path))
    assert seeded.returncode == 0, seeded.stderr
    return path


@pytest.fixture
def live(demo_database: Path, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A server writing to its own copy of the demo database: (its file, its URL)."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the SQLite backup runs once, in `make test`")
    database = tmp_path / "live" / "mentorship.db"
    database.parent.mkdir()
    shutil.copy(demo_database, database)
    env = cli_env(
        database,
        CHECK_INS_PER_PAIR_PER_HOUR="1000000",
        RATE_LIMIT_USER_PER_MINUTE="0",
        RATE_LIMIT_IP_PER_MINUTE="0",
        REMINDER_INTERVAL_S="0",  # no background writes: every change is the writer's
    )
    with servers.serving(env, tmp_path / "server.log") as (port, _):
        yield database, f"http://127.0.0.1:{port}"


def sign_in(base_url: str, email: str) -> tuple[str, str, int]:
    """(token, the person's first pair's id, its check-in count)."""
    with httpx.Client(base_url=base_url, timeout=10) as http:
        login = {"query": LOGIN, "variables": {"input": {"email": email, "password": PASSWORD}}}
        token = http.post("/graphql", json=login).json()["data"]["login"]["token"]
        pairs = http.post(
            "/graphql", json={"query": MY_PAIR}, headers={"Authorization": f"Bearer {token}"}
        ).json()["data"]["viewer"]["pairs"]["edges"]
    return token, pairs[0]["node"]["id"], pairs[0]["node"]["checkInCount"]


def wait_for(writer: Writer, count: int, timeout: float = 20.0) -> None:
    """Until the writer has `count` acknowledged check-ins in all."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while len(writer.acked) < count and not deadline.is_set() and not writer.failures:
            writer.stop.wait(0.01)
    finally:
        timer.cancel()
    assert not writer.failures, writer.failures
    assert len(writer.acked) >= count, f"only {len(writer.acked)} check-ins in {timeout} s"


@pytest.mark.timeout(180)
def test_a_backup_taken_while_the_server_writes_holds_every_committed_row(
    live: tuple[Path, str], tmp_path: Path
) -> None:
    database, base_url = live
    token, pair_id, seeded_check_ins = sign_in(base_url, "mentor@example.com")
    before = tables(database)  # the server is idle: what the demo (and the login) left

    writer = Writer(base_url, token, pair_id)
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    copies: list[tuple[Path, int, int]] = []  # (copy, acked before it began, after it ended)
    try:
        for round_ in range(3):
            wait_for(writer, 20 * (round_ + 1))
            target = tmp_path / "backups" / f"copy-{round_}.db"
            target.parent.mkdir(exist_ok=True)
            acked_before = len(writer.acked)
            done = run_cli("backup", str(target), env=cli_env(database))
            acked_after = len(writer.acked)
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith(f"Backed up {database} to {target} (")
            assert len(done.stdout.strip().splitlines()) == 1
            copies.append((target, acked_before, acked_after))
        wait_for(writer, len(writer.acked) + 10)  # the server went on writing after them
    finally:
        writer.stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive() and not writer.failures, writer.failures
    after = tables(database)
    changed = {name for name in after if after[name] != before[name]}
    assert changed == WRITTEN, "a check-in wrote elsewhere: the comparison below needs it"

    pair_pk = next(row[0] for row in after["pairs"] if row not in before["pairs"])
    for copy, acked_before, acked_after in copies:
        assert integrity(copy) == "ok"
        rows = tables(copy)
        # Untouched tables: every row, as it was.
        assert {name: rows[name] for name in rows if name not in WRITTEN} == {
            name: before[name] for name in before if name not in WRITTEN
        }
        # The writer's check-ins: a prefix, each row exactly as the server committed it,
        # with nothing committed before the backup began missing (the copy is one moment).
        new_check_ins = rows["check_ins"] - before["check_ins"]
        assert before["check_ins"] <= rows["check_ins"] and new_check_ins <= after["check_ins"]
        numbers = sorted(int(row_text.rsplit("#", 1)[1]) for row_text in _bodies(new_check_ins))
        taken = len(numbers)
        assert numbers == list(range(1, taken + 1))
        assert acked_before <= taken <= acked_after + 1  # one may be committed, not yet acked
        # ...and with them, their other halves: one event each, and the pair's counters.
        new_events = rows["pair_events"] - before["pair_events"]
        assert before["pair_events"] <= rows["pair_events"] and new_events <= after["pair_events"]
        assert len(new_events) == taken
        pair_row = _pair(copy, pair_pk)
        assert pair_row["check_in_count"] == seeded_check_ins + taken
        assert pair_row["event_count"] == max(_sequences(copy, pair_pk))
        assert rows["pairs"] - before["pairs"] <= {r for r in rows["pairs"] if r[0] == pair_pk}

    # Restore the last copy as the docs say (the copy becomes mentorship.db) and serve it.
    copy, _, _ = copies[-1]
    taken = len(_bodies(tables(copy)["check_ins"] - before["check_ins"]))
    restored = tmp_path / "restored" / "mentorship.db"
    restored.parent.mkdir()
    shutil.copy(copy, restored)
    with servers.serving(cli_env(restored), tmp_path / "restored.log") as (port, _):
        restored_url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{restored_url}/readyz", timeout=10).status_code == 200
        _, restored_pair, count = sign_in(restored_url, "mentor@example.com")
        assert restored_pair == pair_id
        assert count == seeded_check_ins + taken
    assert tables(restored) == tables(copy) | {
        # Signing in wrote a session; nothing else changed.
        "auth_tokens": tables(restored)["auth_tokens"]
    }


def _bodies(check_ins: set[tuple]) -> list[str]:
    return [next(v for v in row if isinstance(v, str) and "backup test #" in v) for row in check_ins]  # fmt: skip


def _pair(path: Path, pair_pk: int) -> dict[str, object]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM pairs WHERE id = ?", (pair_pk,)).fetchone())


def _sequences(path: Path, pair_pk: int) -> list[int]:
    with sqlite3.connect(path) as db:
        return [s for (s,) in db.execute("SELECT sequence FROM pair_events WHERE pair_id = ?", (pair_pk,))]  # fmt: skip


# --- refusals ---------------------------------------------------------------------------


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_postgresql_is_refused_with_a_pointer_to_the_docs(tmp_path: Path) -> None:
    env = cli_env("postgres://mentorship:secret@127.0.0.1:1/mentorship")
    error = one_line_error(run_cli("backup", str(tmp_path / "copy.db"), env=env))
    assert "pg_dump" in error and "docs/operations.md" in error
    assert not (tmp_path / "copy.db").exists()


def test_a_file_that_cannot_be_written_is_one_line(demo_database: Path, tmp_path: Path) -> None:
    env = cli_env(demo_database)
    missing_dir = tmp_path / "no" / "such" / "dir" / "copy.db"
    error = one_line_error(run_cli("backup", str(missing_dir), env=env))
    assert error.startswith(f"Cannot write the backup to {missing_dir}: ")
    assert "No such file or directory" in error

    a_directory = tmp_path / "backups"
    a_directory.mkdir()
    error = one_line_error(run_cli("backup", str(a_directory), env=env))
    assert error == f"Cannot write the backup to {a_directory}: it is a directory."

    # The database itself, or its WAL, is no place for a copy of it.
    for itself in (demo_database, Path(f"{demo_database}-wal")):
        error = one_line_error(run_cli("backup", str(itself), env=env))
        assert "it is the database itself" in error
    assert integrity(demo_database) == "ok"
    assert list(a_directory.iterdir()) == []  # no partial file left behind


def test_no_database_is_an_error_and_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    existing = tmp_path / "copy.db"
    existing.write_bytes(b"an earlier backup")
    error = one_line_error(run_cli("backup", str(existing), env=cli_env(missing)))
    assert error.startswith(f"No database at {missing}")
    assert not missing.exists()
    assert existing.read_bytes() == b"an earlier backup"  # replaced only by a good copy
    error = one_line_error(run_cli("backup", "x.db", env=cli_env("sqlite://:memory:")))
    assert "in-memory" in error


def test_an_existing_file_is_replaced_by_a_complete_copy(
    demo_database: Path, tmp_path: Path
) -> None:
    target = tmp_path / "latest.db"
    target.write_bytes(b"yesterday's backup")
    done = run_cli("backup", str(target), env=cli_env(demo_database), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.db"]  # one file, no WAL
    assert target.stat().st_mode & 0o077 == 0  # password hashes and tokens: owner only
    assert integrity(target) == "ok"
    assert tables(target) == tables(demo_database)


# --- the operations guide's backup commands, run as written ------------------------------

OPERATIONS = ROOT / "docs" / "operations.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
# Each command block of the guide's Backups section, by how it begins.
SQLITE_BACKUP, SQLITE_TOOL, SQLITE_RESTORE = "mkdir -p backups", "sqlite3 ", "BACKUP="
PG_DUMP, PG_RESTORE = "pg_dump ", "DUMP="
DOCUMENTED_RESTORE_URL = "postgres://mentorship:secret@db.internal:5432/"


def backup_blocks() -> list[str]:
    section = OPERATIONS.read_text(encoding="utf-8").split("\n## Backups\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [text for language, text in BLOCK.findall(section) if language == "sh"]


def backup_block(beginning: str) -> str:
    [found] = [text for text in backup_blocks() if text.startswith(beginning)]
    return found


def test_every_backup_command_in_the_guide_is_run_here() -> None:
    """The tests below run each block; a new one needs a test."""
    known = (SQLITE_BACKUP, SQLITE_TOOL, SQLITE_RESTORE, PG_DUMP, PG_RESTORE)
    assert sorted(backup_blocks()) == sorted(backup_block(b) for b in known)


def run_block(text: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A block of the guide in bash, failing on its first failing command."""
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{text}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def server_directory(tmp_path: Path, demo_database: Path) -> Path:
    """Where the guide's commands run: the server's working directory, with the demo's
    `mentorship.db` and `.venv` (this interpreter's virtualenv)."""
    work = tmp_path / "server"
    work.mkdir()
    shutil.copy(demo_database, work / "mentorship.db")
    (work / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return work


def guide_env() -> dict[str, str]:
    """The commands' environment: DATABASE_URL left at its default, mentorship.db."""
    env = cli_env("unused")
    del env["DATABASE_URL"]
    return env


@pytest.mark.timeout(120)
def test_the_guides_sqlite_backup_and_restore_run_as_written(server_directory: Path) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite's backup commands run once, in `make test`")
    work = server_directory
    database = work / "mentorship.db"
    with servers.serving(cli_env(database), work.parent / "server.log") as (port, _):
        done = run_block(backup_block(SQLITE_BACKUP), work, guide_env())
        [backup] = (work / "backups").iterdir()
        assert re.fullmatch(r"mentorship-\d{8}T\d{6}Z\.db", backup.name)
        assert done.stdout.strip().startswith(f"Backed up mentorship.db to backups/{backup.name}")
        served = tables(database)
        assert tables(backup) == served and integrity(backup) == "ok"

    restore = backup_block(SQLITE_RESTORE)
    documented = re.search(r"^BACKUP=(\S+)", restore, re.MULTILINE)
    assert documented is not None
    run_block(restore.replace(documented.group(1), f"backups/{backup.name}"), work, guide_env())
    assert (work / "replaced" / "mentorship.db").is_file()
    assert database.read_bytes() == backup.read_bytes()
    with servers.serving(cli_env(database), work.parent / "restored.log") as (port, _):
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
        assert tables(database) == served


@pytest.mark.timeout(120)
def test_the_guides_sqlite3_tool_commands_run_as_written(server_directory: Path) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite's backup commands run once, in `make test`")
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 tool here (apt-get install sqlite3)")
    work = server_directory
    (work / "backups").mkdir()
    with servers.serving(cli_env(work / "mentorship.db"), work.parent / "server.log"):
        done = run_block(backup_block(SQLITE_TOOL), work, guide_env())
        assert done.stdout.strip() == "ok"  # PRAGMA integrity_check
        assert tables(work / "backups" / "mentorship-copy.db") == tables(work / "mentorship.db")


@pytest.mark.timeout(120)
def test_the_guides_postgresql_dump_and_restore_run_as_written(api, tmp_path: Path) -> None:
    """On the suite's PostgreSQL database, with a story in it: the dump restores into a
    new database with every row, and `migrate` finds nothing to do there."""
    source = os.environ.get("TEST_DATABASE_URL")
    if not source:
        pytest.skip("runs when the suite runs on PostgreSQL (make test-scaled)")
    missing = [tool for tool in ("pg_dump", "pg_restore", "psql") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"PostgreSQL's client tools are missing: {', '.join(missing)}")
    story = api.story()
    api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    parts = urlsplit(source)
    restored_name = parts.path.lstrip("/") + "_restored"
    restored_url = urlunsplit((parts.scheme, parts.netloc, f"/{restored_name}", "", ""))
    (tmp_path / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    env = {**cli_env(source), "PGCONNECT_TIMEOUT": "10"}

    run_sync(lambda: _drop_database(source, restored_name))
    try:
        run_block(backup_block(PG_DUMP), tmp_path, env)
        [dump] = tmp_path.glob("mentorship-*.dump")
        restore = backup_block(PG_RESTORE)
        for documented in ("mentorship-2026-11-29.dump", DOCUMENTED_RESTORE_URL, "mentorship_restored"):  # fmt: skip
            assert documented in restore, documented
        restore = (
            restore.replace("mentorship-2026-11-29.dump", dump.name)
            .replace(DOCUMENTED_RESTORE_URL, f"{parts.scheme}://{parts.netloc}/")
            .replace("mentorship_restored", restored_name)
        )
        done = run_block(restore, tmp_path, env)
        assert "pending" not in done.stdout + done.stderr.lower()
        rows = run_sync(lambda: _rows(source))
        assert len(rows["users"]) == 3 and len(rows["pairs"]) == 1
        assert run_sync(lambda: _rows(restored_url)) == rows
    finally:
        run_sync(lambda: _drop_database(source, restored_name))


async def _rows(url: str) -> dict[str, list[str]]:
    """Every row of every table of a PostgreSQL database, sorted."""
    import asyncpg

    db = await asyncpg.connect(_asyncpg_dsn(url), timeout=10)
    try:
        names = [
            row["tablename"]
            for row in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {
            name: sorted(repr(tuple(row)) for row in await db.fetch(f'SELECT * FROM "{name}"'))
            for name in names
        }
    finally:
        await db.close()


async def _drop_database(url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_asyncpg_dsn(url, "postgres"), timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
