"""A client that stops reading never delays the others (a real server over TCP).

The slow subscriber's socket has a tiny receive buffer and is never read after its
first event, so the server's writes to it back up (uvicorn pauses that connection's
sends). The fast subscriber on the same pair must still get every event, in order, and
the slow one is ended with SLOW_CONSUMER once WS_MAX_PENDING_FRAMES frames wait for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests import servers
from tests.helpers import CREATE_GROUP, CREATE_PAIR, CREATE_PROGRAM, JOIN_GROUP, OPEN_PROGRAM
from tests.test_e2e_client import POST_CHECK_IN, Http

EVENTS = 1400
BODY = "x" * 3900  # near the check-in limit: 1,400 of them are 5.5 MB of frames, past the
# 4 MiB a kernel buffers for a socket here (net.ipv4.tcp_wmem), so the server must hold some
TIMEOUT = 20.0  # for any one frame
PENDING = 50  # frames the server may hold for a client that stopped reading
PAIR_EVENTS = """
subscription($pairId: ID!) { pairEvents(pairId: $pairId) {
  sequence ... on CheckInPostedEvent { checkIn { body author { name } } }
} }"""

pytestmark = pytest.mark.timeout(120)


async def _subscriber(port: int, token: str, pair_id: str, *, tiny_buffer: bool):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if tiny_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    ws = await connect(
        f"ws://127.0.0.1:{port}/graphql",
        sock=sock,
        subprotocols=["graphql-transport-ws"],
        max_queue=1 if tiny_buffer else None,
        max_size=None,
        compression=None,  # deflate would shrink the repeated bodies to nothing
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))["type"] == "connection_ack"
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": PAIR_EVENTS, "variables": {"pairId": pair_id}},
            }
        )
    )
    return ws


async def _next_event(ws) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        if frame["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert frame["type"] == "next" and "errors" not in frame["payload"], frame
        return frame["payload"]["data"]["pairEvents"]


async def test_a_client_that_stops_reading_does_not_delay_the_other(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{tmp_path / 'slow.db'}",
        BROADCAST_URL="memory://",
        RATE_LIMIT_USER_PER_MINUTE="0",
        RATE_LIMIT_IP_PER_MINUTE="0",
        CHECK_INS_PER_PAIR_PER_HOUR="0",
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="1024",
        WS_MAX_PENDING_FRAMES=str(PENDING),
    )
    with servers.serving(env, tmp_path / "server.log") as (port, _):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            http = Http(client)
            admin, _ = await http.register("Ada")
            mentor, _ = await http.register("Maya")
            mentee, _ = await http.register("Milo")
            group = await http.ok(
                CREATE_GROUP, {"name": "Slow", "category": "PROFESSIONAL_DEVELOPMENT"}, admin
            )
            group_id = group["group"]["id"]
            for token in (mentor, mentee):
                await http.ok(JOIN_GROUP, {"groupId": group_id}, token)
            program = await http.ok(
                CREATE_PROGRAM, {"groupId": group_id, "template": "CAREER_ADVANCEMENT"}, admin
            )
            program_id = program["program"]["id"]
            await http.ok(OPEN_PROGRAM, {"programId": program_id}, admin)
            pair = await http.ok(
                CREATE_PAIR,
                {
                    "mentorSignUpId": await http.sign_up(mentor, program_id, "MENTOR"),
                    "menteeSignUpId": await http.sign_up(mentee, program_id, "MENTEE"),
                },
                admin,
            )
            pair_id = pair["pair"]["id"]
            # One event first: receiving it (replayed or live) proves both are listening.
            await http.ok(POST_CHECK_IN, {"pairId": pair_id, "body": "hello"}, mentor)
            slow = await _subscriber(port, mentee, pair_id, tiny_buffer=True)
            fast = await _subscriber(port, mentor, pair_id, tiny_buffer=False)
            try:
                assert (await _next_event(slow))["sequence"] == 1
                assert (await _next_event(fast))["sequence"] == 1
                # From here on the slow client reads nothing.

                async def post_all() -> None:
                    for _ in range(EVENTS):
                        await http.ok(POST_CHECK_IN, {"pairId": pair_id, "body": BODY}, mentor)

                posting = asyncio.create_task(post_all())
                received = [(await _next_event(fast))["sequence"] for _ in range(EVENTS)]
                await asyncio.wait_for(posting, TIMEOUT)
                assert received == list(range(2, EVENTS + 2))
                # The slow one was cut off: the events it had, in order, then one
                # SLOW_CONSUMER error and `complete` (its waiting frames were dropped).
                frames = []
                while not frames or frames[-1]["type"] != "complete":
                    frame = json.loads(await asyncio.wait_for(slow.recv(), TIMEOUT))
                    if frame["type"] != "ping":
                        frames.append(frame)
                *events, error, complete = frames
                sequences = [f["payload"]["data"]["pairEvents"]["sequence"] for f in events]
                assert sequences == list(range(2, len(events) + 2))
                assert len(events) < EVENTS - PENDING
                codes = [e["extensions"]["code"] for e in error["payload"]["errors"]]
                assert error["payload"]["data"] is None and codes == ["SLOW_CONSUMER"]
                assert complete == {"id": "1", "type": "complete"}
            finally:
                await fast.close()
                slow.transport.abort()
