"""Who may see and do what (docs/client-guide.md: Errors, Authentication, Subscriptions).

Every mutation: anonymous (or a bad or expired token) is UNAUTHENTICATED; the wrong
person gets FORBIDDEN when they can see the object and NOT_FOUND when they cannot;
the right person succeeds. Reads never raise FORBIDDEN: what the viewer may not see
is null. Subscriptions are for the pair's two members only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from starlette.websockets import WebSocketDisconnect

from models.users import AuthToken
from schema.ids import encode_id
from tests.helpers import PASSWORD, Api, Person, Subscriptions

# --- documents -----------------------------------------------------------------------

ERRORS = "userErrors { field message code }"
MUTATIONS: dict[str, str] = {
    "logout": f"logout(input: $input) {{ revokedCount {ERRORS} }}",
    "createGroup": f"createGroup(input: $input) {{ group {{ id }} {ERRORS} }}",
    "joinGroup": f"joinGroup(input: $input) {{ group {{ id }} membership {{ id }} {ERRORS} }}",
    "leaveGroup": f"leaveGroup(input: $input) {{ group {{ id }} {ERRORS} }}",
    "setMemberRole": f"setMemberRole(input: $input) {{ membership {{ id role }} {ERRORS} }}",
    "createProgram": f"createProgram(input: $input) {{ program {{ id }} {ERRORS} }}",
    "updateProgram": f"updateProgram(input: $input) {{ program {{ id title }} {ERRORS} }}",
    "openProgram": f"openProgram(input: $input) {{ program {{ id status }} {ERRORS} }}",
    "closeProgram": f"closeProgram(input: $input) {{ program {{ id status }} {ERRORS} }}",
    "signUp": f"signUp(input: $input) {{ signUp {{ id }} {ERRORS} }}",
    "withdrawSignUp": f"withdrawSignUp(input: $input) {{ signUp {{ id status }} {ERRORS} }}",
    "createPair": f"createPair(input: $input) {{ pair {{ id }} {ERRORS} }}",
    "completeMilestone": (
        f"completeMilestone(input: $input) {{ milestone {{ id completedAt }} {ERRORS} }}"
    ),
    "postCheckIn": f"postCheckIn(input: $input) {{ checkIn {{ id }} {ERRORS} }}",
    "endPair": f"endPair(input: $input) {{ pair {{ id status }} {ERRORS} }}",
    "createPairs": f"createPairs(input: $input) {{ pairs {{ id }} {ERRORS} }}",
    "setMatchingWeights": (
        f"setMatchingWeights(input: $input) {{ program {{ id }} matchingWeights {{ criterion }} "
        f"{ERRORS} }}"
    ),
    "markNotificationsRead": (
        f"markNotificationsRead(input: $input) {{ notifications {{ id readAt }} {ERRORS} }}"
    ),
}
INPUT_TYPES = {name: name[0].upper() + name[1:] + "Input" for name in MUTATIONS}


def mutation(name: str) -> str:
    return f"mutation($input: {INPUT_TYPES[name]}!) {{ {MUTATIONS[name]} }}"


MILESTONES = """
subscription($pairId: ID!) { milestoneCompleted(pairId: $pairId) { id title } }"""
CHECK_INS = """
subscription($pairId: ID!) { checkInPosted(pairId: $pairId) { id body author { name } } }"""
PAIR_UPDATES = """
subscription($pairId: ID!) { pairUpdated(pairId: $pairId) { id status checkInCount } }"""
SUBSCRIPTIONS = {"milestoneCompleted": MILESTONES, "checkInPosted": CHECK_INS}
SUBSCRIPTIONS["pairUpdated"] = PAIR_UPDATES


# --- the world every test starts from ------------------------------------------------


@dataclass
class World:
    """A group (admin, mentor, mentee, a plain member), an outsider, an OPEN, a DRAFT and
    a CLOSED program, an ACTIVE pair with one check-in, and the member's PENDING sign-up."""

    admin: Person
    mentor: Person
    mentee: Person
    member: Person
    outsider: Person
    group_id: str
    program_id: str
    draft_id: str
    closed_id: str
    mentor_sign_up: str
    mentee_sign_up: str
    member_sign_up: str
    pair_id: str
    milestone_ids: list[str]
    check_in_id: str
    people: dict[str, Person] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.people = {
            "admin": self.admin,
            "mentor": self.mentor,
            "mentee": self.mentee,
            "member": self.member,
            "outsider": self.outsider,
        }


