"""Account safety and privacy (docs/client-guide.md, "Limits and safety"): the login lockout,
changePassword, exportMyData, deleteAccount and blockUser, through the real API."""

from __future__ import annotations

import dataclasses
import json
import time

from starlette.testclient import TestClient

from api.app import create_app
from api.services.access import check_ins_visible_to
from api.settings import Settings
from models import AuthToken, Block, LoginThrottle, SignUp
from models import User as UserModel
from schema.ids import decode_id, encode_id
from tests.helpers import PASSWORD, Api, Person, Story, Subscriptions

ERRORS = "userErrors { field message code }"
LOGIN = f"""
mutation($input: LoginInput!) {{ login(input: $input) {{ token user {{ id }} {ERRORS} }} }}"""
CHANGE_PASSWORD = f"""
mutation($input: ChangePasswordInput!) {{
  changePassword(input: $input) {{ user {{ id }} revokedCount {ERRORS} }}
}}"""
DELETE_ACCOUNT = f"""
mutation($input: DeleteAccountInput!) {{ deleteAccount(input: $input) {{ deleted {ERRORS} }} }}"""
BLOCK_USER = f"""
mutation($input: BlockUserInput!) {{
  blockUser(input: $input) {{
    blockedUser {{ id name }} endedPairs {{ id status endReason endedBy {{ id }} }} {ERRORS}
  }}
}}"""
EXPORT = "{ exportMyData }"
REGISTER = f"""
mutation($input: RegisterInput!) {{ register(input: $input) {{ user {{ id }} {ERRORS} }} }}"""
VIEWER = "{ viewer { id name email } }"
POST_CHECK_IN = f"""
mutation($input: PostCheckInInput!) {{ postCheckIn(input: $input) {{ checkIn {{ id }} {ERRORS} }} }}"""
CREATE_PAIR = f"""
mutation($input: CreatePairInput!) {{
  createPair(input: $input) {{ pair {{ id }} mentorSignUp {{ id }} menteeSignUp {{ id }} {ERRORS} }}
}}"""
PAIR = """
query($id: ID!) {
  pair(id: $id) {
    status endReason endedBy { id name } mentor { id name email } mentee { id name }
    checkIns { totalCount edges { node { id body author { id name } } } }
  }
}"""
NODE = """
query($id: ID!) {
  node(id: $id) { __typename id ... on CheckIn { body } ... on SignUp { role } }
}"""
GROUP = """
query($id: ID!) { group(id: $id) { memberCount members { edges { node { role user { id } } } } } }"""
SET_MEMBER_ROLE = f"""
mutation($input: SetMemberRoleInput!) {{ setMemberRole(input: $input) {{ membership {{ id }} {ERRORS} }} }}"""
PAIR_EVENTS = """
subscription($pairId: ID!) {
  pairEvents(pairId: $pairId) {
    __typename sequence pair { id status }
    ... on PairEndedEvent { reason }
  }
}"""


# --- helpers ---------------------------------------------------------------------------


def login(api: Api, email: str, password: str) -> dict:
    """The whole response body of a login attempt."""
    return api.post(LOGIN, {"input": {"email": email, "password": password}})


def login_code(api: Api, email: str, password: str) -> str:
    """ "OK", a userError code, or the top-level error code of a login attempt."""
    body = login(api, email, password)
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    payload = body["data"]["login"]
    return payload["userErrors"][0]["code"] if payload["userErrors"] else "OK"


def without_throttle(lines: list[str]) -> list[str]:
    """The snapshot less the failed-sign-in counter, which a wrong password must update."""
    return [line for line in lines if not line.startswith("login_throttles:")]


def refused(api: Api, query: str, input: dict, token: str, *, counts_failure: bool = False):
    """A mutation refused with userErrors: nothing else written, nothing published."""
    before, published = api.snapshot(), api.published
    payload = api.mutate(query, input, token)
    errors = payload.pop("userErrors")
    assert errors, payload
    after = api.snapshot()
    if counts_failure:
        before, after = without_throttle(before), without_throttle(after)
    assert after == before, "a refused mutation wrote to the database"
    assert api.published == published, "a refused mutation published an event"
    return errors, payload


