"""Property-based fuzzing of POST /graphql (hypothesis + hypothesis-graphql).

Operations and inputs are generated from `schema.graphql`, valid and invalid: wrong
types, huge strings, unicode, malformed IDs and other people's IDs, plus raw documents
and raw HTTP bodies that only a broken client sends. Whatever comes in, the server must:

- never answer a 5xx;
- answer JSON, where every error has an `extensions.code`;
- never fail unexpectedly: no `INTERNAL_SERVER_ERROR` (masked or not), and nothing in
  an error that looks like a leaked exception (a traceback, the ORM's or the driver's
  name, `SomethingError:`);
- never show a viewer data that isn't theirs: each viewer has a set of markers (check-in
  bodies of pairs they are not in, admins included; other people's emails; the answers
  and the DRAFT program of a group whose only admin never speaks) that must not appear
  anywhere in what it is sent back.

The markers are random UUIDs seeded once: the fuzzer cannot produce them by chance,
and a marker the request itself carries (an email typed into `login`) is not a leak.

One app and one seeded world serve the whole module (an app per example is far too
slow). Mutations change the world as the run goes on; the markers stay valid because
they only depend on things no fuzzed viewer can change (who is in which pair, whose
email is whose, who administers the second group).

Size: `FUZZ_EXAMPLES` examples per test (default 200, the whole module runs in about a
minute); `FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py` runs longer. The number of cases
sent, and how many were refused or failed, is printed at the end of the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis_graphql import Mode, from_schema, mutations, nodes
from starlette.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from schema.ids import encode_cursor, encode_id
from tests.helpers import ADULT, PASSWORD, REGISTER, Api, Person

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
SDL = (Path(__file__).resolve().parent.parent / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)

FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    # In CI the same cases every run (no flaky failures on unrelated changes); locally
    # new ones each time. `--hypothesis-seed=N` replays a run.
    derandomize=os.environ.get("CI") is not None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
    # No example database in the work tree: a failure prints its reproduction instead.
    database=None,
)

# The suite's 60 s per test is for 200 examples; longer runs get time in proportion. Its
# world is SQLite whatever the suite runs on, so CI runs it once (one_python, and not in
# the PostgreSQL pass: see `world`).
pytestmark = [pytest.mark.timeout(max(60, 60 + FUZZ_EXAMPLES // 2)), pytest.mark.one_python]

# Cases sent, per test and outcome; printed when the module ends.
STATS: Counter[str] = Counter()
# Every distinct error message seen; `FUZZ_MESSAGES=path` writes them there, to review
# by eye what the patterns below cannot judge.
MESSAGES: set[str] = set()


# --- the world -------------------------------------------------------------------------


@dataclass
class Viewer:
    name: str
    token: str | None
    person: Person | None = None  # to sign in again after a fuzzed `logout`
    forbidden: frozenset[str] = frozenset()


@dataclass(repr=False)  # hypothesis prints it with every failure: keep that short
class World:
    api: Api
    viewers: dict[str, Viewer]
    ids: list[str]  # every global ID seeded, of every type
    emails: list[str]
    secrets: dict[str, str]  # label -> marker
    people: dict[str, Person] = field(default_factory=dict)
    strategies: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"World({len(self.ids)} ids, viewers {sorted(self.viewers)})"

    def strategy(self, name: str, build: Any) -> st.SearchStrategy[Any]:
        """Build each strategy once per module: hypothesis-graphql's are costly."""
        if name not in self.strategies:
            self.strategies[name] = build(self)
        return self.strategies[name]


POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) { checkIn { id } userErrors { field message code } }
}"""
UPDATE_PROGRAM = """
mutation($input: UpdateProgramInput!) {
  updateProgram(input: $input) { program { id title } userErrors { field message code } }
}"""
SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) { signUp { id } userErrors { field message code } }
}"""
PAIR_IDS = "query($id: ID!) { pair(id: $id) { milestones { id } } }"
PROGRAM_IDS = "query($id: ID!) { program(id: $id) { questions { id appliesTo } } }"


# An account whose email is no secret: the fuzzer may type it anywhere.
KNOWN_EMAIL = "known@fuzz.example"


