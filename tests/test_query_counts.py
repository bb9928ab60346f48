"""Lists resolve through DataLoaders: the SQL statement count doesn't grow with items."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from api.relay import TASK_NAME
from schema.ids import decode_id
from tests import bulk
from tests.helpers import Api, Person, Subscriptions

# Pages at the maximum size (100): at 10 items the page holds 10, at 500 it holds 100.
# The admin's page lists 99 pairs beside 100 sign-ups (the mentor and 99 mentees): both
# lists then name the same people, so however their queries interleave (on PostgreSQL
# they run on separate connections) the people load in one statement, at any size.
VIEWER_PAIRS = """
{ viewer { pairs(first: 100) { edges { node {
    mentor { name } mentee { name } program { title group { name } }
    milestones { title completedBy { name } }
} } } } }"""
ADMIN_PROGRAM = """
query($id: ID!) { program(id: $id) {
  signUps(first: 100) { edges { node { user { name } answers { question { prompt } value } } } }
  pairs(first: 99) { edges { node { mentor { name } mentee { name } milestones { completedBy { name } } } } }
  viewerSignUps { id } group { viewerRole viewerMembership { role } }
} }"""
COMPLETE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) { userErrors { code } }
}"""


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []
        self.relay_lines: list[str] = []  # the outbox relay's, counted apart

    def emit(self, record: logging.LogRecord) -> None:
        if _in_relay():  # the outbox relay's pass (api/relay.py), not the request's work
            self.relay_lines.append(record.getMessage()[:200])
            return
        self.count += 1
        self.lines.append(record.getMessage()[:200])
        self.records.append(record)


def _in_relay() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not on the event loop (aiosqlite's thread runs scripts)
        return False
    return task is not None and task.get_name() == TASK_NAME


@contextmanager
def counting_statements() -> Iterator[_Counter]:
    """Tortoise logs one line per SQL statement on `tortoise.db_client` at DEBUG."""
    logger = logging.getLogger("tortoise.db_client")
    counter, level = _Counter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def _program_with_pairs(api: Api, mentees: int) -> tuple[Person, Person, str]:
    """Admin, mentor and program through the API; `mentees` mentees paired with the
    mentor, in bulk."""
    admin, mentor = api.person("Ada"), api.person("Maya")
    group_id = api.group(admin)
    api.join(mentor, group_id)
    program_id = api.program(admin, group_id)
    mentor_sign_up = api.sign_up(mentor, program_id, "MENTOR", capacity=1)
    api.run(bulk.mentees_paired_to, decode_id(mentor_sign_up)[1], mentees)
    return admin, mentor, program_id


def _statements(api: Api, query: str, variables: dict | None, token: str, items: int) -> int:
    """Statements for one request, which must have listed `items` fully loaded pairs."""
    with counting_statements() as counter:
        data = api.data(query, variables, token)
    root = data["viewer"] if "viewer" in data else data["program"]
    edges = root["pairs"]["edges"]
    assert len(edges) == items
    assert all(e["node"]["milestones"][0]["completedBy"]["name"] for e in edges)
    return counter.count


def test_viewer_pairs_query_count_does_not_grow_with_pairs(api: Api) -> None:
    _, few_mentor, _ = _program_with_pairs(api, 10)
    _, many_mentor, _ = _program_with_pairs(api, 500)
    few = _statements(api, VIEWER_PAIRS, None, few_mentor.token, 10)
    many = _statements(api, VIEWER_PAIRS, None, many_mentor.token, 100)
    assert few > 0
    assert many == few


def test_admin_program_page_query_count_does_not_grow_with_sign_ups(api: Api) -> None:
    few_admin, _, few_program = _program_with_pairs(api, 10)
    many_admin, _, many_program = _program_with_pairs(api, 500)
    few = _statements(api, ADMIN_PROGRAM, {"id": few_program}, few_admin.token, 10)
    many = _statements(api, ADMIN_PROGRAM, {"id": many_program}, many_admin.token, 99)
    assert few > 0
    assert many == few


CHECK_IN_POSTED = """
subscription($pairId: ID!) { checkInPosted(pairId: $pairId) {
  id body createdAt author { name } pair { status mentor { name } mentee { name } }
} }"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) { postCheckIn(input: $input) { userErrors { code } } }"""


def _check_in_with_subscribers(api: Api, subscribers: int, body: str) -> int:
    """Statements to post one check-in and deliver it to `subscribers` subscriptions (half
    the mentor's, half the mentee's, each on its own connection), all in this process."""
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    people = [story.mentor, story.mentee] * (subscribers // 2)
    with ExitStack() as stack:
        clients = []
        for n, person in enumerate(people):
            ws = stack.enter_context(
                api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
            )
            client = Subscriptions(ws)
            assert client.init(person.token)["type"] == "connection_ack"
            client.subscribe(str(n), CHECK_IN_POSTED, {"pairId": pair["id"]})
            clients.append(client)
        api.wait_for_listeners(pair["id"], subscribers)
        with counting_statements() as counter:
            api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": body}, story.mentor.token)
            for client in clients:  # every subscriber got it, resolved in full
                event = client.receive()["payload"]["data"]["checkInPosted"]
                assert (event["body"], event["author"]["name"]) == (body, "Maya")
                assert event["pair"]["mentee"]["name"] == "Milo"
        return counter.count


def test_statements_per_event_do_not_grow_with_subscribers(api: Api) -> None:
    """The event's rows are loaded once in the process and shared by every subscriber."""
    two = _check_in_with_subscribers(api, 2, "Week one")
    ten = _check_in_with_subscribers(api, 10, "Week two")
    assert two > 0
    assert ten == two


# postCheckIn: the token lookup, then its transaction's six statements (the pair read
# locked, the flood count, two inserts, the pair's update, the other member's row), in
# one hop on SQLite.
CHECK_IN_STATEMENTS = 7


def test_a_check_in_costs_seven_statements_and_its_subscribers_none(api: Api) -> None:
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    with counting_statements() as counter:
        api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "First"}, story.mentor.token)
    assert counter.count == CHECK_IN_STATEMENTS, counter.lines
    # With subscribers in this process: none more. The poster hands its rows over, both
    # members included, and every subscriber resolves its selection from them.
    assert _check_in_with_subscribers(api, 2, "Week one") == CHECK_IN_STATEMENTS
