"""A hardened `broadcaster` setup: bounded subscriber queues, loud failures, reconnects.

`HardenedBroadcast` keeps broadcaster's API (`connect`, `disconnect`, `publish`,
`subscribe`) and fixes what the stock `Broadcast` (broadcaster 0.3) gets wrong:

- concurrent subscribes to one new channel: per-channel locking and reference counts,
  so every subscriber receives and leaving never raises `KeyError`;
- each subscriber has a bounded queue: when it is full, that subscriber alone is ended
  with `SlowConsumer` and its queue dropped; the listener never waits on anybody;
- when the backend reports that delivery broke, every current subscriber is ended with
  `DeliveryInterrupted`, so nobody waits silently for events that will never come (the
  client resubscribes with its cursor and the database replay fills the gap).

`RedisPubSubBackend` replaces broadcaster's Redis backend (which never delivers on the
first subscription with redis-py 8, and dies silently when Redis goes away): a pooled
client for PUBLISH with short timeouts, and one dedicated pub/sub connection read by a
single reader task that confirms subscriptions, pings an idle connection, reports a
broken connection and reconnects with exponential backoff, re-subscribing every channel
still in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol
from urllib.parse import urlparse

from broadcaster import Broadcast, Event
from broadcaster._backends.base import BroadcastBackend
from broadcaster._backends.memory import MemoryBackend
from broadcaster._base import Subscriber, Unsubscribed
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000


class BroadcastError(Exception):
    """A subscription ended abnormally; the subscriber should resubscribe and catch up."""


class DeliveryInterrupted(BroadcastError):
    """Live delivery broke (the broker went away) or is not available right now."""


class SlowConsumer(BroadcastError):
    """The subscriber did not keep up: its bounded queue filled and it was dropped."""


# --------------------------------------------------------------------------------------
# The broadcast: bounded per-subscriber queues, interruption, race-free subscribe
# --------------------------------------------------------------------------------------


class Sink(Protocol):
    """Where the listener hands a channel's events: it must never wait."""

    def offer(self, event: Event) -> bool:
        """Take the event now; False when this sink is full (it is then failed)."""
        ...

    def fail(self, error: BroadcastError, *, drop: bool) -> None:
        """Delivery to this sink ended: after what it holds, unless `drop`."""
        ...


_WAKE = object()  # put in a mailbox to wake its reader when the mailbox has failed