def marker(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


def register(api: Api, label: str) -> Person:
    email = f"{label}-{uuid.uuid4().hex}@fuzz.example"
    payload = api.ok(
        REGISTER,
        {"email": email, "password": PASSWORD, "name": label.title(), "birthDate": ADULT},
    )
    return Person(payload["token"], payload["user"]["id"], label.title(), email)


def sign_up_with_secret(api: Api, person: Person, program_id: str, role: str, secret: str) -> str:
    questions = api.data(PROGRAM_IDS, {"id": program_id}, person.token)["program"]["questions"]
    answers = [
        {"questionId": q["id"], "value": f"{secret} {i}"}
        for i, q in enumerate(questions)
        if role in q["appliesTo"]
    ]
    assert answers, "the template asks every role something"
    payload = api.ok(
        SIGN_UP, {"programId": program_id, "role": role, "answers": answers}, person.token
    )
    return payload["signUp"]["id"]


def build_world(api: Api) -> World:
    people = {
        label: register(api, label)
        for label in (
            "admin",
            "mentor-a",
            "mentee-a",
            "mentor-b",
            "mentee-b",
            "outsider",
            "admin2",
            "mentor-c",
            "mentee-c",
        )
    }
    secrets = {
        "checkin-a": marker("SECRET"),
        "checkin-b": marker("SECRET"),
        "checkin-c": marker("SECRET"),
        "answers-c": marker("ANSWER"),
        "draft-c": marker("DRAFT"),
    }
    ids: list[str] = [p.id for p in people.values()]

    # Group 1: the fuzzed admin, two ACTIVE pairs in one OPEN program, a DRAFT program.
    admin = people["admin"]
    group1 = api.group(admin)
    program1 = api.program(admin, group1)
    draft1 = api.program(admin, group1, open=False)
    ids += [group1, program1, draft1]
    for pair_label in ("a", "b"):
        mentor, mentee = people[f"mentor-{pair_label}"], people[f"mentee-{pair_label}"]
        api.join(mentor, group1)
        api.join(mentee, group1)
        mentor_sign_up = api.sign_up(mentor, program1, "MENTOR")
        mentee_sign_up = api.sign_up(mentee, program1, "MENTEE")
        pair = api.pair(admin, mentor_sign_up, mentee_sign_up)
        check_in = api.ok(
            POST_CHECK_IN,
            {"pairId": pair["id"], "body": secrets[f"checkin-{pair_label}"]},
            mentee.token,
        )
        ids += [mentor_sign_up, mentee_sign_up, pair["id"], check_in["checkIn"]["id"]]
        ids += [m["id"] for m in pair["milestones"][:2]]

    # Group 2: an admin who is never a fuzzed viewer, so nobody fuzzed can ever gain the
    # right to see its sign-up answers, its DRAFT program or its pair's check-ins.
    admin2 = people["admin2"]
    group2 = api.group(admin2, category="PARENTING")
    program2 = api.program(admin2, group2, template="ENCOURAGEMENT_AND_SUPPORT")
    draft2 = api.program(admin2, group2, open=False)
    api.ok(UPDATE_PROGRAM, {"programId": draft2, "title": secrets["draft-c"]}, admin2.token)
    api.join(people["mentor-c"], group2)
    api.join(people["mentee-c"], group2)
    mentor_c = sign_up_with_secret(
        api, people["mentor-c"], program2, "MENTOR", secrets["answers-c"]
    )
    mentee_c = sign_up_with_secret(
        api, people["mentee-c"], program2, "MENTEE", secrets["answers-c"]
    )
    pair_c = api.pair(admin2, mentor_c, mentee_c)
    check_in_c = api.ok(
        POST_CHECK_IN,
        {"pairId": pair_c["id"], "body": secrets["checkin-c"]},
        people["mentor-c"].token,
    )
    ids += [group2, program2, draft2, mentor_c, mentee_c, pair_c["id"]]
    ids += [check_in_c["checkIn"]["id"], pair_c["milestones"][0]["id"]]
    questions = api.data(PROGRAM_IDS, {"id": program2}, admin2.token)["program"]["questions"]
    ids += [q["id"] for q in questions]

    emails = {label: p.email for label, p in people.items()}
    api.ok(
        REGISTER,
        {"email": KNOWN_EMAIL, "password": PASSWORD, "name": "Known", "birthDate": ADULT},
    )

    def forbidden(own_label: str | None, own_pairs: set[str]) -> frozenset[str]:
        hidden = {email for label, email in emails.items() if label != own_label}
        hidden |= {secrets["answers-c"], secrets["draft-c"], secrets["checkin-c"]}
        hidden |= {secrets[f"checkin-{p}"] for p in ("a", "b") if p not in own_pairs}
        return frozenset(hidden)

    viewers = {
        "anonymous": Viewer("anonymous", None, forbidden=forbidden(None, set())),
        "garbage token": Viewer(
            "garbage token", "eyJhbGciOiJub25lIn0.e30.", forbidden=forbidden(None, set())
        ),
        "outsider": Viewer(
            "outsider", people["outsider"].token, people["outsider"], forbidden("outsider", set())
        ),
        "mentee of pair A": Viewer(
            "mentee of pair A",
            people["mentee-a"].token,
            people["mentee-a"],
            forbidden("mentee-a", {"a"}),
        ),
        "mentor of pair B": Viewer(
            "mentor of pair B",
            people["mentor-b"].token,
            people["mentor-b"],
            forbidden("mentor-b", {"b"}),
        ),
        # The group admin sees both pairs, their counts and dates, never a check-in body.
        "group admin": Viewer(
            "group admin", admin.token, admin, forbidden=forbidden("admin", set())
        ),
    }
    return World(api, viewers, ids, list(emails.values()), secrets, people)


def fuzz_app(database_url: str, **overrides: Any) -> Any:
    """The app the fuzzed world runs on: fast password hashing, and no limits."""
    return create_app(
        Settings(
            **overrides,
            database_url=database_url,
            password_hash_time_cost=1,
            password_hash_memory_kib=64,
            # The fuzzer is one IP and a handful of users sending hundreds of mutations a
            # minute; limits would turn most of them into RATE_LIMITED before they reach
            # the code under test.
            rate_limit_user_per_minute=1_000_000,
            rate_limit_ip_per_minute=1_000_000,
            check_ins_per_pair_per_hour=1_000_000,
            login_failures_allowed=1_000_000,
        )
    )


@pytest.fixture(scope="module")
def world(
    template_db: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[World]:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the fuzzed world is SQLite: `make test` ran this module already")
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(template_db, path)
    app = fuzz_app(f"sqlite://{path}")
    started = time.monotonic()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield build_world(Api(client, app))
    sent = sum(n for key, n in STATS.items() if key.endswith(":sent"))
    failed = sum(n for key, n in STATS.items() if key.endswith(":failed"))
    lines = [
        f"fuzz: {sent} cases sent in {time.monotonic() - started:.1f}s, "
        f"{failed} failed a check (FUZZ_EXAMPLES={FUZZ_EXAMPLES})",
        *(f"  {key}: {n}" for key, n in sorted(STATS.items())),
    ]
    if os.environ.get("FUZZ_MESSAGES"):
        Path(os.environ["FUZZ_MESSAGES"]).write_text("\n".join(sorted(MESSAGES)) + "\n")
    if not sent:  # another module's use of the world (tests/test_plan.py)
        return
    # Past pytest's output capture, so that the count shows without `-s`.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
    else:
        print("\n".join(lines))


# --- sending and checking --------------------------------------------------------------

# What a leaked exception looks like (checked in errors only). A match that the request
# itself contains is an echo of the input (`Malformed ID: '...'`), not a leak.
LEAK_PATTERNS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"tortoise", re.IGNORECASE),
    re.compile(r"sqlite", re.IGNORECASE),
    re.compile(r"asyncpg", re.IGNORECASE),
    re.compile(r"psycopg", re.IGNORECASE),
    re.compile(r"site-packages"),
    # Python exception class names followed by a colon: `IntegrityError:`, `KeyError:`.
    # GraphQL's own messages say "Syntax Error:" with a space, which this does not match.
    re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b:"),
    re.compile(r"\b(KeyError|TypeError|ValueError|AttributeError|AssertionError|IndexError)\b"),
    re.compile(r"<(?:[a-z_]+\.)+[A-Za-z_]+ object at 0x[0-9a-f]+>"),
    # The messages Python's own exceptions carry.
    re.compile(r"NoneType"),
    re.compile(r"object (is not (iterable|subscriptable|callable)|has no attribute)"),
    re.compile(r"unsupported operand type|takes \d+ positional arguments?|unexpected keyword"),
    re.compile(r"invalid literal for int\(\)|list index out of range|maximum recursion depth"),
]
MASKED_MESSAGE = "Unexpected error."


