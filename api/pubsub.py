"""Live events: a thin wrapper over `broadcaster`.

Events are small JSON objects sent as text, so any backend that carries strings
(memory in one process, Redis across many) works unchanged. Subscribers reload what
they need from the database, so an event never carries private content.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from broadcaster import Broadcast

log = logging.getLogger(__name__)


def pair_channel(pair_id: int) -> str:
    return f"pair:{pair_id}"


class PubSub:
    def __init__(self, url: str) -> None:
        # Built inside the app lifespan: some backends bind to the running loop.
        self._broadcast = Broadcast(url)
        self._listeners: Counter[str] = Counter()
        self.published_count = 0  # events handed to the backend; for health checks and tests

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Publish after commit. A failure is logged, never raised: the change stands."""
        try:
            await self._broadcast.publish(channel, json.dumps(event, separators=(",", ":")))
            self.published_count += 1
        except Exception:
            log.exception("publishing %s on %s failed", event.get("type"), channel)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Listen on a channel; the body iterates decoded events until it leaves."""
        async with self._broadcast.subscribe(channel) as subscriber:
            self._listeners[channel] += 1
            try:
                yield self._decoded(subscriber)
            finally:
                self._listeners[channel] -= 1
                if self._listeners[channel] <= 0:
                    del self._listeners[channel]

    def listener_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel` in this process."""
        return self._listeners[channel]

    @staticmethod
    async def _decoded(subscriber: Any) -> AsyncIterator[dict[str, Any]]:
        async for event in subscriber:
            yield json.loads(event.message)


_current: PubSub | None = None


def install(pubsub: PubSub | None) -> None:
    """Make `pubsub` the process's event bus (the app lifespan calls this)."""
    global _current
    _current = pubsub


def current() -> PubSub:
    if _current is None:
        raise RuntimeError("The event bus is not connected: start the app lifespan first.")
    return _current


async def publish_pair_event(pair_id: int, event_type: str, **ids: int | bool) -> None:
    """Tell the pair's listeners what changed. Call only after the transaction commits."""
    if _current is None:
        log.debug("no event bus (not serving); %s on pair %s not published", event_type, pair_id)
        return
    await _current.publish(pair_channel(pair_id), {"type": event_type, "pairId": pair_id, **ids})