class _Mailbox:
    """One subscriber's bounded queue, and how it ended (if it ended abnormally)."""

    __slots__ = ("queue", "error")

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.error: BroadcastError | None = None

    def offer(self, event: Event) -> bool:
        """Queue an event without waiting; False when the queue is full."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        return True

    def fail(self, error: BroadcastError, *, drop: bool) -> None:
        """End the subscription with `error`, after the queued events unless `drop`."""
        if self.error is not None:
            return
        self.error = error
        if drop:
            self._drain()
        with contextlib.suppress(asyncio.QueueFull):  # full: the reader is not waiting
            self.queue.put_nowait(_WAKE)

    def close(self) -> None:
        """The subscriber left: free the queue and wake anything still waiting on it."""
        self._drain()
        self.queue.put_nowait(None)

    def _drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


class BoundedSubscriber(Subscriber):
    """broadcaster's `Subscriber`, raising `SlowConsumer`/`DeliveryInterrupted` when its
    subscription was ended by the broadcast. Plain leave still ends iteration quietly."""

    def __init__(self, mailbox: _Mailbox) -> None:
        super().__init__(mailbox.queue)
        self._mailbox = mailbox

    async def get(self) -> Event:
        mailbox = self._mailbox
        if mailbox.error is not None and mailbox.queue.empty():
            raise mailbox.error
        item = await mailbox.queue.get()
        if item is None:
            raise Unsubscribed()
        if item is _WAKE:
            assert mailbox.error is not None
            raise mailbox.error
        return item


class HardenedBroadcast(Broadcast):
    """`broadcaster.Broadcast` with bounded queues and no silent failures."""

    def __init__(
        self,
        url: str | None = None,
        *,
        backend: BroadcastBackend | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        super().__init__(url, backend=backend)
        self._queue_size = queue_size
        # Subscribers that still get events, per channel (ended ones are removed).
        self._mailboxes: dict[str, set[Sink]] = {}
        # Subscriptions inside their `async with`, per channel: the backend is subscribed
        # while this is positive.
        self._refs: dict[str, int] = {}
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._listener_task: asyncio.Task[None] | None = None
        self._closed = False

    async def connect(self) -> None:
        self._closed = False
        await self._backend.connect()
        self._listener_task = asyncio.create_task(self._listener(), name="broadcast-listener")

    async def disconnect(self) -> None:
        self._closed = True
        task, self._listener_task = self._listener_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            await self._backend.disconnect()
        finally:
            self._fail_all("the event bus is shutting down")

    async def _listener(self) -> None:
        while True:
            try:
                event = await self._backend.next_published()
            except DeliveryInterrupted as exc:
                self._fail_all(str(exc) or "live delivery was interrupted")
                continue
            except Exception:  # a broken backend must not kill delivery silently
                log.exception("the broadcast backend failed; ending every subscription")
                self._fail_all("live delivery failed")
                await asyncio.sleep(0.1)
                continue
            mailboxes = self._mailboxes.get(event.channel)
            if not mailboxes:
                continue
            for mailbox in list(mailboxes):
                if not mailbox.offer(event):
                    mailboxes.discard(mailbox)
                    mailbox.fail(
                        SlowConsumer(
                            f"subscriber on {event.channel!r} fell {self._queue_size} "
                            "events behind and was disconnected"
                        ),
                        drop=True,
                    )
                    log.warning("slow subscriber on %s disconnected", event.channel)
            # Let the woken subscribers run before the next event: a burst that arrives
            # in one read is then dealt out fairly instead of filling every queue at once.
            await asyncio.sleep(0)

    def _fail_all(self, reason: str) -> None:
        """End every current subscriber with its own `DeliveryInterrupted`."""
        for mailboxes in self._mailboxes.values():
            for mailbox in mailboxes:
                mailbox.fail(DeliveryInterrupted(reason), drop=False)
            mailboxes.clear()

    @contextlib.asynccontextmanager
    async def _channel_lock(self, channel: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(channel) or (asyncio.Lock(), 0)
        self._locks[channel] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[channel]
            if users <= 1:
                del self._locks[channel]
            else:
                self._locks[channel] = (lock, users - 1)

    async def attach(self, channel: str, sink: Sink) -> None:
        """Deliver `channel`'s events to `sink` until `detach`: how the fan-out hub
        (api/hub.py) listens, once per channel per process. Raises
        `DeliveryInterrupted` when live delivery is down."""
        if self._closed or self._listener_task is None:
            raise DeliveryInterrupted("the event bus is not connected")
        async with self._channel_lock(channel):
            # Registered before the backend confirms, so nothing published after
            # `attach` returns can slip past.
            self._mailboxes.setdefault(channel, set()).add(sink)
            try:
                # Even when the channel is already in use: the backend returns at once if
                # its subscription is live, and otherwise waits for it or fails fast (the
                # others may be ended subscribers of a connection that broke).
                await self._backend.subscribe(channel)
            except BaseException:
                self._forget(channel, sink)
                raise
            self._refs[channel] = self._refs.get(channel, 0) + 1

    async def detach(self, channel: str, sink: Sink) -> None:
        """Stop delivering to `sink`; the backend leaves the channel with its last sink."""
        self._forget(channel, sink)
        # Shielded: a cancelled caller still releases the backend channel.
        await asyncio.shield(self._release(channel))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:  # type: ignore[override]
        """broadcaster's API: one bounded queue for this subscriber."""
        mailbox = _Mailbox(self._queue_size)
        await self.attach(channel, mailbox)
        try:
            yield BoundedSubscriber(mailbox)
        finally:
            mailbox.close()
            await self.detach(channel, mailbox)

    def _forget(self, channel: str, sink: Sink) -> None:
        mailboxes = self._mailboxes.get(channel)
        if mailboxes is not None:
            mailboxes.discard(sink)
            if not mailboxes and not self._refs.get(channel):
                del self._mailboxes[channel]

    async def _release(self, channel: str) -> None:
        async with self._channel_lock(channel):
            refs = self._refs.get(channel, 0) - 1
            if refs > 0:
                self._refs[channel] = refs
                return
            self._refs.pop(channel, None)
            if not self._mailboxes.get(channel):
                self._mailboxes.pop(channel, None)
            if self._closed:
                return
            try:
                await self._backend.unsubscribe(channel)
            except Exception:
                log.warning("unsubscribing from %s failed", channel, exc_info=True)

    def channel_count(self) -> int:
        """Channels this broadcast holds any state for (subscribed, with subscribers, or
        locked): 0 once nothing listens, however many came and went (for /metrics)."""
        return len(self._refs.keys() | self._mailboxes.keys() | self._locks.keys())

    def subscriber_count(self, channel: str) -> int:
        """Subscribers on `channel` that still receive events (for tests and health)."""
        return len(self._mailboxes.get(channel, ()))

    @property
    def connected(self) -> bool:
        """Whether publishing can work now, judged without I/O: connected, the listener
        running, and the backend's link up (Redis) as far as it knows."""
        task = self._listener_task
        if self._closed or task is None or task.done():
            return False
        return bool(getattr(self._backend, "connected", True))

    async def ping(self) -> None:
        """Raise `DeliveryInterrupted` unless live delivery works now: connected, the
        listener running, and the backend answering (a PING for Redis). For /readyz."""
        task = self._listener_task
        if self._closed or task is None or task.done():
            raise DeliveryInterrupted("the event bus is not connected")
        backend_ping = getattr(self._backend, "ping", None)
        if backend_ping is not None:
            await backend_ping()


