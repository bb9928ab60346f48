"""pairEvents: replay from the event log after a cursor, then live, each event once."""

from __future__ import annotations

from api.services import events
from models import Pair as PairModel
from models.enums import PairEventKind
from schema.ids import decode_id
from tests.helpers import Api, Subscriptions

PAIR_EVENTS = """
subscription($pairId: ID!, $after: String) {
  pairEvents(pairId: $pairId, after: $after) {
    __typename cursor sequence occurredAt pair { id status }
    ... on MilestoneCompletedEvent { milestone { id completedBy { name } } }
    ... on CheckInPostedEvent { checkIn { id body } }
    ... on PairEndedEvent { reason }
  }
}"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) { completeMilestone(input: $input) { userErrors { code } } }"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { checkIn { id } userErrors { code } } }"""
END_PAIR = """
mutation($input: EndPairInput!) { endPair(input: $input) { pair { status } userErrors { code } } }"""


def _connect(api: Api, token: str):
    return api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])


def _event(frame: dict, op_id: str) -> dict:
    assert frame["id"] == op_id and frame["type"] == "next", frame
    assert "errors" not in frame["payload"], frame
    return frame["payload"]["data"]["pairEvents"]


def _active_pair(api: Api):
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    return story, pair


def test_replays_history_in_order_then_continues_live(api: Api) -> None:
    story, pair = _active_pair(api)
    milestones = [m["id"] for m in pair["milestones"]]
    api.ok(COMPLETE, {"milestoneId": milestones[0]}, story.mentor.token)
    api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "one"}, story.mentee.token)
    api.ok(COMPLETE, {"milestoneId": milestones[1]}, story.mentee.token)

    with _connect(api, story.mentee.token) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("all", PAIR_EVENTS, {"pairId": pair["id"], "after": None})
        replayed = [_event(client.receive(), "all") for _ in range(3)]
        assert [e["sequence"] for e in replayed] == [1, 2, 3]
        assert [e["__typename"] for e in replayed] == [
            "MilestoneCompletedEvent",
            "CheckInPostedEvent",
            "MilestoneCompletedEvent",
        ]
        assert replayed[0]["milestone"] == {"id": milestones[0], "completedBy": {"name": "Maya"}}
        assert replayed[1]["checkIn"]["body"] == "one"

        # A second subscription resumes after event 2: it gets 3 again, then both go live.
        client.subscribe(
            "resume", PAIR_EVENTS, {"pairId": pair["id"], "after": replayed[1]["cursor"]}
        )
        assert _event(client.receive(), "resume")["sequence"] == 3
        api.wait_for_listeners(pair["id"], 2)
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "two"}, story.mentor.token)
        live = {
            frame["id"]: _event(frame, frame["id"])
            for frame in (client.receive(), client.receive())
        }
        assert {op: e["sequence"] for op, e in live.items()} == {"all": 4, "resume": 4}
        assert live["all"]["checkIn"]["body"] == "two"

        # Ending the pair is the last event: the streams complete after it.
        api.ok(END_PAIR, {"pairId": pair["id"], "reason": "Moving abroad"}, story.mentor.token)
        frames = [client.receive() for _ in range(4)]
        ended = [f for f in frames if f["type"] == "next"]
        assert {f["id"] for f in ended} == {"all", "resume"}
        for frame in ended:
            event = _event(frame, frame["id"])
            assert (event["__typename"], event["sequence"], event["reason"]) == (
                "PairEndedEvent",
                5,
                "Moving abroad",
            )
            assert event["pair"]["status"] == "ENDED"
        assert sorted((f["id"], f["type"]) for f in frames if f["type"] == "complete") == [
            ("all", "complete"),
            ("resume", "complete"),
        ]


def test_an_event_whose_publish_was_lost_is_read_back_from_the_log(api: Api) -> None:
    story, pair = _active_pair(api)
    pair_pk = decode_id(pair["id"])[1]
    milestone_pk = decode_id(pair["milestones"][0]["id"])[1]

    async def record_without_publishing() -> None:
        """What a failed publish leaves behind: the committed row, and no message."""
        locked = await PairModel.get(pk=pair_pk)
        await events.record(locked, PairEventKind.MILESTONE_COMPLETED, milestone_id=milestone_pk)
        await locked.save(update_fields=["event_count"])

    with _connect(api, story.mentee.token) as ws:
        client = Subscriptions(ws)
        assert client.init(story.mentee.token)["type"] == "connection_ack"
        client.subscribe("live", PAIR_EVENTS, {"pairId": pair["id"], "after": None})
        api.wait_for_listeners(pair["id"], 1)
        published = api.published
        api.client.portal.call(record_without_publishing)
        assert api.published == published
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "after the gap"}, story.mentor.token)
        first, second = _event(client.receive(), "live"), _event(client.receive(), "live")
        assert (first["sequence"], first["__typename"]) == (1, "MilestoneCompletedEvent")
        assert (second["sequence"], second["checkIn"]["body"]) == (2, "after the gap")


def test_a_cursor_of_another_pair_or_garbage_is_bad_user_input(api: Api) -> None:
    story, pair = _active_pair(api)
    other = api.story()
    other_pair = api.pair(other.admin, other.mentor_sign_up, other.mentee_sign_up)
    api.ok(POST_CHECK_IN, {"pairId": other_pair["id"], "body": "x"}, other.mentee.token)
    with _connect(api, other.mentee.token) as ws:
        client = Subscriptions(ws)
        assert client.init(other.mentee.token)["type"] == "connection_ack"
        client.subscribe("theirs", PAIR_EVENTS, {"pairId": other_pair["id"], "after": None})
        foreign_cursor = _event(client.receive(), "theirs")["cursor"]

    for after in (foreign_cursor, "not-a-cursor", "UGFpckV2ZW50OjE="):
        with _connect(api, story.mentee.token) as ws:
            client = Subscriptions(ws)
            assert client.init(story.mentee.token)["type"] == "connection_ack"
            client.subscribe("bad", PAIR_EVENTS, {"pairId": pair["id"], "after": after})
            frame = client.receive()
            assert frame["type"] == "next"
            assert frame["payload"]["data"] is None
            assert frame["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert client.receive() == {"id": "bad", "type": "complete"}
