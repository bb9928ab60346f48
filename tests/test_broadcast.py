"""The hardened broadcast (api/broadcast.py): bounded queues, loud failures, reconnects.

The Redis tests run against a real redis-server that this module starts on a free
port (and kills, and restarts); they are skipped when /usr/bin/redis-server is absent.
Every wait is bounded, so a regression fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis import asyncio as aioredis

from api import errors
from api.broadcast import (
    DeliveryInterrupted,
    HardenedBroadcast,
    RedisPubSubBackend,
    SlowConsumer,
    create_broadcast,
)
from api.pubsub import PubSub

REDIS_SERVER = "/usr/bin/redis-server"
WAIT = 5.0  # the bound on any single wait in these tests


# --------------------------------------------------------------------------------------
# A real redis-server of our own
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self._process is None
        self._process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if not os.path.exists(REDIS_SERVER):
        pytest.skip(f"{REDIS_SERVER} is not installed")
    server = RedisServer(_free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
async def redis_broadcast(redis_server: RedisServer) -> AsyncIterator[HardenedBroadcast]:
    broadcast = create_broadcast(redis_server.url, queue_size=5)
    assert isinstance(broadcast, HardenedBroadcast)
    await broadcast.connect()
    try:
        yield broadcast
    finally:
        await asyncio.wait_for(broadcast.disconnect(), WAIT)


@pytest.fixture
async def memory_broadcast() -> AsyncIterator[HardenedBroadcast]:
    broadcast = create_broadcast("memory://", queue_size=5)
    assert isinstance(broadcast, HardenedBroadcast)
    await broadcast.connect()
    try:
        yield broadcast
    finally:
        await asyncio.wait_for(broadcast.disconnect(), WAIT)


def _backend(broadcast: HardenedBroadcast) -> RedisPubSubBackend:
    backend = broadcast._backend
    assert isinstance(backend, RedisPubSubBackend)
    return backend


async def _next(subscriber: Any) -> str:
    return (await asyncio.wait_for(subscriber.get(), WAIT)).message


async def _numsub(url: str, channel: str) -> int:
    client = aioredis.Redis.from_url(url, protocol=2)
    try:
        [(_, count)] = await client.pubsub_numsub(channel)
        return count
    finally:
        await client.aclose()


async def _eventually(check: Any, within: float = WAIT) -> None:
    async def poll() -> None:
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), within)


# --------------------------------------------------------------------------------------
# create_broadcast
# --------------------------------------------------------------------------------------


async def test_create_broadcast_rejects_unknown_schemes() -> None:
    with pytest.raises(ValueError, match="memory://"):
        create_broadcast("kafka://localhost:9092")
    with pytest.raises(ValueError, match="Unsupported"):
        create_broadcast("localhost:6379")
    with pytest.raises(ValueError):
        create_broadcast("memory://", queue_size=0)


def test_create_broadcast_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running event loop"):
        create_broadcast("memory://")


async def test_redis_backend_does_not_touch_the_network_until_connect() -> None:
    broadcast = create_broadcast("redis://127.0.0.1:1/0")
    assert isinstance(broadcast, HardenedBroadcast)
    with pytest.raises(DeliveryInterrupted):  # not connected: fails fast, never hangs
        async with broadcast.subscribe("x"):
            pass


async def test_connect_fails_fast_when_redis_is_unreachable() -> None:
    broadcast = create_broadcast(f"redis://127.0.0.1:{_free_port()}/0")
    started = time.monotonic()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(broadcast.connect(), 10)
    assert time.monotonic() - started < 6


# --------------------------------------------------------------------------------------
# Redis: delivery, concurrency, outages
# --------------------------------------------------------------------------------------


async def test_first_subscription_receives(redis_broadcast: HardenedBroadcast) -> None:
    # broadcaster's own Redis backend never delivers on its first subscription with
    # redis-py 8; subscribe() here returns only once Redis confirmed it.
    async with redis_broadcast.subscribe("first") as subscriber:
        await asyncio.wait_for(redis_broadcast.publish("first", "hello"), WAIT)
        assert await _next(subscriber) == "hello"
        await asyncio.wait_for(redis_broadcast.publish("first", "again"), WAIT)
        assert await _next(subscriber) == "again"


async def test_other_channels_are_not_delivered(redis_broadcast: HardenedBroadcast) -> None:
    async with (
        redis_broadcast.subscribe("a") as on_a,
        redis_broadcast.subscribe("b") as on_b,
    ):
        await redis_broadcast.publish("a", "for a")
        await redis_broadcast.publish("b", "for b")
        assert await _next(on_a) == "for a"
        assert await _next(on_b) == "for b"


async def test_concurrent_subscribes_to_a_new_channel(
    redis_broadcast: HardenedBroadcast, redis_server: RedisServer
) -> None:
    entered = asyncio.Barrier(3)

    async def listen() -> list[str]:
        async with redis_broadcast.subscribe("together") as subscriber:
            await entered.wait()
            return [await _next(subscriber), await _next(subscriber)]

    listeners = [asyncio.create_task(listen()) for _ in range(2)]
    await asyncio.wait_for(entered.wait(), WAIT)
    await redis_broadcast.publish("together", "one")
    await redis_broadcast.publish("together", "two")
    # Both receive everything, and both leave without a KeyError.
    results = await asyncio.wait_for(asyncio.gather(*listeners), WAIT)
    assert results == [["one", "two"], ["one", "two"]]

    # Everything is released, here and in Redis.
    assert redis_broadcast._refs == {}
    assert redis_broadcast._mailboxes == {}
    assert _backend(redis_broadcast)._channels == set()

    async def unsubscribed() -> bool:
        return await _numsub(redis_server.url, "together") == 0

    await _eventually(unsubscribed)


async def test_many_concurrent_subscribers_and_leaving_in_any_order(
    redis_broadcast: HardenedBroadcast,
) -> None:
    async def listen(i: int) -> str:
        async with redis_broadcast.subscribe("crowd") as subscriber:
            if i % 2:  # half of them leave right away, while others still join
                return "left"
            return await _next(subscriber)

    tasks = [asyncio.create_task(listen(i)) for i in range(20)]

    async def all_joined() -> bool:
        return redis_broadcast.subscriber_count("crowd") == 10

    await _eventually(all_joined)
    await redis_broadcast.publish("crowd", "hi")
    results = await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    assert results == ["hi" if i % 2 == 0 else "left" for i in range(20)]
    assert redis_broadcast._refs == {}
    # And the channel works again afterwards.
    async with redis_broadcast.subscribe("crowd") as subscriber:
        await redis_broadcast.publish("crowd", "again")
        assert await _next(subscriber) == "again"


async def test_redis_outage_ends_subscribers_and_recovers(
    redis_broadcast: HardenedBroadcast, redis_server: RedisServer
) -> None:
    backend = _backend(redis_broadcast)
    async with redis_broadcast.subscribe("pair:1") as subscriber:
        await redis_broadcast.publish("pair:1", "before")
        assert await _next(subscriber) == "before"

        redis_server.kill()
        # Nobody hangs: the subscriber is ended promptly with an error.
        started = time.monotonic()
        with pytest.raises(DeliveryInterrupted):
            await _next(subscriber)
        assert time.monotonic() - started < 3
        # ...and stays ended.
        with pytest.raises(DeliveryInterrupted):
            await _next(subscriber)

    # Publishing fails quickly instead of hanging.
    started = time.monotonic()
    with pytest.raises(Exception):  # noqa: B017 - redis-py's error or a timeout
        await asyncio.wait_for(redis_broadcast.publish("pair:1", "lost"), 10)
    assert time.monotonic() - started < 4

    # A new subscription fails fast while Redis is down.
    started = time.monotonic()
    with pytest.raises(DeliveryInterrupted):
        async with redis_broadcast.subscribe("pair:1"):
            pytest.fail("subscribed while Redis is down")
    assert time.monotonic() - started < 3
    assert not backend.connected

    # Redis comes back on the same port: the reader reconnects by itself (backoff).
    redis_server.start()
    assert await backend.wait_connected(10), "did not reconnect to Redis"
    async with redis_broadcast.subscribe("pair:1") as subscriber:
        await asyncio.wait_for(redis_broadcast.publish("pair:1", "after"), WAIT)
        assert await _next(subscriber) == "after"


async def test_joining_a_channel_whose_subscribers_were_ended_by_an_outage(
    redis_broadcast: HardenedBroadcast, redis_server: RedisServer
) -> None:
    backend = _backend(redis_broadcast)
    async with redis_broadcast.subscribe("shared") as lingering:
        redis_server.kill()
        with pytest.raises(DeliveryInterrupted):
            await _next(lingering)
        # `lingering` has not left yet; joining its channel must still fail fast...
        with pytest.raises(DeliveryInterrupted):
            async with asyncio.timeout(WAIT), redis_broadcast.subscribe("shared"):
                pytest.fail("subscribed while Redis is down")
        # ...and, once Redis is back, wait for a live subscription and receive.
        redis_server.start()
        assert await backend.wait_connected(10)
        async with redis_broadcast.subscribe("shared") as joined:
            await asyncio.wait_for(redis_broadcast.publish("shared", "live"), WAIT)
            assert await _next(joined) == "live"
    assert redis_broadcast._refs == {}
    assert backend._channels == set()


async def test_channels_in_use_are_resubscribed_after_a_reconnect(
    redis_server: RedisServer,
) -> None:
    # The backend alone (no broadcast ends the subscriber): its channels survive an outage.
    backend = RedisPubSubBackend(redis_server.url, backoff_initial=0.05, backoff_max=0.5)
    await backend.connect()
    try:
        await asyncio.wait_for(backend.subscribe("kept"), WAIT)
        redis_server.kill()
        with pytest.raises(DeliveryInterrupted):
            await asyncio.wait_for(backend.next_published(), WAIT)
        redis_server.start()
        assert await backend.wait_connected(10)

        async def resubscribed() -> bool:
            return await _numsub(redis_server.url, "kept") == 1

        await _eventually(resubscribed)
        await asyncio.wait_for(backend.publish("kept", "back"), WAIT)
        event = await asyncio.wait_for(backend.next_published(), WAIT)
        assert (event.channel, event.message) == ("kept", "back")
    finally:
        await asyncio.wait_for(backend.disconnect(), WAIT)


async def test_a_hung_redis_is_detected_by_health_checks(redis_server: RedisServer) -> None:
    # No EOF this time: the server just stops answering. PINGs on the idle pub/sub
    # connection notice; publishing gives up after its timeout.
    backend = RedisPubSubBackend(
        redis_server.url, health_check_interval=0.3, socket_timeout=0.5, publish_timeout=1.0
    )
    broadcast = HardenedBroadcast(backend=backend)
    await broadcast.connect()
    try:
        async with broadcast.subscribe("quiet") as subscriber:
            redis_server.pause()
            started = time.monotonic()
            with pytest.raises(DeliveryInterrupted):
                await _next(subscriber)
            assert time.monotonic() - started < 3
        started = time.monotonic()
        with pytest.raises(Exception):  # noqa: B017 - redis-py's error or a timeout
            await asyncio.wait_for(broadcast.publish("quiet", "x"), 10)
        assert time.monotonic() - started < 2
        redis_server.resume()
        assert await backend.wait_connected(10)
        async with broadcast.subscribe("quiet") as subscriber:
            await asyncio.wait_for(broadcast.publish("quiet", "awake"), WAIT)
            assert await _next(subscriber) == "awake"
    finally:
        redis_server.resume()
        await asyncio.wait_for(broadcast.disconnect(), WAIT)


async def test_first_publish_after_a_restart_succeeds(
    redis_broadcast: HardenedBroadcast, redis_server: RedisServer
) -> None:
    await redis_broadcast.publish("warm", "pooled connection")
    redis_server.kill()
    redis_server.start()
    # The pooled PUBLISH connection is stale now; one quick retry hides that.
    await asyncio.wait_for(redis_broadcast.publish("warm", "fresh connection"), WAIT)


async def test_subscribe_waits_briefly_for_a_reconnect_in_progress(
    redis_broadcast: HardenedBroadcast, redis_server: RedisServer
) -> None:
    backend = _backend(redis_broadcast)
    redis_server.kill()

    async def disconnected() -> bool:
        return not backend.connected

    await _eventually(disconnected)
    redis_server.start()  # back within the subscribe grace period (2 s)
    async with asyncio.timeout(WAIT), redis_broadcast.subscribe("soon") as subscriber:
        await redis_broadcast.publish("soon", "made it")
        assert await _next(subscriber) == "made it"


async def test_slow_consumer_is_disconnected_redis(redis_broadcast: HardenedBroadcast) -> None:
    await _slow_consumer_is_disconnected(redis_broadcast)


async def test_slow_consumer_is_disconnected_memory(memory_broadcast: HardenedBroadcast) -> None:
    await _slow_consumer_is_disconnected(memory_broadcast)


async def _slow_consumer_is_disconnected(broadcast: HardenedBroadcast) -> None:
    """queue_size is 5: a subscriber that never reads is dropped once 6 events are
    waiting; a subscriber that keeps reading gets every event, in order."""
    count = 50
    received: list[str] = []
    fast_ready = asyncio.Event()

    async def fast() -> None:
        async with broadcast.subscribe("busy") as subscriber:
            fast_ready.set()
            while len(received) < count:
                received.append(await _next(subscriber))

    async with broadcast.subscribe("busy") as slow:
        fast_task = asyncio.create_task(fast())
        await asyncio.wait_for(fast_ready.wait(), WAIT)
        for i in range(count):
            await asyncio.wait_for(broadcast.publish("busy", str(i)), WAIT)
        await asyncio.wait_for(fast_task, WAIT)
        assert received == [str(i) for i in range(count)]
        # The slow one was ended, its queue dropped: the error comes first, then again.
        with pytest.raises(SlowConsumer):
            await _next(slow)
        with pytest.raises(SlowConsumer):
            await _next(slow)
        assert slow._queue.qsize() == 0
        assert broadcast.subscriber_count("busy") == 0  # both gone from delivery
    assert broadcast._refs == {}


async def test_memory_subscribers_leave_cleanly(memory_broadcast: HardenedBroadcast) -> None:
    async def listen() -> str:
        async with memory_broadcast.subscribe("m") as subscriber:
            return await _next(subscriber)

    tasks = [asyncio.create_task(listen()) for _ in range(3)]

    async def joined() -> bool:
        return memory_broadcast.subscriber_count("m") == 3

    await _eventually(joined)
    await memory_broadcast.publish("m", "x")
    assert await asyncio.wait_for(asyncio.gather(*tasks), WAIT) == ["x", "x", "x"]
    assert memory_broadcast._refs == {}
    assert memory_broadcast._mailboxes == {}


async def test_a_failing_backend_ends_subscribers_loudly() -> None:
    class Flaky:
        """A backend whose delivery breaks once."""

        def __init__(self) -> None:
            self.broken = asyncio.Event()
            self.queue: asyncio.Queue[Any] = asyncio.Queue()

        async def connect(self) -> None: ...

        async def disconnect(self) -> None: ...

        async def subscribe(self, channel: str) -> None: ...

        async def unsubscribe(self, channel: str) -> None: ...

        async def publish(self, channel: str, message: Any) -> None: ...

        async def next_published(self) -> Any:
            await self.broken.wait()
            self.broken.clear()
            raise RuntimeError("boom")

    backend = Flaky()
    broadcast = HardenedBroadcast(backend=backend)  # type: ignore[arg-type]
    await broadcast.connect()
    try:
        async with broadcast.subscribe("c") as subscriber:
            backend.broken.set()
            with pytest.raises(DeliveryInterrupted):
                await _next(subscriber)
    finally:
        await asyncio.wait_for(broadcast.disconnect(), WAIT)


async def test_disconnect_ends_subscribers(memory_broadcast: HardenedBroadcast) -> None:
    async with memory_broadcast.subscribe("bye") as subscriber:
        await memory_broadcast.disconnect()
        with pytest.raises(DeliveryInterrupted):
            await _next(subscriber)


# --------------------------------------------------------------------------------------
# Through PubSub's fan-out hub: one listener per channel, and the errors a client sees
# --------------------------------------------------------------------------------------


class _Listener:
    """A live subscription as the hub sees it (api.hub.Listener), keeping what it got."""

    def __init__(self, channel: str, *, live: bool = True, fails: bool = False) -> None:
        self.channel = channel
        self.fails = fails
        self.backlog: list[dict[str, Any]] | None = None if live else []
        self.received: list[dict[str, Any]] = []
        self.ended: list[Exception | None] = []

    async def receive(self, message: dict[str, Any]) -> None:
        if self.fails and message.get("fail"):
            raise RuntimeError("this listener broke")
        self.received.append(message)

    def end(self, error: Exception | None) -> None:
        self.ended.append(error)


async def test_hub_listens_once_per_channel_and_delivers_in_order() -> None:
    bus = PubSub("memory://")
    await bus.connect()
    try:
        listeners = [_Listener("pair:7") for _ in range(3)]
        await asyncio.gather(*(bus.hub.attach(listener) for listener in listeners))
        assert bus.listener_count("pair:7") == 3
        assert bus._broadcast.subscriber_count("pair:7") == 1  # one sink for all three
        for i in range(20):
            assert await bus.publish("pair:7", {"sequence": i})

        async def all_received() -> bool:
            return all(len(listener.received) == 20 for listener in listeners)

        await _eventually(all_received)
        for listener in listeners:
            assert [m["sequence"] for m in listener.received] == list(range(20))
        # One listener that fails is ended alone; the others go on.
        broken = _Listener("pair:7", fails=True)
        await bus.hub.attach(broken)
        assert await bus.publish("pair:7", {"sequence": 20, "fail": True})
        assert await bus.publish("pair:7", {"sequence": 21})

        async def broken_ended() -> bool:
            return bool(broken.ended) and all(len(x.received) == 22 for x in listeners)

        await _eventually(broken_ended)
        assert isinstance(broken.ended[0], RuntimeError)
        assert bus.listener_count("pair:7") == 3
        for listener in listeners:
            bus.hub.detach(listener)
        assert bus.listener_count("pair:7") == 0

        async def released() -> bool:
            return bus._broadcast.subscriber_count("pair:7") == 0

        await _eventually(released)
        assert not any(listener.ended for listener in listeners)
    finally:
        await asyncio.wait_for(bus.disconnect(), WAIT)


async def test_hub_buffers_until_a_listener_goes_live() -> None:
    bus = PubSub("memory://")
    await bus.connect()
    try:
        listener = _Listener("pair:9", live=False)
        await bus.hub.attach(listener)
        for i in range(3):
            assert await bus.publish("pair:9", {"sequence": i})
        await asyncio.sleep(0.05)
        assert listener.received == []
        assert listener.backlog is not None and len(listener.backlog) == 3
        bus.hub.go_live(listener)
        assert await bus.publish("pair:9", {"sequence": 3})

        async def got_all() -> bool:
            return len(listener.received) == 4

        await _eventually(got_all)
        assert [m["sequence"] for m in listener.received] == [0, 1, 2, 3]
    finally:
        await asyncio.wait_for(bus.disconnect(), WAIT)


async def test_hub_outage_ends_listeners_with_unavailable(redis_server: RedisServer) -> None:
    bus = PubSub(redis_server.url)
    await bus.connect()
    try:
        listener = _Listener("pair:8")
        await bus.hub.attach(listener)
        assert await bus.publish("pair:8", {"sequence": 1})

        async def got_one() -> bool:
            return len(listener.received) == 1

        await _eventually(got_one)
        redis_server.kill()

        async def ended() -> bool:
            return bool(listener.ended)

        await _eventually(ended)
        assert isinstance(listener.ended[0], errors.Unavailable)
        assert listener.ended[0].extensions == {"code": "UNAVAILABLE"}
        assert listener.received == [{"sequence": 1}]
        assert bus.listener_count("pair:8") == 0

        # Publishing reports failure quickly and never raises.
        started = time.monotonic()
        assert await asyncio.wait_for(bus.publish("pair:8", {"sequence": 2}), 10) is False
        assert time.monotonic() - started < 4

        # Subscribing while Redis is down: the same error, right away.
        with pytest.raises(errors.Unavailable) as raised:
            async with asyncio.timeout(WAIT):
                await bus.hub.attach(_Listener("pair:8"))
        assert raised.value.extensions == {"code": "UNAVAILABLE"}
        assert bus.listener_count("pair:8") == 0
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(bus.disconnect(), WAIT)
