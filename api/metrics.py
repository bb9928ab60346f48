"""Prometheus metrics, served at /metrics (prometheus_client's text format).

What is counted, and where:
- `graphql_operations_total{operation,type,outcome}` and
  `graphql_operation_duration_seconds{type}` (queries and mutations; a subscription's
  lifetime is no latency): schema/observability.py, once per operation.
- `graphql_websocket_connections` and `graphql_subscriptions_active`: open right now.
- `pubsub_events_published_total`, `pubsub_publish_failures_total` and
  `pubsub_events_delivered_total` (events handed to a subscription in this process):
  api/pubsub.py.
- `python_gc_pause_seconds{generation}`: every cycle-collector pass, api/runtime.py;
  `python_gc_tracked_objects` when `METRICS_GC_OBJECTS` is on (`TrackedObjects`).
- `http_requests_in_progress` and `http_responses_total{method,status}`: api/logs.py's
  middleware (probes and scrapes not included in progress).
- `process_asyncio_tasks`, `hub_channels`, `hub_listeners`, `broadcast_channels` and
  `database_connections`: counts read when scraped (`LiveCounts`), so that a leak of
  tasks, subscribers or connections shows as a count that never comes back down
  (tests/test_leaks.py). Per process: not exported in multiprocess mode.

Operation names are labels, so their number is bounded: only the name of an operation
that passed validation counts, at most `metrics_max_operation_names` distinct ones per
process (first come), cut to 64 characters; the rest are `other`, nameless ones
`anonymous`, and operations that never validated `invalid`.

With several worker processes each has its own counters. Set PROMETHEUS_MULTIPROC_DIR
(a directory of its own) and /metrics sums every worker's (prometheus_client's
multiprocess mode). `serve` empties the directory at start-up, before this module is
imported: the files are created as the metrics are.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

disable_created_metrics()  # no `_created` series: half the output, nothing we read

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
NAME_LENGTH = 64

OPERATIONS = Counter(
    "graphql_operations",
    "GraphQL operations by operation name, type and outcome (ok, user_error, or the "
    "extensions.code of the first top-level error).",
    ["operation", "type", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "graphql_operation_duration_seconds",
    "Time from receiving a query or mutation to its result, by operation type.",
    ["type"],
)
WEBSOCKETS = Gauge(
    "graphql_websocket_connections",
    "Open graphql-transport-ws connections.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "graphql_subscriptions_active",
    "Subscriptions running right now.",
    multiprocess_mode="livesum",
)
PUBLISHED = Counter("pubsub_events_published", "Events handed to the broadcast backend.")
PUBLISH_FAILURES = Counter(
    "pubsub_publish_failures", "Events the broadcast backend refused (logged, not raised)."
)
DELIVERED = Counter("pubsub_events_delivered", "Events received by a subscription in this process.")
GC_PAUSE = Histogram(
    "python_gc_pause_seconds",
    "Cycle-collector passes by generation, as timed by gc.callbacks (api/runtime.py).",
    ["generation"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
HTTP_IN_PROGRESS = Gauge(
    "http_requests_in_progress",
    "HTTP requests being served right now (probes and scrapes excluded).",
    multiprocess_mode="livesum",
)
HTTP_RESPONSES = Counter(
    "http_responses", "HTTP responses by method and status code.", ["method", "status"]
)
_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS"})


def count_http_response(method: str, status: int) -> None:
    HTTP_RESPONSES.labels(method if method in _METHODS else "OTHER", str(status)).inc()


class OperationNames:
    """The label for an operation name: at most `limit` distinct names, then `other`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        name = name[:NAME_LENGTH]
        if name in self._seen:
            return name
        with self._lock:
            if len(self._seen) >= self.limit:
                return "other"
            self._seen.add(name)
        return name


_names: OperationNames | None = None


def operation_names(limit: int) -> OperationNames:
    """The process's name table (the first app's limit wins: labels are process-wide)."""
    global _names
    if _names is None:
        _names = OperationNames(limit)
    return _names


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def worker_stopped() -> None:
    """A worker leaving: its live gauges stop counting (multiprocess mode only)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


class TrackedObjects:
    """`python_gc_tracked_objects`: every object the cycle collector tracks, frozen ones
    included. Counting walks them all (about 100 ms at 5,000 subscriptions), so it is off
    unless `METRICS_GC_OBJECTS` asks for it (the bench does, to report objects per
    subscription)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        count = len(gc.get_objects()) + gc.get_freeze_count()
        yield GaugeMetricFamily(
            "python_gc_tracked_objects", "Objects the cycle collector tracks.", value=count
        )


_tracked: TrackedObjects | None = None


def count_tracked_objects(on: bool) -> None:
    """Serve `python_gc_tracked_objects` in this process's /metrics, or stop."""
    global _tracked
    if on and _tracked is None:
        _tracked = TrackedObjects()
        REGISTRY.register(_tracked)
    elif not on and _tracked is not None:
        REGISTRY.unregister(_tracked)
        _tracked = None


class LiveCounts:
    """Counts of what a served process holds open, read at scrape time: each is a
    `len()` of something the process keeps anyway (the event loop's task set walks its
    tasks: about 1 ms at 10,000), so it costs nothing while nobody scrapes. One per
    process, summing every serving app's bus (tests run several apps in one process)."""

    def __init__(self) -> None:
        self.buses: list[Any] = []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:  # scraped off the loop's thread: no loop, no tasks to count
            tasks = 0
        hubs = [bus.hub for bus in self.buses]
        for name, doc, value in (
            ("process_asyncio_tasks", "Live asyncio tasks on the event loop.", tasks),
            (
                "hub_channels",
                "Channels the fan-out hub listens on.",
                sum(hub.channel_count() for hub in hubs),
            ),
            (
                "hub_listeners",
                "Live subscriptions attached to the hub.",
                sum(hub.total() for hub in hubs),
            ),
            (
                "broadcast_channels",
                "Channels the broadcast holds any state for.",
                sum(bus.channel_count() for bus in self.buses),
            ),
            (
                "database_connections",
                "Open database connections (the asyncpg pool's size; 1 or 0 for SQLite).",
                database_connections(),
            ),
        ):
            yield GaugeMetricFamily(name, doc, value=value)


def database_connections() -> int:
    """Connections the ORM's default client holds open right now."""
    from tortoise import connections

    try:
        client = connections.get("default")
    except Exception:  # not initialised (or closed): nothing open
        return 0
    pool = getattr(client, "_pool", None)
    if pool is not None and hasattr(pool, "get_size"):
        return int(pool.get_size())
    return 1 if getattr(client, "_connection", None) is not None else 0


_live = LiveCounts()


def count_live(bus: Any) -> Callable[[], None]:
    """Count `bus`'s hub and broadcast in this process's /metrics; returns the undo."""
    if not _live.buses:
        REGISTRY.register(_live)
    _live.buses.append(bus)

    def undo() -> None:
        if bus in _live.buses:
            _live.buses.remove(bus)
            if not _live.buses:
                REGISTRY.unregister(_live)

    return undo


def exposition() -> bytes:
    if multiprocess_dir() is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def routes() -> list[Route]:
    return [Route("/metrics", metrics_endpoint, methods=["GET"])]