class Failure(AssertionError):
    pass


def sign_in_again(world: World, viewer: Viewer) -> None:
    """A fuzzed `logout` revoked the viewer's token(s): get a new one."""
    assert viewer.person is not None
    response = world.api.client.post(
        "/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token userErrors { code } } }",
            "variables": {"e": viewer.person.email, "p": PASSWORD},
        },
    )
    token = response.json()["data"]["login"]["token"]
    assert token, f"could not sign {viewer.name} in again: {response.text}"
    viewer.token = token


def check_response(
    test: str, viewer: Viewer, request_text: str, status: int, text: str, *, graphql_shaped: bool
) -> Any:
    """Every check on one answer; raises `Failure` with what went wrong."""
    STATS[f"{test}:sent"] += 1
    try:
        if status >= 500:
            raise Failure(f"HTTP {status} as {viewer.name}: {text[:2000]}")
        for secret in viewer.forbidden:
            if secret in text and secret not in request_text:
                raise Failure(f"LEAK to {viewer.name}: {secret!r} in {text[:4000]}")
        try:
            body = json.loads(text)
        except ValueError:
            if graphql_shaped:
                raise Failure(f"HTTP {status}, not JSON: {text[:2000]}") from None
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if graphql_shaped:
            if not isinstance(body, dict) or not ({"data", "errors"} & body.keys()):
                raise Failure(f"HTTP {status}, not a GraphQL response: {text[:2000]}")
            if errors is not None and (not isinstance(errors, list) or not errors):
                raise Failure(f"`errors` must be a non-empty list: {text[:2000]}")
        for error in errors or []:
            code = (error.get("extensions") or {}).get("code")
            if not code:
                raise Failure(f"error without extensions.code: {error}")
            if code == "INTERNAL_SERVER_ERROR" and error.get("message") != MASKED_MESSAGE:
                raise Failure(f"unmasked internal error: {error}")
            dumped = json.dumps(error, ensure_ascii=False)
            for pattern in LEAK_PATTERNS:
                for match in pattern.finditer(dumped):
                    if match.group(0) not in request_text:
                        raise Failure(f"leaked exception detail {match.group(0)!r}: {error}")
            if code == "INTERNAL_SERVER_ERROR":
                raise Failure(f"server error (masked) as {viewer.name}: {error}")
        if errors:
            STATS[f"{test}:refused"] += 1
            for code in sorted({(e.get("extensions") or {}).get("code") for e in errors}):
                STATS[f"{test}:code {code}"] += 1
            MESSAGES.update(
                f"{(e.get('extensions') or {}).get('code')}: {str(e.get('message'))[:300]}"
                for e in errors
            )
        elif isinstance(body, dict) and body.get("data"):
            STATS[f"{test}:answered"] += 1
        return body
    except Failure:
        STATS[f"{test}:failed"] += 1
        raise


