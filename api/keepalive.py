"""Server pings for every websocket of a process, from one task.

graphql-transport-ws lets the server `ping`; a peer that does not `pong` in time is
dead and its connection is closed. A task, an event and a `wait_for` per connection
cost about 2 KiB each and a wake-up per ping; at 5,000 connections and a ping every
20 s that is 250 wake-ups a second for nothing. Here one loop wakes a few times per
interval and looks only at the connections whose deadline has come: pings are due
`interval` after the last pong (or the acknowledgement), and a pong is due `timeout`
after its ping.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

log = logging.getLogger("api.graphql")


class Peer(Protocol):
    """A connection as the keepalive sees it."""

    ping_due: float  # when to send the next ping (monotonic seconds)
    pong_due: float | None  # when a pong must have come, while one is awaited

    def send_ping(self) -> None:
        """Queue a `ping` without waiting."""
        ...

    async def close_dead(self) -> None:
        """Close the connection: its peer did not answer a ping."""
        ...


class Keepalive:
    """Two queues, each in the order its deadlines come due: connections waiting for
    their next ping (due `interval` after a pong, in the order pongs came), and those
    waiting for a pong (due `timeout` after a ping, in the order pings went). A tick
    looks only at the heads that are due, not at every connection."""

    def __init__(self, interval_s: float, timeout_s: float) -> None:
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        # Often, so that the pings due at once stay few: connections opened together
        # come due together, and 2,000 pings in one tick stalled delivery for 100 ms.
        self.tick_s = max(0.01, min(interval_s, timeout_s, 10.0) / 50)
        self._idle: dict[Peer, None] = {}  # by ping_due
        self._awaiting: dict[Peer, None] = {}  # by pong_due
        self._task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._idle) + len(self._awaiting)

    def add(self, peer: Peer) -> None:
        """Start pinging `peer` (once its connection is acknowledged)."""
        self.discard(peer)
        peer.ping_due = time.monotonic() + self.interval_s
        peer.pong_due = None
        self._idle[peer] = None
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="websocket-keepalive")

    def discard(self, peer: Peer) -> None:
        self._idle.pop(peer, None)
        self._awaiting.pop(peer, None)

    def pong(self, peer: Peer) -> None:
        """The peer answered: the next ping is due an interval from now."""
        if self._awaiting.pop(peer, False) is None:
            peer.pong_due = None
            peer.ping_due = time.monotonic() + self.interval_s
            self._idle[peer] = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while self._idle or self._awaiting:
            await asyncio.sleep(self.tick_s)
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """Close the peers that never answered, and send the pings that are due."""
        awaiting = self._awaiting
        while awaiting:
            peer = next(iter(awaiting))
            assert peer.pong_due is not None
            if now < peer.pong_due:
                break
            del awaiting[peer]
            log.info("closing a websocket whose peer did not answer a ping")
            task = asyncio.create_task(peer.close_dead())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        idle = self._idle
        while idle:
            peer = next(iter(idle))
            if now < peer.ping_due:
                break
            del idle[peer]
            peer.pong_due = now + self.timeout_s
            awaiting[peer] = None
            peer.send_ping()
