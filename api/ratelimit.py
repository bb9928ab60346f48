"""Rate limits on mutations, per user and per IP.

Every mutation operation (one HTTP request, or one `subscribe` message carrying a
mutation over the websocket) counts one hit against the client's IP and, when signed
in, one against the user. Over either per-minute limit the whole operation is refused
before anything runs: a top-level `RATE_LIMITED` error whose `extensions.retryAfter` is
the number of seconds until the current window ends (HTTP answers also carry a
`Retry-After` header). `register` and `login` are mutations, so they count against the IP.
Queries and subscriptions are not limited. Refused attempts count too: a client that
keeps hammering stays refused until the window ends.

- Settings: RATE_LIMIT_USER_PER_MINUTE (default 60), RATE_LIMIT_IP_PER_MINUTE (default
  120). Zero or a negative value turns that limit off.
- Windows are fixed minutes of the wall clock (`ratelimit:<kind>:<id>:<minute>`), so a
  client can at worst do twice its limit across the boundary of two minutes.
- Storage: with BROADCAST_URL=redis://... the counters live in that Redis (INCR + EXPIRE
  in one MULTI), so the limits hold across workers. Otherwise in process memory: only
  the current minute is kept, and at most `MEMORY_MAX_KEYS` clients in it.
- Availability over strictness: when Redis is unreachable or slow, mutations are
  allowed (fail open), a warning is logged, and Redis is left alone for a few seconds.
- The IP is the ASGI client address (`request.client.host`). Behind a reverse proxy it is
  the proxy's: run uvicorn with `--proxy-headers --forwarded-allow-ips=<proxy IPs>` so
  that it becomes the real client's. An operation without a client address is limited
  per user only.

Also here: `RateLimited`, the error every limit raises (the check-in flood limit in
`api.services.flood` too), and `check_in_limit`, which carries the serving app's
CHECK_INS_PER_PAIR_PER_HOUR to that check while an operation runs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, Protocol

from graphql import ExecutionResult as GraphQLExecutionResult
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.responses import Response
from strawberry.types.graphql import OperationType

from api.errors import ApiError
from api.settings import Settings
from api.words import wait_words

log = logging.getLogger("api.ratelimit")

WINDOW_S = 60  # the per-minute limits count in fixed windows of this many seconds
KEY_PREFIX = "ratelimit"  # Redis keys: f"{KEY_PREFIX}:{kind}:{id}:{window}"
MEMORY_MAX_KEYS = 100_000  # clients tracked per window in memory; more are not counted
REDIS_TIMEOUT_S = 0.5  # connect and per-call socket timeout
REDIS_PAUSE_S = 5.0  # after a Redis failure, allow without asking it for this long

# The serving app's CHECK_INS_PER_PAIR_PER_HOUR, set by the extension for each operation
# (see api.services.flood). None outside an operation.
check_in_limit: ContextVar[int | None] = ContextVar("check_in_limit", default=None)


def wall_clock() -> float:
    """Seconds since the epoch. The windows must agree across workers, hence wall time."""
    return time.time()


class RateLimited(ApiError):
    """Too many requests: try again in `retry_after` seconds (`extensions.retryAfter`)."""

    code = "RATE_LIMITED"
    default_message = "Too many requests. Try again in a moment."

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message or f"Too many requests. Try again {wait_words(self.retry_after)}.")
        self.extensions = {"code": self.code, "retryAfter": self.retry_after}


# --- counters ---------------------------------------------------------------------------


class Counter(Protocol):
    async def hit(self, keys: Sequence[str], window: int) -> list[int | None]:
        """Add one to each key's count in `window`; the new counts, None where unknown
        (not tracked, or the store is unavailable): an unknown count is allowed."""
        ...


class MemoryCounter:
    """Counts in this process only. Keeps the current window alone, and at most
    `max_keys` keys in it: a flood of new clients past that is not counted (and logged)."""

    def __init__(self, max_keys: int = MEMORY_MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._window: int | None = None
        self._counts: dict[str, int] = {}
        self._full_warned = False

    def __len__(self) -> int:
        return len(self._counts)

    async def hit(self, keys: Sequence[str], window: int) -> list[int | None]:
        if window != self._window:
            self._window, self._counts, self._full_warned = window, {}, False
        counts: list[int | None] = []
        for key in keys:
            if key not in self._counts and len(self._counts) >= self.max_keys:
                if not self._full_warned:
                    log.warning("rate limit: %d clients this minute, not counting more", len(self))
                    self._full_warned = True
                counts.append(None)
                continue
            self._counts[key] = self._counts.get(key, 0) + 1
            counts.append(self._counts[key])
        return counts


class RedisCounter:
    """Counts in Redis, shared by every worker. Fails open: None counts on any trouble.

    The client is made lazily, bound to the running event loop (and remade if the app is
    served from another loop later); its connections live as long as the process.
    """

    def __init__(self, url: str, prefix: str | None = None) -> None:
        self.url = url
        self.prefix = prefix if prefix is not None else KEY_PREFIX
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._paused_until = 0.0

    def _redis(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = aioredis.Redis.from_url(
                self.url,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                socket_timeout=REDIS_TIMEOUT_S,
                retry=Retry(NoBackoff(), 1),  # a connection left stale by a restart fails once
                protocol=2,
            )
            self._loop = loop
        return self._client

    def key(self, key: str, window: int) -> str:
        return f"{self.prefix}:{key}:{window}"

    async def hit(self, keys: Sequence[str], window: int) -> list[int | None]:
        if not keys or time.monotonic() < self._paused_until:
            return [None] * len(keys)
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_S * 3):
                pipe = self._redis().pipeline(transaction=True)
                for key in keys:
                    pipe.incr(self.key(key, window))
                    # Kept a little past its window, for clocks that disagree slightly.
                    pipe.expire(self.key(key, window), WINDOW_S * 2)
                replies = await pipe.execute()
        except (aioredis.RedisError, OSError, TimeoutError) as exc:
            self._paused_until = time.monotonic() + REDIS_PAUSE_S
            log.warning(
                "rate limit: Redis unavailable (%r); allowing mutations unchecked for %.0f s",
                exc,
                REDIS_PAUSE_S,
            )
            return [None] * len(keys)
        return [int(replies[2 * i]) for i in range(len(keys))]

    async def aclose(self) -> None:
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()


def make_counter(settings: Settings) -> Counter:
    if settings.broadcast_url.startswith(("redis://", "rediss://")):
        return RedisCounter(settings.broadcast_url)
    return MemoryCounter()


# --- the extension ----------------------------------------------------------------------


def client_ip(request: Any) -> str | None:
    client = getattr(request, "client", None)
    return client.host if client is not None and client.host else None


class RateLimit:
    """Refuse a mutation operation over the per-user or per-IP limit; schema/pipeline.py
    asks once per operation, before it executes."""

    def __init__(self, *, settings: Settings, counter: Counter) -> None:
        self.settings = settings
        self.counter = counter

    async def refuse_if_over(self, execution: Any) -> None:
        """Set a RATE_LIMITED result on a mutation over a limit: Strawberry then skips
        running it. `execution` is Strawberry's ExecutionContext of the operation."""
        # operation_type honours operationName: the operation that will actually run.
        if execution.result is None and execution.operation_type == OperationType.MUTATION:
            refusal = await self.refusal(execution.context)
            if refusal is not None:
                execution.result = GraphQLExecutionResult(data=None, errors=[refusal])

    async def refusal(self, context: Any) -> RateLimited | None:
        """The RATE_LIMITED error for a mutation over a limit (its Retry-After header
        set on the response), or None."""
        refusal = await self.check(context)
        if refusal is not None:
            response = getattr(context, "response", None)
            if isinstance(response, Response):
                response.headers["Retry-After"] = str(refusal.retry_after)
        return refusal

    async def check(self, context: Any) -> RateLimited | None:
        user_limit = self.settings.rate_limit_user_per_minute
        ip_limit = self.settings.rate_limit_ip_per_minute
        keys: list[str] = []
        limits: list[int] = []
        if ip_limit > 0 and (ip := client_ip(getattr(context, "request", None))) is not None:
            keys.append(f"ip:{ip}")
            limits.append(ip_limit)
        if user_limit > 0:
            viewer = await context.viewer_or_none()  # cached on the context for the resolvers
            if viewer is not None:
                keys.append(f"user:{viewer.pk}")
                limits.append(user_limit)
        if not keys:
            return None
        moment = wall_clock()
        window = int(moment // WINDOW_S)
        counts = await self.counter.hit(keys, window)
        if any(
            count is not None and count > limit for count, limit in zip(counts, limits, strict=True)
        ):
            return RateLimited((window + 1) * WINDOW_S - moment)
        return None
