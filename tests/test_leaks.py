"""Nothing leaks: 10,000 subscriptions and 10,000 HTTP requests through one real worker
(`python -m api serve`, as tests/servers.py starts it), then every count the process
exposes on /metrics comes back to where it was before.

The subscriptions are real: 2,000 websockets, each with `connection_init` and a token,
each subscribing five times to a pair's `pairEvents` (after its latest cursor); one
check-in is posted per batch and every one of the 10,000 subscriptions must receive it.
Half the sockets then `complete` their operations and close; the other half just close
(a client that goes away). The 10,000 HTTP requests are queries and check-ins over 20
successive keep-alive clients, 25 requests in flight.

Counted, before (after a warm-up) and after (once the process is quiet):
`process_asyncio_tasks`, `process_open_fds`, `hub_channels`, `hub_listeners`,
`broadcast_channels` and `database_connections` (api/metrics.py). The first five must
come back to exactly their baseline; the database's pool may have grown under load but
never past its maximum (5), and on PostgreSQL it matches what the server itself sees.

RSS may not come back: CPython keeps freed arenas and the allocator its pages, so the
warm-up is one full batch (1,000 subscriptions live at once) and its peak is in the
baseline. Measured here (2 cores shared, Python 3.11, SQLite): RSS 148.4 MiB after the
warm-up, 162.0 MiB after the run and after settling, a growth of 13.6 MiB. The bound is
40 MiB, about three times that; a leak of 4 KiB per subscription or request (a frame, a
task) would add 80 MiB.

Heavy (the load takes about 22 s, the test 30 s, on this 2-core machine): marked
one_python, so CI runs it once per backend on the default Python.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from contextlib import nullcontext, suppress
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.backends import TEST_BROADCAST_URL, TEST_DATABASE_URL
from tests.live_clients import (
    PAIR_EVENTS,
    POST_CHECK_IN,
    WAIT_S,
    Http,
    Pair,
    Socket,
    active_pair,
    scrape,
)

pytestmark = [pytest.mark.one_python, pytest.mark.timeout(180)]

SUBSCRIPTIONS = 10_000
PER_SOCKET = 10  # WS_MAX_SUBSCRIPTIONS is 20
SOCKETS_PER_BATCH = 100
HTTP_REQUESTS = 10_000
HTTP_CLIENTS = 20  # successive keep-alive clients: fresh connections too
HTTP_CONCURRENCY = 25
RSS_BOUND_MIB = 40
POOL_MAX = 5  # Tortoise's asyncpg pool default (maxsize)
EXACT = ("process_asyncio_tasks", "process_open_fds", "hub_channels", "hub_listeners")
EXACT += ("broadcast_channels",)
SETTLE_S = 20.0

VIEWER = "query Viewer { viewer { id name } }"


def report(request: pytest.FixtureRequest, message: str) -> None:
    """Print a measurement to the terminal, even without -s."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else nullcontext():
        print(f"\n[leaks] {message}", flush=True)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        BROADCAST_URL=TEST_BROADCAST_URL,
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="64",
        RATE_LIMIT_USER_PER_MINUTE="0",
        RATE_LIMIT_IP_PER_MINUTE="0",
        CHECK_INS_PER_PAIR_PER_HOUR="1000000",
        REMINDER_INTERVAL_S="0",  # no periodic task coming and going
        LOG_LEVEL="warning",
        LOG_FORMAT="text",
    )
    with servers.serving(env, tmp_path / "serve.log") as (port, _process):
        yield f"127.0.0.1:{port}"


async def _post_check_in(http: Http, pair: Pair, body: str) -> None:
    await http.ok(POST_CHECK_IN, {"pairId": pair.pair_id, "body": body}, pair.mentor)


