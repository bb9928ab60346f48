"""The fan-out hub: every live subscription in this process, listening once per channel.

A subscription that has been set up (its checks and any replay done) is a small
`Listener`: no task, queue or generator of its own. The hub attaches one sink per
channel to the broadcast (api/broadcast.py), so the backend subscribes once per
channel per process. Each event on a channel is decoded once and handed, in order,
to each of the channel's listeners by one drain task that exists only while events
are waiting. A listener that fails is ended alone; when delivery breaks, every
listener of the channel is ended with `UNAVAILABLE` after the events already
received.

Until it goes live, a listener buffers what arrives (`backlog`): it attaches before
its subscription reads where the log stands, so nothing published in between is
missed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from typing import Any, Protocol

from broadcaster import Event

from api import broadcast, errors, metrics, runtime

log = logging.getLogger(__name__)


class Listener(Protocol):
    """One live subscription, as the hub sees it."""

    channel: str
    # Messages received before the subscription went live; None once live.
    backlog: list[dict[str, Any]] | None

    async def receive(self, message: dict[str, Any]) -> None:
        """Handle one decoded message of the channel, in order. An exception ends
        this listener alone (`end` with the error)."""
        ...

    def end(self, error: Exception | None) -> None:
        """The hub stopped delivering to this listener: tell its client."""
        ...


class _Channel:
    """The hub's sink on one channel: the events waiting, and who gets them."""

    __slots__ = ("name", "listeners", "pending", "drain", "ready", "failed", "hub")

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub = hub
        self.name = name
        self.listeners: dict[Listener, None] = {}  # ordered: first to subscribe, first served
        self.pending: deque[Event | Listener] = deque()
        self.drain: asyncio.Task[None] | None = None
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.failed: Exception | None = None

    # --- the broadcast's side (never waits) -------------------------------------------

    def offer(self, event: Event) -> bool:
        self.pending.append(event)
        self._wake()
        return True

    def fail(self, error: broadcast.BroadcastError, *, drop: bool) -> None:
        if self.failed is not None:
            return
        self.failed = errors.Unavailable()
        self.failed.__cause__ = error
        if drop:
            self.pending.clear()
        self._wake()

    # --- the hub's side --------------------------------------------------------------

    def go_live(self, listener: Listener) -> None:
        """Deliver the listener's backlog, then what follows, in the channel's order."""
        self.pending.append(listener)
        self._wake()

    def _wake(self) -> None:
        if self.drain is None:
            self.drain = asyncio.create_task(self._drain(), name=f"hub:{self.name}")

    async def _drain(self) -> None:
        try:
            while self.pending:
                item = self.pending.popleft()
                if isinstance(item, Event):
                    await self._deliver(item)
                elif item in self.listeners:  # a listener going live
                    backlog, item.backlog = item.backlog or [], None
                    for message in backlog:
                        if item in self.listeners:
                            await self._receive(item, message)
                # Let the others run between events: a burst is dealt out fairly.
                await asyncio.sleep(0)
            if self.failed is not None:
                for listener in list(self.listeners):
                    self.remove(listener)
                    listener.end(self.failed)
        finally:
            self.drain = None
            if self.pending or (self.failed is not None and self.listeners):
                self._wake()  # arrived while the last item was being handled

    async def _deliver(self, event: Event) -> None:
        try:
            message = json.loads(event.message)
        except ValueError:
            # Not ours, or mangled: skip it; a follower fills any gap from the table.
            log.warning("undecodable event on %s skipped", event.channel)
            return
        runtime.note_activity()
        for listener in list(self.listeners):
            if listener.backlog is not None:
                listener.backlog.append(message)
            else:
                await self._receive(listener, message)

    async def _receive(self, listener: Listener, message: dict[str, Any]) -> None:
        metrics.DELIVERED.inc()
        try:
            await listener.receive(message)
        except Exception as error:
            if listener in self.listeners:
                self.remove(listener)
                listener.end(error)

    def remove(self, listener: Listener) -> None:
        """Stop delivering to the listener; the channel's last leaves the broadcast."""
        if listener not in self.listeners:
            return
        del self.listeners[listener]
        if not self.listeners:
            self.hub._close(self)


class Hub:
    """Every live subscription of this process, by channel."""

    def __init__(self, bus: broadcast.HardenedBroadcast) -> None:
        self._broadcast = bus
        self._channels: dict[str, _Channel] = {}
        self._releases: set[asyncio.Task[None]] = set()

    async def attach(self, listener: Listener) -> None:
        """Start receiving the listener's channel (buffered in `listener.backlog` until
        `go_live`). Raises `errors.Unavailable` when live delivery is down."""
        name = listener.channel
        while True:
            channel = self._channels.get(name)
            if channel is None or channel.failed is not None:
                channel = self._channels[name] = _Channel(self, name)
                await self._open(channel)
            else:
                # Another subscription is attaching it: listening starts when the
                # backend confirms (a waiter going away must not cancel it for the rest).
                try:
                    await asyncio.shield(channel.ready)
                except asyncio.CancelledError:
                    if channel.ready.cancelled():
                        raise errors.Unavailable() from None
                    raise
            if self._channels.get(name) is channel and channel.failed is None:
                channel.listeners[listener] = None
                return
            # It closed or failed while we waited: open it again.

    async def _open(self, channel: _Channel) -> None:
        try:
            await self._broadcast.attach(channel.name, channel)
        except BaseException as exc:
            if self._channels.get(channel.name) is channel:
                del self._channels[channel.name]
            if isinstance(exc, broadcast.DeliveryInterrupted):
                channel.ready.set_exception(errors.Unavailable())
                channel.ready.exception()  # retrieved: each waiter raises its own copy
                raise errors.Unavailable() from exc
            channel.ready.cancel()
            raise
        channel.ready.set_result(None)

    def go_live(self, listener: Listener) -> None:
        """Deliver what the listener buffered, then every event as it comes."""
        channel = self._channels.get(listener.channel)
        if channel is not None and listener in channel.listeners:
            channel.go_live(listener)

    def detach(self, listener: Listener) -> None:
        """Stop delivering to the listener; the channel's last leaves the broadcast."""
        channel = self._channels.get(listener.channel)
        if channel is not None:
            channel.remove(listener)

    def _close(self, channel: _Channel) -> None:
        if self._channels.get(channel.name) is channel:
            del self._channels[channel.name]
        task = asyncio.ensure_future(self._broadcast.detach(channel.name, channel))
        self._releases.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task[None]) -> None:
        self._releases.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("leaving a channel failed", exc_info=task.exception())

    def listener_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel` in this process."""
        entry = self._channels.get(channel)
        return len(entry.listeners) if entry is not None else 0

    def channel_count(self) -> int:
        """Channels this process listens on (for /metrics: a leak never comes back down)."""
        return len(self._channels)

    def total(self) -> int:
        """Every live subscription in this process."""
        return sum(len(channel.listeners) for channel in self._channels.values())