def build_world(api: Api) -> World:
    story = api.story(mentor_capacity=2)
    member, outsider = api.person("Mo"), api.person("Otto")
    api.join(member, story.group_id)
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    check_in = api.ok(
        mutation("postCheckIn"), {"pairId": pair["id"], "body": "Hi Maya"}, story.mentee.token
    )
    draft_id = api.program(story.admin, story.group_id, open=False)
    closed_id = api.program(story.admin, story.group_id)
    api.ok(mutation("closeProgram"), {"programId": closed_id}, story.admin.token)
    return World(
        admin=story.admin,
        mentor=story.mentor,
        mentee=story.mentee,
        member=member,
        outsider=outsider,
        group_id=story.group_id,
        program_id=story.program_id,
        draft_id=draft_id,
        closed_id=closed_id,
        mentor_sign_up=story.mentor_sign_up,
        mentee_sign_up=story.mentee_sign_up,
        member_sign_up=api.sign_up(member, story.program_id, "MENTEE"),
        pair_id=pair["id"],
        milestone_ids=[m["id"] for m in pair["milestones"]],
        check_in_id=check_in["checkIn"]["id"],
    )


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


Inputs = Callable[[Api, World], dict]

# One realistic input per mutation: what the right person sends.
INPUTS: dict[str, Inputs] = {
    "logout": lambda api, w: {},
    "createGroup": lambda api, w: {"name": "Parents", "category": "PARENTING"},
    "joinGroup": lambda api, w: {"groupId": w.group_id},
    "leaveGroup": lambda api, w: {"groupId": w.group_id},
    "setMemberRole": lambda api, w: {
        "groupId": w.group_id,
        "userId": w.member.id,
        "role": "MODERATOR",
    },
    "createProgram": lambda api, w: {"groupId": w.group_id, "template": "SKILL_DEVELOPMENT"},
    "updateProgram": lambda api, w: {"programId": w.draft_id, "title": "Renamed"},
    "openProgram": lambda api, w: {"programId": w.draft_id},
    "closeProgram": lambda api, w: {"programId": w.program_id},
    "signUp": lambda api, w: {
        "programId": w.program_id,
        "role": "MENTOR",
        "answers": api.answers(w.program_id, "MENTOR", w.admin.token),
    },
    "withdrawSignUp": lambda api, w: {"signUpId": w.member_sign_up},
    "createPair": lambda api, w: {
        "mentorSignUpId": w.mentor_sign_up,
        "menteeSignUpId": w.member_sign_up,
    },
    "completeMilestone": lambda api, w: {"milestoneId": w.milestone_ids[0]},
    "postCheckIn": lambda api, w: {"pairId": w.pair_id, "body": "Week two went well."},
    "endPair": lambda api, w: {"pairId": w.pair_id, "reason": "Moving abroad."},
    "createPairs": lambda api, w: {
        "pairs": [{"mentorSignUpId": w.mentor_sign_up, "menteeSignUpId": w.member_sign_up}]
    },
    "setMatchingWeights": lambda api, w: {
        "programId": w.program_id,
        "weights": [{"criterion": "goals", "weight": 2}],
    },
    "markNotificationsRead": lambda api, w: {"ids": _notifications_of(api, w.mentee)},
}


def _notifications_of(api: Api, person: Person) -> list[str]:
    """The person's notification IDs (the world's mentee has a PAIRED one)."""
    query = "{ viewer { notifications { edges { node { id } } } } }"
    edges = api.data(query, None, person.token)["viewer"]["notifications"]["edges"]
    return [edge["node"]["id"] for edge in edges]


AUTHENTICATED = [name for name in MUTATIONS]


def expire(api: Api, token: str) -> None:
    """Move a token's expiry into the past, straight in the database."""
    digest = hashlib.sha256(token.encode()).hexdigest()

    async def backdate() -> int:
        return await AuthToken.filter(token_hash=digest).update(
            expires_at=datetime(2000, 1, 1, tzinfo=UTC)
        )

    assert api.run(backdate) == 1


# --- (a) anonymous -------------------------------------------------------------------


@pytest.mark.parametrize("name", AUTHENTICATED)
def test_every_mutation_needs_a_valid_token(api: Api, world: World, name: str) -> None:
    input = INPUTS[name](api, world)
    expired = api.person("Ex").token
    expire(api, expired)
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.bm9wZQ.c2ln"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "empty bearer": {"Authorization": "Bearer "},
        "not bearer": {"Authorization": f"Basic {world.admin.token}"},
        "bare token": {"Authorization": world.admin.token},
    }
    before, published = api.snapshot(), api.published
    for credential, header in headers.items():
        response = api.client.post(
            "/graphql",
            json={"query": mutation(name), "variables": {"input": input}},
            headers=header,
        )
        body = response.json()
        assert body["data"] is None, credential
        codes = [e["extensions"]["code"] for e in body["errors"]]
        assert codes == ["UNAUTHENTICATED"], credential
    assert api.snapshot() == before
    assert api.published == published


