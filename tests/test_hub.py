"""The fan-out hub (api/hub.py) through the real app and real websocket frames: a live
subscription holds no task of its own, a channel is listened to once per process, and
every subscription still gets its frame and its own `complete`."""

from __future__ import annotations

import asyncio
import time

from api.pubsub import pair_channel
from schema.ids import decode_id
from tests.helpers import Api, Subscriptions

CHECK_INS = """
subscription($pairId: ID!) { checkInPosted(pairId: $pairId) { body author { name } } }"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { userErrors { code } } }"""


def _tasks(api: Api) -> list[str]:
    """What each task on the app's loop runs (this probe's own task left out)."""

    async def names() -> list[str]:
        me = asyncio.current_task()
        # A finishing async generator's `aclose()` runs as a task of an `athrow` object,
        # which has no `__qualname__`: named by its type, it is one more thing finishing.
        return sorted(
            getattr(t.get_coro(), "__qualname__", type(t.get_coro()).__name__)
            for t in asyncio.all_tasks()
            if t is not me
        )

    return api.run(names)


def _settled(api: Api, timeout: float = 5.0) -> list[str]:
    """The tasks once no subscription is being set up and nothing else is finishing
    (the same list twice in a row, 50 ms apart)."""
    deadline = time.monotonic() + timeout
    previous: list[str] | None = None
    while True:
        tasks = _tasks(api)
        finishing = ("run_operation", "async_generator_athrow")
        if tasks == previous and not any(word in name for name in tasks for word in finishing):
            return tasks
        assert time.monotonic() < deadline, f"never settled: {tasks}"
        previous = tasks
        time.sleep(0.05)


def test_live_subscriptions_hold_no_task_and_share_one_listener(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    channel = pair_channel(decode_id(pair["id"])[1])
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("0", CHECK_INS, {"pairId": pair["id"]})
        api.wait_for_listeners(pair["id"], 1)
        one = _settled(api)
        for n in range(1, 10):
            client.subscribe(str(n), CHECK_INS, {"pairId": pair["id"]})
        api.wait_for_listeners(pair["id"], 10)
        ten = _settled(api)
        assert len(ten) <= len(one), (one, ten)  # ten live subscriptions, no more tasks
        assert api.app.state.pubsub._broadcast.subscriber_count(channel) == 1

        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "Hello"}, story.mentor.token)
        frames = [client.receive() for _ in range(10)]
        assert sorted(frame["id"] for frame in frames) == [str(n) for n in range(10)]
        for frame in frames:
            assert frame["type"] == "next"
            assert frame["payload"] == {
                "data": {"checkInPosted": {"body": "Hello", "author": {"name": "Maya"}}}
            }

        ws.send_json({"id": "3", "type": "complete"})
        deadline = time.monotonic() + 5
        while api.app.state.pubsub.listener_count(channel) != 9:
            assert time.monotonic() < deadline, "the completed subscription kept listening"
            time.sleep(0.01)
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "Again"}, story.mentor.token)
        ids = sorted(client.receive()["id"] for _ in range(9))
        assert ids == [str(n) for n in range(10) if n != 3]
    deadline = time.monotonic() + 5
    while api.app.state.pubsub.listener_count(channel):
        assert time.monotonic() < deadline, "a closed connection's subscriptions kept listening"
        time.sleep(0.01)


def _waiting_chain(api: Api) -> list[str]:
    """The coroutines a websocket connection's task is suspended in, outermost first."""

    async def chain() -> list[str]:
        for task in asyncio.all_tasks():
            names, coro = [], task.get_coro()
            while coro is not None:
                names.append(getattr(coro, "__qualname__", type(coro).__name__))
                coro = getattr(coro, "cr_await", None)
            if any("PingingTransportWSHandler.handle" in name for name in names):
                return names
        return []

    return api.run(chain)


def test_an_idle_websocket_waits_in_no_layer_that_does_not_act_on_it(api: Api) -> None:
    """A connection lives for hours, and each layer it came through is a suspended frame
    it holds: the GraphQL websocket skips Starlette's error and exception middleware and
    its router (api/app.py), and the security headers, and keeps the request id and access
    line (api/logs.py)."""
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        assert Subscriptions(ws).init(None)["type"] == "connection_ack"
        chain = _waiting_chain(api)
        assert chain, "the connection's task was found"
        layers = " > ".join(chain)
        skipped_layers = (
            "SecurityHeadersMiddleware",  # api/security.py: no headers to add to a websocket
            "ServerErrorMiddleware",
            "ExceptionMiddleware",
            "Router",
            "Route.",
        )
        for skipped in skipped_layers:
            assert skipped not in layers, layers
        assert "RequestContextMiddleware.__call__" in layers
        # The handshake's answer still carries the request id.
        assert b"x-request-id" in {name.lower() for name, _ in ws.extra_headers}
