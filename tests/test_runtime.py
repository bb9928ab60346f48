"""The collector policy (api/runtime.py) on real subscriptions: what survives set-up is
frozen, and the garbage closed connections leave frozen is reclaimed, so it does not
grow with connect and disconnect cycles. Counts of objects, never times."""

from __future__ import annotations

import gc
from contextlib import ExitStack

from starlette.testclient import TestClient

from api import runtime
from tests.helpers import Api, Subscriptions
from tests.test_operability import make_pair

EVENTS = """subscription($pairId: ID!) {
  pairEvents(pairId: $pairId) { sequence ... on CheckInPostedEvent { checkIn { body } } }
}"""
POST = """mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { code } }
}"""
CYCLES = 10
PER_CYCLE = 20


def _open_and_close(client: TestClient, token: str, pair_id: str, policy: runtime.CollectorPolicy):
    """PER_CYCLE live subscriptions (each has received its replayed event), a busy tick
    while they are open (it freezes them), then all closed, then a quiet tick."""
    with ExitStack() as stack:
        for _ in range(PER_CYCLE):
            ws = stack.enter_context(
                client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
            )
            sub = Subscriptions(ws)
            assert sub.init(token)["type"] == "connection_ack"
            sub.subscribe("1", EVENTS, {"pairId": pair_id})
            assert sub.receive()["type"] == "next"
        frozen_before = gc.get_freeze_count()
        policy.tick(quiet=False)
        assert policy.setups == 0
        assert gc.get_freeze_count() >= frozen_before  # frozen with their objects
    policy.tick(quiet=True)


def _frozen_counts(api: Api, client: TestClient, policy: runtime.CollectorPolicy) -> list[int]:
    pair_id, mentor, mentee = make_pair(api)
    api.ok(POST, {"pairId": pair_id, "body": "hello"}, mentor)
    policy.apply()
    try:
        counts = []
        for _ in range(CYCLES):
            _open_and_close(client, mentee, pair_id, policy)
            counts.append(gc.get_freeze_count())
        return counts
    finally:
        policy.restore()


def test_frozen_garbage_of_closed_subscriptions_is_reclaimed_when_quiet(
    api: Api, client: TestClient
) -> None:
    # Control: the same cycles with reclaiming off. Each closed subscription leaves
    # cyclic garbage that was frozen with it, so the frozen count climbs cycle by cycle.
    never = runtime.CollectorPolicy(
        quiet_teardowns=10**9, busy_teardowns=10**9, quiet_freezes=10**9
    )
    control = _frozen_counts(api, client, never)
    assert never.freezes == CYCLES and never.reclaims == 0
    control_growth = control[-1] - control[0]
    assert control_growth > 20 * PER_CYCLE * (CYCLES - 1), control  # the garbage is real

    policy = runtime.CollectorPolicy(quiet_teardowns=PER_CYCLE, quiet_freezes=10**9)
    counts = _frozen_counts(api, client, policy)
    assert policy.freezes == CYCLES and policy.reclaims == CYCLES
    assert max(counts) - min(counts) < control_growth / 4, (counts, control)


def test_under_traffic_it_reclaims_once_as_many_ended_as_are_open(
    api: Api, client: TestClient
) -> None:
    pair_id, mentor, mentee = make_pair(api)
    api.ok(POST, {"pairId": pair_id, "body": "hello"}, mentor)
    policy = runtime.CollectorPolicy(quiet_teardowns=10**9, busy_teardowns=PER_CYCLE)
    policy.apply()
    try:
        with ExitStack() as stack:
            for _ in range(PER_CYCLE):
                ws = stack.enter_context(
                    client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
                )
                sub = Subscriptions(ws)
                sub.init(mentee)
                sub.subscribe("1", EVENTS, {"pairId": pair_id})
                assert sub.receive()["type"] == "next"
            assert policy.live == PER_CYCLE
            policy.tick(quiet=False)
            assert (policy.freezes, policy.reclaims) == (1, 0)
        assert (policy.live, policy.teardowns) == (0, PER_CYCLE)
        policy.tick(quiet=False)  # never quiet, but as many ended as were open
        assert policy.reclaims == 1 and policy.teardowns == 0
    finally:
        policy.restore()
    assert gc.get_freeze_count() == 0  # restore unfreezes what it froze


def test_the_policy_is_on_by_default_and_can_be_switched_off() -> None:
    from api.settings import Settings

    assert Settings().gc_policy is True
    assert Settings.from_env({"GC_POLICY": "off"}).gc_policy is False