def test_an_expired_or_bad_token_is_unauthenticated_even_for_viewer(api: Api) -> None:
    """Only a request with no token is anonymous: an app can tell an ended session
    (sign in again) from a signed-out visitor. Login still works with the stale header."""
    person = api.person()
    query = "{ viewer { id } }"
    assert api.data(query, token=person.token)["viewer"] == {"id": person.id}
    expire(api, person.token)
    for token in (person.token, "garbage"):
        body = api.post(query, token=token)
        assert body["data"] == {"viewer": None}  # `viewer` is nullable: null, with the error
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
        assert "sign in again" in body["errors"][0]["message"]
        assert api.error_code("{ groups { totalCount } }", token=token) == "UNAUTHENTICATED"
    assert api.post(query) == {"data": {"viewer": None}}
    login = api.post(
        "mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }",
        {"input": {"email": person.email, "password": PASSWORD}},
        token=person.token,
    )
    assert login["data"]["login"]["userErrors"] == [] and login["data"]["login"]["token"]


@pytest.mark.parametrize(
    "query",
    [
        "{ groups { totalCount } }",
        'query { node(id: "R3JvdXA6MQ==") { id } }',
        'query { nodes(ids: ["R3JvdXA6MQ=="]) { id } }',
        'query { group(id: "R3JvdXA6MQ==") { id } }',
        'query { program(id: "UHJvZ3JhbTox") { id } }',
        'query { pair(id: "UGFpcjox") { id } }',
    ],
)
def test_reads_other_than_viewer_need_a_token(api: Api, query: str) -> None:
    assert api.error_code(query) == "UNAUTHENTICATED"
    assert api.error_code(query, token="garbage") == "UNAUTHENTICATED"


def test_anonymous_may_register_login_read_viewer_and_introspect(api: Api) -> None:
    person = api.person()
    login = api.ok(
        "mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }",
        {"email": person.email, "password": "correct horse battery"},
    )
    assert login["token"]
    assert api.data("{ viewer { id } }") == {"viewer": None}
    assert api.data("{ __schema { queryType { name } } }")["__schema"]["queryType"]["name"]


# --- (b) the wrong person, (c) the right person ---------------------------------------


@dataclass(frozen=True)
class Refusal:
    mutation: str
    actor: str
    code: str
    inputs: Inputs | None = None  # None: the INPUTS entry
    why: str = ""

    def __str__(self) -> str:
        return f"{self.mutation}-{self.actor}-{self.code}-{self.why}"


def _own_pair_of_sign_ups(api: Api, w: World) -> dict:
    """The member's own MENTOR and MENTEE sign-ups: both visible to the member."""
    mentor = api.sign_up(w.member, w.program_id, "MENTOR")
    return {"mentorSignUpId": mentor, "menteeSignUpId": w.member_sign_up}


def _outsider_group(api: Api, w: World) -> dict:
    return {"groupId": api.group(w.outsider)}


