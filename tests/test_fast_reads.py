"""The fast reads (`FastModel.where_in`, `FastQuery`) answer what Tortoise's own querysets
answer, row for row and value for value, on the suite's database (SQLite, or PostgreSQL
under TEST_DATABASE_URL), and the connections built on them filter and page as before."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery

from models import Block, GroupMembership, Milestone, Pair, User
from models.enums import PairStatus
from schema.ids import decode_id
from tests import bulk
from tests.helpers import Api, Person


def _values(rows: list[Any]) -> list[dict[str, Any]]:
    """Every field of every model, as the instances hold them."""
    return [
        {name: getattr(row, name) for name in type(row)._meta.db_fields}
        | {"_saved": row._saved_in_db}
        for row in rows
    ]


def _world(api: Api) -> tuple[Person, Person, str, list[int]]:
    """A program with 12 pairs of one mentor (three of them ended): its admin, mentor,
    id, and the pairs' ids."""
    admin, mentor = api.person("Ada"), api.person("Maya")
    group_id = api.group(admin)
    api.join(mentor, group_id)
    program_id = api.program(admin, group_id)
    mentor_sign_up = api.sign_up(mentor, program_id, "MENTOR", capacity=1)
    pair_ids = api.run(bulk.mentees_paired_to, decode_id(mentor_sign_up)[1], 12)

    async def end_some() -> None:
        await Pair.filter(pk__in=pair_ids[::4]).update(status=PairStatus.ENDED)

    api.run(end_some)
    return admin, mentor, program_id, pair_ids


def test_where_in_answers_what_filter_answers(api: Api) -> None:
    _, mentor, _, pair_ids = _world(api)
    mentor_pk = decode_id(mentor.id)[1]

    async def compare() -> None:
        pairs = await Pair.filter(pk__in=pair_ids)
        people = sorted({p.mentor_id for p in pairs} | {p.mentee_id for p in pairs})
        assert _values(await User.where_in("pk", people, ("id",))) == _values(
            await User.filter(pk__in=people).order_by("id")
        )
        milestones = await Milestone.where_in("pair_id", pair_ids, ("position", "id"))
        expected = await Milestone.filter(pair_id__in=pair_ids).order_by("position", "id")
        assert milestones and _values(milestones) == _values(expected)
        group_ids = [m.group_id for m in await GroupMembership.filter(user_id=mentor_pk)]
        assert _values(
            await GroupMembership.where_in("group_id", group_ids, ("id",), user_id=mentor_pk)
        ) == _values(
            await GroupMembership.filter(group_id__in=group_ids, user_id=mentor_pk).order_by("id")
        )
        assert await User.where_in("pk", []) == []
        assert await User.by_pk(10**9) is None
        found = await Pair.by_pk(pair_ids[0])
        assert found is not None
        assert _values([found]) == _values([await Pair.get(pk=pair_ids[0])])
        # An instance built this way saves like any other.
        found.last_check_in_at = None
        await found.save(update_fields=["last_check_in_at"])

    api.run(compare)