def send(
    world: World,
    test: str,
    viewer: Viewer,
    payload: Any,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> Any:
    headers = {"Authorization": f"Bearer {viewer.token}"} if viewer.token else {}
    if raw is None:
        content = json.dumps(payload, ensure_ascii=False).encode()
        graphql_shaped = True
    else:
        content = raw
        graphql_shaped = False
    headers["Content-Type"] = content_type
    response = world.api.client.post("/graphql", content=content, headers=headers)
    request_text = content.decode("utf-8", "replace")
    # Echoes come back JSON-escaped: compare the request in that form too.
    request_text += json.dumps(request_text)
    if currently_in_test_context():
        note(f"as {viewer.name}: HTTP {response.status_code} {response.text[:3000]}")
    body = check_response(
        test,
        viewer,
        request_text,
        response.status_code,
        response.text,
        graphql_shaped=graphql_shaped,
    )
    if viewer.person is not None and b"logout" in content:
        sign_in_again(world, viewer)
    return body


# --- strategies ------------------------------------------------------------------------

TYPENAMES = [
    "User",
    "Group",
    "GroupMembership",
    "Program",
    "SignUpQuestion",
    "SignUp",
    "Pair",
    "Milestone",
    "CheckIn",
    "cursor",
    "Nope",
    "",
    "pair",
]
# Text without lone surrogates (JSON can't carry them), any plane, controls included.
unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=50)
huge_text = st.builds(
    lambda unit, n: (unit * n)[:100_000],
    st.sampled_from(["a", "é", "🙂", "\u202e", "\x00", " ", "x" * 97 + "\n", "<script>", "'"]),
    st.integers(min_value=101, max_value=100_000),
)
huge_ints = st.sampled_from(
    [0, -1, 1, 5, 6, 100, 101, -(2**31), 2**31 - 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 10**30]
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about nine times in ten: one bad value anywhere refuses the whole operation.
    (Hypothesis favours the ends of a range, so the rare branch is one in the middle.)"""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 4 else good)


def ids(world: World) -> st.SearchStrategy[str]:
    """Other people's IDs and one's own, every type, and IDs that cannot be decoded."""
    return mostly(
        st.sampled_from(world.ids),
        st.one_of(
            st.builds(encode_id, st.sampled_from(TYPENAMES), st.integers(1, 2**63 - 1)),
            st.builds(encode_id, st.sampled_from(TYPENAMES), st.integers(1, 60)),
            st.builds(encode_cursor, st.integers(1, 60)),
            st.builds(
                lambda t, pk: __import__("base64").b64encode(f"{t}:{pk}".encode()).decode(),
                st.sampled_from(TYPENAMES),
                st.sampled_from(["0", "-1", " 1", "1.5", "", "1e3", "٣", str(2**63), "9" * 400]),
            ),
            st.sampled_from(["", " ", "=", "====", "abc", "UGFpcjox\n", "UGFpcjox====", "%%%"]),
            unicode_text,
            huge_text,
        ),
    )


def texts(world: World) -> st.SearchStrategy[str]:
    return st.one_of(
        unicode_text,
        st.text(string.printable, max_size=30),
        huge_text,
        # An account that exists (EMAIL_TAKEN, real login attempts). Not the markers: a
        # group the fuzzer names after someone's email would show it back later.
        st.sampled_from([KNOWN_EMAIL, KNOWN_EMAIL.upper(), f" {KNOWN_EMAIL} "]),
        st.sampled_from(["", "   ", "\t\n", "a@b.c", "@", "x" * 4000, "x" * 4001, "x" * 5001]),
        st.sampled_from(world.ids),
    )


def dates() -> st.SearchStrategy[str]:
    return mostly(
        st.dates().map(lambda d: d.isoformat()),
        st.one_of(
            st.sampled_from(
                [
                    "",
                    "2020-02-30",
                    "0000-01-01",
                    "9999-12-31",
                    "+10000-01-01",
                    "2010-13-01",
                    "today",
                ]
            ),
            st.datetimes().map(lambda d: d.isoformat()),
            unicode_text,
        ),
    )


def scalar_nodes(world: World) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Literal strategies for hypothesis-graphql, including the built-in scalars."""
    return {
        "ID": mostly(ids(world).map(nodes.String), huge_ints.map(nodes.Int)),
        "String": texts(world).map(nodes.String),
        "Int": mostly(st.integers(-5, 105), huge_ints).map(nodes.Int),
        "Date": dates().map(nodes.String),
        "DateTime": dates().map(nodes.String),
    }


def documents(world: World) -> st.SearchStrategy[str]:
    """Whole operations from the SDL (valid, or with one schema violation)."""
    custom = scalar_nodes(world)
    return st.one_of(
        from_schema(SCHEMA, custom_scalars=custom, mode=Mode.POSITIVE),
        from_schema(SCHEMA, custom_scalars=custom, mode=Mode.NEGATIVE),
    )


def mutation_documents(world: World) -> st.SearchStrategy[str]:
    """Whole mutations from the SDL (valid, or with one schema violation): `documents`
    draws queries far more often, too rarely a mutation to filter for."""
    custom = scalar_nodes(world)
    return st.one_of(
        mutations(SCHEMA, custom_scalars=custom, mode=Mode.POSITIVE),
        mutations(SCHEMA, custom_scalars=custom, mode=Mode.NEGATIVE),
    )


def json_values(world: World, type_: graphql.GraphQLInputType, depth: int = 0) -> Any:
    """A strategy of variable values for `type_`: mostly the right shape, often not."""
    nullable = not isinstance(type_, graphql.GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, graphql.GraphQLNonNull) else type_
    wrong = st.one_of(
        st.none(),
        st.booleans(),
        huge_ints,
        st.floats(allow_nan=False, allow_infinity=False),
        unicode_text,
        st.just([]),
        st.just({}),
    )
    if isinstance(inner, graphql.GraphQLScalarType):
        right = {
            "ID": mostly(ids(world), huge_ints),
            "String": texts(world),
            "Int": mostly(st.integers(-5, 105), huge_ints),
            "Float": st.floats(allow_nan=False, allow_infinity=False),  # JSON has neither
            "Boolean": st.booleans(),
            "Date": dates(),
            "DateTime": dates(),
        }.get(inner.name, unicode_text)
    elif isinstance(inner, graphql.GraphQLEnumType):
        right = mostly(st.sampled_from(list(inner.values)), unicode_text)
    elif isinstance(inner, graphql.GraphQLList):
        item = json_values(world, inner.of_type, depth + 1)
        right = st.one_of(
            st.lists(item, max_size=4),
            st.lists(item, min_size=99, max_size=102) if depth == 0 else st.lists(item, max_size=2),
        )
    else:
        assert isinstance(inner, graphql.GraphQLInputObjectType)
        fields = {
            name: json_values(world, f.type, depth + 1) if depth < 3 else st.none()
            for name, f in inner.fields.items()
        }
        required = [n for n, f in inner.fields.items() if graphql.is_required_input_field(f)]
        optional = [n for n in inner.fields if n not in required]
        right = st.fixed_dictionaries(
            {n: fields[n] for n in required},
            optional={n: fields[n] for n in optional},
        ).flatmap(
            lambda d: mostly(
                st.just(d),
                st.one_of(
                    # A required field missing, or one the type does not have.
                    st.sampled_from(sorted(d) or [""]).map(
                        lambda k: {key: v for key, v in d.items() if key != k}
                    ),
                    unicode_text.map(lambda k: {**d, k or "extra": 1}),
                ),
            )
        )
    # Mostly the right shape, so that most operations get past coercion to the resolvers.
    return mostly(right, st.one_of(wrong, st.none()) if nullable else wrong)


def variable_operations(
    world: World, roots: tuple[str, ...] = ("query", "mutation")
) -> st.SearchStrategy[dict]:
    """Every mutation and argument-taking query through `$variables`, so that coercion
    of JSON values (not literals) is fuzzed too."""
    operations = []
    for root, keyword in ((SCHEMA.query_type, "query"), (SCHEMA.mutation_type, "mutation")):
        if keyword not in roots:
            continue
        assert root is not None
        for name, field_ in root.fields.items():
            if not field_.args:
                continue
            params = ", ".join(f"${arg}: {a.type}" for arg, a in field_.args.items())
            args = ", ".join(f"{arg}: ${arg}" for arg in field_.args)
            query = f"{keyword} Fuzz({params}) {{ {name}({args}) {{ __typename }} }}"
            variables = st.fixed_dictionaries(
                {arg: json_values(world, a.type) for arg, a in field_.args.items()}
            )
            operations.append(
                variables.map(
                    lambda v, q=query: {"query": q, "variables": v, "operationName": "Fuzz"}
                )
            )
    return st.one_of(*operations)


def variable_mutations(world: World) -> st.SearchStrategy[dict]:
    """`variable_operations`, mutations only."""
    return variable_operations(world, ("mutation",))


# Sensitive fields, shallow enough for any sane depth or cost limit. Each is sent with
# IDs drawn from the world, as every viewer.
USER = "id name email"
PAIR = f"""id pairStatus: status mentor {{ {USER} }} mentee {{ {USER} }} checkInCount
  checkIns(first: 10) {{ totalCount edges {{ node {{ id body author {{ {USER} }} }} }} }}
  milestones {{ id title completedBy {{ {USER} }} }} endReason"""
SIGN_UP_FIELDS = f"id signUpRole: role signUpStatus: status user {{ {USER} }} answers {{ value question {{ prompt }} }}"
PROGRAM = f"""id title description programStatus: status questions {{ prompt }}
  viewerSignUps {{ {SIGN_UP_FIELDS} }}
  signUps(first: 10) {{ edges {{ node {{ {SIGN_UP_FIELDS} }} }} }}
  pairs(first: 10) {{ edges {{ node {{ id checkIns(first: 10) {{ edges {{ node {{ body }} }} }} }} }} }}"""
GROUP = f"""id name viewerRole members(first: 10) {{ edges {{ node {{ memberRole: role user {{ {USER} }} }} }} }}
  programs(first: 10) {{ edges {{ node {{ id title programStatus: status }} }} }}"""
NODE = f"""__typename ... on User {{ {USER} }} ... on Pair {{ {PAIR} }}
  ... on SignUp {{ {SIGN_UP_FIELDS} }} ... on Program {{ {PROGRAM} }} ... on Group {{ {GROUP} }}
  ... on CheckIn {{ id body author {{ {USER} }} pair {{ id }} }}
  ... on Milestone {{ id title pair {{ id checkIns(first: 10) {{ edges {{ node {{ body }} }} }} }} }}
  ... on GroupMembership {{ memberRole: role user {{ {USER} }} }} ... on SignUpQuestion {{ prompt }}"""
PROBES = {
    "node": f"query($id: ID!) {{ node(id: $id) {{ {NODE} }} }}",
    "nodes": f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE} }} }}",
    "pair": f"query($id: ID!) {{ pair(id: $id) {{ {PAIR} }} }}",
    "program": f"query($id: ID!) {{ program(id: $id) {{ {PROGRAM} }} }}",
    "group": f"query($id: ID!) {{ group(id: $id) {{ {GROUP} }} }}",
    "viewer": f"""{{ viewer {{ {USER}
      pairs(first: 10) {{ edges {{ node {{ {PAIR} }} }} }}
      signUps(first: 10) {{ edges {{ node {{ {SIGN_UP_FIELDS} }} }} }}
      groups(first: 10) {{ edges {{ node {{ {GROUP} }} }} }} }} }}""",
    "groups": f"{{ groups(first: 30) {{ totalCount edges {{ node {{ {GROUP} }} }} }} }}",
}