REFUSALS = [
    Refusal(
        "joinGroup",
        "outsider",
        "NOT_FOUND",
        lambda a, w: {"groupId": encode_id("Group", 9999)},
        "unknown",
    ),
    Refusal(
        "leaveGroup",
        "member",
        "NOT_FOUND",
        lambda a, w: {"groupId": encode_id("Group", 9999)},
        "unknown",
    ),
    Refusal("setMemberRole", "member", "FORBIDDEN", why="not admin"),
    Refusal("setMemberRole", "outsider", "FORBIDDEN", why="not member"),
    Refusal(
        "setMemberRole",
        "admin",
        "FORBIDDEN",
        lambda a, w: {
            "groupId": _outsider_group(a, w)["groupId"],
            "userId": w.outsider.id,
            "role": "MEMBER",
        },
        "admin of another group",
    ),
    Refusal("createProgram", "member", "FORBIDDEN", why="not admin"),
    Refusal("createProgram", "mentor", "FORBIDDEN", why="not admin"),
    Refusal("createProgram", "outsider", "FORBIDDEN", why="not member"),
    Refusal("updateProgram", "member", "NOT_FOUND", why="draft invisible to members"),
    Refusal("updateProgram", "outsider", "NOT_FOUND", why="draft invisible"),
    Refusal(
        "updateProgram",
        "member",
        "FORBIDDEN",
        lambda a, w: {"programId": w.program_id, "title": "Mine"},
        "open program",
    ),
    Refusal(
        "updateProgram",
        "outsider",
        "NOT_FOUND",
        lambda a, w: {"programId": w.program_id, "title": "Mine"},
        "open program",
    ),
    Refusal("openProgram", "member", "NOT_FOUND", why="draft invisible to members"),
    Refusal("openProgram", "outsider", "NOT_FOUND", why="draft invisible"),
    Refusal(
        "openProgram",
        "member",
        "FORBIDDEN",
        lambda a, w: {"programId": w.closed_id},
        "closed program",
    ),
    Refusal(
        "openProgram",
        "outsider",
        "NOT_FOUND",
        lambda a, w: {"programId": w.closed_id},
        "closed program",
    ),
    Refusal("closeProgram", "member", "FORBIDDEN", why="not admin"),
    Refusal("closeProgram", "mentee", "FORBIDDEN", why="not admin"),
    Refusal("closeProgram", "outsider", "NOT_FOUND", why="not member"),
    Refusal(
        "closeProgram",
        "member",
        "NOT_FOUND",
        lambda a, w: {"programId": w.draft_id},
        "draft invisible",
    ),
    Refusal(
        "signUp",
        "outsider",
        "NOT_FOUND",
        lambda a, w: {"programId": encode_id("Program", 9999), "role": "MENTEE", "answers": []},
        "unknown",
    ),
    Refusal("withdrawSignUp", "admin", "FORBIDDEN", why="someone else's sign-up"),
    Refusal("withdrawSignUp", "mentee", "NOT_FOUND", why="someone else's sign-up"),
    Refusal("withdrawSignUp", "outsider", "NOT_FOUND", why="stranger"),
    Refusal("createPair", "member", "FORBIDDEN", _own_pair_of_sign_ups, "own sign-ups, not admin"),
    Refusal("createPair", "mentor", "NOT_FOUND", why="mentee's sign-up invisible"),
    Refusal("createPair", "member", "NOT_FOUND", why="mentor's sign-up invisible"),
    Refusal("createPair", "outsider", "NOT_FOUND", why="stranger"),
    Refusal("completeMilestone", "admin", "FORBIDDEN", why="admin not in pair"),
    Refusal("completeMilestone", "member", "NOT_FOUND", why="member not in pair"),
    Refusal("completeMilestone", "outsider", "NOT_FOUND", why="stranger"),
    Refusal("postCheckIn", "admin", "FORBIDDEN", why="admin not in pair"),
    Refusal("postCheckIn", "member", "NOT_FOUND", why="member not in pair"),
    Refusal("postCheckIn", "outsider", "NOT_FOUND", why="stranger"),
    Refusal("endPair", "member", "NOT_FOUND", why="member not in pair"),
    Refusal("endPair", "outsider", "NOT_FOUND", why="stranger"),
    Refusal(
        "createPairs",
        "member",
        "FORBIDDEN",
        lambda a, w: {"pairs": [_own_pair_of_sign_ups(a, w)]},
        "own sign-ups, not admin",
    ),
    Refusal("createPairs", "mentor", "NOT_FOUND", why="mentee's sign-up invisible"),
    Refusal("createPairs", "outsider", "NOT_FOUND", why="stranger"),
    Refusal("setMatchingWeights", "member", "FORBIDDEN", why="not admin"),
    Refusal("setMatchingWeights", "outsider", "NOT_FOUND", why="not member"),
    Refusal(
        "setMatchingWeights",
        "member",
        "NOT_FOUND",
        lambda a, w: {"programId": w.draft_id, "weights": [{"criterion": "goals", "weight": 1}]},
        "draft invisible",
    ),
    Refusal("markNotificationsRead", "mentor", "NOT_FOUND", why="someone else's"),
    Refusal("markNotificationsRead", "admin", "NOT_FOUND", why="someone else's"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_the_wrong_person_is_refused(api: Api, world: World, case: Refusal) -> None:
    input = (case.inputs or INPUTS[case.mutation])(api, world)
    before, published = api.snapshot(), api.published
    body = api.post(mutation(case.mutation), {"input": input}, world.people[case.actor].token)
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == [case.code], body["errors"]
    assert body["errors"][0]["path"] == [case.mutation]
    assert api.snapshot() == before
    assert api.published == published


@pytest.mark.parametrize(
    ("name", "actor", "code", "inputs"),
    [
        ("leaveGroup", "outsider", "NOT_GROUP_MEMBER", None),
        ("signUp", "outsider", "NOT_GROUP_MEMBER", None),
        (
            "signUp",
            "outsider",
            "NOT_GROUP_MEMBER",
            lambda a, w: {
                "programId": w.draft_id,
                "role": "MENTOR",
                "answers": a.answers(w.draft_id, "MENTOR", w.admin.token),
            },
        ),
        ("joinGroup", "member", "ALREADY_GROUP_MEMBER", None),
    ],
    ids=["leave-not-member", "sign-up-not-member", "sign-up-draft-not-member", "join-twice"],
)
def test_what_the_viewer_may_not_do_is_a_user_error_where_the_contract_says_so(
    api: Api, world: World, name: str, actor: str, code: str, inputs: Inputs | None
) -> None:
    """signUp looks the program up among all programs: membership is a rule, not access."""
    input = (inputs or INPUTS[name])(api, world)
    before = api.snapshot()
    payload = api.mutate(mutation(name), input, world.people[actor].token)
    assert [e["code"] for e in payload["userErrors"]] == [code]
    assert api.snapshot() == before


SUCCESSES = [
    ("logout", "member"),
    ("createGroup", "outsider"),
    ("joinGroup", "outsider"),
    ("leaveGroup", "member"),
    ("setMemberRole", "admin"),
    ("createProgram", "admin"),
    ("updateProgram", "admin"),
    ("openProgram", "admin"),
    ("closeProgram", "admin"),
    ("signUp", "member"),
    ("withdrawSignUp", "member"),
    ("createPair", "admin"),
    ("completeMilestone", "mentee"),
    ("completeMilestone", "mentor"),
    ("postCheckIn", "mentor"),
    ("postCheckIn", "mentee"),
    ("endPair", "mentee"),
    ("endPair", "mentor"),
    ("endPair", "admin"),
    ("createPairs", "admin"),
    ("setMatchingWeights", "admin"),
    ("markNotificationsRead", "mentee"),
]


def test_every_mutation_has_a_success_case() -> None:
    assert {name for name, _ in SUCCESSES} == set(MUTATIONS)


@pytest.mark.parametrize(("name", "actor"), SUCCESSES)
def test_the_right_person_succeeds(api: Api, world: World, name: str, actor: str) -> None:
    input = INPUTS[name](api, world)
    payload = api.ok(mutation(name), input, world.people[actor].token)
    assert payload["userErrors"] == []
    values = [v for k, v in payload.items() if k != "userErrors"]
    assert all(v is not None for v in values), payload


def test_pair_events_are_published_only_for_what_the_right_person_did(
    api: Api, world: World
) -> None:
    published = api.published
    api.ok(mutation("postCheckIn"), INPUTS["postCheckIn"](api, world), world.mentor.token)
    assert api.published == published + 1


# --- reads ---------------------------------------------------------------------------

PAIR_READ = """
query($id: ID!) {
  pair(id: $id) {
    id status checkInCount lastCheckInAt
    milestones { id }
    checkIns { totalCount edges { node { id body } } }
  }
}"""
PROGRAM_READ = """
query($id: ID!) {
  program(id: $id) {
    id status
    signUps { totalCount }
    pairs { totalCount edges { node { id } } }
    viewerSignUps { id }
  }
}"""
NODE_READ = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on CheckIn { body }
    ... on SignUp { signUpStatus: status }
    ... on Milestone { title }
    ... on Pair { pairStatus: status }
  }
}"""
USER_READ = """
query($id: ID!) {
  node(id: $id) {
    ... on User {
      id name email
      pairs { totalCount }
      signUps { totalCount }
      groups { totalCount }
    }
  }
}"""
GROUP_READ = """
query($id: ID!) {
  group(id: $id) {
    id name memberCount viewerRole
    viewerMembership { role }
    members { totalCount edges { node { role user { name email } } } }
  }
}"""


def read(api: Api, query: str, id: str, person: Person) -> dict:
    """A read's data; it must carry no error at all (reads never raise FORBIDDEN)."""
    body = api.post(query, {"id": id}, person.token)
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize(
    ("actor", "sees"),
    [("mentor", True), ("mentee", True), ("admin", True), ("member", False), ("outsider", False)],
)
def test_pair_is_seen_by_its_members_and_group_admins(
    api: Api, world: World, actor: str, sees: bool
) -> None:
    pair = read(api, PAIR_READ, world.pair_id, world.people[actor])["pair"]
    if not sees:
        assert pair is None
        return
    assert pair["id"] == world.pair_id
    assert pair["checkInCount"] == 1
    assert pair["lastCheckInAt"] is not None
    assert [m["id"] for m in pair["milestones"]] == world.milestone_ids
    if actor == "admin":
        assert pair["checkIns"] is None  # the bodies are for the two members only
    else:
        assert pair["checkIns"]["totalCount"] == 1
        assert pair["checkIns"]["edges"][0]["node"]["body"] == "Hi Maya"


