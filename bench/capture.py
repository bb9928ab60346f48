"""The SQL the API issues for one dashboard request, captured from the real app once.

The baseline (bench/baseline.py) replays exactly these statements, so the two sides do
the same database work and differ only in what lies around it: GraphQL, Strawberry, the
ORM's model layer. Tortoise logs one line per statement on `tortoise.db_client` at DEBUG
(as tests/test_query_counts.py counts them), with the SQL and its parameters as the
record's arguments.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

with warnings.catch_warnings():  # Starlette 1.10 asks for httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings


def dashboard_query(page_size: int) -> str:
    """An admin's program page: each pair with its people and milestones."""
    return (
        "query Dashboard($id: ID!) { program(id: $id) { title "
        f"pairs(first: {page_size}) {{ totalCount "
        "edges { node { id status mentor { name } mentee { name } "
        "milestones { title completedAt completedBy { name } } } } } } }"
    )


def member_query(pairs: int, check_ins: int) -> str:
    """A member's pairs page: each of their pairs with its milestones and check-ins."""
    return (
        f"query Member {{ viewer {{ pairs(first: {pairs}) {{ edges {{ node {{ id status "
        "milestones { title completedAt } "
        f"checkIns(first: {check_ins}) "
        "{ edges { node { body createdAt author { name } } } } } } } } }"
    )


@dataclass
class Statement:
    sql: str
    params: list[Any]


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[Statement] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg == "%s: %s" and len(args) == 2:
            self.statements.append(Statement(str(args[0]), list(args[1] or [])))
        elif not args and isinstance(record.msg, str):
            self.statements.append(Statement(record.msg, []))


@contextmanager
def recording() -> Iterator[_Recorder]:
    logger = logging.getLogger("tortoise.db_client")
    recorder, level = _Recorder(), logger.level
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)


def capture(env: dict[str, str], token: str, body: dict[str, Any]) -> list[Statement]:
    """Run a page's query twice in-process (the first warms up), record the second."""
    app = create_app(Settings.from_env(env))
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        client.post("/graphql", json=body, headers=headers).raise_for_status()
        with recording() as recorder:
            response = client.post("/graphql", json=body, headers=headers)
        response.raise_for_status()
        if response.json().get("errors"):
            raise RuntimeError(f"the page's query failed: {response.text[:500]}")
    return recorder.statements


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return {"$datetime": value.isoformat()}
    return value


def save(statements: list[Statement], path: Path) -> None:
    rows = [{"sql": s.sql, "params": [_plain(p) for p in s.params]} for s in statements]
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")


def load(path: Path) -> list[Statement]:
    def revive(value: Any) -> Any:
        if isinstance(value, dict) and "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        return value

    rows = json.loads(path.read_text(encoding="utf-8"))
    return [Statement(row["sql"], [revive(p) for p in row["params"]]) for row in rows]
