"""Abuse limits: mutations per user and per IP per minute, and check-in flooding per pair.

Every app here is built with its own limits (`limited(...)`); the suite's own settings
may switch them off. The rate-limit clock is frozen 15 s into a minute, so a test never
straddles two windows and `retryAfter` is exactly 45. With TEST_BROADCAST_URL=redis://
the counters live in Redis, under a key prefix of this test's own.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from starlette.testclient import TestClient

from api import ratelimit
from api.app import create_app
from api.ratelimit import MemoryCounter, RateLimited, RedisCounter
from api.services import flood
from api.settings import Settings
from schema.ids import decode_id
from tests.backends import TEST_BROADCAST_URL
from tests.helpers import ADULT, CREATE_GROUP, PASSWORD, REGISTER, Api

pytestmark = pytest.mark.timeout(60)

FROZEN = 60.0 * 28_333_333 + 15.0  # 15 s into a window
RETRY_AFTER = 45
REDIS = TEST_BROADCAST_URL.startswith(("redis://", "rediss://"))

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token userErrors { field message code } }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { field message code } }
}"""
VIEWER = "query { viewer { id } }"
TWO_OPERATIONS = """
query Who { viewer { id } }
mutation Make { createGroup(input: {name: "G", category: HOBBIES}) { group { id } } }
"""

Limited = Callable[..., Api]


@pytest.fixture(autouse=True)
def frozen_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "wall_clock", lambda: FROZEN)
    # Redis keys of this test alone (the counter reads the prefix when the app is built).
    monkeypatch.setattr(ratelimit, "KEY_PREFIX", f"ratelimit-test-{uuid.uuid4().hex}")


@pytest.fixture
def limited(settings: Settings) -> Iterator[Limited]:
    """Build and start an app with the given settings changes; each call, a new app."""
    with ExitStack() as stack:

        def make(**changes: object) -> Api:
            changes.setdefault("rate_limit_user_per_minute", 0)
            changes.setdefault("rate_limit_ip_per_minute", 0)
            app = create_app(dataclasses.replace(settings, **changes))
            client = stack.enter_context(TestClient(app))
            return Api(client, app)

        yield make


_n = iter(range(1, 1_000_000))


def register(api: Api) -> tuple[str, str]:
    """A new person: (token, email)."""
    email = f"limited-{uuid.uuid4().hex[:12]}@example.com"
    payload = api.ok(
        REGISTER,
        {"email": email, "password": PASSWORD, "name": f"P{next(_n)}", "birthDate": ADULT},
    )
    return payload["token"], email


def create_group(api: Api, token: str | None) -> dict:
    return api.post(CREATE_GROUP, {"input": {"name": "G", "category": "HOBBIES"}}, token)


def assert_rate_limited(body: dict) -> int:
    """The body is one RATE_LIMITED error and no data; its retryAfter."""
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    extensions = errors[0]["extensions"]
    assert extensions["code"] == "RATE_LIMITED", body
    assert isinstance(extensions["retryAfter"], int) and extensions["retryAfter"] > 0, body
    assert not body.get("data"), body
    return extensions["retryAfter"]


# --- per user ----------------------------------------------------------------------------


def test_per_user_limit(limited: Limited) -> None:
    api = limited(rate_limit_user_per_minute=3)
    alice, _ = register(api)
    bob, _ = register(api)

    for _ in range(3):
        assert create_group(api, alice)["data"]["createGroup"]["group"]["id"]
    before = api.snapshot()
    assert assert_rate_limited(create_group(api, alice)) == RETRY_AFTER
    assert api.snapshot() == before, "a refused mutation wrote something"

    response = api.client.post(
        "/graphql",
        json={"query": CREATE_GROUP, "variables": {"input": {"name": "G", "category": "HOBBIES"}}},
        headers={"Authorization": f"Bearer {alice}"},
    )
    assert_rate_limited(response.json())
    assert response.headers["Retry-After"] == str(RETRY_AFTER)

    # Another user is unaffected, and queries are never limited.
    assert create_group(api, bob)["data"]["createGroup"]["group"]["id"]
    for _ in range(5):
        assert api.data(VIEWER, token=alice)["viewer"]["id"]