@pytest.mark.parametrize(
    ("program", "actor", "sees"),
    [
        ("draft", "admin", True),
        ("draft", "member", False),
        ("draft", "mentee", False),
        ("draft", "outsider", False),
        ("open", "admin", True),
        ("open", "member", True),
        ("open", "outsider", False),
        ("closed", "member", True),
        ("closed", "outsider", False),
    ],
)
def test_program_visibility(api: Api, world: World, program: str, actor: str, sees: bool) -> None:
    program_id = {"draft": world.draft_id, "open": world.program_id, "closed": world.closed_id}
    seen = read(api, PROGRAM_READ, program_id[program], world.people[actor])["program"]
    assert (seen is not None) is sees
    node = read(api, NODE_READ, program_id[program], world.people[actor])["node"]
    assert (node is not None) is sees


def test_program_sign_ups_are_for_admins_and_pairs_are_filtered(api: Api, world: World) -> None:
    second_mentee = api.person("Nia")
    api.join(second_mentee, world.group_id)
    second_sign_up = api.sign_up(second_mentee, world.program_id, "MENTEE")
    second_pair = api.pair(world.admin, world.mentor_sign_up, second_sign_up)["id"]

    def program_as(actor: Person) -> dict:
        return read(api, PROGRAM_READ, world.program_id, actor)["program"]

    admin = program_as(world.admin)
    assert admin["signUps"]["totalCount"] == 4  # mentor, mentee, member, Nia
    assert {e["node"]["id"] for e in admin["pairs"]["edges"]} == {world.pair_id, second_pair}
    assert admin["pairs"]["totalCount"] == 2

    mentee = program_as(world.mentee)
    assert mentee["signUps"] is None
    assert [e["node"]["id"] for e in mentee["pairs"]["edges"]] == [world.pair_id]
    assert mentee["pairs"]["totalCount"] == 1
    assert [s["id"] for s in mentee["viewerSignUps"]] == [world.mentee_sign_up]

    mentor = program_as(world.mentor)
    assert mentor["signUps"] is None
    assert mentor["pairs"]["totalCount"] == 2

    member = program_as(world.member)
    assert member["signUps"] is None
    assert member["pairs"] == {"totalCount": 0, "edges": []}


