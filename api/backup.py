"""`python -m api backup FILE`: a consistent copy of the embedded SQLite database, taken
while the server runs (docs/operations.md, Backups).

`cp` is not a backup: in WAL mode the latest commits live in the `-wal` file until a
checkpoint, so a copied `.db` can be stale or torn. SQLite's online backup API
(`sqlite3.Connection.backup`) copies the database as of one moment instead. It runs in
one step: a single read transaction, during which the server goes on writing (WAL lets
readers and the writer proceed together). A step-by-step copy would start over after
each of the server's commits, and under steady traffic might never finish.

The copy is written to a temporary file beside FILE (readable by its owner only: it
holds password hashes and session tokens), checked with `PRAGMA quick_check`, and only
then renamed to FILE: a failed backup leaves no torn FILE, and an existing FILE is only
ever replaced by a good copy. PostgreSQL has its own tools (pg_dump), so a PostgreSQL
DATABASE_URL is refused with a pointer to the docs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url

DOCS = "docs/operations.md, Backups"
# The database and the files SQLite keeps beside it.
SQLITE_FILES = ("", "-wal", "-shm", "-journal")


class BackupError(Exception):
    """Why there is no backup, in one line for the operator."""


@dataclass(frozen=True)
class Backup:
    source: Path
    target: Path
    size_bytes: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"Backed up {self.source} to {self.target} "
            f"({self.size_bytes:,} bytes in {self.seconds:.2f} s)."
        )


def sqlite_file(database_url: str) -> Path:
    """The database file DATABASE_URL names, as Tortoise reads the URL."""
    if not database_url.startswith("sqlite"):
        raise BackupError(
            "DATABASE_URL is not SQLite: `backup` copies the embedded database only; back "
            f"up PostgreSQL with pg_dump or pg_basebackup ({DOCS})."
        )
    path = str(expand_db_url(database_url)["credentials"]["file_path"])
    if path == ":memory:" or "mode=memory" in path:
        raise BackupError("DATABASE_URL is an in-memory database: there is no file to back up.")
    return Path(path)


def backup(database_url: str, target: Path) -> Backup:
    """Copy the database DATABASE_URL names to `target` (see the module's docstring)."""
    source = sqlite_file(database_url)
    if not source.is_file():
        raise BackupError(f"No database at {source} (DATABASE_URL={database_url}).")
    if target.is_dir():
        raise BackupError(f"Cannot write the backup to {target}: it is a directory.")
    if target.resolve() in {source.resolve().with_name(source.name + s) for s in SQLITE_FILES}:
        raise BackupError(f"Cannot write the backup to {target}: it is the database itself.")
    started = time.perf_counter()
    partial = _partial_file(target)
    try:
        _copy(source, partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)
    except OSError as error:
        raise BackupError(f"Cannot write the backup to {target}: {error.strerror}.") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return Backup(source, target, target.stat().st_size, time.perf_counter() - started)


def _partial_file(target: Path) -> Path:
    """A new, empty file beside `target` (so the rename stays on one filesystem)."""
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as error:
        raise BackupError(f"Cannot write the backup to {target}: {error.strerror}.") from None
    os.close(handle)
    return Path(name)


def _copy(source: Path, partial: Path) -> None:
    """The online backup, in one step, then SQLite's own check of the copy. The source
    is opened read-only: a wrong path never creates an empty database."""
    try:
        reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise BackupError(f"Cannot read the database {source}: {error}.") from None
    try:
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy)  # pages=-1: every page in one step, one snapshot
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"The backup of {source} failed: {error}.") from None
    finally:
        reader.close()
    if verdict != "ok":
        raise BackupError(f"The copy of {source} failed SQLite's check: {verdict}.")


def _fsync(path: Path) -> None:
    """Make the copy, then its name, durable before saying it is done."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