def test_operation_name_picks_what_is_limited(limited: Limited) -> None:
    api = limited(rate_limit_user_per_minute=1)
    token, _ = register(api)
    ok = api.client.post(
        "/graphql",
        json={"query": TWO_OPERATIONS, "operationName": "Make"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert ok["data"]["createGroup"]["group"]["id"], ok

    def run(name: str) -> dict:
        return api.client.post(
            "/graphql",
            json={"query": TWO_OPERATIONS, "operationName": name},
            headers={"Authorization": f"Bearer {token}"},
        ).json()

    assert run("Who")["data"]["viewer"]["id"]  # the query of the same document: not limited
    assert_rate_limited(run("Make"))
    assert run("Who")["data"]["viewer"]["id"]


def test_limits_of_zero_are_off(limited: Limited) -> None:
    api = limited(rate_limit_user_per_minute=0, rate_limit_ip_per_minute=-1)
    token, _ = register(api)
    for _ in range(8):
        assert create_group(api, token)["data"]["createGroup"]["group"]["id"]


# --- per IP ------------------------------------------------------------------------------


def test_per_ip_limit_counts_anonymous_register_and_login(limited: Limited) -> None:
    api = limited(rate_limit_ip_per_minute=3)
    token, email = register(api)  # 1
    register(api)  # 2
    login = api.ok(LOGIN, {"email": email, "password": PASSWORD})  # 3
    assert login["token"]

    before = api.snapshot()
    refused = api.post(
        REGISTER,
        {
            "input": {
                "email": "one-too-many@example.com",
                "password": PASSWORD,
                "name": "Late",
                "birthDate": ADULT,
            }
        },
    )
    assert assert_rate_limited(refused) == RETRY_AFTER
    assert_rate_limited(api.post(LOGIN, {"input": {"email": email, "password": PASSWORD}}))
    # Signed in or not, the same address is over its limit.
    assert_rate_limited(create_group(api, token))
    assert api.snapshot() == before, "a refused mutation wrote something"
    # Reads go on.
    assert api.data(VIEWER, token=token)["viewer"]["id"]
    assert api.data(VIEWER)["viewer"] is None


@pytest.mark.skipif(REDIS, reason="with Redis the two apps share the count")
def test_memory_counts_are_per_app(settings: Settings) -> None:
    changes = {"rate_limit_ip_per_minute": 1, "rate_limit_user_per_minute": 0}
    bad_login = {"input": {"email": "x@example.com", "password": "wrong password"}}
    with TestClient(create_app(dataclasses.replace(settings, **changes))) as client:
        first = Api(client, client.app)
        register(first)
        assert_rate_limited(first.post(LOGIN, bad_login))
    with TestClient(create_app(dataclasses.replace(settings, **changes))) as client:
        second = Api(client, client.app)
        assert second.post(LOGIN, bad_login)["data"]["login"]["userErrors"]


# --- Redis -------------------------------------------------------------------------------


@pytest.mark.skipif(not REDIS, reason="needs TEST_BROADCAST_URL=redis://...")
def test_apps_sharing_redis_share_the_count(settings: Settings) -> None:
    """Two app instances (workers, one after the other here: Tortoise allows one per
    process at a time) on one database and one Redis count together."""
    changes = {"rate_limit_user_per_minute": 3, "rate_limit_ip_per_minute": 0}
    with TestClient(create_app(dataclasses.replace(settings, **changes))) as client:
        first = Api(client, client.app)
        token, _ = register(first)
        assert create_group(first, token)["data"]["createGroup"]["group"]["id"]
        assert create_group(first, token)["data"]["createGroup"]["group"]["id"]
    with TestClient(create_app(dataclasses.replace(settings, **changes))) as client:
        second = Api(client, client.app)
        assert create_group(second, token)["data"]["createGroup"]["group"]["id"]
        before = second.snapshot()
        assert assert_rate_limited(create_group(second, token)) == RETRY_AFTER
        assert second.snapshot() == before


async def test_redis_unreachable_fails_open(caplog: pytest.LogCaptureFixture) -> None:
    counter = RedisCounter("redis://127.0.0.1:1/0", prefix="ratelimit-test")
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        assert await counter.hit(["ip:a", "user:1"], 1) == [None, None]
        assert await counter.hit(["ip:a"], 1) == [None]  # paused: Redis not even asked
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
    await counter.aclose()


def test_app_allows_mutations_while_redis_is_down(
    limited: Limited, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ratelimit, "make_counter", lambda settings: RedisCounter("redis://127.0.0.1:1/0")
    )
    api = limited(rate_limit_user_per_minute=1, rate_limit_ip_per_minute=1)
    token, _ = register(api)
    for _ in range(3):
        assert create_group(api, token)["data"]["createGroup"]["group"]["id"]


async def test_memory_counter_keeps_one_window_and_a_bounded_number_of_keys() -> None:
    counter = MemoryCounter(max_keys=2)
    assert await counter.hit(["a", "b"], 7) == [1, 1]
    assert await counter.hit(["a", "c"], 7) == [2, None]  # full: c is not counted
    assert await counter.hit(["c"], 8) == [1]  # a new window forgets the old one
    assert len(counter) == 1


def test_rate_limited_error_carries_retry_after() -> None:
    error = RateLimited(12.2)
    assert error.extensions == {"code": "RATE_LIMITED", "retryAfter": 13}
    assert RateLimited(0).retry_after == 1


# --- check-in flooding -------------------------------------------------------------------


def active_pair(api: Api):
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    return story, pair["id"]


def post_check_in(api: Api, token: str, pair_id: str, body: str = "Hello") -> dict:
    return api.post(POST_CHECK_IN, {"input": {"pairId": pair_id, "body": body}}, token)


def test_require_check_in_allowed_counts_the_authors_recent_check_ins(limited: Limited) -> None:
    api = limited()  # the flood check is called straight here, with its own limit
    story, pair_id = active_pair(api)
    for i in range(3):
        assert post_check_in(api, story.mentor.token, pair_id, f"#{i}")["data"]["postCheckIn"][
            "checkIn"
        ]
    mentor_pk, mentee_pk, pair_pk = (
        decode_id(story.mentor.id)[1],
        decode_id(story.mentee.id)[1],
        decode_id(pair_id)[1],
    )

    api.run(flood.require_check_in_allowed, mentor_pk, pair_pk, 4)
    api.run(flood.require_check_in_allowed, mentee_pk, pair_pk, 1)  # per author
    api.run(flood.require_check_in_allowed, mentor_pk, pair_pk, 0)  # off
    with pytest.raises(RateLimited) as refused:
        api.run(flood.require_check_in_allowed, mentor_pk, pair_pk, 3)
    assert 3590 <= refused.value.retry_after <= 3600
    assert refused.value.extensions["code"] == "RATE_LIMITED"


def test_check_in_flood_into_a_pair_is_limited(limited: Limited) -> None:
    api = limited(check_ins_per_pair_per_hour=3)
    story, pair_id = active_pair(api)
    for i in range(3):
        payload = post_check_in(api, story.mentor.token, pair_id, f"#{i}")["data"]["postCheckIn"]
        assert payload["checkIn"] and not payload["userErrors"]

    before = api.snapshot()
    published = api.published
    retry_after = assert_rate_limited(post_check_in(api, story.mentor.token, pair_id, "#4"))
    assert 3590 <= retry_after <= 3600
    assert api.snapshot() == before, "a refused check-in wrote something"
    assert api.published == published

    # The limit is per author: the mentee may still post.
    assert post_check_in(api, story.mentee.token, pair_id)["data"]["postCheckIn"]["checkIn"]


def test_environment_limit_outside_an_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECK_INS_PER_PAIR_PER_HOUR", "7")
    assert flood.current_limit() == 7
    monkeypatch.delenv("CHECK_INS_PER_PAIR_PER_HOUR")
    assert flood.current_limit() == Settings().check_ins_per_pair_per_hour