@pytest.mark.parametrize(
    ("target", "visible_to"),
    [
        ("mentee_sign_up", {"mentee", "admin"}),
        ("member_sign_up", {"member", "admin"}),
        ("pair", {"mentor", "mentee", "admin"}),
        ("milestone", {"mentor", "mentee", "admin"}),
        ("check_in", {"mentor", "mentee"}),
    ],
)
def test_node_visibility(api: Api, world: World, target: str, visible_to: set[str]) -> None:
    ids = {
        "mentee_sign_up": world.mentee_sign_up,
        "member_sign_up": world.member_sign_up,
        "pair": world.pair_id,
        "milestone": world.milestone_ids[0],
        "check_in": world.check_in_id,
    }
    for actor, person in world.people.items():
        node = read(api, NODE_READ, ids[target], person)["node"]
        if actor in visible_to:
            assert node is not None and node["id"] == ids[target], actor
        else:
            assert node is None, actor
        # nodes() filters the same way, and keeps the positions.
        body = api.post(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            {"ids": [ids[target], world.group_id]},
            person.token,
        )
        assert "errors" not in body
        expected = {"id": ids[target]} if actor in visible_to else None
        assert body["data"]["nodes"] == [expected, {"id": world.group_id}], actor


def test_admins_see_check_in_counts_not_bodies(api: Api, world: World) -> None:
    query = """
    query($id: ID!) {
      node(id: $id) {
        ... on Milestone { pair { checkInCount lastCheckInAt checkIns { totalCount } } }
      }
    }"""
    admin = read(api, query, world.milestone_ids[0], world.admin)["node"]["pair"]
    assert admin["checkInCount"] == 1
    assert admin["lastCheckInAt"] is not None
    assert admin["checkIns"] is None
    mentee = read(api, query, world.milestone_ids[0], world.mentee)["node"]["pair"]
    assert mentee["checkIns"] == {"totalCount": 1}


def test_user_private_fields_are_for_that_user_only(api: Api, world: World) -> None:
    own = read(api, USER_READ, world.mentee.id, world.mentee)["node"]
    assert own["email"] == world.mentee.email
    assert own["pairs"]["totalCount"] == 1
    assert own["signUps"]["totalCount"] == 1
    assert own["groups"]["totalCount"] == 1
    for actor in ("mentor", "admin", "member", "outsider"):
        other = read(api, USER_READ, world.mentee.id, world.people[actor])["node"]
        assert other == {
            "id": world.mentee.id,
            "name": "Milo",
            "email": None,
            "pairs": None,
            "signUps": None,
            "groups": None,
        }, actor
    # The same through a nested path: the pair's mentor, seen by the mentee.
    query = "query($id: ID!) { pair(id: $id) { mentor { name email pairs { totalCount } } } }"
    mentor = read(api, query, world.pair_id, world.mentee)["pair"]["mentor"]
    assert mentor == {"name": "Maya", "email": None, "pairs": None}