async def _subscription_batch(
    ws_url: str, http: Http, pair: Pair, sockets: int, body: str, cursor: str | None
) -> tuple[int, str]:
    """`sockets` websockets, PER_SOCKET subscriptions each, after `cursor`; one check-in
    that every one must receive; then half complete and close, half just close. Returns
    the events received and the check-in's cursor (the next batch's `after`)."""

    async def open_one(index: int) -> Socket:
        token = pair.mentee if index % 2 else pair.mentor
        sock = await Socket.open(ws_url, token)
        for n in range(PER_SOCKET):
            await sock.subscribe(f"s{n}", PAIR_EVENTS, {"pairId": pair.pair_id, "after": cursor})
        return sock

    cursors: set[str] = set()

    async def finish(index: int, sock: Socket) -> int:
        try:
            waiting = {f"s{n}" for n in range(PER_SOCKET)}
            while waiting:
                frame = await sock.receive()
                assert frame["type"] == "next", frame
                event = frame["payload"]["data"]["pairEvents"]
                assert event["checkIn"]["body"] == body, event
                cursors.add(event["cursor"])
                waiting.remove(frame["id"])
            if index % 2 == 0:
                for n in range(PER_SOCKET):
                    await sock.complete(f"s{n}")
            return PER_SOCKET
        finally:
            await sock.close()

    opened = await asyncio.gather(*(open_one(i) for i in range(sockets)), return_exceptions=True)
    socks = [s for s in opened if isinstance(s, Socket)]
    try:
        failures = [s for s in opened if not isinstance(s, Socket)]
        assert not failures, failures[:3]
        await _post_check_in(http, pair, body)
        counts = await asyncio.gather(*(finish(i, s) for i, s in enumerate(socks)))
    finally:
        await asyncio.gather(*(s.close() for s in socks))
    assert len(cursors) == 1, cursors
    return sum(counts), cursors.pop()


async def _http_flood(host: str, port: int, pair: Pair, requests: int, clients: int) -> int:
    """`requests` GraphQL POSTs over `clients` successive rounds of HTTP_CONCURRENCY
    keep-alive connections: mostly `{ __typename }`, one in ten `viewer` with a token,
    one in fifty a check-in. A bare HTTP/1.1 client: httpx's own CPU would be most of
    the test's time on two cores."""
    bodies = {
        "typename": json.dumps({"query": "query Typename { __typename }"}),
        "viewer": json.dumps({"query": VIEWER}),
    }
    done = 0
    per_connection = requests // clients // HTTP_CONCURRENCY

    async def connection(round_: int, lane: int) -> int:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), WAIT_S)
        ok = 0
        try:
            for n in range(per_connection):
                headers = {}
                if n % 50 == 0:
                    body = json.dumps(
                        {
                            "query": POST_CHECK_IN,
                            "variables": {
                                "input": {
                                    "pairId": pair.pair_id,
                                    "body": f"http {round_}.{lane}.{n}",
                                }
                            },
                        }
                    )
                    headers["Authorization"] = f"Bearer {pair.mentor}"
                elif n % 10 == 0:
                    body = bodies["viewer"]
                    headers["Authorization"] = f"Bearer {pair.mentee}"
                else:
                    body = bodies["typename"]
                answer = await _round_trip(reader, writer, body, headers)
                assert (
                    "errors" not in answer
                    and 'userErrors":[]' in answer
                    or ("userErrors" not in answer and "errors" not in answer)
                ), answer
                ok += 1
        finally:
            writer.close()
            with suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), WAIT_S)
        return ok

    for round_ in range(clients):
        done += sum(
            await asyncio.gather(*(connection(round_, lane) for lane in range(HTTP_CONCURRENCY)))
        )
    return done


async def _round_trip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: str, headers: dict
) -> str:
    """One POST /graphql on a keep-alive connection; the response body as text."""
    payload = body.encode()
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(
        (
            f"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n{head}\r\n"
        ).encode()
        + payload
    )
    await writer.drain()
    status_and_headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
    status = status_and_headers.split(b" ", 2)[1]
    assert status == b"200", status_and_headers
    length = 0
    for line in status_and_headers.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return (await asyncio.wait_for(reader.readexactly(length), WAIT_S)).decode()


