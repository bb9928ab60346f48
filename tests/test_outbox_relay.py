"""The outbox relay (api/relay.py, api/services/outbox.py) and the notification log.

- A committed event or notification that nobody published (its worker died, or the
  broker refused it) reaches an open subscription within the bound, with no later event
  to reveal the gap.
- The fast path's publishes are marked in the relay's pass (one UPDATE), never
  republished; while idle a pass is one statement.
- `viewerNotifications(after:)` replays after a cursor, then goes on live: no gap, no
  duplicate; a bad cursor is BAD_USER_INPUT; sequences are gap-free per person.

Runs on both back ends (under TEST_DATABASE_URL / TEST_BROADCAST_URL too).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from api.services import events, notifications
from api.settings import Settings
from models import Notification, PairEvent
from models import Pair as PairModel
from models.enums import NotificationKind, PairEventKind
from schema.ids import decode_id
from tests.helpers import Api, Person, Subscriptions
from tests.test_notifications import _wait_for_listener
from tests.test_pair_events import PAIR_EVENTS, POST_CHECK_IN, _event
from tests.test_query_counts import counting_statements

BOUND = 5.0  # seconds from commit to delivery, whatever happened to the first publish
INTERVAL, AFTER = 0.2, 0.5  # a quick relay, so the tests are short

NOTIFICATIONS_AFTER = """
subscription($after: String) { viewerNotifications(after: $after) {
  id cursor sequence kind pair { id }
} }"""
MY_NOTIFICATIONS = """
{ viewer { notifications(first: 50) { edges { node { id cursor sequence kind } } } } }"""
END_PAIR = """
mutation($input: EndPairInput!) { endPair(input: $input) { userErrors { code } } }"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, relay_interval_s=INTERVAL, relay_after_s=AFTER)


def _connect(api: Api, person: Person) -> Any:
    return api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])


def _relay_statements(counter: Any) -> list[str]:
    """The statements the relay task ran (`counting_statements` keeps them apart)."""
    return counter.relay_lines


def test_an_unpublished_event_reaches_a_live_subscriber_within_the_bound(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    pair_pk = decode_id(pair["id"])[1]
    milestone_pk = decode_id(pair["milestones"][0]["id"])[1]

    async def commit_without_publishing() -> None:
        """What a worker killed between commit and publish leaves: the row, no message."""
        async with in_transaction():
            locked = await PairModel.filter(pk=pair_pk).select_for_update().get()
            await events.record(
                locked, PairEventKind.MILESTONE_COMPLETED, milestone_id=milestone_pk
            )
            await locked.save(update_fields=["event_count"])

    with _connect(api, story.mentee) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("live", PAIR_EVENTS, {"pairId": pair["id"], "after": None})
        api.wait_for_listeners(pair["id"], 1)
        committed = time.monotonic()
        api.run(commit_without_publishing)
        event = _event(client.receive(), "live")  # no later event reveals a gap
        delay = time.monotonic() - committed
        assert (event["sequence"], event["__typename"]) == (1, "MilestoneCompletedEvent")
        assert AFTER <= delay < BOUND, delay
        # Marked published: the next passes leave it alone, and nothing is repeated.
        published = api.published
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "next"}, story.mentor.token)
        assert _event(client.receive(), "live")["sequence"] == 2
        time.sleep(AFTER + 3 * INTERVAL)
        assert api.published == published + 1
    unpublished = api.run(lambda: PairEvent.filter(published_at=None).count())
    assert unpublished == 0


def test_an_unpublished_notification_reaches_a_live_subscriber(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    pair_pk = decode_id(pair["id"])[1]

    async def notify_without_publishing() -> None:
        async with in_transaction():
            await notifications.notify_pair(
                await PairModel.get(pk=pair_pk), NotificationKind.CHECK_IN_REMINDER
            )

    with _connect(api, story.mentee) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("n", NOTIFICATIONS_AFTER, {"after": None})
        _wait_for_listener(api, story.mentee)
        committed = time.monotonic()
        api.run(notify_without_publishing)
        frame = client.receive()
        delay = time.monotonic() - committed
        note = frame["payload"]["data"]["viewerNotifications"]
        # PAIRED was 1; the reminder is 2, and only that one is live.
        assert (note["sequence"], note["kind"]) == (2, "CHECK_IN_REMINDER")
        assert delay < BOUND


def test_idle_relay_costs_one_statement_per_pass_and_marks_in_one(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    time.sleep(AFTER + 2 * INTERVAL)  # the pairing's notifications marked
    with counting_statements() as counter:
        time.sleep(10 * INTERVAL)
    idle = _relay_statements(counter)
    assert idle, "the relay never ran"
    assert all("EXISTS(SELECT 1 FROM" in line for line in idle), idle
    # One statement per pass: at the default interval (1 s), one per second per worker.
    assert 5 <= len(idle) <= 11, len(idle)

    # The fast path published a check-in: the next pass marks it (one UPDATE), and no
    # pass publishes it again.
    published = api.published
    with counting_statements() as counter:
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "fast"}, story.mentor.token)
        time.sleep(AFTER + 3 * INTERVAL)
    busy = _relay_statements(counter)
    marks = [line for line in busy if line.startswith('UPDATE "pair_events"')]
    assert len(marks) == 1, busy
    assert len(busy) - len(marks) == sum("EXISTS(SELECT 1 FROM" in line for line in busy)
    assert api.published == published + 1


