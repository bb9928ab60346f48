"""The keepalive's two queues (api/keepalive.py): pings go out as each connection comes
due, a connection that never pongs is closed, and a tick touches only the due heads."""

from __future__ import annotations

import asyncio

from api.keepalive import Keepalive


class Peer:
    """A connection as the keepalive sees it: it records what was done to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ping_due = 0.0
        self.pong_due: float | None = None
        self.pings = 0
        self.closed = False

    def send_ping(self) -> None:
        self.pings += 1

    async def close_dead(self) -> None:
        self.closed = True


class CountingPeer(Peer):
    """Counts how often the keepalive read its deadlines."""

    reads = 0

    def __getattribute__(self, name: str):  # noqa: ANN204
        if name in ("ping_due", "pong_due"):
            CountingPeer.reads += 1
        return super().__getattribute__(name)


def test_pings_follow_each_peers_own_deadline_and_the_silent_one_is_closed() -> None:
    async def scenario() -> None:
        keepalive = Keepalive(interval_s=10.0, timeout_s=5.0)
        early, late = Peer("early"), Peer("late")
        keepalive.add(early)
        keepalive.add(late)
        late.ping_due = early.ping_due + 3  # as if it had ponged 3 s later
        start = early.ping_due
        keepalive.tick(start - 0.1)
        assert (early.pings, late.pings) == (0, 0)
        keepalive.tick(start)
        assert (early.pings, late.pings) == (1, 0)
        keepalive.pong(early)  # answers: next ping an interval after the pong
        assert early.pong_due is None
        early.ping_due = start + 10  # as if the pong came at `start`
        keepalive.tick(start + 3)
        assert (early.pings, late.pings) == (1, 1)
        # `late` never answers: closed when its pong is overdue; `early` stays.
        keepalive.tick(start + 3 + 5)
        await asyncio.sleep(0)
        assert late.closed and not early.closed
        assert len(keepalive) == 1
        keepalive.discard(early)
        assert len(keepalive) == 0
        await keepalive.stop()

    asyncio.run(scenario())


def test_a_tick_reads_only_the_peers_that_are_due() -> None:
    async def scenario() -> None:
        keepalive = Keepalive(interval_s=10.0, timeout_s=5.0)
        peers = [CountingPeer(str(n)) for n in range(1000)]
        for peer in peers:
            keepalive.add(peer)
        now = peers[0].ping_due
        for n, peer in enumerate(peers):
            peer.ping_due = now + n / 100  # ten due per 0.1 s
        CountingPeer.reads = 0
        keepalive.tick(now + 0.095)
        assert sum(peer.pings for peer in peers) == 10
        # Ten sent, one more looked at and found not due: not a thousand reads.
        assert CountingPeer.reads < 40, CountingPeer.reads
        await keepalive.stop()

    asyncio.run(scenario())