def top_level_refusal(api: Api, query: str, variables: dict, token: str | None) -> str:
    before, published = api.snapshot(), api.published
    code = api.error_code(query, variables, token)
    assert api.snapshot() == before and api.published == published
    return code


def paired(api: Api) -> tuple[Story, dict]:
    story = api.story()
    return story, api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)


def check_in(api: Api, pair_id: str, who: Person, body: str) -> str:
    return api.ok(POST_CHECK_IN, {"pairId": pair_id, "body": body}, who.token)["checkIn"]["id"]


def pk(global_id: str) -> int:
    return decode_id(global_id)[1]


def connect(api: Api):
    return api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])


# --- failed logins ---------------------------------------------------------------------


def test_ten_failures_lock_the_email_even_for_the_right_password(api: Api) -> None:
    person, other = api.person(), api.person()
    for _ in range(10):
        assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"

    before = api.snapshot()
    body = login(api, person.email, PASSWORD)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < error["extensions"]["retryAfter"] <= 900
    # The email is refused however it is written; refused attempts record nothing.
    assert login_code(api, f"  {person.email.upper()} ", PASSWORD) == "RATE_LIMITED"
    assert api.snapshot() == before

    # Another email is unaffected.
    assert login_code(api, other.email, PASSWORD) == "OK"


def test_an_unknown_email_locks_the_same_way_and_is_not_stored(api: Api) -> None:
    """Nothing tells an existing email from an unknown one."""
    ghost = "nobody-here@example.com"
    for _ in range(10):
        assert login_code(api, ghost, "wrong password!") == "INVALID_CREDENTIALS"
    assert login_code(api, ghost, PASSWORD) == "RATE_LIMITED"
    assert not any(ghost in line for line in api.snapshot())


def test_a_successful_login_clears_the_failures(api: Api) -> None:
    person = api.person()
    for _ in range(9):
        assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
    assert login_code(api, person.email, PASSWORD) == "OK"
    for _ in range(9):
        assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
    assert login_code(api, person.email, PASSWORD) == "OK"


def test_the_lockout_and_the_window_are_settings_and_expire(settings: Settings) -> None:
    quick = dataclasses.replace(
        settings, login_failures_allowed=3, login_failure_window_s=1, login_lockout_s=1
    )
    with TestClient(create_app(quick)) as client:
        api = Api(client, client.app)
        person = api.person()
        for _ in range(3):
            assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
        assert login_code(api, person.email, PASSWORD) == "RATE_LIMITED"
        time.sleep(1.1)
        assert login_code(api, person.email, PASSWORD) == "OK"

        # Failures older than the window no longer count.
        for _ in range(2):
            assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
        time.sleep(1.1)
        for _ in range(2):
            assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
        assert login_code(api, person.email, PASSWORD) == "OK"


def test_the_lockout_holds_across_workers(settings: Settings) -> None:
    """The failures live in the database, not in a process: a fresh app (another
    worker, or a restarted one) on the same database counts them and refuses."""

    def worker() -> TestClient:
        return TestClient(create_app(settings))

    with worker() as client:
        person = Api(client, client.app).person()
    for _ in range(2):
        with worker() as client:
            api = Api(client, client.app)
            for _ in range(5):
                assert login_code(api, person.email, "wrong password!") == "INVALID_CREDENTIALS"
    with worker() as client:
        assert login_code(Api(client, client.app), person.email, PASSWORD) == "RATE_LIMITED"


# --- changePassword --------------------------------------------------------------------


