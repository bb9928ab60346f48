"""How a subscription goes live: it is set up by Strawberry, then handed to the hub.

A subscription resolver does its checks and its replay as an ordinary async generator,
so errors, masking and frames are Strawberry's. Then it yields a `HandOff`: the
websocket transport (api/graphql.py) takes it, ends Strawberry's operation task and
generator chain without a `complete`, and from then on the subscription is its
`LiveSubscription` in the hub (api/hub.py) plus the transport's small `Sink`. Each live
event is executed through the subscription's own graphql-core executor, which the
`HandOff` carries (schema/sharing.py captures it).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, Protocol

from api import pubsub


class Sink(Protocol):
    """The transport's end of a live subscription."""

    async def emit(self, value: Any) -> None:
        """Execute the operation's selection on `value` and send the result."""
        ...

    def end(self, error: Exception | None) -> None:
        """Send the error (if any) and `complete`; the subscription is over."""
        ...


class LiveSubscription:
    """A subscription as the hub holds it (api.hub.Listener): its channel, what it
    buffered before going live, and the transport's sink once handed off."""

    __slots__ = ("channel", "context", "backlog", "sink", "failed")

    def __init__(self, channel: str, context: Any) -> None:
        self.channel = channel
        self.context = context  # the connection's (api.context.Context)
        self.backlog: list[dict[str, Any]] | None = []
        self.sink: Sink | None = None
        self.failed: Exception | None = None

    async def receive(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def replay(self) -> AsyncIterator[Any]:
        """What to send before going live (run after joining the hub): nothing here."""
        return
        yield

    def over(self) -> bool:
        """Whether the replay already ended the subscription (no live part)."""
        return False

    async def deliver(self, value: Any) -> None:
        assert self.sink is not None  # the hub delivers only after going live
        try:
            await self.sink.emit(value)
        finally:
            # The event's loaders are done with: an idle connection keeps none.
            self.context.refresh_loaders()

    def finish(self) -> None:
        """The subscription's last event was sent: leave the hub, then `complete`."""
        pubsub.current().hub.detach(self)
        self.end(None)

    def end(self, error: Exception | None) -> None:
        if self.sink is None:  # ended while still being set up: its resolver raises it
            self.failed = error
        else:
            self.sink.end(error)


class HandOff:
    """Yielded by a subscription resolver once its live part can run in the hub."""

    __slots__ = ("listener", "executor", "on_end")

    def __init__(self, listener: LiveSubscription) -> None:
        self.listener = listener
        self.executor: Any = None  # the operation's graphql-core executor (sharing.py)
        # Set by the schema's pipeline: records the operation when it ends.
        self.on_end: Callable[[Exception | None], None] | None = None


async def run(listener: LiveSubscription) -> AsyncGenerator[Any, None]:
    """A subscription's source stream: join the hub (buffering), send the replay, then
    hand the listener to the transport. Nothing committed after joining is missed."""
    hub = pubsub.current().hub
    await hub.attach(listener)
    handed_off = False
    try:
        async for value in listener.replay():
            yield value
            if listener.failed is not None:
                break
        if listener.failed is not None:
            raise listener.failed
        if listener.over():
            return
        handed_off = True
        listener.context.refresh_loaders()  # what set-up loaded is not kept while idle
        yield HandOff(listener)
        raise RuntimeError("a live subscription needs the websocket transport (api/graphql.py)")
    finally:
        if not handed_off:
            hub.detach(listener)
