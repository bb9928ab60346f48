"""Subscribers of one event share one execution of what they ask (schema/sharing.py),
and what depends on the viewer is still resolved for each viewer. Real websocket frames;
work counted in executions, never in time."""

from __future__ import annotations

from contextlib import ExitStack

import orjson

from api.graphql import MentorshipGraphQL
from schema import sharing
from tests.helpers import Api, Person, Subscriptions

CHECK_INS = """subscription($pairId: ID!) {
  checkInPosted(pairId: $pairId) { id body author { name } }
}"""
# `User.email` is shown to its owner only: the author sees it, the other member does not.
WITH_EMAIL = """subscription($pairId: ID!) {
  checkInPosted(pairId: $pairId) { id author { name email } }
}"""
POST = """mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { code } }
}"""


def _subscribed(
    api: Api, stack: ExitStack, people: list[Person], query: str, pair_id: str
) -> list[Subscriptions]:
    subs = []
    for n, person in enumerate(people):
        ws = stack.enter_context(
            api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
        )
        sub = Subscriptions(ws)
        assert sub.init(person.token)["type"] == "connection_ack"
        sub.subscribe(str(n), query, {"pairId": pair_id})
        subs.append(sub)
    api.wait_for_listeners(pair_id, len(people))
    return subs


def _post_and_receive(
    api: Api, query: str, people: list[Person], author: Person, pair_id: str
) -> tuple[list[dict], dict[str, int]]:
    with ExitStack() as stack:
        subs = _subscribed(api, stack, people, query, pair_id)
        before = dict(sharing.stats)
        api.ok(POST, {"pairId": pair_id, "body": "Week one"}, author.token)
        frames = [sub.receive() for sub in subs]
        counted = {key: sharing.stats[key] - before[key] for key in before}
    assert all(frame["type"] == "next" for frame in frames), frames
    return frames, counted


def test_subscribers_who_ask_the_same_share_one_execution(api: Api) -> None:
    story = api.story()
    pair_id = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)["id"]
    people = [story.mentor, story.mentee, story.mentor, story.mentee]
    frames, counted = _post_and_receive(api, CHECK_INS, people, story.mentor, pair_id)

    assert counted == {"executed": 1, "shared": 3, "planned": 1}
    assert [frame["id"] for frame in frames] == ["0", "1", "2", "3"]
    data = frames[0]["payload"]["data"]["checkInPosted"]
    assert (data["body"], data["author"]["name"]) == ("Week one", "Maya")
    assert all(frame["payload"] == frames[0]["payload"] for frame in frames)


def test_what_depends_on_the_viewer_is_resolved_for_each_viewer(api: Api) -> None:
    story = api.story()
    pair_id = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)["id"]
    # The mentor twice (two tabs), the mentee once; the mentor writes.
    people = [story.mentor, story.mentee, story.mentor]
    frames, counted = _post_and_receive(api, WITH_EMAIL, people, story.mentor, pair_id)

    emails = [frame["payload"]["data"]["checkInPosted"]["author"]["email"] for frame in frames]
    assert emails == [story.mentor.email, None, story.mentor.email]
    # Once for each viewer; the mentor's second tab shares the mentor's answer.
    assert counted == {"executed": 2, "shared": 1, "planned": 2}


def test_different_selections_are_executed_apart(api: Api) -> None:
    story = api.story()
    pair_id = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)["id"]
    with ExitStack() as stack:
        plain = _subscribed(api, stack, [story.mentee], CHECK_INS, pair_id)
        both = plain + _subscribed(api, stack, [story.mentee], WITH_EMAIL, pair_id)
        api.wait_for_listeners(pair_id, 2)
        before = dict(sharing.stats)
        api.ok(POST, {"pairId": pair_id, "body": "Hello"}, story.mentor.token)
        first, second = (sub.receive()["payload"]["data"]["checkInPosted"] for sub in both)
    assert sharing.stats["executed"] - before["executed"] == 2
    assert "body" in first and "email" not in first["author"]
    assert "body" not in second and second["author"]["email"] is None


def test_a_shared_frame_is_the_bytes_orjson_writes(api: Api) -> None:
    view: MentorshipGraphQL = next(
        route.app for route in api.app.routes if isinstance(route.app, MentorshipGraphQL)
    )
    data = {"checkInPosted": {"id": "Q2hlY2tJbjox", "body": 'quote " and é', "n": 1}}
    for op_id in ("1", 'a"b', "ünï"):
        message = {"id": op_id, "type": "next", "payload": {"data": data}}
        assert view.shared_frame(message) == orjson.dumps(message).decode()
    with_errors = {"id": "1", "type": "next", "payload": {"data": None, "errors": []}}
    assert view.shared_frame(with_errors) is None