def test_change_password_keeps_this_session_and_revokes_the_others(api: Api) -> None:
    person = api.person()
    other_sessions = [api.ok(LOGIN, {"email": person.email, "password": PASSWORD})["token"]]
    other_sessions.append(api.ok(LOGIN, {"email": person.email, "password": PASSWORD})["token"])
    new_password = "a brand new passphrase"

    payload = api.ok(
        CHANGE_PASSWORD,
        {"currentPassword": PASSWORD, "newPassword": new_password},
        person.token,
    )
    assert payload == {"user": {"id": person.id}, "revokedCount": 2, "userErrors": []}

    assert api.data(VIEWER, token=person.token)["viewer"]["id"] == person.id
    for token in other_sessions:
        assert api.error_code(VIEWER, token=token) == "UNAUTHENTICATED"  # a revoked token
        assert api.error_code(EXPORT, token=token) == "UNAUTHENTICATED"
    assert login_code(api, person.email, PASSWORD) == "INVALID_CREDENTIALS"
    assert login_code(api, person.email, new_password) == "OK"


def test_change_password_refusals(api: Api) -> None:
    person = api.person()
    errors, payload = refused(
        api, CHANGE_PASSWORD, {"currentPassword": PASSWORD, "newPassword": "short"}, person.token
    )
    assert [(e["code"], e["field"]) for e in errors] == [("WEAK_PASSWORD", ["newPassword"])]
    assert payload == {"user": None, "revokedCount": None}

    errors, _ = refused(
        api,
        CHANGE_PASSWORD,
        {"currentPassword": "not my password", "newPassword": "a brand new passphrase"},
        person.token,
        counts_failure=True,
    )
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_CREDENTIALS", ["currentPassword"])
    ]
    assert login_code(api, person.email, PASSWORD) == "OK"

    variables = {"input": {"currentPassword": PASSWORD, "newPassword": "a brand new one!"}}
    assert top_level_refusal(api, CHANGE_PASSWORD, variables, None) == "UNAUTHENTICATED"


def test_guessing_the_current_password_counts_towards_the_lockout(api: Api) -> None:
    person = api.person()
    guess = {"currentPassword": "a wrong guess", "newPassword": "a brand new passphrase"}
    for _ in range(10):
        errors = api.mutate(CHANGE_PASSWORD, guess, person.token)["userErrors"]
        assert [e["code"] for e in errors] == ["INVALID_CREDENTIALS"]
    assert login_code(api, person.email, PASSWORD) == "RATE_LIMITED"
    right = {"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"}
    assert api.error_code(CHANGE_PASSWORD, {"input": right}, person.token) == "RATE_LIMITED"


# --- exportMyData ----------------------------------------------------------------------