def probes(world: World) -> st.SearchStrategy[dict]:
    one = st.sampled_from(world.ids)
    return st.one_of(
        *(
            one.map(lambda i, q=PROBES[k]: {"query": q, "variables": {"id": i}})
            for k in ("node", "pair", "program", "group")
        ),
        st.lists(one, max_size=40).map(
            lambda i: {"query": PROBES["nodes"], "variables": {"ids": i}}
        ),
        st.just({"query": PROBES["viewer"]}),
        st.just({"query": PROBES["groups"]}),
    )


VALID_SNIPPETS = [
    "query { viewer { id name email } }",
    PROBES["viewer"],
    PROBES["node"],
    'mutation { login(input: {email: "a@b.c", password: "0123456789"}) { token userErrors { code } } }',
    'query Q($id: ID! = "UGFpcjox") { pair(id: $id) { id } } query R { viewer { id } }',
    'subscription { pairUpdated(pairId: "UGFpcjox") { id } }',
    "{ __schema { types { name fields { name } } } }",
    "fragment F on Query { viewer { id } } { ...F }",
]


def raw_documents() -> st.SearchStrategy[str]:
    """Documents that hit the parser, the validator and the executor's edges."""
    deep = st.integers(1, 3000).map(lambda n: "{" + "viewer {" * n + " id" + "}" * (n + 1))
    nested_lists = st.integers(1, 3000).map(
        lambda n: "{ nodes(ids: " + "[" * n + '"x"' + "]" * n + ") { id } }"
    )
    return st.one_of(
        st.text(max_size=200),
        st.text(string.printable, max_size=200),
        st.text("{}()[]:$@!.=\"'# \n,|&viewerpairnodeid.", max_size=300),
        st.tuples(st.sampled_from(VALID_SNIPPETS), st.integers(0, 500)).map(lambda t: t[0][: t[1]]),
        deep,
        nested_lists,
        st.integers(1, 5000).map(
            lambda n: "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(n)) + " }"
        ),
        st.integers(1, 3000).map(lambda n: "{ viewer " + "@include(if: true) " * n + "{ id } }"),
        st.just("fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"),
        st.just("query { viewer { id } } mutation { logout(input: {}) { revokedCount } }"),
        st.integers(1, 5000).map(lambda n: "{ viewer { id } }" + " # comment" * n),
        st.just('{ groups(search: "' + "\\u0000" * 1000 + '") { totalCount } }'),
        st.just('{ node(id: "\\uD800") { id } }'),
        st.just("{ groups(first: 99999999999999999999) { totalCount } }"),
        st.just("{ groups(first: 1.5e400) { totalCount } }"),
    )


