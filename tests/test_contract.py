"""Contract mechanics (docs/client-guide.md: Authentication, Errors, IDs and pagination): global IDs, connections,
BAD_USER_INPUT, sessions and tokens, GraphiQL and the websocket subprotocol."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from starlette.websockets import WebSocketDisconnect

from schema.ids import encode_id
from tests.helpers import PASSWORD, Api, Person

ERRORS = "userErrors { field message code }"
LOGIN = f"""
mutation($input: LoginInput!) {{ login(input: $input) {{ token user {{ id }} {ERRORS} }} }}"""
LOGOUT = f"""
mutation($input: LogoutInput!) {{ logout(input: $input) {{ revokedCount {ERRORS} }} }}"""
REGISTER = f"""
mutation($input: RegisterInput!) {{ register(input: $input) {{ token user {{ id }} {ERRORS} }} }}"""
JOIN = f"""
mutation($input: JoinGroupInput!) {{ joinGroup(input: $input) {{ group {{ id }} {ERRORS} }} }}"""
CREATE_GROUP = f"""
mutation($input: CreateGroupInput!) {{
  createGroup(input: $input) {{ group {{ id }} {ERRORS} }}
}}"""
OPEN = f"""
mutation($input: OpenProgramInput!) {{
  openProgram(input: $input) {{ program {{ id }} {ERRORS} }}
}}"""
WITHDRAW = f"""
mutation($input: WithdrawSignUpInput!) {{
  withdrawSignUp(input: $input) {{ signUp {{ id }} {ERRORS} }}
}}"""
CREATE_PAIR = f"""
mutation($input: CreatePairInput!) {{ createPair(input: $input) {{ pair {{ id }} {ERRORS} }} }}"""
COMPLETE = f"""
mutation($input: CompleteMilestoneInput!) {{
  completeMilestone(input: $input) {{ milestone {{ id }} {ERRORS} }}
}}"""
POST_CHECK_IN = f"""
mutation($input: PostCheckInInput!) {{
  postCheckIn(input: $input) {{ checkIn {{ id }} {ERRORS} }}
}}"""
END_PAIR = f"""
mutation($input: EndPairInput!) {{ endPair(input: $input) {{ pair {{ id }} {ERRORS} }} }}"""
SIGN_UP = f"""
mutation($input: SignUpInput!) {{ signUp(input: $input) {{ signUp {{ id }} {ERRORS} }} }}"""
SET_ROLE = f"""
mutation($input: SetMemberRoleInput!) {{
  setMemberRole(input: $input) {{ membership {{ id }} {ERRORS} }}
}}"""
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
VIEWER = "{ viewer { id } }"


def decode(global_id: str) -> str:
    return base64.b64decode(global_id, validate=True).decode()


@pytest.fixture
def scene(api: Api) -> dict:
    """One of everything: every Node type, with the mentee as a viewer who sees it all."""
    story = api.story()
    pair = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    check_in = api.ok(POST_CHECK_IN, {"pairId": pair["id"], "body": "Hi"}, story.mentee.token)
    details = api.data(
        """query($p: ID!, $g: ID!) {
          program(id: $p) { questions { id } }
          group(id: $g) { viewerMembership { id } }
        }""",
        {"p": story.program_id, "g": story.group_id},
        story.mentee.token,
    )
    return {
        "story": story,
        "viewer": story.mentee,
        "ids": {
            "User": story.mentee.id,
            "Group": story.group_id,
            "GroupMembership": details["group"]["viewerMembership"]["id"],
            "Program": story.program_id,
            "SignUpQuestion": details["program"]["questions"][0]["id"],
            "SignUp": story.mentee_sign_up,
            "Pair": pair["id"],
            "Milestone": pair["milestones"][0]["id"],
            "CheckIn": check_in["checkIn"]["id"],
        },
    }


# --- global IDs ----------------------------------------------------------------------


def test_global_ids_are_base64_of_type_and_pk_and_node_resolves_them(api: Api, scene: dict) -> None:
    viewer: Person = scene["viewer"]
    for typename, global_id in scene["ids"].items():
        assert re.fullmatch(rf"{typename}:[1-9][0-9]*", decode(global_id)), global_id
        node = api.data(NODE, {"id": global_id}, viewer.token)["node"]
        assert node == {"__typename": typename, "id": global_id}
    ids = list(scene["ids"].values())
    nodes = api.data(NODES, {"ids": ids}, viewer.token)["nodes"]
    assert [n["id"] for n in nodes] == ids
    assert [n["__typename"] for n in nodes] == list(scene["ids"])


def test_nodes_keeps_order_and_gives_null_for_missing(api: Api, scene: dict) -> None:
    viewer: Person = scene["viewer"]
    ids = [scene["ids"]["Pair"], encode_id("Pair", 424242), scene["ids"]["Group"]]
    nodes = api.data(NODES, {"ids": ids}, viewer.token)["nodes"]
    assert nodes == [
        {"__typename": "Pair", "id": ids[0]},
        None,
        {"__typename": "Group", "id": ids[2]},
    ]


def test_nodes_takes_at_most_100_ids(api: Api, scene: dict) -> None:
    viewer: Person = scene["viewer"]
    group_id = scene["ids"]["Group"]
    assert len(api.data(NODES, {"ids": [group_id] * 100}, viewer.token)["nodes"]) == 100
    assert api.error_code(NODES, {"ids": [group_id] * 101}, viewer.token) == "BAD_USER_INPUT"


UNDECODABLE = ["not base64!", "R3JvdXA6", "R3JvdXA6YWJj", "Z2FyYmFnZQ==", "R3JvdXA6LTE=", ""]
# "Group:", "Group:abc", "garbage", "Group:-1", empty


@pytest.mark.parametrize("raw", UNDECODABLE)
@pytest.mark.parametrize(
    "query",
    [
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { nodes(ids: [$id]) { id } }",
        "query($id: ID!) { group(id: $id) { id } }",
        "query($id: ID!) { program(id: $id) { id } }",
        "query($id: ID!) { pair(id: $id) { id } }",
    ],
    ids=["node", "nodes", "group", "program", "pair"],
)
def test_an_undecodable_id_in_a_read_is_bad_user_input(
    api: Api, scene: dict, query: str, raw: str
) -> None:
    assert api.error_code(query, {"id": raw}, scene["viewer"].token) == "BAD_USER_INPUT"


def test_nodes_fails_whole_on_one_undecodable_id(api: Api, scene: dict) -> None:
    body = api.post(NODES, {"ids": [scene["ids"]["Group"], "###"]}, scene["viewer"].token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


MUTATION_ID_CASES = [
    ("joinGroup", JOIN, lambda s, raw: {"groupId": raw}, "outsider"),
    ("openProgram", OPEN, lambda s, raw: {"programId": raw}, "admin"),
    ("withdrawSignUp", WITHDRAW, lambda s, raw: {"signUpId": raw}, "mentee"),
    (
        "createPair",
        CREATE_PAIR,
        lambda s, raw: {"mentorSignUpId": s["story"].mentor_sign_up, "menteeSignUpId": raw},
        "admin",
    ),
    ("completeMilestone", COMPLETE, lambda s, raw: {"milestoneId": raw}, "mentee"),
    ("postCheckIn", POST_CHECK_IN, lambda s, raw: {"pairId": raw, "body": "Hi"}, "mentee"),
    ("endPair", END_PAIR, lambda s, raw: {"pairId": raw}, "mentee"),
    (
        "setMemberRole",
        SET_ROLE,
        lambda s, raw: {"groupId": s["story"].group_id, "userId": raw, "role": "MEMBER"},
        "admin",
    ),
    (
        "signUp",
        SIGN_UP,
        lambda s, raw: {"programId": raw, "role": "MENTEE", "answers": []},
        "outsider",
    ),
]
CASE_IDS = [case[0] for case in MUTATION_ID_CASES]


def actor(api: Api, scene: dict, who: str) -> Person:
    if who == "outsider":
        return scene.setdefault("outsider", api.person("Otto"))
    return getattr(scene["story"], who)


@pytest.mark.parametrize("raw", ["not base64!", "R3JvdXA6YWJj", "Z2FyYmFnZQ=="])
@pytest.mark.parametrize(("name", "query", "make", "who"), MUTATION_ID_CASES, ids=CASE_IDS)
def test_an_undecodable_id_in_a_mutation_is_bad_user_input(
    api: Api, scene: dict, name: str, query: str, make, who: str, raw: str
) -> None:
    person = actor(api, scene, who)
    before = api.snapshot()
    body = api.post(query, {"input": make(scene, raw)}, person.token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert api.snapshot() == before


# What each mutation's ID argument must not be: a real ID of the wrong type.
WRONG_TYPE = {
    "joinGroup": "Program",
    "openProgram": "Group",
    "withdrawSignUp": "Pair",
    "createPair": "User",
    "completeMilestone": "Pair",
    "postCheckIn": "Milestone",
    "endPair": "CheckIn",
    "setMemberRole": "Group",
    "signUp": "Group",
}


RIGHT_TYPE = {
    "joinGroup": "Group",
    "openProgram": "Program",
    "withdrawSignUp": "SignUp",
    "createPair": "SignUp",
    "completeMilestone": "Milestone",
    "postCheckIn": "Pair",
    "endPair": "Pair",
    "setMemberRole": "User",
    "signUp": "Program",
}


@pytest.mark.parametrize("kind", ["other type", "unknown pk", "unknown type"])
@pytest.mark.parametrize(("name", "query", "make", "who"), MUTATION_ID_CASES, ids=CASE_IDS)
def test_an_id_of_another_type_or_missing_object_in_a_mutation_is_not_found(
    api: Api, scene: dict, name: str, query: str, make, who: str, kind: str
) -> None:
    person = actor(api, scene, who)
    if kind == "other type":
        raw = scene["ids"][WRONG_TYPE[name]]
    elif kind == "unknown pk":
        raw = encode_id(RIGHT_TYPE[name], 987654)
    else:
        raw = encode_id("Banana", 1)
    before, published = api.snapshot(), api.published
    body = api.post(query, {"input": make(scene, raw)}, person.token)
    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert api.snapshot() == before
    assert api.published == published


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("group", "Program"),
        ("group", "User"),
        ("program", "Group"),
        ("program", "SignUp"),
        ("pair", "Program"),
        ("pair", "Milestone"),
    ],
)
def test_an_id_of_another_type_in_a_read_is_null_without_error(
    api: Api, scene: dict, field: str, wrong: str
) -> None:
    query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
    viewer: Person = scene["viewer"]
    for raw in (scene["ids"][wrong], encode_id(field.capitalize(), 987654)):
        body = api.post(query, {"id": raw}, viewer.token)
        assert body == {"data": {field: None}}
    body = api.post(NODE, {"id": encode_id("Banana", 1)}, viewer.token)
    assert body == {"data": {"node": None}}


def test_sign_up_answers_with_undecodable_or_unknown_question_ids_are_bad_user_input(
    api: Api, scene: dict
) -> None:
    story = scene["story"]
    newcomer = api.person("Nia")
    api.join(newcomer, story.group_id)
    answers = api.answers(story.program_id, "MENTEE", newcomer.token)
    for bad in ("###", encode_id("SignUpQuestion", 987654), scene["ids"]["Group"]):
        broken = [*answers, {"questionId": bad, "value": "x"}]
        body = api.post(
            SIGN_UP,
            {"input": {"programId": story.program_id, "role": "MENTEE", "answers": broken}},
            newcomer.token,
        )
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


# --- connections ---------------------------------------------------------------------

GROUPS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  groups(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


@pytest.fixture
def many_groups(api: Api) -> tuple[Person, list[str]]:
    founder = api.person("Founder")
    ids = []
    for n in range(25):
        payload = api.ok(
            CREATE_GROUP, {"name": f"Group {n:02d}", "category": "HOBBIES"}, founder.token
        )
        ids.append(payload["group"]["id"])
    return founder, ids


def test_connections_default_to_20(api: Api, many_groups) -> None:
    founder, ids = many_groups
    page = api.data(GROUPS, {}, founder.token)["groups"]
    assert page["totalCount"] == 25
    assert [e["node"]["id"] for e in page["edges"]] == ids[:20]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


def test_paging_forward_walks_every_item(api: Api, many_groups) -> None:
    founder, ids = many_groups
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api.data(GROUPS, {"first": 7, "after": after}, founder.token)["groups"]
        pages += 1
        assert page["totalCount"] == 25
        info = page["pageInfo"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            break
        assert len(page["edges"]) == 7
        after = info["endCursor"]
    assert pages == 4
    assert seen == ids
    # After the last item: an empty page.
    empty = api.data(GROUPS, {"first": 7, "after": after and info["endCursor"]}, founder.token)
    assert empty["groups"]["edges"] == []
    assert empty["groups"]["pageInfo"]["hasNextPage"] is False


def test_paging_backward_walks_every_item(api: Api, many_groups) -> None:
    founder, ids = many_groups
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        page = api.data(GROUPS, {"last": 7, "before": before}, founder.token)["groups"]
        pages += 1
        assert page["totalCount"] == 25
        info = page["pageInfo"]
        chunk = [e["node"]["id"] for e in page["edges"]]
        seen = chunk + seen
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        assert info["hasNextPage"] is (before is not None)
        if not info["hasPreviousPage"]:
            break
        assert len(chunk) == 7
        before = info["startCursor"]
    assert pages == 4
    assert len(chunk) == 4
    assert seen == ids


def test_first_100_is_allowed(api: Api, many_groups) -> None:
    founder, ids = many_groups
    page = api.data(GROUPS, {"first": 100}, founder.token)["groups"]
    assert [e["node"]["id"] for e in page["edges"]] == ids
    assert page["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 101},
        {"last": 101},
        {"first": -1},
        {"last": -1},
        {"first": 5, "last": 5},
        {"after": "not a cursor"},
        {"before": "###"},
    ],
    ids=["first>100", "last>100", "negative-first", "negative-last", "both", "after", "before"],
)
def test_bad_paging_arguments_are_bad_user_input(api: Api, variables: dict) -> None:
    person = api.person()
    assert api.error_code(GROUPS, variables, person.token) == "BAD_USER_INPUT"


@pytest.mark.parametrize("arguments", ["first: 101", "first: -1", "first: 1, last: 1"])
def test_nested_connections_check_paging_arguments_too(
    api: Api, scene: dict, arguments: str
) -> None:
    viewer: Person = scene["viewer"]
    queries = [
        f"query($id: ID!) {{ group(id: $id) {{ members({arguments}) {{ totalCount }} }} }}",
        f"query($id: ID!) {{ pair(id: $id) {{ checkIns({arguments}) {{ totalCount }} }} }}",
        f"query($id: ID!) {{ node(id: $id) {{ ... on User {{ pairs({arguments}) "
        "{ totalCount } } } }",
    ]
    ids = [scene["ids"]["Group"], scene["ids"]["Pair"], viewer.id]
    for query, id in zip(queries, ids, strict=True):
        assert api.error_code(query, {"id": id}, viewer.token) == "BAD_USER_INPUT", query


# --- validation and coercion errors --------------------------------------------------


def test_a_variable_coercion_error_is_bad_user_input(api: Api) -> None:
    body = api.post(
        REGISTER,
        {
            "input": {
                "email": "x@example.com",
                "password": PASSWORD,
                "name": "X",
                "birthDate": "not-a-date",
            }
        },
    )
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]


def test_an_inline_malformed_date_is_bad_user_input(api: Api) -> None:
    query = """mutation { register(input: {email: "x@example.com", password: "long enough pw",
      name: "X", birthDate: "1990-13-45"}) { token } }"""
    body = api.post(query)
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ viewer { id shoeSize } }", {}),
        ("{ nothingHere }", {}),
        ("query($id: ID!) { group(id: $id) { id } }", {}),  # missing variable
        ('{ groups(first: "ten") { totalCount } }', {}),
        (
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }",
            {"input": {"name": "x", "category": "KNITTING"}},
        ),
        (
            "mutation($input: CreateGroupInput!) { createGroup(input: $input) { group { id } } }",
            {"input": {"name": "x", "category": "HOBBIES", "colour": "red"}},
        ),
        ("{ viewer { id } ", {}),  # syntax error
        ("query { viewer { id } } mutation { x }", {}),
        ("this is not graphql", {}),
    ],
    ids=[
        "unknown-field",
        "unknown-root-field",
        "missing-variable",
        "wrong-literal-type",
        "unknown-enum-value",
        "unknown-input-field",
        "syntax-unclosed",
        "syntax-mixed",
        "syntax-garbage",
    ],
)
def test_validation_parse_and_coercion_errors_are_bad_user_input(
    api: Api, query: str, variables: dict
) -> None:
    person = api.person()
    for token in (person.token, None):
        body = api.post(query, variables, token)
        assert body.get("data") is None
        assert body["errors"], body
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}, body


# --- sessions and tokens -------------------------------------------------------------


def login(api: Api, person: Person) -> str:
    return api.ok(LOGIN, {"email": person.email, "password": PASSWORD})["token"]


def test_logout_revokes_only_the_current_token(api: Api) -> None:
    person = api.person()
    second = login(api, person)
    assert second != person.token
    payload = api.ok(LOGOUT, {}, person.token)
    assert payload["revokedCount"] == 1
    assert api.error_code(VIEWER, token=person.token) == "UNAUTHENTICATED"  # revoked
    assert api.error_code(LOGOUT, {"input": {}}, person.token) == "UNAUTHENTICATED"
    assert api.error_code("{ groups { totalCount } }", token=person.token) == "UNAUTHENTICATED"
    assert api.data(VIEWER, token=second) == {"viewer": {"id": person.id}}


def test_logout_with_all_sessions_revokes_every_token(api: Api) -> None:
    person, other = api.person(), api.person()
    tokens = [person.token, login(api, person), login(api, person)]
    payload = api.ok(LOGOUT, {"allSessions": True}, tokens[1])
    assert payload["revokedCount"] == 3
    for token in tokens:
        assert api.error_code("{ groups { totalCount } }", token=token) == "UNAUTHENTICATED"
    assert api.data(VIEWER, token=other.token) == {"viewer": {"id": other.id}}
    # Signing in again works.
    assert api.data(VIEWER, token=login(api, person)) == {"viewer": {"id": person.id}}


def test_login_with_the_wrong_password_is_invalid_credentials(api: Api) -> None:
    person = api.person()
    for email, password in (
        (person.email, "wrong password here"),
        (person.email.upper(), "wrong password here"),
        ("nobody@example.com", PASSWORD),
    ):
        payload = api.mutate(LOGIN, {"email": email, "password": password})
        assert payload["token"] is None
        assert payload["user"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_CREDENTIALS"]
    # The right one, with the email in another case, works.
    payload = api.ok(LOGIN, {"email": f"  {person.email.upper()} ", "password": PASSWORD})
    assert payload["user"] == {"id": person.id}


def test_tokens_and_passwords_are_not_stored_in_plain_text(api: Api) -> None:
    person = api.person()
    second = login(api, person)
    dump = "\n".join(api.snapshot())
    for token in (person.token, second):
        assert token not in dump
        assert hashlib.sha256(token.encode()).hexdigest() in dump  # stored as its hash
    assert PASSWORD not in dump
    assert "$argon2" in dump


# --- transport -----------------------------------------------------------------------


def test_graphiql_is_served_to_browsers(api: Api) -> None:
    response = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize("token", [None, "garbage"])
def test_anonymous_introspection_and_viewer_work_for_graphiql(api: Api, token: str | None) -> None:
    body = api.post("{ __schema { mutationType { fields { name } } } }", token=token)
    assert "errors" not in body
    names = {f["name"] for f in body["data"]["__schema"]["mutationType"]["fields"]}
    assert {"register", "login", "logout", "createPair", "postCheckIn"} <= names
    viewer = api.post(VIEWER, token=token)
    if token is None:
        assert viewer == {"data": {"viewer": None}}
    else:  # a token that is sent but bad is refused, even for `viewer`
        assert [e["extensions"]["code"] for e in viewer["errors"]] == ["UNAUTHENTICATED"]


def test_the_websocket_refuses_the_legacy_graphql_ws_protocol(api: Api) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        api.client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        ws.receive_json()
    assert refused.value.code in (4406, 1002, 1003, 1008)


def test_the_websocket_speaks_graphql_transport_ws(api: Api) -> None:
    with api.client.websocket_connect(
        "/graphql", subprotocols=["graphql-ws", "graphql-transport-ws"]
    ) as ws:
        assert ws.accepted_subprotocol == "graphql-transport-ws"
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"


# --- anonymous reads and oversized lists ---------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "{ nodes(ids: []) { id } }",
        '{ nodes(ids: ["R3JvdXA6MQ=="]) { id } }',
        '{ node(id: "R3JvdXA6MQ==") { id } }',
        "{ groups { totalCount } }",
    ],
    ids=["nodes-empty", "nodes-one", "node", "groups"],
)
def test_anonymous_reads_other_than_viewer_are_unauthenticated(api: Api, query: str) -> None:
    body = api.post(query)
    assert body.get("errors"), body
    assert not any((body.get("data") or {}).values()), body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


def test_lists_over_100_items_are_bad_user_input(api: Api, scene: dict) -> None:
    story = scene["story"]
    draft = api.program(story.admin, story.group_id, open=False)
    update = f"""
    mutation($input: UpdateProgramInput!) {{
      updateProgram(input: $input) {{ program {{ id }} {ERRORS} }}
    }}"""
    step = {"kind": "CUSTOM", "title": "Step", "description": "Do it."}
    question = {"prompt": "Why?", "required": False, "appliesTo": ["MENTEE"]}
    before = api.snapshot()
    for field, item in (("steps", step), ("questions", question)):
        payload = {"programId": draft, field: [item] * 101}
        code = api.error_code(update, {"input": payload}, story.admin.token)
        assert code == "BAD_USER_INPUT", field
    assert api.snapshot() == before
    ok = api.ok(update, {"programId": draft, "steps": [step] * 100}, story.admin.token)
    assert ok["program"]["id"] == draft

    newcomer = api.person()
    api.join(newcomer, story.group_id)
    answers = api.answers(story.program_id, "MENTEE", newcomer.token)
    too_many = answers * (101 // len(answers) + 1)
    body = api.post(
        SIGN_UP,
        {"input": {"programId": story.program_id, "role": "MENTEE", "answers": too_many}},
        newcomer.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