async def _settled(scraper: httpx.AsyncClient, baseline: dict[str, float]) -> dict[str, float]:
    """Scrape until every exact count is back at its baseline (or SETTLE_S passed)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        now = await scrape(scraper)
        if all(now[name] == baseline[name] for name in EXACT) or time.monotonic() > deadline:
            return now
        await asyncio.sleep(0.25)


async def _pg_backends(database_url: str) -> int:
    """Connections to the test database as PostgreSQL counts them, but for this one."""
    import asyncpg

    from tests.backends import _asyncpg_dsn

    connection = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()


async def test_10000_subscriptions_and_requests_leave_nothing_behind(
    server: str, database_url: str, request: pytest.FixtureRequest
) -> None:
    base, ws_url = f"http://{server}", f"ws://{server}/graphql"
    host, port = server.split(":")[0], int(server.split(":")[1])
    http = Http(base)
    # One long-lived connection for scraping: its fd is part of the baseline.
    scraper = httpx.AsyncClient(base_url=base, timeout=WAIT_S)
    try:
        # One pair for the subscriptions, one for the HTTP flood's check-ins: each batch
        # subscribes after the previous batch's event and so replays nothing.
        pair, busy = await active_pair(http), await active_pair(http)
        # Warm-up, one full batch: the plans, caches, pools, lazy imports and the peak
        # working set (the allocator keeps it) of a batch are in the baseline.
        _, cursor = await _subscription_batch(
            ws_url, http, pair, SOCKETS_PER_BATCH, "warm-up", None
        )
        await _http_flood(host, port, busy, 500, 1)
        await asyncio.sleep(1.5)  # the collector policy's quiet pass
        baseline = await _settled(scraper, await scrape(scraper))
        started = time.monotonic()

        async def subscriptions(after: str) -> int:
            received = 0
            for batch in range(SUBSCRIPTIONS // (SOCKETS_PER_BATCH * PER_SOCKET)):
                count, after = await _subscription_batch(
                    ws_url, http, pair, SOCKETS_PER_BATCH, f"batch {batch}", after
                )
                received += count
            return received

        received, answered = await asyncio.gather(
            subscriptions(cursor), _http_flood(host, port, busy, HTTP_REQUESTS, HTTP_CLIENTS)
        )
        elapsed = time.monotonic() - started
        after_load = await scrape(scraper)
        settled = await _settled(scraper, baseline)
        backends = await _pg_backends(database_url) if TEST_DATABASE_URL else None
    finally:
        await http.aclose()
        await scraper.aclose()

    mib = 1024 * 1024
    rss_growth = (
        settled["process_resident_memory_bytes"] - baseline["process_resident_memory_bytes"]
    ) / mib
    counts = {
        name: (int(baseline[name]), int(after_load[name]), int(settled[name]))
        for name in (*EXACT, "database_connections")
    }
    report(
        request,
        f"{received} subscriptions received their event, {answered} HTTP requests answered, "
        f"in {elapsed:.1f} s; (baseline, right after, settled): {counts}; "
        f"RSS {baseline['process_resident_memory_bytes'] / mib:.1f} MiB -> "
        f"{after_load['process_resident_memory_bytes'] / mib:.1f} -> "
        f"{settled['process_resident_memory_bytes'] / mib:.1f} MiB "
        f"(growth {rss_growth:.1f} MiB, bound {RSS_BOUND_MIB}); "
        f"PostgreSQL backends: {backends}",
    )
    assert received == SUBSCRIPTIONS
    assert answered == HTTP_REQUESTS
    for name in EXACT:
        assert settled[name] == baseline[name], (name, counts[name])
    connections = settled["database_connections"]
    assert 1 <= connections <= POOL_MAX
    if backends is not None:
        assert backends == connections, (backends, connections)
    assert rss_growth < RSS_BOUND_MIB