def _notifications(api: Api, person: Person) -> list[dict]:
    edges = api.data(MY_NOTIFICATIONS, None, person.token)["viewer"]["notifications"]["edges"]
    return sorted((e["node"] for e in edges), key=lambda n: n["sequence"])


def _remind(api: Api, pair_pk: int, *, publish: bool = True) -> None:
    """Both members get a reminder, as the reminder pass sends it (or, without
    `publish`, as a worker that died after commit leaves it)."""

    async def remind() -> None:
        async with in_transaction():
            rows = await notifications.notify_pair(
                await PairModel.get(pk=pair_pk), NotificationKind.CHECK_IN_REMINDER
            )
        if publish:
            await notifications.publish(rows)

    api.run(remind)


def test_viewer_notifications_resume_after_a_cursor_then_go_live(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    pair_pk = decode_id(pair["id"])[1]
    _remind(api, pair_pk)
    _remind(api, pair_pk, publish=False)  # the relay publishes it later: a repeat
    notes = _notifications(api, story.mentee)
    assert [n["sequence"] for n in notes] == [1, 2, 3]
    assert [n["kind"] for n in notes] == ["PAIRED", "CHECK_IN_REMINDER", "CHECK_IN_REMINDER"]

    with _connect(api, story.mentee) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("resume", NOTIFICATIONS_AFTER, {"after": notes[0]["cursor"]})
        replayed = [client.receive()["payload"]["data"]["viewerNotifications"] for _ in (2, 3)]
        assert [n["sequence"] for n in replayed] == [2, 3]
        assert [n["id"] for n in replayed] == [notes[1]["id"], notes[2]["id"]]
        _wait_for_listener(api, story.mentee)
        api.ok(END_PAIR, {"pairId": pair["id"]}, story.mentor.token)
        live = client.receive()["payload"]["data"]["viewerNotifications"]
        assert (live["sequence"], live["kind"], live["pair"]["id"]) == (
            4,
            "PAIR_ENDED",
            pair["id"],
        )
        # Resuming from the last cursor replays nothing, then goes live.
        client.subscribe("again", NOTIFICATIONS_AFTER, {"after": live["cursor"]})
        time.sleep(AFTER + 3 * INTERVAL)  # the relay publishes 3 late: both already have it
        _remind(api, pair_pk)
        frames = [client.receive(), client.receive()]
        assert sorted(f["id"] for f in frames) == ["again", "resume"]
        assert {f["payload"]["data"]["viewerNotifications"]["sequence"] for f in frames} == {5}


def test_a_bad_notification_cursor_is_bad_user_input(api: Api) -> None:
    story = api.story()
    api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    theirs = _notifications(api, story.mentor)[0]["cursor"]
    for after in (theirs, "not-a-cursor", "Tm90aWZpY2F0aW9uOjE="):
        with _connect(api, story.mentee) as ws:
            client = Subscriptions(ws)
            assert client.init(story.mentee.token)["type"] == "connection_ack"
            client.subscribe("bad", NOTIFICATIONS_AFTER, {"after": after})
            frame = client.receive()
            assert frame["type"] == "next" and frame["payload"]["data"] is None, frame
            assert frame["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert client.receive() == {"id": "bad", "type": "complete"}


def test_notification_sequences_are_gap_free_per_person(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    pair_pk = decode_id(pair["id"])[1]

    async def many() -> None:
        for _ in range(5):
            async with in_transaction():
                await notifications.notify_pair(
                    await PairModel.get(pk=pair_pk), NotificationKind.CHECK_IN_REMINDER
                )
        with pytest.raises(RuntimeError):  # a rolled-back notification takes its number back
            async with in_transaction():
                await notifications.notify_pair(
                    await PairModel.get(pk=pair_pk), NotificationKind.CHECK_IN_REMINDER
                )
                raise RuntimeError

    api.run(many)
    for person in (story.mentor, story.mentee):
        user_pk = decode_id(person.id)[1]
        sequences = api.run(
            lambda pk=user_pk: (
                Notification.filter(user_id=pk)
                .order_by("sequence")
                .values_list("sequence", flat=True)
            )
        )
        assert sequences == list(range(1, 7))
