"""The websocket transport, hardened: graphql-transport-ws close codes, the
connection_init timeout, the subscription limit, allowed origins, server pings and the
message size limit. Every limit comes from settings.

Close codes used by the server, each covered here:
- 4400 invalid message (not JSON, not text, missing fields, too big)
- 4401 subscribe before connection_ack
- 4403 a bad or expired token in connection_init
- 4408 no connection_init within ws_init_timeout_s
- 4409 a second subscribe with an id already in flight
- 4429 a second connection_init
- 1011 no pong within ws_ping_timeout_s of a server ping (a dead peer)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.settings import Settings
from tests.helpers import Api, Subscriptions

CHECK_INS = "subscription($pairId: ID!) { checkInPosted(pairId: $pairId) { id body } }"


def connect(client: TestClient, **kwargs: Any):
    return client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], **kwargs)


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def closed_with(ws: Any) -> WebSocketDisconnect:
    """The close the server sent: receiving after it raises WebSocketDisconnect."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            ws.receive_json()
    return closed.value


def make_pair(api: Api) -> tuple[str, str]:
    """(pair id, the mentor's token): a member's subscription to it stays open."""
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    return pair["id"], story.mentor.token


@pytest.fixture
def pair(api: Api) -> tuple[str, str]:
    return make_pair(api)


# --- close codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "send",
    [
        lambda ws: ws.send_text("{ not json"),
        lambda ws: ws.send_bytes(b'{"type": "ping"}'),
        lambda ws: ws.send_json({"type": "subscribe", "payload": {"query": "{ __typename }"}}),
        lambda ws: ws.send_json({"type": "no-such-type"}),
        lambda ws: ws.send_json({"id": "1"}),
    ],
    ids=["bad-json", "binary", "subscribe-without-id", "unknown-type", "no-type"],
)
def test_an_invalid_message_closes_with_4400(client: TestClient, send) -> None:
    with connect(client) as ws:
        assert Subscriptions(ws).init(None)["type"] == "connection_ack"
        send(ws)
        assert closed_with(ws).code == 4400


def test_an_invalid_connection_init_payload_closes_with_4400(client: TestClient) -> None:
    with connect(client) as ws:
        ws.send_json({"type": "connection_init", "payload": "Bearer x"})
        assert closed_with(ws).code == 4400


def test_subscribe_before_connection_ack_closes_with_4401(client: TestClient) -> None:
    with connect(client) as ws:
        Subscriptions(ws).subscribe("1", "{ __typename }", {})
        assert closed_with(ws).code == 4401


def test_a_bad_token_closes_with_4403(client: TestClient) -> None:
    with connect(client) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer nope"}})
        assert closed_with(ws).code == 4403


def test_no_connection_init_in_time_closes_with_4408(settings: Settings) -> None:
    with (
        client_for(dataclasses.replace(settings, ws_init_timeout_s=0.2)) as client,
        connect(client) as ws,
    ):
        closed = closed_with(ws)
    assert closed.code == 4408
    assert "timeout" in closed.reason.lower()


def test_a_connection_init_in_time_is_not_timed_out(settings: Settings) -> None:
    with (
        client_for(dataclasses.replace(settings, ws_init_timeout_s=0.2)) as client,
        connect(client) as ws,
    ):
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        time.sleep(0.4)  # past the timeout, the connection still answers
        ws.send_json({"type": "ping"})
        assert sub.receive() == {"type": "pong"}
        ws.send_json({"type": "ping"})
        assert sub.receive() == {"type": "pong"}