@pytest.mark.parametrize(
    ("actor", "member"), [("admin", True), ("member", True), ("outsider", False)]
)
def test_group_members_are_for_members(api: Api, world: World, actor: str, member: bool) -> None:
    group = read(api, GROUP_READ, world.group_id, world.people[actor])["group"]
    assert group["id"] == world.group_id
    assert group["memberCount"] == 4
    if member:
        assert group["viewerRole"] in ("ADMIN", "MEMBER")
        assert group["members"]["totalCount"] == 4
        emails = [e["node"]["user"]["email"] for e in group["members"]["edges"]]
        own = world.people[actor].email
        assert [e for e in emails if e is not None] == [own]
    else:
        assert group["viewerRole"] is None
        assert group["viewerMembership"] is None
        assert group["members"] is None


def test_group_programs_hide_drafts_from_members_and_all_from_outsiders(
    api: Api, world: World
) -> None:
    query = "query($id: ID!) { group(id: $id) { programs { totalCount } } }"

    def count(actor: str) -> int:
        return read(api, query, world.group_id, world.people[actor])["group"]["programs"][
            "totalCount"
        ]

    assert count("admin") == 3
    assert count("member") == 2
    assert count("outsider") == 0


def test_an_admin_who_steps_down_loses_admin_visibility(api: Api, world: World) -> None:
    other_admin = world.member
    api.ok(
        mutation("setMemberRole"),
        {"groupId": world.group_id, "userId": other_admin.id, "role": "ADMIN"},
        world.admin.token,
    )
    assert read(api, PAIR_READ, world.pair_id, other_admin)["pair"] is not None
    api.ok(
        mutation("setMemberRole"),
        {"groupId": world.group_id, "userId": world.admin.id, "role": "MEMBER"},
        world.admin.token,
    )
    assert read(api, PAIR_READ, world.pair_id, world.admin)["pair"] is None
    assert read(api, PROGRAM_READ, world.draft_id, world.admin)["program"] is None
    code = api.error_code(
        mutation("createProgram"), {"input": INPUTS["createProgram"](api, world)}, world.admin.token
    )
    assert code == "FORBIDDEN"


# --- subscriptions -------------------------------------------------------------------


def connect(api: Api):
    return api.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])


def assert_refused(sub: Subscriptions, op_id: str, code: str) -> None:
    """One `next` with data null and the code, then `complete`."""
    frame = sub.receive()
    assert frame["id"] == op_id
    assert frame["type"] == "next", frame
    assert frame["payload"]["data"] is None
    assert frame["payload"]["errors"][0]["extensions"]["code"] == code
    assert sub.receive() == {"id": op_id, "type": "complete"}


@pytest.mark.parametrize("actor", ["outsider", "admin", "member"])
@pytest.mark.parametrize("name", list(SUBSCRIPTIONS))
def test_subscriptions_are_for_the_two_members_only(
    api: Api, world: World, name: str, actor: str
) -> None:
    with connect(api) as ws:
        sub = Subscriptions(ws)
        assert sub.init(world.people[actor].token)["type"] == "connection_ack"
        sub.subscribe("s", SUBSCRIPTIONS[name], {"pairId": world.pair_id})
        assert_refused(sub, "s", "FORBIDDEN")


@pytest.mark.parametrize("name", list(SUBSCRIPTIONS))
def test_a_bad_pair_id_is_forbidden(api: Api, world: World, name: str) -> None:
    bad_ids = {
        "undecodable": "!!not-an-id!!",
        "no-colon": "bm9jb2xvbg==",
        "program-id": world.program_id,
        "user-id": world.mentee.id,
        "milestone-id": world.milestone_ids[0],
        "unknown-pair": encode_id("Pair", 987654),
    }
    with connect(api) as ws:
        sub = Subscriptions(ws)
        assert sub.init(world.mentee.token)["type"] == "connection_ack"
        for op_id, pair_id in bad_ids.items():
            sub.subscribe(op_id, SUBSCRIPTIONS[name], {"pairId": pair_id})
            assert_refused(sub, op_id, "FORBIDDEN")