def raw_payloads(world: World) -> st.SearchStrategy[dict]:
    """Operations that are valid JSON but not a valid request in some other way."""
    document = raw_documents()
    return st.one_of(
        document.map(lambda q: {"query": q}),
        st.tuples(document, st.one_of(st.none(), unicode_text, huge_ints, st.just([]))).map(
            lambda t: {"query": t[0], "operationName": t[1]}
        ),
        st.sampled_from(VALID_SNIPPETS).flatmap(
            lambda q: st.one_of(
                st.just({"query": q, "variables": []}),
                st.just({"query": q, "variables": "{}"}),
                st.just({"query": q, "variables": {"id": None}}),
                st.just({"query": q, "operationName": "Nope"}),
                st.just({"query": q, "extensions": {"persistedQuery": {"sha256Hash": "0"}}}),
                ids(world).map(lambda i: {"query": q, "variables": {"id": i, "ids": [i] * 101}}),
            )
        ),
        st.sampled_from(
            [
                {},
                {"query": None},
                {"query": 5},
                {"query": ["{ viewer { id } }"]},
                {"query": {"a": 1}},
                {"variables": {}},
            ]
        ),
    )


def raw_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    """Bodies that are not JSON at all, or JSON that is not an object."""
    return st.tuples(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=200).map(str.encode),
            st.sampled_from(
                [
                    b"",
                    b"null",
                    b"[]",
                    b"[{}]",
                    b"1",
                    b'"x"',
                    b'{"query": "{ viewer { id } }"',
                    b'{"query": "\xff"}',
                    b"\xef\xbb\xbf{}",
                    b'{"query": "{ viewer { id } }"}' * 2,
                ]
            ),
        ),
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=latin-1",
                "text/plain",
                "application/graphql",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
            ]
        ),
    )


