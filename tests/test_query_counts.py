"""Lists resolve through DataLoaders: the SQL statement count doesn't grow with items."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import Api, Person

VIEWER_PAIRS = """
{ viewer { pairs { edges { node {
    mentor { name } mentee { name } program { title group { name } }
    milestones { title completedBy { name } }
} } } } }"""
ADMIN_PROGRAM = """
query($id: ID!) { program(id: $id) {
  signUps { edges { node { user { name } answers { question { prompt } value } } } }
  pairs { edges { node { mentor { name } mentee { name } milestones { completedBy { name } } } } }
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

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


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
    admin, mentor = api.person("Ada"), api.person("Maya")
    group_id = api.group(admin)
    api.join(mentor, group_id)
    program_id = api.program(admin, group_id)
    mentor_sign_up = api.sign_up(mentor, program_id, "MENTOR", capacity=5)
    for _ in range(mentees):
        mentee = api.person()
        api.join(mentee, group_id)
        pair = api.pair(admin, mentor_sign_up, api.sign_up(mentee, program_id, "MENTEE"))
        api.ok(COMPLETE, {"milestoneId": pair["milestones"][0]["id"]}, mentee.token)
    return admin, mentor, program_id


def _statements(api: Api, query: str, variables: dict | None, token: str) -> int:
    with counting_statements() as counter:
        api.data(query, variables, token)
    return counter.count


def test_viewer_pairs_query_count_does_not_grow_with_pairs(api: Api) -> None:
    _, few_mentor, _ = _program_with_pairs(api, 1)
    _, many_mentor, _ = _program_with_pairs(api, 5)
    few = _statements(api, VIEWER_PAIRS, None, few_mentor.token)
    many = _statements(api, VIEWER_PAIRS, None, many_mentor.token)
    assert few > 0
    assert many == few


def test_admin_program_page_query_count_does_not_grow_with_sign_ups(api: Api) -> None:
    few_admin, _, few_program = _program_with_pairs(api, 1)
    many_admin, _, many_program = _program_with_pairs(api, 5)
    few = _statements(api, ADMIN_PROGRAM, {"id": few_program}, few_admin.token)
    many = _statements(api, ADMIN_PROGRAM, {"id": many_program}, many_admin.token)
    assert few > 0
    assert many == few
