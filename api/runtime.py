"""The cycle collector's policy for a server holding thousands of long-lived connections.

Each open subscription keeps a couple of hundred tracked objects alive (its
connection, its context, its executor and listener). With CPython's default passes, a
collection of the older generations walks all of them: about 1.7 M objects and 1.0-1.6 s with 5,000
subscriptions, stalling every socket (`make bench`, section (c)). Reference counting
frees almost everything a request makes; the cycle collector only has to find the rare
cycle, and it need not look at connections that were set up long ago.

So, in every serving process:
- **Freeze what survives connection set-up.** A tick (`tick_s`) after subscriptions
  were opened, `gc.freeze()` moves every tracked object into the permanent generation,
  which no pass walks. It costs O(1), whatever the heap.
- **Young passes stay small.** Thresholds `GC_THRESHOLDS`: a young pass every 2,000 net
  allocations walks only what was allocated since; the older generations hold only what
  survived since the last freeze.
- **Frozen garbage is reclaimed.** A closed connection's cycles die frozen, and are
  never collected while frozen. A reclaim unfreezes, collects everything once (a full
  pass: about 1 s at 5,000 subscriptions) and freezes again. It runs when the process
  has been quiet (no request, no subscription, no event) for a whole tick and either
  `quiet_teardowns` subscriptions ended since the last reclaim or it froze
  `quiet_freezes` times since (a freeze may catch a request's cycles in flight); and,
  even under traffic, once as many subscriptions ended as are open (at least
  `busy_teardowns`). So frozen garbage stays within about one copy of the live
  connections, however long the server runs.
- **Growth alone is no reason.** Frozen objects from subscriptions just set up are
  alive: a full pass after a burst of 5,000 found 3,510 objects to free in 1.5 s, and
  when it fell as traffic resumed it stalled every socket for that long (`make
  bench`, (c)). Nor is the frozen count read: `gc.get_freeze_count()` walks every
  frozen object.

`gc.callbacks` times every pass for `/metrics` (`python_gc_pause_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from api import metrics

log = logging.getLogger(__name__)

# Young passes every 2,000 net allocations of tracked objects (CPython: 700); a middle pass
# after 20 young ones; a full one after 100 middle ones (and only when the objects that
# survived since the last full pass are a quarter of the old generation, CPython's rule).
GC_THRESHOLDS = (2_000, 20, 100)
LONG_PASS_S = 0.1  # a pass this long stalls every socket: a warning


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass
class CollectorPolicy:
    """Freeze after set-up, reclaim frozen garbage when quiet (see the module docstring)."""

    tick_s: float = 1.0
    quiet_teardowns: int = 100
    busy_teardowns: int = 2_000
    quiet_freezes: int = 100
    # Set by the process: the counters the policy reads each tick.
    setups: int = 0  # subscriptions started since the last freeze
    teardowns: int = 0  # subscriptions ended since the last reclaim
    live: int = 0  # subscriptions open now
    activity: int = 0  # requests, subscriptions and events; only its change matters
    _activity_seen: int = -1
    freezes: int = 0
    freezes_since_reclaim: int = 0
    reclaims: int = 0
    last_reclaim_s: float = 0.0
    _passes: dict[int, float] = field(default_factory=dict)
    _previous_thresholds: tuple[int, ...] = (700, 10, 10)

    def note_setup(self) -> None:
        """A subscription was set up: its objects are the ones worth freezing."""
        self.setups += 1
        self.live += 1
        self.activity += 1

    def note_teardown(self) -> None:
        """A subscription ended: what of it was frozen and cyclic is now frozen garbage."""
        self.teardowns += 1
        self.live -= 1
        self.activity += 1

    def note_activity(self) -> None:
        self.activity += 1

    def tick(self, *, quiet: bool | None = None) -> None:
        """One decision; `quiet` overrides the activity check (tests)."""
        if quiet is None:
            quiet = self.activity == self._activity_seen
        self._activity_seen = self.activity
        if self.teardowns >= max(self.busy_teardowns, self.live) or (
            quiet
            and (
                self.teardowns >= self.quiet_teardowns
                or self.freezes_since_reclaim >= self.quiet_freezes
            )
        ):
            self.reclaim()
        elif self.setups:
            gc.freeze()
            self.setups = 0
            self.freezes += 1
            self.freezes_since_reclaim += 1

    def reclaim(self) -> int:
        """Unfreeze, collect every generation once, freeze again; the objects freed."""
        started = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        self.setups = self.teardowns = self.freezes_since_reclaim = 0
        self.reclaims += 1
        self.last_reclaim_s = time.perf_counter() - started
        log.info("collector: reclaimed %d objects in %.3f s", freed, self.last_reclaim_s)
        return freed

    def _on_pass(self, phase: str, info: dict[str, int]) -> None:
        generation = info["generation"]
        if phase == "start":
            self._passes[generation] = time.perf_counter()
        elif (started := self._passes.pop(generation, None)) is not None:
            seconds = time.perf_counter() - started
            metrics.GC_PAUSE.labels(generation=str(generation)).observe(seconds)
            if seconds >= LONG_PASS_S:
                log.warning(
                    "collector: a generation-%d pass took %.0f ms (%d collected)",
                    generation,
                    seconds * 1000,
                    info.get("collected", 0),
                )

    def apply(self) -> None:
        """Take over this process's collector: thresholds, a first freeze, pass timing,
        and the module's note_* hooks. `restore` undoes it."""
        self._previous_thresholds = gc.get_threshold()
        tune_gc()
        gc.collect()  # what start-up left behind, once
        gc.freeze()
        gc.callbacks.append(self._on_pass)
        install(self)

    def restore(self) -> None:
        install(None)
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_pass)
        gc.unfreeze()
        gc.set_threshold(*self._previous_thresholds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CollectorPolicy]:
        """Apply the policy in this process for the body's duration, ticking in a task."""
        self.apply()
        task = asyncio.create_task(self._loop())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.restore()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            self.tick()


_current: CollectorPolicy | None = None


def install(policy: CollectorPolicy | None) -> None:
    global _current
    _current = policy


def note_setup() -> None:
    """A subscription was set up (the websocket handler calls this)."""
    if _current is not None:
        _current.note_setup()


def note_teardown() -> None:
    """A subscription ended (the websocket handler calls this)."""
    if _current is not None:
        _current.note_teardown()


def note_activity() -> None:
    """A request or an event: the process is not quiet."""
    if _current is not None:
        _current.activity += 1