# --------------------------------------------------------------------------------------
# The Redis backend
# --------------------------------------------------------------------------------------


_INTERRUPTED = object()  # queued by the reader when the pub/sub connection broke


class RedisPubSubBackend(BroadcastBackend):
    """Redis pub/sub for broadcaster, with confirmed subscribes and reconnects.

    Loop-bound objects are built in `connect()`, not here.
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 1.0,
        socket_timeout: float = 2.0,
        health_check_interval: float = 5.0,
        publish_timeout: float = 3.0,
        subscribe_wait: float = 2.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        scheme = urlparse(url).scheme
        if scheme not in ("redis", "rediss"):
            raise ValueError(
                f"RedisPubSubBackend needs a redis:// or rediss:// URL, not {scheme}://"
            )
        self._url = url
        self._connect_timeout = connect_timeout
        self._socket_timeout = socket_timeout
        self._health_check_interval = health_check_interval
        self._publish_timeout = publish_timeout
        self._subscribe_wait = subscribe_wait
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max

        self._client: aioredis.Redis | None = None
        self._pubsub_pool: aioredis.ConnectionPool | None = None
        self._reader: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        self._ready = asyncio.Event()  # set while the pub/sub connection works
        self._conn: Any = None  # the live pub/sub connection
        self._down_since: float | None = None
        self._channels: set[str] = set()  # wanted by the broadcast
        self._sent: set[str] = set()  # SUBSCRIBE sent on the current connection
        self._confirmed: set[str] = set()  # confirmed on the current connection
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is up right now."""
        return self._ready.is_set()

    async def wait_connected(self, within: float) -> bool:
        """Wait up to `within` seconds for the pub/sub connection; whether it is up."""
        try:
            await asyncio.wait_for(self._ready.wait(), within)
        except TimeoutError:
            return False
        return True

    async def ping(self) -> None:
        """`DeliveryInterrupted` unless the pub/sub connection is up and Redis answers a
        PING on the publishing client within `publish_timeout` seconds."""
        if not self.connected or self._client is None:
            raise DeliveryInterrupted("the pub/sub connection to Redis is down")
        try:
            async with asyncio.timeout(self._publish_timeout):
                await self._client.ping()
        except (TimeoutError, aioredis.RedisError, OSError) as exc:
            raise DeliveryInterrupted(f"Redis did not answer PING: {exc!r}") from exc

    # -- lifecycle ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Start the reader and wait for the first connection; raise if Redis is not
        reachable at start-up (a wrong URL should fail loudly). Later outages heal."""
        options: dict[str, Any] = {
            "socket_connect_timeout": self._connect_timeout,
            "socket_timeout": self._socket_timeout,
            "protocol": 2,
        }
        self._client = aioredis.Redis.from_url(
            self._url,
            health_check_interval=self._health_check_interval,
            # One quick retry: a connection left stale by a Redis restart fails once.
            retry=Retry(NoBackoff(), 1),
            **options,
        )
        self._pubsub_pool = aioredis.ConnectionPool.from_url(
            self._url, health_check_interval=0, retry=Retry(NoBackoff(), 0), **options
        )
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()  # nothing left over from an earlier connect
        self._down_since = loop.time()
        self._reader = asyncio.create_task(self._run(), name="redis-pubsub-reader")
        if not await self.wait_connected(self._connect_timeout * 3):
            await self.disconnect()
            raise ConnectionError(f"cannot connect to Redis at {_redacted(self._url)}")

    async def disconnect(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._pubsub_pool is not None:
            await self._pubsub_pool.disconnect()
            self._pubsub_pool = None

    # -- broadcaster API ---------------------------------------------------------------

    async def subscribe(self, channel: str) -> None:
        """Return once Redis confirmed the subscription; `DeliveryInterrupted` if Redis
        is down (after a short wait for a reconnect in progress) or the link breaks."""
        self._channels.add(channel)
        if channel in self._confirmed:
            return
        loop = asyncio.get_running_loop()
        if not self._ready.is_set():
            down_since = self._down_since if self._down_since is not None else loop.time()
            remaining = down_since + self._subscribe_wait - loop.time()
            if remaining <= 0 or not await self.wait_connected(remaining):
                self._abandon(channel)
                raise DeliveryInterrupted("Redis is unavailable")
            if channel in self._confirmed:
                return
        conn = self._conn
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        try:
            if channel not in self._sent:
                self._sent.add(channel)
                await self._send(conn, "SUBSCRIBE", channel)
            await asyncio.wait_for(waiter, self._socket_timeout + self._health_check_interval)
        except DeliveryInterrupted:
            self._abandon(channel)
            raise
        except (TimeoutError, aioredis.RedisError, OSError) as exc:
            self._abandon(channel)
            raise DeliveryInterrupted(f"subscribing to Redis failed: {exc!r}") from exc
        except BaseException:
            self._abandon(channel)
            raise

    def _abandon(self, channel: str) -> None:
        """A subscribe that failed: forget the channel unless another waiter wants it."""
        if not any(not w.done() for w in self._waiters.get(channel, ())):
            self._waiters.pop(channel, None)
            if channel not in self._confirmed:
                self._channels.discard(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._confirmed.discard(channel)
        sent = channel in self._sent
        self._sent.discard(channel)
        if sent and self._ready.is_set():
            # Best effort: if the link is broken the reader notices and reconnects
            # without this channel.
            with contextlib.suppress(aioredis.RedisError, OSError, TimeoutError):
                await self._send(self._conn, "UNSUBSCRIBE", channel)

    async def publish(self, channel: str, message: Any) -> None:
        """PUBLISH, raising within about `publish_timeout` seconds when Redis is down."""
        if self._client is None:
            raise DeliveryInterrupted("the Redis backend is not connected")
        async with asyncio.timeout(self._publish_timeout):
            await self._client.publish(channel, message)

    async def next_published(self) -> Event:
        item = await self._queue.get()
        if item is _INTERRUPTED:
            raise DeliveryInterrupted("the connection to Redis was lost")
        return item

    # -- the reader --------------------------------------------------------------------

    async def _send(self, conn: Any, *args: Any) -> None:
        async with self._write_lock:
            # Never let redis-py reconnect a connection we consider dead behind our back.
            if conn is None or conn is not self._conn or not conn.is_connected:
                raise DeliveryInterrupted("the connection to Redis was lost")
            await conn.send_command(*args, check_health=False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._backoff_initial
        failures = 0
        while True:
            conn = None
            try:
                conn = await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log.warning("Redis pub/sub: cannot connect (%r); retrying", exc)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._backoff_max)
                continue
            if failures:
                log.info("Redis pub/sub: reconnected after %d failed attempts", failures)
            failures = 0
            opened_at = loop.time()
            try:
                await self._read(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("Redis pub/sub: connection lost (%r); reconnecting", exc)
            finally:
                self._lost()
                with contextlib.suppress(Exception):
                    await conn.disconnect(nowait=True)
            # A connection that lived a while resets the backoff; a flapping one does not.
            if loop.time() - opened_at > self._backoff_max:
                delay = self._backoff_initial
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self._backoff_max)

    async def _open(self) -> Any:
        assert self._pubsub_pool is not None
        conn = self._pubsub_pool.make_connection()
        try:
            await asyncio.wait_for(conn.connect(), self._connect_timeout * 2)
            channels = sorted(self._channels)
            self._conn = conn
            self._sent = set(channels)
            self._confirmed = set()
            if channels:
                await self._send(conn, "SUBSCRIBE", *channels)
        except BaseException:
            self._conn = None
            self._sent = set()
            with contextlib.suppress(Exception):
                await conn.disconnect(nowait=True)
            raise
        self._down_since = None
        self._ready.set()
        return conn

    async def _read(self, conn: Any) -> None:
        pinged = False
        while True:
            response = await conn.read_response(timeout=self._health_check_interval)
            if response is None:  # quiet for a while: is the link alive?
                if pinged:
                    raise TimeoutError("Redis did not answer PING")
                await self._send(conn, "PING")
                pinged = True
                continue
            pinged = False
            if not isinstance(response, list) or not response:
                continue  # +PONG outside subscribed mode
            kind = response[0]
            if kind == b"message":
                channel, data = response[1], response[2]
                self._queue.put_nowait(
                    Event(
                        channel=channel.decode("utf-8", "replace"),
                        message=data.decode("utf-8", "replace"),
                    )
                )
            elif kind == b"subscribe":
                channel = response[1].decode("utf-8", "replace")
                await self._confirm(conn, channel)

    async def _confirm(self, conn: Any, channel: str) -> None:
        for waiter in self._waiters.pop(channel, ()):
            if not waiter.done():
                waiter.set_result(None)
        if channel in self._channels:
            self._confirmed.add(channel)
        elif channel not in self._sent:  # left while the SUBSCRIBE was in flight
            await self._send(conn, "UNSUBSCRIBE", channel)

    def _lost(self) -> None:
        was_ready = self._ready.is_set()
        self._ready.clear()
        self._conn = None
        self._sent = set()
        self._confirmed = set()
        self._down_since = asyncio.get_running_loop().time()
        waiters, self._waiters = self._waiters, {}
        for futures in waiters.values():
            for waiter in futures:
                if not waiter.done():
                    waiter.set_exception(DeliveryInterrupted("the connection to Redis was lost"))
        if was_ready:
            self._queue.put_nowait(_INTERRUPTED)


def _redacted(url: str) -> str:
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}"


def create_broadcast(url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> Broadcast:
    """The broadcast for `url`: `memory://` (one process) or `redis://`/`rediss://`.

    Call it inside a running event loop (the app lifespan)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "create_broadcast() must be called inside a running event loop "
            "(build the broadcast in the app lifespan, not at import)"
        ) from None
    scheme = urlparse(url).scheme
    if scheme == "memory":
        return HardenedBroadcast(backend=MemoryBackend(url), queue_size=queue_size)
    if scheme in ("redis", "rediss"):
        return HardenedBroadcast(backend=RedisPubSubBackend(url), queue_size=queue_size)
    raise ValueError(
        f"Unsupported broadcast URL scheme {scheme + '://' if scheme else '(none)'}: "
        "use memory:// (single process) or redis:// / rediss:// (Redis pub/sub)."
    )
