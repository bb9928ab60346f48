"""Graceful shutdown: open websockets get a proper close before the server stops.

uvicorn (0.54) on SIGTERM stops accepting, lets in-flight HTTP requests finish (bounded
by `timeout_graceful_shutdown`), and only then runs the lifespan shutdown. Open
websockets it closes at once itself, with 1012, and the application never gets a say.
So the app takes the signal first: `install_signal_hook`, called from the lifespan
startup (uvicorn has installed its handlers by then), chains SIGTERM and SIGINT. The
first signal
1. marks the process as draining (/readyz answers 503; a new websocket is closed at once),
2. ends every running operation of every open websocket and closes the socket with 1001
   "going away", waiting up to the grace period for the connections to end,
3. hands the signal to uvicorn, which finishes the in-flight HTTP requests and stops.
A second signal goes to uvicorn at once (no more waiting for websockets); one more
Ctrl+C is uvicorn's forced exit.

The state is per app (`Drain`, held by the GraphQL view), so that several apps in one
process (tests) do not drain each other; the signal is the process's.

Why no `complete` before the close: `complete` tells a graphql-ws client the stream is
over for good, so it would not subscribe again; after a 1001 close it reconnects (to
another worker) and resubscribes, and `pairEvents(after: <last cursor>)` fills the gap.

uvicorn re-raises the signal once it has stopped, so the process would die "by SIGTERM"
(status 143); `python -m api serve` installs `exit_after_graceful_stop` beforehand, which
turns a completed graceful stop into exit status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)

GOING_AWAY = 1001
GOING_AWAY_REASON = "Server shutting down"
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Drain:
    """One app's open websockets, and whether it is draining (stopping)."""

    def __init__(self) -> None:
        self.websockets: set[Any] = set()  # graphql-transport-ws handlers, while open
        self.draining = False
        self._all_closed: asyncio.Event | None = None  # set when draining left none open

    def reopen(self) -> None:
        """Serving again (the app's lifespan started anew)."""
        self.draining = False
        self._all_closed = None

    @contextlib.asynccontextmanager
    async def tracked(self, handler: Any) -> AsyncIterator[None]:
        """Register a graphql-transport-ws handler for as long as its connection is
        open; while draining, close it at once instead."""
        if self.draining:
            await _going_away(handler)
        self.websockets.add(handler)
        try:
            yield
        finally:
            self.websockets.discard(handler)
            if not self.websockets and self._all_closed is not None:
                self._all_closed.set()

    async def close_websockets(self, within: float) -> int:
        """Start draining; close every open websocket with 1001 and wait up to `within`
        seconds for the connections to end. Returns how many were still open then."""
        self.draining = True
        handlers = list(self.websockets)
        if handlers:
            log.info("closing %d open websocket(s) before stopping", len(handlers))
        self._all_closed = asyncio.Event()
        await asyncio.gather(*(_going_away(handler) for handler in handlers))
        if self.websockets:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_closed.wait(), within)
        if self.websockets:
            log.warning("%d websocket(s) did not close in time", len(self.websockets))
        return len(self.websockets)


async def _going_away(handler: Any) -> None:
    # Stop the operations first, so that none sends on a closing socket.
    for operation_id in list(handler.operations):
        await handler.cleanup_operation(operation_id)
    with contextlib.suppress(Exception):  # the peer may be gone already
        await handler.websocket.close(GOING_AWAY, GOING_AWAY_REASON)


_stop_requested = False  # a signal started a graceful stop in this process


def install_signal_hook(drain: Drain, grace_s: float) -> Callable[[], None]:
    """Chain SIGTERM/SIGINT in front of the server's own handlers, draining `drain`
    first; returns the undo.

    Only in the main thread, and only over a Python handler (the server's): elsewhere,
    as under Starlette's TestClient, nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}
    forwarded: set[int] = set()

    def forward(signum: int, frame: FrameType | None) -> None:
        handler = previous[signum]
        forwarded.add(signum)
        handler(signum, frame)

    async def drain_then_forward(signum: int) -> None:
        try:
            await drain.close_websockets(grace_s)
        finally:
            if signum not in forwarded:
                forward(signum, None)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        global _stop_requested
        if _stop_requested:
            forward(signum, frame)  # a second signal: the server's own handling, now
            return
        _stop_requested = True
        log.info("received %s: closing websockets, then stopping", signal.Signals(signum).name)
        loop.call_soon_threadsafe(lambda: loop.create_task(drain_then_forward(signum)))

    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if callable(current):
            previous[sig] = current
            signal.signal(sig, on_signal)

    def undo() -> None:
        for sig, handler in previous.items():
            if signal.getsignal(sig) is on_signal:
                signal.signal(sig, handler)

    return undo


def exit_after_graceful_stop(signum: int, frame: FrameType | None) -> None:
    """The SIGTERM handler `serve` sets before starting uvicorn. uvicorn restores it and
    re-raises the signal once it has stopped: after a graceful stop, exit 0. A SIGTERM
    before the app started (migrations) ends the process as the signal would."""
    if _stop_requested:
        raise SystemExit(0)
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)
