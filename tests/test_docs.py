"""The docs stay true: every GraphQL block in docs/ validates against the schema, the
admin guide runs end to end with its own variables, the client guide's retry with an
`Idempotency-Key` runs as written, and the operations guide's settings table lists exactly
the settings in api/settings.py, with their defaults."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, specified_rules, validate

from api.settings import Settings
from schema import schema
from schema.limits import validation_rules
from tests.helpers import Api

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
# A document written for GraphQL Code Generator: graphql(`...`), a literal with no ${}.
TS_DOCUMENT = re.compile(r"graphql\(`((?:[^`$]|\$(?!\{))*)`\)")


def blocks(path: Path) -> list[tuple[str, str]]:
    """(language, text) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(path.read_text(encoding="utf-8"))]


def graphql_blocks() -> list[tuple[str, str]]:
    """Every GraphQL document in docs/: the graphql blocks, and the `graphql(`...`)`
    documents of the TypeScript blocks (GraphQL Code Generator's client preset)."""
    found = []
    for path in sorted(DOCS.glob("*.md")):
        for index, (language, text) in enumerate(blocks(path)):
            if language == "graphql":
                found.append((f"{path.name}#{index}", text))
            elif language == "ts":
                found += [(f"{path.name}#{index}", d) for d in TS_DOCUMENT.findall(text)]
    return found


@pytest.mark.parametrize(("where", "text"), graphql_blocks(), ids=[w for w, _ in graphql_blocks()])
def test_every_graphql_block_validates_against_the_schema(where: str, text: str) -> None:
    """As the server validates it, depth and cost limits included (tests/test_readme.py
    does the same for the README)."""
    errors = validate(
        schema._schema, parse(text), [*specified_rules, *validation_rules(Settings())]
    )
    assert not errors, f"{where}: {[e.message for e in errors]}"


def test_there_are_graphql_blocks_to_check() -> None:
    assert len(graphql_blocks()) >= 20
    assert any("graphql(`" in text for _, text in blocks(DOCS / "client-guide.md"))


def test_the_client_guides_codegen_config_is_the_example_apps() -> None:
    """The guide shows web/codegen.ts as it is, so following it gives what CI checks."""
    config = (DOCS.parent / "web" / "codegen.ts").read_text(encoding="utf-8")
    shown = [text for language, text in blocks(DOCS / "client-guide.md") if language == "ts"]
    assert config in shown


# --- the admin guide, run ---------------------------------------------------------------


def guide_operations(guide: str = "admin-guide.md") -> dict[str, tuple[str, dict]]:
    """Name -> (document, variables) for a guide's operations: each graphql block with
    the json block that follows it (its variables), if any."""
    found: dict[str, tuple[str, dict]] = {}
    pending: tuple[str, str] | None = None
    for language, text in blocks(DOCS / guide):
        if language == "graphql":
            [operation] = [
                d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)
            ]
            assert operation.name is not None, "name every operation in the guide"
            pending = (operation.name.value, text)
            found[pending[0]] = (text, {})
        elif language == "json" and pending is not None:
            payload = json.loads(text)
            if "Authorization" not in payload:
                found[pending[0]] = (pending[1], payload)
            pending = None
    return found


def fill(variables: dict, ids: dict[str, str]) -> dict:
    text = json.dumps(variables)
    for placeholder, value in ids.items():
        text = text.replace(f"<{placeholder}>", value)
    assert "<" not in text, f"unfilled placeholder in {text}"
    return json.loads(text)