def test_a_duplicate_subscription_id_closes_with_4409(api: Api, pair: tuple[str, str]) -> None:
    pair_id, token = pair
    with connect(api.client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(token)["type"] == "connection_ack"
        sub.subscribe("s", CHECK_INS, {"pairId": pair_id})
        api.wait_for_listeners(pair_id, 1)
        sub.subscribe("s", CHECK_INS, {"pairId": pair_id})
        closed = closed_with(ws)
    assert closed.code == 4409
    assert "s" in closed.reason


def test_a_second_connection_init_closes_with_4429(client: TestClient) -> None:
    with connect(client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        ws.send_json({"type": "connection_init", "payload": {}})
        assert closed_with(ws).code == 4429


# --- the subscription limit -------------------------------------------------------------


def test_the_21st_subscription_on_a_connection_is_refused(
    api: Api, pair: tuple[str, str], settings: Settings
) -> None:
    assert settings.ws_max_subscriptions == 20
    pair_id, token = pair
    with connect(api.client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(token)["type"] == "connection_ack"
        for n in range(1, 21):
            sub.subscribe(f"s{n}", CHECK_INS, {"pairId": pair_id})
        api.wait_for_listeners(pair_id, 20)
        sub.subscribe("s21", CHECK_INS, {"pairId": pair_id})
        frame = sub.receive()
        assert frame["id"] == "s21"
        assert frame["type"] == "error"
        assert frame["payload"][0]["message"] == "Subscription limit reached"
        # The connection stays up; completing one makes room for another.
        ws.send_json({"id": "s1", "type": "complete"})
        sub.subscribe("s22", CHECK_INS, {"pairId": pair_id})
        ws.send_json({"type": "ping"})
        assert sub.receive() == {"type": "pong"}  # no error frame for s22 came first


def test_the_subscription_limit_comes_from_settings(settings: Settings) -> None:
    with client_for(dataclasses.replace(settings, ws_max_subscriptions=2)) as client:
        pair_id, token = make_pair(Api(client, client.app))
        with connect(client) as ws:
            sub = Subscriptions(ws)
            assert sub.init(token)["type"] == "connection_ack"
            sub.subscribe("a", CHECK_INS, {"pairId": pair_id})
            sub.subscribe("b", CHECK_INS, {"pairId": pair_id})
            sub.subscribe("c", CHECK_INS, {"pairId": pair_id})
            frame = sub.receive()
            assert (frame["id"], frame["type"]) == ("c", "error")


# --- origins ----------------------------------------------------------------------------


def test_a_cross_origin_handshake_is_refused_by_default(client: TestClient) -> None:
    """Refused before accepting: uvicorn answers such a handshake with HTTP 403."""
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        connect(client, headers={"origin": "https://evil.example"}),
    ):
        pass  # pragma: no cover
    assert refused.value.code == 1008


def test_allowed_origins_come_from_settings(settings: Settings) -> None:
    allowed = dataclasses.replace(settings, allowed_origins=("https://app.example",))
    with (
        client_for(allowed) as client,
        connect(client, headers={"origin": "https://app.example"}) as ws,
    ):
        assert Subscriptions(ws).init(None)["type"] == "connection_ack"
        with (
            pytest.raises(WebSocketDisconnect),
            connect(client, headers={"origin": "https://evil.example"}),
        ):
            pass  # pragma: no cover


def test_same_origin_and_originless_handshakes_are_accepted(client: TestClient) -> None:
    for headers in ({"origin": "http://testserver"}, {}):
        with connect(client, headers=headers) as ws:
            assert Subscriptions(ws).init(None)["type"] == "connection_ack"


# --- server pings -----------------------------------------------------------------------


def pinging(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ws_ping_interval_s=0.1, ws_ping_timeout_s=0.3)


def test_the_server_pings_and_a_peer_that_pongs_stays(settings: Settings) -> None:
    with client_for(pinging(settings)) as client, connect(client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        for _ in range(4):  # longer than the ping timeout, in all
            assert sub.receive() == {"type": "ping"}
            ws.send_json({"type": "pong"})
        ws.send_json({"type": "ping"})
        frame = sub.receive()
        while frame == {"type": "ping"}:
            ws.send_json({"type": "pong"})
            frame = sub.receive()
        assert frame == {"type": "pong"}


def test_a_peer_that_never_pongs_is_dropped(settings: Settings) -> None:
    with client_for(pinging(settings)) as client, connect(client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        assert sub.receive() == {"type": "ping"}
        closed = closed_with(ws)
    assert closed.code == 1011
    assert closed.reason == "Ping timeout"


def test_no_pings_before_connection_ack(settings: Settings) -> None:
    slow_init = dataclasses.replace(pinging(settings), ws_init_timeout_s=0.5)
    with client_for(slow_init) as client, connect(client) as ws:
        # Nothing but the init timeout's close arrives: no ping before the ack.
        assert closed_with(ws).code == 4408


# --- message size -----------------------------------------------------------------------


def test_an_oversized_message_closes_with_4400(client: TestClient, settings: Settings) -> None:
    limit = settings.ws_max_message_bytes
    assert limit == 65536
    with connect(client) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        ws.send_json({"type": "ping", "payload": {"pad": "x" * (limit - 100)}})
        assert sub.receive() == {"type": "pong"}  # under the limit: served
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "x" * limit}})
        closed = closed_with(ws)
    assert closed.code == 4400
    assert closed.reason == "Message too big"


def test_the_message_limit_counts_utf8_bytes(settings: Settings) -> None:
    with (
        client_for(dataclasses.replace(settings, ws_max_message_bytes=1000)) as client,
        connect(client) as ws,
    ):
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        # Under 1000 characters, over 1000 bytes: 3 bytes of UTF-8 per euro sign.
        ws.send_json({"type": "ping", "payload": {"pad": "€" * 300}})
        assert sub.receive() == {"type": "pong"}  # 900 bytes and a frame: served
        ws.send_json({"type": "ping", "payload": {"pad": "€" * 400}})
        closed = closed_with(ws)
    assert closed.code == 4400