def test_fast_query_answers_what_the_queryset_answers(api: Api) -> None:
    _, mentor, _, pair_ids = _world(api)
    mentor_pk = decode_id(mentor.id)[1]
    program_pk = api.run(lambda: Pair.get(pk=pair_ids[0])).program_id
    middle = sorted(pair_ids)[5]

    async def compare() -> None:
        mentee_pk = (await Pair.get(pk=pair_ids[3])).mentee_id
        shapes = [
            (Pair.fast_query(program_id=program_pk), Pair.filter(program_id=program_pk)),
            (
                Pair.fast_query(program_id=program_pk).filter(status=PairStatus.ENDED),
                Pair.filter(program_id=program_pk, status=PairStatus.ENDED),
            ),
            (
                Pair.fast_query().either(mentor_id=mentor_pk, mentee_id=mentor_pk),
                Pair.filter(Q(mentor_id=mentor_pk) | Q(mentee_id=mentor_pk)),
            ),
            (Pair.fast_query(mentee_id=mentor_pk), Pair.filter(mentee_id=mentor_pk)),
            (
                Pair.fast_query().either(mentor_id=mentee_pk, mentee_id=mentee_pk),
                Pair.filter(Q(mentor_id=mentee_pk) | Q(mentee_id=mentee_pk)),
            ),
            (  # without the mentees who blocked the mentor (two of the twelve)
                Pair.fast_query(program_id=program_pk).exclude_in(
                    "mentee_id", Block, "blocker_id", blocked_id=mentor_pk
                ),
                Pair.filter(program_id=program_pk).exclude(
                    mentee_id__in=Subquery(Block.filter(blocked_id=mentor_pk).values("blocker_id"))
                ),
            ),
        ]
        for pair_pk in pair_ids[1:3]:
            mentee = (await Pair.get(pk=pair_pk)).mentee_id
            await Block.create(blocker_id=mentee, blocked_id=mentor_pk)
        assert await shapes[-1][0].count() == len(pair_ids) - 2
        for fast, slow in shapes:
            assert await fast.count() == await slow.count()
            for order in ("id", "-id"):
                for extra in ({}, {"id__gt": middle}, {"id__lt": middle}):
                    for limit in (3, 100):
                        got = await fast.filter(**extra).order_by(order).limit(limit)
                        want = await slow.filter(**extra).order_by(order).limit(limit)
                        assert _values(got) == _values(want), (order, extra, limit)

    api.run(compare)


PAGE = """
query($id: ID!, $status: PairStatus, $after: String, $last: Int) {
  program(id: $id) { pairs(first: 4, status: $status, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } }
    tail: pairs(last: $last) { totalCount pageInfo { hasPreviousPage } edges { node { id } } } }
}"""
MINE = """
query($role: MentorshipRole) { viewer { pairs(first: 100, role: $role) {
  totalCount edges { node { id mentor { name } } } } } }"""


def test_pair_connections_filter_and_page(api: Api) -> None:
    admin, mentor, program_id, pair_ids = _world(api)
    ended = sorted(pair_ids[::4])
    page = api.data(PAGE, {"id": program_id, "status": "ENDED", "last": 2}, admin.token)
    pairs, tail = page["program"]["pairs"], page["program"]["tail"]
    assert pairs["totalCount"] == len(ended)
    assert [decode_id(e["node"]["id"])[1] for e in pairs["edges"]] == ended
    assert {e["node"]["status"] for e in pairs["edges"]} == {"ENDED"}
    assert pairs["pageInfo"]["hasNextPage"] is False
    assert tail["totalCount"] == len(pair_ids)
    assert [decode_id(e["node"]["id"])[1] for e in tail["edges"]] == sorted(pair_ids)[-2:]
    assert tail["pageInfo"]["hasPreviousPage"] is True

    first = api.data(PAGE, {"id": program_id, "last": 1}, admin.token)["program"]["pairs"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = api.data(
        PAGE, {"id": program_id, "after": first["pageInfo"]["endCursor"], "last": 1}, admin.token
    )["program"]["pairs"]
    seen = [decode_id(e["node"]["id"])[1] for e in first["edges"] + rest["edges"]]
    assert seen == sorted(pair_ids)[:8]

    as_mentor = api.data(MINE, {"role": "MENTOR"}, mentor.token)["viewer"]["pairs"]
    assert as_mentor["totalCount"] == len(pair_ids)
    assert [decode_id(e["node"]["id"])[1] for e in as_mentor["edges"]] == sorted(
        pair_ids, reverse=True
    )  # newest first
    assert api.data(MINE, {"role": "MENTEE"}, mentor.token)["viewer"]["pairs"]["totalCount"] == 0
    assert api.data(MINE, {}, mentor.token)["viewer"]["pairs"]["totalCount"] == len(pair_ids)
    # A member who is not the admin sees only their own pairs in the program.
    mine = api.data(PAGE, {"id": program_id, "last": 1}, mentor.token)["program"]["pairs"]
    assert mine["totalCount"] == len(pair_ids)