def test_the_admin_guide_runs_a_program_from_start_to_end(api: Api) -> None:
    ops = guide_operations()
    admin = api.person("Ada")
    ids: dict[str, str] = {}

    def run(name: str) -> dict:
        document, variables = ops[name]
        data = api.data(document, fill(variables, ids), admin.token)
        for payload in data.values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], f"{name}: {payload['userErrors']}"
        return data

    assert run("MyAdminGroups")["viewer"]["groups"]["totalCount"] == 0
    ids["group id"] = run("CreateGroup")["createGroup"]["group"]["id"]
    assert run("Inspect")["node"]["__typename"] == "Group"
    program = run("CreateProgram")["createProgram"]["program"]
    assert program["status"] == "DRAFT"
    ids["program id"] = program["id"]
    created_questions = program["questions"]
    updated = run("UpdateProgram")["updateProgram"]["program"]
    # The example keeps the template's questions: its choice questions feed matching.
    assert [q["id"] for q in updated["questions"]] == [q["id"] for q in created_questions]
    assert any(q["matchKey"] and q["kind"] != "TEXT" for q in updated["questions"])
    assert [step["title"] for step in updated["steps"]] == [
        "Meet",
        "Set two goals",
        "Do it",
        "Look back",
    ]
    assert run("OpenProgram")["openProgram"]["program"]["status"] == "OPEN"

    mentor, mentee = api.person("Maya"), api.person("Milo")
    for member in (mentor, mentee):
        api.join(member, ids["group id"])
    # Both choose the same options, so matching (below) finds them a good match.
    ids["mentor sign-up id"] = api.sign_up(mentor, ids["program id"], "MENTOR", choose=True)
    ids["mentee sign-up id"] = api.sign_up(mentee, ids["program id"], "MENTEE", choose=True)
    ids["member user id"] = mentor.id

    assert run("GroupMembers")["group"]["members"]["totalCount"] == 3
    assert run("SetMemberRole")["setMemberRole"]["membership"]["role"] == "MODERATOR"
    pending = run("PendingSignUps")["program"]["signUps"]
    assert pending["totalCount"] == 2
    pair = run("CreatePair")["createPair"]["pair"]
    assert len(pair["milestones"]) == 4
    ids["pair id"] = pair["id"]
    assert run("ProgramPairs")["program"]["pairs"]["totalCount"] == 1
    assert run("PairDetail")["pair"]["status"] == "ACTIVE"
    assert run("CloseProgram")["closeProgram"]["program"]["status"] == "CLOSED"
    ended = run("EndPair")["endPair"]
    assert ended["pair"]["status"] == "ENDED"
    assert ended["menteeSignUp"]["status"] == "PENDING"

    # Matching: the mentee is waiting again and the mentor has a free slot.
    suggested = run("SuggestMentors")["program"]["suggestedMatches"]
    assert [s["mentor"]["id"] for s in suggested] == [ids["mentor sign-up id"]]
    assert (
        abs(sum(r["contribution"] for r in suggested[0]["reasons"]) - suggested[0]["score"]) < 1e-6
    )
    weights = run("TuneWeights")["setMatchingWeights"]["matchingWeights"]
    assert {w["criterion"]: w["weight"] for w in weights}["topics"] == 60
    proposed = run("ProposeAssignment")["program"]["proposedAssignment"]
    assert [p["mentee"]["id"] for p in proposed["pairs"]] == [ids["mentee sign-up id"]]
    assert len(run("ApplyAssignment")["createPairs"]["pairs"]) == 1
    health = run("ProgramHealth")["program"]
    assert (health["stats"]["activePairs"], health["stats"]["endedPairs"]) == (1, 1)
    assert run("MyAdminGroups")["viewer"]["groups"]["totalCount"] == 1


def test_the_member_guide_takes_a_newcomer_from_register_to_sign_up(api: Api) -> None:
    """Register, find the group, join, read the questions, sign up with choice answers,
    see the sign-up, withdraw: each step as the guide writes it."""
    ops = guide_operations("member-guide.md")
    admin = api.person("Ada")
    group = api.group(admin)  # "Career changers"
    program_id = api.program(admin, group)
    ids: dict[str, str] = {}
    token: str | None = None

    def run(name: str) -> dict:
        document, variables = ops[name]
        data = api.data(document, fill(variables, ids), token)
        for payload in data.values():
            if isinstance(payload, dict) and "userErrors" in payload:
                assert payload["userErrors"] == [], f"{name}: {payload['userErrors']}"
        return data

    registered = run("Register")["register"]
    token = registered["token"]
    assert registered["user"]["name"] == "Rosa Diaz"
    found = run("FindGroups")["groups"]["edges"]
    assert group in [edge["node"]["id"] for edge in found]
    ids["group id"] = group
    assert run("JoinGroup")["joinGroup"]["membership"]["role"] == "MEMBER"
    programs = run("GroupPrograms")["group"]["programs"]["edges"]
    assert [edge["node"]["id"] for edge in programs] == [program_id]
    ids["program id"] = program_id

    questions = run("ProgramQuestions")["program"]["questions"]
    mentee_text = [q for q in questions if q["kind"] == "TEXT" and q["required"]]
    ids["goal question id"] = next(q["id"] for q in mentee_text if q["appliesTo"] == ["MENTEE"])
    ids["industry question id"] = next(q["id"] for q in mentee_text if len(q["appliesTo"]) == 2)
    by_key = {q["matchKey"]: q["id"] for q in questions if q["matchKey"]}
    ids["topics question id"] = by_key["topics"]
    ids["meeting question id"] = by_key["meetingPreference"]
    ids["times question id"] = by_key["availability"]
    signed_up = run("SignUp")["signUp"]["signUp"]
    assert (signed_up["role"], signed_up["status"]) == ("MENTEE", "PENDING")
    # The choice answers were taken as options (matching reads them), not write-ins.
    answers = api.data(SIGN_UP_ANSWERS, {"id": signed_up["id"]}, admin.token)["node"]["answers"]
    assert "Promotion, Leadership" in [a["value"] for a in answers]

    mine = run("MySignUps")["viewer"]
    assert [e["node"]["status"] for e in mine["signUps"]["edges"]] == ["PENDING"]
    ids["sign-up id"] = signed_up["id"]
    assert run("Withdraw")["withdrawSignUp"]["signUp"]["status"] == "WITHDRAWN"


