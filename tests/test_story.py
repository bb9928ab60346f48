"""The whole program story, from group to live updates, as one test."""

from __future__ import annotations

from tests.helpers import Api, Subscriptions

MILESTONES = """
subscription($pairId: ID!) {
  milestoneCompleted(pairId: $pairId) { id title completedAt completedBy { name } }
}"""
CHECK_INS = """
subscription($pairId: ID!) { checkInPosted(pairId: $pairId) { id body author { name } } }"""
PAIR_UPDATES = """
subscription($pairId: ID!) { pairUpdated(pairId: $pairId) { id status progress checkInCount } }"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { id completedAt completedBy { name } } pair { progress status }
    userErrors { code }
  }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) {
    checkIn { id body } pair { checkInCount lastCheckInAt nextCheckInDue } userErrors { code }
  }
}"""
PAIR = """
query($id: ID!) {
  pair(id: $id) {
    status progress checkInCount lastCheckInAt nextCheckInDue createdAt
    mentor { name } mentee { name }
    milestones { position kind completedAt completedBy { name } }
    checkIns { totalCount edges { node { body author { name } } } }
  }
}"""


def test_program_story_end_to_end(api: Api) -> None:
    # 1-2. The admin opens a program; two adults sign up; the admin pairs them.
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    assert pair["status"] == "ACTIVE"
    assert len(pair["milestones"]) >= 6
    first_milestone = pair["milestones"][0]["id"]

    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        mentee = Subscriptions(ws)
        assert mentee.init(story.mentee.token)["type"] == "connection_ack"
        mentee.subscribe("m", MILESTONES, {"pairId": pair["id"]})
        mentee.subscribe("c", CHECK_INS, {"pairId": pair["id"]})
        api.wait_for_listeners(pair["id"], 2)

        # 3. The mentor completes a milestone and posts a check-in.
        done = api.ok(COMPLETE, {"milestoneId": first_milestone}, story.mentor.token)
        assert done["milestone"]["completedBy"]["name"] == "Maya"
        posted = api.ok(
            POST_CHECK_IN, {"pairId": pair["id"], "body": "  Hello Milo!  "}, story.mentor.token
        )
        assert posted["checkIn"]["body"] == "Hello Milo!"

        # 4. The mentee receives both events, exactly once each: the next frames after
        # them are the events of a second check-in, not repeats.
        frames = [mentee.receive(), mentee.receive()]
        by_id = {frame["id"]: frame for frame in frames}
        assert set(by_id) == {"m", "c"}
        assert by_id["m"]["type"] == "next"
        milestone = by_id["m"]["payload"]["data"]["milestoneCompleted"]
        assert milestone["id"] == first_milestone
        assert milestone["completedBy"] == {"name": "Maya"}
        check_in = by_id["c"]["payload"]["data"]["checkInPosted"]
        assert check_in == {
            "id": posted["checkIn"]["id"],
            "body": "Hello Milo!",
            "author": {"name": "Maya"},
        }

        second = api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "Bye"}, story.mentee.token)
        frame = mentee.receive()
        assert frame["id"] == "c"
        assert frame["payload"]["data"]["checkInPosted"]["id"] == second["checkIn"]["id"]

    # The pair as its members see it afterwards.
    seen = api.data(PAIR, {"id": pair["id"]}, story.mentee.token)["pair"]
    assert seen["checkInCount"] == 2
    assert seen["checkIns"]["totalCount"] == 2
    assert [e["node"]["body"] for e in seen["checkIns"]["edges"]] == ["Bye", "Hello Milo!"]
    assert seen["milestones"][0]["completedBy"] == {"name": "Maya"}
    assert 0 < seen["progress"] < 1
    assert seen["nextCheckInDue"] > seen["lastCheckInAt"]


def test_completing_every_milestone_completes_the_pair_live(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    with api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        mentor = Subscriptions(ws)
        assert mentor.init(story.mentor.token)["type"] == "connection_ack"
        mentor.subscribe("p", PAIR_UPDATES, {"pairId": pair["id"]})
        api.wait_for_listeners(pair["id"], 1)
        total = len(pair["milestones"])
        for index, milestone in enumerate(pair["milestones"], start=1):
            who = story.mentor if index % 2 else story.mentee
            result = api.ok(COMPLETE, {"milestoneId": milestone["id"]}, who.token)
            update = mentor.receive()["payload"]["data"]["pairUpdated"]
            assert update["progress"] == index / total
        assert result["pair"]["status"] == "COMPLETED"
        assert update["status"] == "COMPLETED"
        assert mentor.receive() == {"id": "p", "type": "complete"}

    seen = api.data(PAIR, {"id": pair["id"]}, story.mentee.token)["pair"]
    assert seen["status"] == "COMPLETED"
    assert seen["nextCheckInDue"] is None