# --- the properties --------------------------------------------------------------------

VIEWER_NAMES = [
    "anonymous",
    "garbage token",
    "outsider",
    "mentee of pair A",
    "mentor of pair B",
    "group admin",
]
viewer_names = st.sampled_from(VIEWER_NAMES)


def test_the_world_makes_the_leak_checks_meaningful(world: World) -> None:
    """Positive controls: the probes do reach the secrets for those who may see them, so
    their absence elsewhere means something; and each viewer's markers hold."""
    api = world.api
    mentee_a = world.viewers["mentee of pair A"]
    seen = json.dumps(api.data(PROBES["viewer"], token=mentee_a.token))
    assert world.secrets["checkin-a"] in seen
    assert mentee_a.person is not None and mentee_a.person.email in seen
    everything = json.dumps(
        api.data(PROBES["nodes"], {"ids": world.ids}, world.people["admin2"].token)
    )
    assert world.secrets["answers-c"] in everything and world.secrets["draft-c"] in everything
    mentor_c = json.dumps(
        api.data(PROBES["nodes"], {"ids": world.ids}, world.people["mentor-c"].token)
    )
    assert world.secrets["checkin-c"] in mentor_c
    admin_view = api.data(PROBES["nodes"], {"ids": world.ids}, world.viewers["group admin"].token)
    pairs = [n for n in admin_view["nodes"] if n and n["__typename"] == "Pair"]
    assert len(pairs) == 2 and all(p["checkIns"] is None and p["checkInCount"] == 1 for p in pairs)
    for name, viewer in world.viewers.items():
        body = send(
            world, "controls", viewer, {"query": PROBES["nodes"], "variables": {"ids": world.ids}}
        )
        assert body is not None, name