@pytest.mark.parametrize("name", list(SUBSCRIPTIONS))
def test_an_anonymous_connection_is_accepted_and_subscriptions_are_unauthenticated(
    api: Api, world: World, name: str
) -> None:
    with connect(api) as ws:
        sub = Subscriptions(ws)
        assert sub.init(None)["type"] == "connection_ack"
        sub.subscribe("s", SUBSCRIPTIONS[name], {"pairId": world.pair_id})
        assert_refused(sub, "s", "UNAUTHENTICATED")
        # The connection stays usable.
        ws.send_json({"type": "ping"})
        assert sub.receive() == {"type": "pong"}


@pytest.mark.parametrize(
    "payload",
    [
        {"authorization": "Bearer not-a-real-token"},
        {"authorization": "Bearer expired"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"authorization": "Bearer "},
    ],
    ids=["garbage", "expired", "not-bearer", "empty-bearer"],
)
def test_a_bad_token_closes_the_socket_with_4403(api: Api, payload: dict) -> None:
    if payload["authorization"] == "Bearer expired":
        token = api.person().token
        expire(api, token)
        payload = {"authorization": f"Bearer {token}"}
    with connect(api) as ws:
        ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4403


def test_an_outsider_receives_none_of_the_pairs_events(api: Api, world: World) -> None:
    with connect(api) as outsider_ws, connect(api) as mentee_ws:
        outsider = Subscriptions(outsider_ws)
        assert outsider.init(world.outsider.token)["type"] == "connection_ack"
        for op_id, query in (("m", MILESTONES), ("c", CHECK_INS), ("p", PAIR_UPDATES)):
            outsider.subscribe(op_id, query, {"pairId": world.pair_id})
            assert_refused(outsider, op_id, "FORBIDDEN")

        mentee = Subscriptions(mentee_ws)
        assert mentee.init(world.mentee.token)["type"] == "connection_ack"
        mentee.subscribe("c", CHECK_INS, {"pairId": world.pair_id})
        api.wait_for_listeners(world.pair_id, 1)

        posted = api.ok(
            mutation("postCheckIn"), {"pairId": world.pair_id, "body": "Secret"}, world.mentor.token
        )
        frame = mentee.receive()
        assert frame["id"] == "c" and frame["type"] == "next"
        assert frame["payload"]["data"]["checkInPosted"] == {
            "id": posted["checkIn"]["id"],
            "body": "Secret",
            "author": {"name": "Maya"},
        }

        # Nothing reached the outsider: the next frame after a ping is the pong.
        outsider_ws.send_json({"type": "ping"})
        assert outsider.receive() == {"type": "pong"}


def test_a_group_admin_cannot_listen_in(api: Api, world: World) -> None:
    with connect(api) as admin_ws:
        admin = Subscriptions(admin_ws)
        assert admin.init(world.admin.token)["type"] == "connection_ack"
        admin.subscribe("c", CHECK_INS, {"pairId": world.pair_id})
        assert_refused(admin, "c", "FORBIDDEN")
        api.ok(
            mutation("postCheckIn"), {"pairId": world.pair_id, "body": "Psst"}, world.mentee.token
        )
        admin_ws.send_json({"type": "ping"})
        assert admin.receive() == {"type": "pong"}


def test_questions_and_memberships_follow_their_program_and_group(api: Api, world: World) -> None:
    query = """
    query($p: ID!, $g: ID!) {
      program(id: $p) { questions { id } }
      group(id: $g) { viewerMembership { id } }
    }"""
    ids = api.data(query, {"p": world.draft_id, "g": world.group_id}, world.admin.token)
    question_id = ids["program"]["questions"][0]["id"]
    membership_id = ids["group"]["viewerMembership"]["id"]
    node = "query($id: ID!) { node(id: $id) { id } }"
    for actor, sees in (("admin", True), ("member", False), ("outsider", False)):
        found = read(api, node, question_id, world.people[actor])["node"]
        assert (found is not None) is sees, actor
    for actor, sees in (("admin", True), ("member", True), ("outsider", False)):
        found = read(api, node, membership_id, world.people[actor])["node"]
        assert (found is not None) is sees, actor


def test_payloads_show_what_the_viewer_may_now_see(api: Api, world: World) -> None:
    group = "group { viewerRole members { totalCount } }"
    join = f"mutation($input: JoinGroupInput!) {{ joinGroup(input: $input) {{ {group} }} }}"
    joined = api.mutate(join, {"groupId": world.group_id}, world.outsider.token)["group"]
    assert joined == {"viewerRole": "MEMBER", "members": {"totalCount": 5}}
    leave = f"mutation($input: LeaveGroupInput!) {{ leaveGroup(input: $input) {{ {group} }} }}"
    left = api.mutate(leave, {"groupId": world.group_id}, world.outsider.token)["group"]
    assert left == {"viewerRole": None, "members": None}
