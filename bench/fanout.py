"""Live fan-out load: websocket subscribers, and a poster of check-ins at a steady rate.

Subscribers (`python -m bench.fanout subscribe`, several processes) hold one websocket per
subscriber, as real clients do. Against the API they speak graphql-transport-ws
(`connection_init` with the member's token, then `subscribe` to `checkInPosted`); against
the bare broadcaster they send `subscribe <pair>`. Each prints `READY <n>` once every
socket is subscribed, answers the server's pings, and on `stop` (stdin) prints what it
received as JSON.

The poster (`python -m bench.fanout post`) posts check-ins open-loop: check-in i leaves at
start + i / rate whatever the earlier ones are doing, each by a member of its pair with
that member's token. Its body carries the wall-clock time it was sent
(`t=<time.time()> n=<i>`): every process is on this machine, so a receiver's
`time.time()` minus it is the publish-to-receive latency. Against the bare broadcaster
it POSTs the bytes of the `next` message the API would send.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from typing import Any

SUBSCRIPTION = (
    "subscription OnCheckIn($pairId: ID!) { checkInPosted(pairId: $pairId) "
    "{ id body createdAt author { name } } }"
)
POST_CHECK_IN = (
    "mutation Post($input: PostCheckInInput!) { postCheckIn(input: $input) "
    "{ checkIn { id } userErrors { code } } }"
)
CONNECT_CONCURRENCY = 64
POST_CONNECTIONS = 64


def _install_uvloop() -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass


def bare_message(body: str, author: str) -> str:
    """The `next` message the API sends for a check-in, as the bare server forwards it."""
    created = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000000+00:00"
    return json.dumps(
        {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "checkInPosted": {
                        "id": "Q2hlY2tJbjoxMjM0NQ==",
                        "body": body,
                        "createdAt": created,
                        "author": {"name": author},
                    }
                }
            },
        },
        separators=(",", ":"),
    )


# --- subscribers ---------------------------------------------------------------------------


class _Tally:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.seen: set[tuple[int, int, int]] = set()
        self.duplicates = 0
        self.errors: list[str] = []
        self.closed = 0


def _record(tally: _Tally, index: int, text: str) -> str | None:
    """Count one received event; returns a reply to send (a pong), if any."""
    received = time.time()
    message = json.loads(text)
    kind = message.get("type")
    if kind == "ping":
        return json.dumps({"type": "pong"})
    if kind != "next":
        if kind not in ("pong", "connection_ack"):
            tally.errors.append(text[:300])
        return None
    payload = message["payload"]
    if payload.get("errors"):
        tally.errors.append(json.dumps(payload["errors"])[:300])
        return None
    body = payload["data"]["checkInPosted"]["body"]
    fields = dict(part.split("=", 1) for part in body.split())
    key = (index, int(fields.get("p", 0)), int(fields["n"]))
    if key in tally.seen:
        tally.duplicates += 1
        return None
    tally.seen.add(key)
    tally.latencies_ms.append((received - float(fields["t"])) * 1000)
    return None


async def _subscriber(
    index: int, spec: dict, item: dict, tally: _Tally, gate: asyncio.Semaphore
) -> Any:
    from websockets.asyncio.client import connect

    async with gate:
        if spec["mode"] == "api":
            ws = await connect(
                item["url"],
                subprotocols=["graphql-transport-ws"],
                compression=None,
                ping_interval=None,
                open_timeout=120,
                max_size=2**20,
            )
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {item['token']}"},
                    }
                )
            )
            while json.loads(await ws.recv()).get("type") != "connection_ack":
                pass
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": SUBSCRIPTION,
                            "variables": {"pairId": item["pair_id"]},
                        },
                    }
                )
            )
        else:
            ws = await connect(item["url"], compression=None, ping_interval=None, open_timeout=120)
            await ws.send(f"subscribe {item['pair_id']}")
            if await ws.recv() != "ok":
                raise RuntimeError("the bare broadcaster did not confirm")
    return ws


async def _listen(index: int, ws: Any, tally: _Tally) -> None:
    try:
        async for text in ws:
            reply = _record(tally, index, text)
            if reply is not None:
                await ws.send(reply)
    except Exception as error:  # noqa: BLE001 - counted and reported
        tally.errors.append(repr(error)[:300])
    tally.closed += 1


async def subscribe_main(spec: dict) -> None:
    tally = _Tally()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    items = spec["subscriptions"]
    listeners: list[asyncio.Task] = []

    async def open_and_listen(index: int, item: dict) -> Any:
        ws = await _subscriber(index, spec, item, tally, gate)
        # Listen (and answer the server's pings) at once, not after every socket is open.
        listeners.append(asyncio.create_task(_listen(index, ws, tally)))
        return ws

    sockets = await asyncio.gather(*(open_and_listen(i, item) for i, item in enumerate(items)))
    print(f"READY {len(sockets)}", flush=True)
    loop = asyncio.get_running_loop()
    # "report": what this phase received, then a fresh tally; "stop": the same, and out.
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        closed_before = tally.closed
        if command != "report":
            for ws in sockets:
                ws.transport.abort()
            for task in listeners:
                task.cancel()
            await asyncio.gather(*listeners, return_exceptions=True)
        print(json.dumps(_phase(tally, len(sockets), closed_before)), flush=True)
        if command != "report":
            return
        tally.latencies_ms = []
        tally.duplicates = 0
        tally.errors = []


def _phase(tally: _Tally, subscriptions: int, closed: int) -> dict:
    return {
        "subscriptions": subscriptions,
        "received": len(tally.latencies_ms),
        "duplicates": tally.duplicates,
        "errors": tally.errors[:20],
        "error_count": len(tally.errors),
        "closed_early": closed,
        "latencies_ms": [round(v, 3) for v in tally.latencies_ms],
    }


# --- the poster ----------------------------------------------------------------------------


async def post_main(spec: dict) -> None:
    from bench.loadgen import Req, encode, failed, read_response

    rate, duration = spec["rate"], spec["duration_s"]
    # [{pair_id, token, author, port}]: each pair's two members, each posting to its server
    targets = spec["targets"]
    order = list(range(len(targets)))
    random.Random(5).shuffle(order)
    total = int(rate * duration)
    pools: dict[int, asyncio.Queue] = {}
    opened = 0
    counts = {"ok": 0, "errors": 0}
    lags: list[float] = []
    errors: list[str] = []

    async def connection(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        nonlocal opened
        pool = pools.setdefault(port, asyncio.Queue())
        if not pool.empty():
            return pool.get_nowait()
        opened += 1
        return await asyncio.open_connection("127.0.0.1", port)

    async def one(i: int, target: dict) -> None:
        port = target["port"]
        reader, writer = await connection(port)
        body = f"t={time.time():.6f} n={i} p={spec.get('phase', 0)}"
        if spec["mode"] == "api":
            request = Req(
                "/graphql",
                target["token"],
                json.dumps(
                    {
                        "query": POST_CHECK_IN,
                        "variables": {"input": {"pairId": target["pair_id"], "body": body}},
                    }
                ),
            )
        else:
            request = Req(
                f"/publish/{target['pair_id']}", None, bare_message(body, target["author"])
            )
        writer.write(encode(request, port))
        try:
            status, answer = await read_response(reader)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            counts["errors"] += 1
            errors.append(repr(error))
            writer.close()
            return
        if failed(status, answer):
            counts["errors"] += 1
            errors.append(answer[:300].decode(errors="replace"))
        else:
            counts["ok"] += 1
        pools[port].put_nowait((reader, writer))

    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(max(0.0, time.perf_counter() - due) * 1000)
        tasks.append(asyncio.create_task(one(i, targets[order[i % len(order)]])))
    sending = time.perf_counter() - start
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    lags.sort()
    print(
        json.dumps(
            {
                "posted": total,
                "ok": counts["ok"],
                "errors": counts["errors"],
                "error_samples": errors[:5],
                "elapsed_s": elapsed,
                # Sent on schedule (open loop); the last answer came `answers_late_s` after
                # the last send: a server that can't keep up shows here.
                "rate": total / sending if sending else 0.0,
                "answers_late_s": elapsed - sending,
                "max_schedule_lag_ms": lags[-1] if lags else 0.0,
                "connections": opened,
            }
        ),
        flush=True,
    )


def main() -> None:
    _install_uvloop()
    command = sys.argv[1]
    with open(sys.argv[2], encoding="utf-8") as handle:
        spec = json.load(handle)
    if command == "subscribe":
        asyncio.run(subscribe_main(spec))
    elif command == "post":
        asyncio.run(post_main(spec))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
