"""Notifications: stored on pairing, ending and completion, listed and marked read,
pushed live to their owner only; weekly check-in reminders sent exactly once, however
many passes (or servers) run at the same time."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from api import clock
from api.pubsub import user_channel
from api.services.notifications import send_due_reminders
from models import CheckInReminder, Notification, Pair
from models.enums import NotificationKind
from schema.ids import decode_id
from tests import servers
from tests.backends import TEST_DATABASE_URL
from tests.helpers import PASSWORD, Api, Person, Subscriptions
from tests.test_matching import END_PAIR, GOOD, cohort, enrol

NOTIFICATIONS = """
query($unread: Boolean) { viewer { notifications(unread: $unread) {
  totalCount edges { node { id kind message pair { id } createdAt readAt } }
} } }"""
MARK_READ = """
mutation($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) { notifications { id readAt } userErrors { code } }
}"""
SUBSCRIBE = "subscription { viewerNotifications { id kind pair { id status } } }"
COMPLETE = """
mutation($input: CompleteMilestoneInput!) { completeMilestone(input: $input) { userErrors { code } } }"""


def _paired(api: Api):
    c = cohort(api)
    mentor = enrol(api, c, "Maya", "MENTOR", GOOD)
    mentee = enrol(api, c, "Milo", "MENTEE", GOOD)
    return c, mentor, mentee


def _mine(api: Api, person: Person, unread: bool | None = None) -> dict:
    return api.data(NOTIFICATIONS, {"unread": unread}, person.token)["viewer"]["notifications"]


def test_pairing_and_ending_notify_both_members(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    pair = api.pair(c.admin, mentor, mentee)
    for name in ("Maya", "Milo"):
        mine = _mine(api, c.people[name])
        assert mine["totalCount"] == 1
        node = mine["edges"][0]["node"]
        assert (node["kind"], node["pair"]["id"], node["readAt"]) == ("PAIRED", pair["id"], None)
        assert node["message"]
    assert _mine(api, c.admin)["totalCount"] == 0

    api.ok(END_PAIR, {"pairId": pair["id"]}, c.admin.token)
    kinds = [e["node"]["kind"] for e in _mine(api, c.people["Milo"])["edges"]]
    assert kinds == ["PAIR_ENDED", "PAIRED"]  # newest first


def test_completion_notifies(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    pair = api.pair(c.admin, mentor, mentee)
    for milestone in pair["milestones"]:
        api.ok(COMPLETE, {"milestoneId": milestone["id"]}, c.people["Milo"].token)
    kinds = [e["node"]["kind"] for e in _mine(api, c.people["Maya"])["edges"]]
    assert kinds == ["PAIR_COMPLETED", "PAIRED"]


def test_mark_read_and_unread_filter(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    api.pair(c.admin, mentor, mentee)
    milo, maya = c.people["Milo"], c.people["Maya"]
    mine = _mine(api, milo, unread=True)
    assert mine["totalCount"] == 1
    note = mine["edges"][0]["node"]["id"]
    theirs = _mine(api, maya)["edges"][0]["node"]["id"]

    assert api.error_code(MARK_READ, {"input": {"ids": [theirs]}}, milo.token) == "NOT_FOUND"
    assert api.error_code(MARK_READ, {"input": {"ids": ["%%"]}}, milo.token) == "BAD_USER_INPUT"
    assert api.error_code(MARK_READ, {"input": {"ids": [note]}}) == "UNAUTHENTICATED"
    assert _mine(api, maya, unread=True)["totalCount"] == 1

    payload = api.ok(MARK_READ, {"ids": [note]}, milo.token)
    assert payload["notifications"][0]["id"] == note
    assert payload["notifications"][0]["readAt"] is not None
    assert _mine(api, milo, unread=True)["totalCount"] == 0
    assert _mine(api, milo, unread=False)["totalCount"] == 1


def _wait_for_listener(api: Api, person: Person, timeout: float = 5.0) -> None:
    channel = user_channel(decode_id(person.id)[1])
    deadline = time.monotonic() + timeout
    while api.app.state.pubsub.listener_count(channel) < 1:
        assert time.monotonic() < deadline, "the subscription never listened"
        time.sleep(0.01)


def test_live_notifications_reach_their_owner_only(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        sub = Subscriptions(ws)
        assert sub.init(c.people["Milo"].token)["type"] == "connection_ack"
        sub.subscribe("1", SUBSCRIBE, {})
        _wait_for_listener(api, c.people["Milo"])
        pair = api.pair(c.admin, mentor, mentee)
        frame = sub.receive()
        assert frame["type"] == "next", frame
        note = frame["payload"]["data"]["viewerNotifications"]
        assert (note["kind"], note["pair"]["id"]) == ("PAIRED", pair["id"])

        api.ok(END_PAIR, {"pairId": pair["id"]}, c.admin.token)
        note = sub.receive()["payload"]["data"]["viewerNotifications"]
        assert (note["kind"], note["pair"]["status"]) == ("PAIR_ENDED", "ENDED")


def test_viewer_notifications_needs_a_viewer(api: Api) -> None:
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        sub.subscribe("1", SUBSCRIBE, {})
        frame = sub.receive()
        assert frame["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _reminders_of(pair_pk: int) -> tuple[int, int]:
    sent = await CheckInReminder.filter(pair_id=pair_pk).count()
    notes = await Notification.filter(
        pair_id=pair_pk, kind=NotificationKind.CHECK_IN_REMINDER
    ).count()
    return sent, notes


async def _two_passes() -> list[int]:
    return list(await asyncio.gather(send_due_reminders(), send_due_reminders()))


def test_reminders_are_sent_once_per_week_with_concurrent_passes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, mentor, mentee = _paired(api)
    pair_pk = decode_id(api.pair(c.admin, mentor, mentee)["id"])[1]
    start = clock.now()
    assert api.run(_two_passes) == [0, 0]  # not overdue yet

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=8))
    assert sorted(api.run(_two_passes)) == [0, 1]
    assert api.run(_two_passes) == [0, 0]
    assert api.run(_reminders_of, pair_pk) == (1, 2)  # one reminder, to both members
    kinds = [e["node"]["kind"] for e in _mine(api, c.people["Milo"])["edges"]]
    assert kinds == ["CHECK_IN_REMINDER", "PAIRED"]

    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=13))
    assert api.run(_two_passes) == [0, 0]  # the same week
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(days=15))
    assert sorted(api.run(_two_passes)) == [0, 1]  # a week later, again
    assert api.run(_reminders_of, pair_pk) == (2, 4)


async def _backdate(pair_pk: int) -> None:
    await Pair.filter(pk=pair_pk).update(created_at=clock.now() - timedelta(days=8))


@pytest.mark.skipif(
    TEST_DATABASE_URL is None, reason="two servers share a database only on PostgreSQL"
)
@pytest.mark.timeout(90)
def test_two_servers_send_each_reminder_once(api: Api, tmp_path: Path) -> None:
    c, mentor, mentee = _paired(api)
    pair_pk = decode_id(api.pair(c.admin, mentor, mentee)["id"])[1]
    api.run(_backdate, pair_pk)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=TEST_DATABASE_URL,
        BROADCAST_URL="memory://",
        REMINDER_INTERVAL_S="0.05",
        LOG_LEVEL="warning",
    )
    with (
        servers.serving(env, tmp_path / "a.log"),
        servers.serving(env, tmp_path / "b.log"),
    ):
        deadline = time.monotonic() + 20
        while api.run(_reminders_of, pair_pk)[0] == 0:
            assert time.monotonic() < deadline, "no reminder was sent"
            time.sleep(0.1)
        time.sleep(1.0)  # both servers keep running passes meanwhile
        assert api.run(_reminders_of, pair_pk) == (1, 2)


def test_listing_notifications_takes_a_fixed_number_of_statements(api: Api) -> None:
    from tests.test_query_counts import counting_statements

    c, mentor, mentee = _paired(api)
    pair = api.pair(c.admin, mentor, mentee)
    milo = c.people["Milo"]

    def statements() -> int:
        with counting_statements() as counter:
            _mine(api, milo)
        return counter.count

    few = statements()
    api.ok(END_PAIR, {"pairId": pair["id"]}, c.admin.token)
    assert statements() == few


NODE = "query($id: ID!) { node(id: $id) { id ... on Notification { kind } } }"
BLOCK = """
mutation($input: BlockUserInput!) { blockUser(input: $input) { userErrors { code } } }"""


def test_a_notification_is_a_node_for_its_owner_only(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    api.pair(c.admin, mentor, mentee)
    note = _mine(api, c.people["Milo"])["edges"][0]["node"]["id"]
    mine = api.data(NODE, {"id": note}, c.people["Milo"].token)["node"]
    assert mine == {"id": note, "kind": "PAIRED"}
    assert api.data(NODE, {"id": note}, c.people["Maya"].token)["node"] is None


def test_a_block_that_ends_the_pair_notifies_the_other_member_live(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    pair = api.pair(c.admin, mentor, mentee)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        sub = Subscriptions(ws)
        assert sub.init(c.people["Maya"].token)["type"] == "connection_ack"
        sub.subscribe("1", SUBSCRIBE, {})
        _wait_for_listener(api, c.people["Maya"])
        api.ok(BLOCK, {"userId": c.people["Maya"].id}, c.people["Milo"].token)
        note = sub.receive()["payload"]["data"]["viewerNotifications"]
        assert (note["kind"], note["pair"]["id"]) == ("PAIR_ENDED", pair["id"])


DELETE_ACCOUNT = """
mutation($input: DeleteAccountInput!) { deleteAccount(input: $input) { userErrors { code } } }"""


def test_a_deleted_account_keeps_no_notifications(api: Api) -> None:
    c, mentor, mentee = _paired(api)
    api.pair(c.admin, mentor, mentee)
    milo_pk = decode_id(c.people["Milo"].id)[1]
    assert api.run(Notification.filter(user_id=milo_pk).count) == 1
    api.ok(DELETE_ACCOUNT, {"password": PASSWORD}, c.people["Milo"].token)
    assert api.run(Notification.filter(user_id=milo_pk).count) == 0
    kinds = [e["node"]["kind"] for e in _mine(api, c.people["Maya"])["edges"]]
    assert kinds == ["PAIR_ENDED", "PAIRED"]