def test_export_holds_the_viewers_data_and_nothing_private_of_others(api: Api) -> None:
    story, pair = paired(api)
    mentee, mentor = story.mentee, story.mentor
    check_in(api, pair["id"], mentee, "Hello from the mentee")
    check_in(api, pair["id"], mentor, "Hello from the mentor")
    # Another pair in the same program, which the mentee is not part of.
    other_mentor, other_mentee = api.person("Olga"), api.person("Oscar")
    for someone in (other_mentor, other_mentee):
        api.join(someone, story.group_id)
    other_pair = api.pair(
        story.admin,
        api.sign_up(other_mentor, story.program_id, "MENTOR"),
        api.sign_up(other_mentee, story.program_id, "MENTEE"),
    )
    check_in(api, other_pair["id"], other_mentee, "A secret of another pair")
    api.ok(BLOCK_USER, {"userId": other_mentor.id}, mentee.token)

    data = api.data(EXPORT, token=mentee.token)["exportMyData"]
    assert data["profile"] == {
        "id": mentee.id,
        "email": mentee.email,
        "name": "Milo",
        "birthDate": "1990-01-01",
        "createdAt": data["profile"]["createdAt"],
    }
    assert [s["current"] for s in data["sessions"]] == [True]
    assert {"createdAt", "expiresAt", "revokedAt", "current"} == set(data["sessions"][0])
    assert [(m["group"]["id"], m["role"]) for m in data["memberships"]] == [
        (story.group_id, "MEMBER")
    ]
    (sign_up,) = data["signUps"]
    assert (sign_up["id"], sign_up["role"], sign_up["status"]) == (
        story.mentee_sign_up,
        "MENTEE",
        "MATCHED",
    )
    assert sign_up["answers"] and all(
        a["value"] and a["question"]["prompt"] for a in sign_up["answers"]
    )
    (my_pair,) = data["pairs"]
    assert my_pair["id"] == pair["id"] and my_pair["role"] == "MENTEE"
    assert my_pair["mentor"] == {"id": mentor.id, "name": "Maya"}
    assert [m["id"] for m in my_pair["milestones"]] == [m["id"] for m in pair["milestones"]]
    assert [(c["body"], c["writtenByYou"]) for c in my_pair["checkIns"]] == [
        ("Hello from the mentee", True),
        ("Hello from the mentor", False),
    ]
    assert data["blocks"] == [
        {
            "user": {"id": other_mentor.id, "name": "Olga"},
            "createdAt": data["blocks"][0]["createdAt"],
        }
    ]

    # Nothing private of anyone else, and no secret of the viewer's own.
    text = json.dumps(data)
    for someone in (mentor, story.admin, other_mentor, other_mentee):
        assert someone.email not in text
    assert "A secret of another pair" not in text
    assert "My answer as mentor." not in text

    async def secrets() -> list[str]:
        user = await UserModel.get(pk=pk(mentee.id))
        hashes = await AuthToken.filter(user_id=user.pk).values_list("token_hash", flat=True)
        return [user.password_hash, *hashes]

    assert all(secret not in text for secret in api.run(secrets))
    assert mentee.token not in text

    assert top_level_refusal(api, EXPORT, {}, None) == "UNAUTHENTICATED"


# --- deleteAccount ---------------------------------------------------------------------


def test_delete_account_end_to_end(api: Api) -> None:
    story, pair = paired(api)
    mentor, mentee = story.mentor, story.mentee
    check_in(api, pair["id"], mentor, "From Maya, before she left")
    check_in(api, pair["id"], mentee, "From Milo")
    # The mentor is also the only admin of a group with one other member.
    own_group = api.group(mentor)
    api.join(mentee, own_group)

    with connect(api) as ws:
        client = Subscriptions(ws)
        assert client.init(mentee.token)["type"] == "connection_ack"
        client.subscribe("events", PAIR_EVENTS, {"pairId": pair["id"]})
        # No cursor: the two check-ins are replayed first, then the stream is live.
        for _ in range(2):
            replayed = client.receive()["payload"]["data"]["pairEvents"]
            assert replayed["__typename"] == "CheckInPostedEvent"
        api.wait_for_listeners(pair["id"], 1)
        published = api.published

        payload = api.ok(DELETE_ACCOUNT, {"password": PASSWORD}, mentor.token)
        assert payload == {"deleted": True, "userErrors": []}

        frame = client.receive()
        assert frame["type"] == "next", frame
        event = frame["payload"]["data"]["pairEvents"]
        assert event["__typename"] == "PairEndedEvent"
        assert event["reason"] == "The other member deleted their account."
        assert event["pair"] == {"id": pair["id"], "status": "ENDED"}
        assert client.receive() == {"id": "events", "type": "complete"}
    # The pair's PAIR_ENDED event, and the other member's notification (the deleted
    # account keeps none).
    assert api.published == published + 2

    # The other member still sees the conversation, the deleted side as "Deleted user".
    seen = api.data(PAIR, {"id": pair["id"]}, mentee.token)["pair"]
    assert seen["status"] == "ENDED"
    assert seen["mentor"] == {"id": mentor.id, "name": "Deleted user", "email": None}
    assert seen["endedBy"]["name"] == "Deleted user"
    bodies = [(e["node"]["body"], e["node"]["author"]["name"]) for e in seen["checkIns"]["edges"]]
    assert bodies == [("From Milo", "Milo"), ("From Maya, before she left", "Deleted user")]

    # The old token and the old password are gone.
    assert api.error_code(EXPORT, token=mentor.token) == "UNAUTHENTICATED"
    assert api.error_code(VIEWER, token=mentor.token) == "UNAUTHENTICATED"
    assert login_code(api, mentor.email, PASSWORD) == "INVALID_CREDENTIALS"

    # The group was handed to its remaining member.
    group = api.data(GROUP, {"id": own_group}, mentee.token)["group"]
    assert group["memberCount"] == 1
    assert [(m["node"]["user"]["id"], m["node"]["role"]) for m in group["members"]["edges"]] == [
        (mentee.id, "ADMIN")
    ]

    async def stored() -> dict:
        user = await UserModel.get(pk=pk(mentor.id))
        sign_up = await SignUp.get(pk=pk(story.mentor_sign_up)).prefetch_related("answers")
        return {
            "user": (user.name, user.email, str(user.birth_date)),
            "tokens": await AuthToken.filter(user_id=user.pk).count(),
            "sign_up": (sign_up.status.value, sign_up.live, len(sign_up.answers)),
        }

    row = api.run(stored)
    name, email, birth_date = row["user"]
    assert name == "Deleted user" and email.endswith("@deleted.invalid")
    assert mentor.email not in json.dumps(row) and birth_date == "1900-01-01"
    assert row["tokens"] == 0
    assert row["sign_up"] == ("WITHDRAWN", None, 0)
    assert not any(mentor.email in line for line in api.snapshot())

    # The email is free again.
    fresh = api.mutate(
        REGISTER,
        {"email": mentor.email, "password": PASSWORD, "name": "Maya", "birthDate": "1990-01-01"},
    )
    assert fresh["userErrors"] == [] and fresh["user"]["id"] != mentor.id


