"""The read pages' reference: a plain Starlette endpoint that runs the same SQL as the API
and answers the same JSON bytes, with nothing else around it. `BENCH_PAGE` says which
page: `dashboard` (an admin's program page, the default) or `member` (a member's pairs
with their milestones and check-ins).

It replays the statements bench/capture.py recorded from the API (the request's bearer
token hashed in place of the recorded one), on the same database connection class the
API uses, and builds the response from the rows by hand with orjson. Served by uvicorn
with the API's settings (uvloop, httptools, one worker).

    BENCH_STATEMENTS=statements.json DATABASE_URL=sqlite:///x.db PORT=8001 \
        [BENCH_PAGE=member] python -m bench.baseline
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise import Tortoise
from tortoise.connection import connections

from api.auth import bearer_token, hash_token
from api.db import tortoise_config
from bench.capture import Statement, load
from schema.ids import encode_id

_TABLE = re.compile(r'\bFROM "(\w+)"')


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.isoformat()


def assemble(results: list[tuple[Statement, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The dashboard's `data`, from the rows of the recorded statements (by table)."""
    names: dict[int, str] = {}
    program: dict[str, Any] | None = None
    page: list[dict[str, Any]] = []
    total = 0
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    page_size = 0
    for statement, rows in results:
        match = _TABLE.search(statement.sql)
        table = match.group(1) if match else ""
        if table == "users":
            names.update((row["id"], row["name"]) for row in rows)
        elif table == "programs":
            program = rows[0] if rows else None
        elif table == "pairs" and "COUNT(" in statement.sql:
            total = next(iter(rows[0].values()))
        elif table == "pairs":
            # The page query fetches one row more than the page, to know if there's a next.
            page_size = int(statement.params[-1]) - 1
            page = rows[:page_size]
        elif table == "milestones":
            for row in rows:
                milestones[row["pair_id"]].append(row)
    if program is None:
        return {"program": None}
    edges = [
        {
            "node": {
                "id": encode_id("Pair", pair["id"]),
                "status": pair["status"],
                "mentor": {"name": names[pair["mentor_id"]]},
                "mentee": {"name": names[pair["mentee_id"]]},
                "milestones": [
                    {
                        "title": milestone["title"],
                        "completedAt": _iso(milestone["completed_at"]),
                        "completedBy": {"name": names[milestone["completed_by_id"]]}
                        if milestone["completed_by_id"] is not None
                        else None,
                    }
                    for milestone in milestones[pair["id"]]
                ],
            }
        }
        for pair in page
    ]
    return {"program": {"title": program["title"], "pairs": {"totalCount": total, "edges": edges}}}


def assemble_member(results: list[tuple[Statement, list[dict[str, Any]]]]) -> dict[str, Any]:
    """The member's page `data`, from the rows of the recorded statements (by table)."""
    names: dict[int, str] = {}
    page: list[dict[str, Any]] = []
    milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    check_ins: dict[int, list[dict[str, Any]]] = {}
    for statement, rows in results:
        match = _TABLE.search(statement.sql)
        table = match.group(1) if match else ""
        if table == "users":
            names.update((row["id"], row["name"]) for row in rows)
        elif table == "pairs":
            page = rows[: int(statement.params[-1]) - 1]  # one more than the page
        elif table == "milestones":
            for row in rows:
                milestones[row["pair_id"]].append(row)
        elif table == "check_ins":
            size = int(statement.params[-1]) - 1
            for row in rows[:size]:
                check_ins.setdefault(row["pair_id"], []).append(row)
    edges = [
        {
            "node": {
                "id": encode_id("Pair", pair["id"]),
                "status": pair["status"],
                "milestones": [
                    {"title": row["title"], "completedAt": _iso(row["completed_at"])}
                    for row in milestones[pair["id"]]
                ],
                "checkIns": {
                    "edges": [
                        {
                            "node": {
                                "body": row["body"],
                                "createdAt": _iso(row["created_at"]),
                                "author": {"name": names[row["author_id"]]},
                            }
                        }
                        for row in check_ins.get(pair["id"], [])
                    ]
                },
            }
        }
        for pair in page
    ]
    return {"viewer": {"pairs": {"edges": edges}}}


ASSEMBLERS = {"dashboard": assemble, "member": assemble_member}


def create_app(
    statements: list[Statement], database_url: str, page: str = "dashboard"
) -> Starlette:
    recorded_hash = statements[0].params[0] if statements and statements[0].params else None
    build = ASSEMBLERS[page]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
        try:
            yield
        finally:
            await Tortoise.close_connections()

    async def graphql(request: Request) -> Response:
        orjson.loads(await request.body())  # a real endpoint reads its request
        token = bearer_token(request.headers.get("authorization"))
        token_hash = hash_token(token) if token else None
        connection = connections.get("default")
        results = []
        for statement in statements:
            params = [token_hash if value == recorded_hash else value for value in statement.params]
            results.append((statement, await connection.execute_query_dict(statement.sql, params)))
        data = build(results)
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", health)],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    app = create_app(
        load(Path(os.environ["BENCH_STATEMENTS"])),
        os.environ["DATABASE_URL"],
        os.environ.get("BENCH_PAGE", "dashboard"),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        log_level="warning",
        loop=os.environ.get("SERVER_LOOP", "uvloop"),
        http=os.environ.get("SERVER_HTTP", "httptools"),
    )


if __name__ == "__main__":
    main()