SIGN_UP_ANSWERS = "query($id: ID!) { node(id: $id) { ... on SignUp { answers { value } } } }"


# --- the settings table -----------------------------------------------------------------

# | `NAME` | `default` | meaning |, or *(none)* for an empty default.
SETTINGS_ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| (?:`([^`]*)`|\*\(none\)\*) \|", re.MULTILINE)


def documented_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


def test_the_operations_guide_lists_every_setting_with_its_default() -> None:
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = dict(SETTINGS_ROW.findall(section))
    fields = {field.name.upper(): field for field in dataclasses.fields(Settings)}
    assert sorted(documented) == sorted(fields), "docs/operations.md, Settings"
    defaults = Settings()
    for name, field in fields.items():
        actual = getattr(defaults, field.name)  # LOG_LEVEL: resolved, "info"
        assert documented[name] == documented_default(actual), name


def test_make_help_lists_every_target_with_what_it_does() -> None:
    """`make help` is how a newcomer finds the commands: every target the Makefile
    declares phony is listed, each with a sentence."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("no make here")
    root = Path(__file__).resolve().parent.parent
    listed = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    phony = re.search(r"^\.PHONY: (.+)$", (root / "Makefile").read_text(), re.M)
    assert phony is not None
    described = dict(re.findall(r"^  make (\S+) +(.+)$", listed, re.M))
    assert set(described) == set(phony.group(1).split())
    assert all(text.endswith((".", ")")) for text in described.values()), described


def test_the_readme_names_every_subscription() -> None:
    """The README's live-updates section lists what a client can subscribe to: every
    field of the schema's Subscription type, and as many as it says there are."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### Live updates (subscriptions)", 1)[1].split("\n#", 1)[0]
    fields = sorted(schema._schema.subscription_type.fields)
    assert all(f"`{name}" in section for name in fields), fields
    words = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
    assert f"There are {words[len(fields)]} subscriptions" in section


def test_the_client_guide_names_every_subscription() -> None:
    """Its table has a row per field of the Subscription type, and its count is right."""
    section = (DOCS / "client-guide.md").read_text().split("## Subscriptions", 1)[1]
    section = section.split("\n## ", 1)[0]
    fields = sorted(schema._schema.subscription_type.fields)
    rows = re.findall(r"^\| `(\w+)", section, re.MULTILINE)
    assert sorted(rows) == fields
    words = {4: "four", 5: "five", 6: "six", 7: "seven"}
    assert f"There are {words[len(fields)]}:" in section


def test_the_client_guides_retry_example_runs_once_and_answers_twice(api: Api) -> None:
    """The `Idempotency-Key` request in "Retrying mutations safely", sent as written (with
    a real token and pair): the second sending gets the first answer, and one check-in."""
    [request] = [
        text
        for language, text in blocks(DOCS / "client-guide.md")
        if language == "http" and "Idempotency-Key" in text
    ]
    head, body = request.split("\n\n", 1)
    headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    assert head.splitlines()[0] == "POST /graphql HTTP/1.1"
    story = api.story()
    pair_id = api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)["id"]
    headers["Authorization"] = f"Bearer {story.mentee.token}"
    content = body.strip().replace('"UGFpcjox"', json.dumps(pair_id))

    first = api.client.post("/graphql", content=content, headers=headers)
    again = api.client.post("/graphql", content=content, headers=headers)

    assert first.json()["data"]["postCheckIn"]["userErrors"] == [], first.text
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    count = "query($id: ID!) { pair(id: $id) { checkInCount } }"
    assert api.data(count, {"id": pair_id}, story.mentee.token)["pair"]["checkInCount"] == 1