def test_delete_account_refusals(api: Api) -> None:
    story, _ = paired(api)
    errors, payload = refused(
        api,
        DELETE_ACCOUNT,
        {"password": "not my password"},
        story.mentor.token,
        counts_failure=True,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID_CREDENTIALS", ["password"])]
    assert payload == {"deleted": False}
    assert api.data(VIEWER, token=story.mentor.token)["viewer"]["name"] == "Maya"
    variables = {"input": {"password": PASSWORD}}
    assert top_level_refusal(api, DELETE_ACCOUNT, variables, None) == "UNAUTHENTICATED"


# --- blockUser -------------------------------------------------------------------------


def test_block_user_ends_shared_pairs_and_prevents_new_ones(api: Api) -> None:
    story, pair = paired(api)
    mentor, mentee, admin = story.mentor, story.mentee, story.admin
    mentor_note = check_in(api, pair["id"], mentor, "Maya's note")
    mentee_note = check_in(api, pair["id"], mentee, "Milo's note")
    published = api.published

    payload = api.ok(BLOCK_USER, {"userId": mentor.id}, mentee.token)
    assert payload["blockedUser"] == {"id": mentor.id, "name": "Maya"}
    assert payload["endedPairs"] == [
        {"id": pair["id"], "status": "ENDED", "endReason": None, "endedBy": {"id": mentee.id}}
    ]
    assert api.published == published + 3  # the pair's event, both members' notifications
    # Blocking again changes nothing.
    again = api.ok(BLOCK_USER, {"userId": mentor.id}, mentee.token)
    assert again["endedPairs"] == []

    async def blocks_made() -> int:
        return await Block.filter(blocker_id=pk(mentee.id)).count()

    assert api.run(blocks_made) == 1

    # No new pair between the two, whoever mentors.
    errors, payload = refused(
        api,
        CREATE_PAIR,
        {"mentorSignUpId": story.mentor_sign_up, "menteeSignUpId": story.mentee_sign_up},
        admin.token,
    )
    assert [(e["code"], e["field"]) for e in errors] == [("BLOCKED", None)]
    assert payload == {"pair": None, "mentorSignUp": None, "menteeSignUp": None}
    second = api.program(admin, story.group_id)
    reversed_pair = {
        "mentorSignUpId": api.sign_up(mentee, second, "MENTOR"),
        "menteeSignUpId": api.sign_up(mentor, second, "MENTEE"),
    }
    errors, _ = refused(api, CREATE_PAIR, reversed_pair, admin.token)
    assert [e["code"] for e in errors] == ["BLOCKED"]

    # The blocked person no longer sees the blocker's check-ins; the blocker sees all.
    assert api.data(NODE, {"id": mentee_note}, mentor.token)["node"] is None
    assert api.data(NODE, {"id": mentor_note}, mentor.token)["node"]["body"] == "Maya's note"
    assert api.data(NODE, {"id": mentor_note}, mentee.token)["node"]["body"] == "Maya's note"
    exported = json.dumps(api.data(EXPORT, token=mentor.token)["exportMyData"])
    assert "Maya's note" in exported and "Milo's note" not in exported

    async def listed_for(viewer: Person) -> list[str]:
        """What `Pair.checkIns` is to list (api.services.access.check_ins_visible_to)."""
        query = check_ins_visible_to(pk(viewer.id), pk(pair["id"]))
        return [check_in.body for check_in in await query.order_by("id")]

    assert api.run(listed_for, mentor) == ["Maya's note"]
    assert api.run(listed_for, mentee) == ["Maya's note", "Milo's note"]
    # Others are not affected.
    other = api.person()
    api.join(other, story.group_id)
    api.pair(admin, story.mentor_sign_up, api.sign_up(other, story.program_id, "MENTEE"))


def test_a_blocked_admin_does_not_see_the_blockers_sign_ups(api: Api) -> None:
    story = api.story()
    admin, mentee = story.admin, story.mentee
    assert api.data(NODE, {"id": story.mentee_sign_up}, admin.token)["node"]["role"] == "MENTEE"
    api.ok(BLOCK_USER, {"userId": admin.id}, mentee.token)
    assert api.data(NODE, {"id": story.mentee_sign_up}, admin.token)["node"] is None
    assert api.data(NODE, {"id": story.mentee_sign_up}, mentee.token)["node"]["role"] == "MENTEE"
    variables = {
        "input": {"mentorSignUpId": story.mentor_sign_up, "menteeSignUpId": story.mentee_sign_up}
    }
    assert top_level_refusal(api, CREATE_PAIR, variables, admin.token) == "NOT_FOUND"


def test_block_user_refusals(api: Api) -> None:
    story, pair = paired(api)
    mentee = story.mentee
    unknown = {"input": {"userId": encode_id("User", 999_999)}}
    assert top_level_refusal(api, BLOCK_USER, unknown, mentee.token) == "NOT_FOUND"
    not_a_user = {"input": {"userId": pair["id"]}}
    assert top_level_refusal(api, BLOCK_USER, not_a_user, mentee.token) == "NOT_FOUND"
    myself = {"input": {"userId": mentee.id}}
    assert top_level_refusal(api, BLOCK_USER, myself, mentee.token) == "BAD_USER_INPUT"
    garbage = {"input": {"userId": "not an id"}}
    assert top_level_refusal(api, BLOCK_USER, garbage, mentee.token) == "BAD_USER_INPUT"
    anyone = {"input": {"userId": story.mentor.id}}
    assert top_level_refusal(api, BLOCK_USER, anyone, None) == "UNAUTHENTICATED"
    assert api.data(PAIR, {"id": pair["id"]}, mentee.token)["pair"]["status"] == "ACTIVE"


def test_the_throttle_table_stores_no_email(api: Api) -> None:
    person = api.person()
    login_code(api, person.email, "wrong password!")

    async def rows() -> list[dict]:
        return await LoginThrottle.all().values("email_hash", "recent_failures")

    rows = api.run(rows)
    assert len(rows) == 1 and person.email not in json.dumps(rows)
