"""Probes: /healthz (the process answers) and /readyz (it can serve: the database and the
broadcast backend answer, and it is not shutting down).

/readyz runs its checks concurrently, each bounded by CHECK_TIMEOUT_S, and answers 200
with every check's result, or 503 naming the ones that failed. Only the exception's
class name goes out (the endpoint is public); the details go to the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import Tortoise

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0


async def healthz(request: Request) -> JSONResponse:
    """Alive: no dependency is consulted (a restart would not fix a database outage)."""
    return JSONResponse({"status": "ok"})


async def check_database() -> None:
    await Tortoise.get_connection("default").execute_query("SELECT 1")


async def _run_check(name: str, check: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure is "not ready"; what failed goes to the log
        log.warning("readiness check %s failed: %r", name, exc)
        reason = "Timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        return {"ok": False, "error": reason}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


async def readyz(request: Request) -> JSONResponse:
    pubsub = request.app.state.pubsub
    names = ("database", "broadcast")
    results = await asyncio.gather(
        _run_check("database", check_database),
        _run_check("broadcast", pubsub.ping),
    )
    checks: dict[str, Any] = dict(zip(names, results, strict=True))
    if request.app.state.drain.draining:
        checks["shutdown"] = {"ok": False, "error": "ShuttingDown"}
    ready = all(check["ok"] for check in checks.values())
    body = {
        "status": "ready" if ready else "unavailable",
        "failed": [name for name, check in checks.items() if not check["ok"]],
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/readyz", readyz)]