@FUZZ_SETTINGS
@given(data=st.data())
def test_schema_operations(world: World, data: st.DataObject) -> None:
    """Operations generated from the SDL, valid and with one schema violation, literals
    drawn from the world's IDs, huge strings, unicode and out-of-range numbers."""
    viewer = world.viewers[data.draw(viewer_names, label="viewer")]
    document = data.draw(world.strategy("documents", documents), label="document")
    send(world, "schema", viewer, {"query": document})


@FUZZ_SETTINGS
@given(data=st.data())
def test_variables(world: World, data: st.DataObject) -> None:
    """Every field that takes arguments, with JSON variables of the right and wrong shapes."""
    viewer = world.viewers[data.draw(viewer_names, label="viewer")]
    payload = data.draw(world.strategy("variables", variable_operations), label="payload")
    send(world, "variables", viewer, payload)


@FUZZ_SETTINGS
@given(data=st.data())
def test_probes_with_other_peoples_ids(world: World, data: st.DataObject) -> None:
    """Fetch every sensitive field through every read, with anybody's IDs."""
    viewer = world.viewers[data.draw(viewer_names, label="viewer")]
    send(world, "probes", viewer, data.draw(world.strategy("probes", probes), label="payload"))


@FUZZ_SETTINGS
@given(data=st.data())
def test_raw_documents(world: World, data: st.DataObject) -> None:
    """Garbage, truncated, deeply nested and oddly shaped requests."""
    viewer = world.viewers[data.draw(viewer_names, label="viewer")]
    send(world, "raw", viewer, data.draw(world.strategy("raw", raw_payloads), label="payload"))


@FUZZ_SETTINGS
@given(data=st.data())
def test_raw_bodies(world: World, data: st.DataObject) -> None:
    """Bodies that are not a JSON object: never a 5xx, never a leak."""
    viewer = world.viewers[data.draw(viewer_names, label="viewer")]
    raw, content_type = data.draw(raw_bodies(), label="body")
    send(world, "bodies", viewer, None, raw=raw, content_type=content_type)


# --- what the fuzzer found ------------------------------------------------------------

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token userErrors { field message code } }
}"""


def test_login_with_an_over_long_email_is_invalid_credentials(world: World) -> None:
    """Found by test_variables; minimised. No account can have such an email, so it is the
    same wrong email or password as any other (login's only code, docs/client-guide.md)."""
    for email in ("x" * 255, f"{'a' * 250}@fuzz.example", "x" * 4001):
        body = world.api.post(LOGIN, {"input": {"email": email, "password": "whatever12"}})
        assert "errors" not in body, body
        assert [e["code"] for e in body["data"]["login"]["userErrors"]] == ["INVALID_CREDENTIALS"]
