"""Live events: a thin wrapper over `broadcaster`.

Events are small JSON objects sent as text, so any backend that carries strings
(memory in one process, Redis across many) works unchanged. Subscribers reload what
they need from the database, so an event never carries private content.

Subscriptions listen through the process's fan-out hub (api/hub.py), which attaches
once per channel to the broadcast (`api.broadcast.HardenedBroadcast`). A subscription
whose delivery breaks ends with a top-level GraphQL error (`errors.Unavailable`), and
one whose client stops reading with `errors.SlowConsumer` (api/graphql.py), instead of
hanging; the client resubscribes with its last cursor and the database replay catches
it up.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from api import broadcast, hub, metrics

log = logging.getLogger(__name__)


class IdentityCache:
    """The last few values computed from objects that every subscriber of an event
    receives as the same object (the hub hands one decoded message to every listener
    of its channel): the first subscriber computes, the others reuse. Keyed by
    identity; each entry keeps its key alive, so an id is never mistaken for another's."""

    def __init__(self, size: int = 256) -> None:
        self._entries: OrderedDict[int, tuple[object, Any]] = OrderedDict()
        self._size = size

    def get(self, key: Any, compute: Callable[[Any], Any]) -> Any:
        """`compute(key)`, or what it gave for this very object lately."""
        entry = self._entries.get(id(key))
        if entry is not None and entry[0] is key:
            return entry[1]
        value = compute(key)
        self._entries[id(key)] = (key, value)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value


def pair_channel(pair_id: int) -> str:
    return f"pair:{pair_id}"


def user_channel(user_id: int) -> str:
    """One person's own events (their notifications)."""
    return f"user:{user_id}"


class PubSub:
    def __init__(self, url: str, *, queue_size: int = broadcast.DEFAULT_QUEUE_SIZE) -> None:
        # Built inside the app lifespan: some backends bind to the running loop.
        self._broadcast = broadcast.create_broadcast(url, queue_size=queue_size)
        self.hub = hub.Hub(self._broadcast)  # every live subscription of this process
        self.published_count = 0  # events handed to the backend; for health checks and tests

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, channel: str, event: dict[str, Any]) -> bool:
        """Publish after commit. A failure is logged and reported, never raised."""
        try:
            await self._broadcast.publish(channel, json.dumps(event, separators=(",", ":")))
        except Exception:
            log.warning("publishing on %s failed", channel, exc_info=True)
            metrics.PUBLISH_FAILURES.inc()
            return False
        self.published_count += 1
        metrics.PUBLISHED.inc()
        return True

    async def ping(self) -> None:
        """Raise unless live delivery works right now (for /readyz)."""
        await self._broadcast.ping()  # type: ignore[attr-defined]

    def listener_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel` in this process."""
        return self.hub.listener_count(channel)

    def channel_count(self) -> int:
        """Channels subscribed on the backend by this process (for /metrics)."""
        return self._broadcast.channel_count()


_current: PubSub | None = None


def install(pubsub: PubSub | None) -> None:
    """Make `pubsub` the process's event bus (the app lifespan calls this)."""
    global _current
    _current = pubsub


def current() -> PubSub:
    if _current is None:
        raise RuntimeError("The event bus is not connected: start the app lifespan first.")
    return _current


async def publish_pair_message(pair_id: int, message: dict[str, Any]) -> bool:
    """Publish on the pair's channel; False when it could not be handed to the backend."""
    if _current is None:
        log.debug("no event bus (not serving): event of pair %s not published", pair_id)
        return True
    return await _current.publish(pair_channel(pair_id), message)


async def publish_user_message(user_id: int, message: dict[str, Any]) -> bool:
    """Publish on the person's channel; False when it could not be handed to the backend."""
    if _current is None:
        log.debug("no event bus (not serving): event of user %s not published", user_id)
        return True
    return await _current.publish(user_channel(user_id), message)
