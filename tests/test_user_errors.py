"""Every userError code of the contract (docs/client-guide.md, Errors; `UserErrorCode` in schema.graphql).

Each refused mutation must answer with its code (and the `field` path for format codes),
leave every other payload field null, write nothing and publish nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.helpers import PASSWORD, Api, Person, Story

# --- queries ---------------------------------------------------------------------------

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { token user { id } userErrors { field message code } }
}"""
LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token user { id } userErrors { field message code } }
}"""
CREATE_GROUP = """
mutation($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id name } userErrors { field message code } }
}"""
JOIN_GROUP = """
mutation($input: JoinGroupInput!) {
  joinGroup(input: $input) {
    group { id memberCount } membership { id role } userErrors { field message code }
  }
}"""
LEAVE_GROUP = """
mutation($input: LeaveGroupInput!) {
  leaveGroup(input: $input) { group { id memberCount } userErrors { field message code } }
}"""
SET_MEMBER_ROLE = """
mutation($input: SetMemberRoleInput!) {
  setMemberRole(input: $input) { membership { id role } userErrors { field message code } }
}"""
CREATE_PROGRAM = """
mutation($input: CreateProgramInput!) {
  createProgram(input: $input) { program { id status } userErrors { field message code } }
}"""
UPDATE_PROGRAM = """
mutation($input: UpdateProgramInput!) {
  updateProgram(input: $input) { program { id title } userErrors { field message code } }
}"""
OPEN_PROGRAM = """
mutation($input: OpenProgramInput!) {
  openProgram(input: $input) { program { id status } userErrors { field message code } }
}"""
CLOSE_PROGRAM = """
mutation($input: CloseProgramInput!) {
  closeProgram(input: $input) { program { id status } userErrors { field message code } }
}"""
SIGN_UP = """
mutation($input: SignUpInput!) {
  signUp(input: $input) { signUp { id status capacity } userErrors { field message code } }
}"""
WITHDRAW_SIGN_UP = """
mutation($input: WithdrawSignUpInput!) {
  withdrawSignUp(input: $input) { signUp { id status } userErrors { field message code } }
}"""
CREATE_PAIR = """
mutation($input: CreatePairInput!) {
  createPair(input: $input) {
    pair { id status } mentorSignUp { id status } menteeSignUp { id status }
    userErrors { field message code }
  }
}"""
COMPLETE_MILESTONE = """
mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { id completedAt } pair { id status } userErrors { field message code }
  }
}"""
POST_CHECK_IN = """
mutation($input: PostCheckInInput!) {
  postCheckIn(input: $input) {
    checkIn { id body } pair { id checkInCount } userErrors { field message code }
  }
}"""
END_PAIR = """
mutation($input: EndPairInput!) {
  endPair(input: $input) {
    pair { id status endReason } mentorSignUp { id status } menteeSignUp { id status }
    userErrors { field message code }
  }
}"""
QUESTIONS = """
query($id: ID!) { program(id: $id) { questions { id required appliesTo } } }"""

# --- helpers ---------------------------------------------------------------------------

_emails = iter(range(1, 10_000))


def new_email() -> str:
    return f"user-errors-{next(_emails)}@example.com"


def text(length: int) -> str:
    """`length` characters, not all ASCII: limits count characters, not bytes."""
    return ("abc déf €" * (length // 9 + 1))[:length].replace(" ", "x")


def refused(
    api: Api, query: str, input: dict, token: str | None = None, *, ignore: tuple[str, ...] = ()
) -> list[dict]:
    """Run a mutation that must be refused: userErrors, every other payload field null,
    nothing written (but to the `ignore`d tables) and nothing published."""

    def snapshot() -> list[str]:
        return [line for line in api.snapshot() if line.split(":", 1)[0] not in ignore]

    before = snapshot()
    published = api.published
    payload = api.mutate(query, input, token)
    errors = payload.pop("userErrors")
    assert errors, f"expected userErrors, got {payload}"
    assert all(error["message"] for error in errors), errors
    assert payload == dict.fromkeys(payload), f"payload fields must be null: {payload}"
    assert snapshot() == before, "a refused mutation wrote to the database"
    assert api.published == published, "a refused mutation published an event"
    return errors


def only_code(errors: list[dict]) -> str:
    """The code of the one error a rule check reports (rule checks stop at the first)."""
    assert len(errors) == 1, errors
    return errors[0]["code"]


def problems(errors: list[dict]) -> set[tuple[str, tuple[str, ...] | None]]:
    return {(e["code"], tuple(e["field"]) if e["field"] is not None else None) for e in errors}


def register_input(**overrides: str) -> dict:
    values = {
        "email": new_email(),
        "password": PASSWORD,
        "name": "Someone",
        "birthDate": "1990-01-01",
    }
    return {**values, **overrides}


def questions(api: Api, program_id: str, token: str) -> list[dict]:
    return api.data(QUESTIONS, {"id": program_id}, token)["program"]["questions"]


def sign_up_input(
    api: Api, program_id: str, role: str, token: str, capacity: int | None = None
) -> dict:
    """A valid signUp input; `token` must see the program (an admin sees DRAFTs)."""
    return {
        "programId": program_id,
        "role": role,
        "answers": api.answers(program_id, role, token),
        "capacity": capacity,
    }


def member(api: Api, group_id: str, birth_date: str = "1990-01-01") -> Person:
    person = api.person(birth_date=birth_date)
    api.join(person, group_id)
    return person


def utc_today() -> date:
    return datetime.now(UTC).date()


def eighteenth_birthday_on(day: date) -> str:
    """The birth date of someone who turns 18 on `day`. When `day` is 29 February, that
    date 18 years back does not exist: 1 March then keeps them 17 until after `day`."""
    try:
        return day.replace(year=day.year - 18).isoformat()
    except ValueError:
        return date(day.year - 18, 3, 1).isoformat()


def end(api: Api, pair_id: str, who: Person) -> None:
    api.ok(END_PAIR, {"pairId": pair_id}, who.token)


def paired_story(api: Api) -> tuple[Story, dict]:
    story = api.story()
    return story, api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)


def ended_pair(api: Api) -> tuple[Story, dict]:
    story, pair = paired_story(api)
    end(api, pair["id"], story.mentor)
    return story, pair


def completed_pair(api: Api) -> tuple[Story, dict]:
    story, pair = paired_story(api)
    for milestone in pair["milestones"]:
        result = api.ok(COMPLETE_MILESTONE, {"milestoneId": milestone["id"]}, story.mentee.token)
    assert result["pair"]["status"] == "COMPLETED"
    return story, pair


# --- register and login ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"email": "not-an-email"}, "INVALID_EMAIL", "email"),
        ({"email": "two@@example.com"}, "INVALID_EMAIL", "email"),
        ({"password": "123456789"}, "WEAK_PASSWORD", "password"),
        ({"name": ""}, "BLANK", "name"),
        ({"name": " \t\n "}, "BLANK", "name"),
    ],
    ids=["no-at", "two-ats", "nine-char-password", "empty-name", "whitespace-name"],
)
def test_register_format_error(api: Api, overrides: dict, code: str, field: str) -> None:
    errors = refused(api, REGISTER, register_input(**overrides))
    assert problems(errors) == {(code, (field,))}


def test_register_refuses_a_birth_date_in_the_future_or_before_1900(api: Api) -> None:
    tomorrow = (utc_today() + timedelta(days=1)).isoformat()
    for birth_date in (tomorrow, "1899-12-31"):
        errors = refused(api, REGISTER, register_input(birthDate=birth_date))
        assert problems(errors) == {("INVALID_BIRTH_DATE", ("birthDate",))}, birth_date
    for birth_date in ("1900-01-01", utc_today().isoformat()):  # the bounds are allowed
        assert api.ok(REGISTER, register_input(birthDate=birth_date))["token"]


def test_register_password_of_ten_characters_is_strong_enough(api: Api) -> None:
    payload = api.ok(REGISTER, register_input(password="0123456789"))
    assert payload["token"]


def test_register_reports_every_format_error_together(api: Api) -> None:
    errors = refused(api, REGISTER, register_input(email="nope", password="short", name="   "))
    assert len(errors) == 3
    assert problems(errors) == {
        ("INVALID_EMAIL", ("email",)),
        ("WEAK_PASSWORD", ("password",)),
        ("BLANK", ("name",)),
    }


def test_register_email_taken(api: Api) -> None:
    existing = api.person()
    errors = refused(api, REGISTER, register_input(email=existing.email))
    assert only_code(errors) == "EMAIL_TAKEN"


def test_register_format_errors_skip_the_email_taken_check(api: Api) -> None:
    existing = api.person()
    errors = refused(api, REGISTER, register_input(email=existing.email, password="short"))
    assert problems(errors) == {("WEAK_PASSWORD", ("password",))}


def test_register_name_of_100_characters_is_accepted_and_101_is_too_long(api: Api) -> None:
    errors = refused(api, REGISTER, register_input(name=text(101)))
    assert problems(errors) == {("TOO_LONG", ("name",))}
    api.ok(REGISTER, register_input(name=text(100)))


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_login_invalid_credentials(api: Api, wrong: str) -> None:
    person = api.person()
    credentials = {"email": person.email, "password": PASSWORD}
    credentials[wrong] = "someone-else@example.com" if wrong == "email" else PASSWORD + "!"
    # A failed login is counted (login_throttles), so that ten of them lock the email.
    errors = refused(api, LOGIN, credentials, ignore=("login_throttles",))
    assert only_code(errors) == "INVALID_CREDENTIALS"


# --- groups ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "    "], ids=["empty", "whitespace"])
def test_create_group_blank_name(api: Api, name: str) -> None:
    admin = api.person()
    errors = refused(api, CREATE_GROUP, {"name": name, "category": "HOBBIES"}, admin.token)
    assert problems(errors) == {("BLANK", ("name",))}


def test_create_group_name_of_100_characters_is_accepted_and_101_is_too_long(api: Api) -> None:
    admin = api.person()
    errors = refused(api, CREATE_GROUP, {"name": text(101), "category": "OTHER"}, admin.token)
    assert problems(errors) == {("TOO_LONG", ("name",))}
    # Trimmed first: surrounding spaces do not count.
    payload = api.ok(CREATE_GROUP, {"name": f"  {text(100)}  ", "category": "OTHER"}, admin.token)
    assert payload["group"]["name"] == text(100)


def test_create_group_description_of_5000_characters_is_accepted_and_5001_too_long(
    api: Api,
) -> None:
    admin = api.person()
    group = {"name": "Readers", "category": "HOBBIES"}
    errors = refused(api, CREATE_GROUP, {**group, "description": text(5001)}, admin.token)
    assert problems(errors) == {("TOO_LONG", ("description",))}
    api.ok(CREATE_GROUP, {**group, "description": text(5000)}, admin.token)


def test_create_group_reports_blank_and_too_long_together(api: Api) -> None:
    admin = api.person()
    errors = refused(
        api,
        CREATE_GROUP,
        {"name": " ", "description": text(5001), "category": "HOBBIES"},
        admin.token,
    )
    assert problems(errors) == {("BLANK", ("name",)), ("TOO_LONG", ("description",))}


@pytest.mark.parametrize("who", ["admin", "member"])
def test_join_group_already_member(api: Api, who: str) -> None:
    admin = api.person()
    group_id = api.group(admin)
    person = admin if who == "admin" else member(api, group_id)
    errors = refused(api, JOIN_GROUP, {"groupId": group_id}, person.token)
    assert only_code(errors) == "ALREADY_GROUP_MEMBER"


def test_leave_group_not_member(api: Api) -> None:
    group_id = api.group(api.person())
    outsider = api.person()
    errors = refused(api, LEAVE_GROUP, {"groupId": group_id}, outsider.token)
    assert only_code(errors) == "NOT_GROUP_MEMBER"


def test_leave_group_last_admin(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    member(api, group_id)
    errors = refused(api, LEAVE_GROUP, {"groupId": group_id}, admin.token)
    assert only_code(errors) == "LAST_ADMIN"


def test_an_admin_may_leave_when_another_admin_remains(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    other = member(api, group_id)
    api.ok(SET_MEMBER_ROLE, {"groupId": group_id, "userId": other.id, "role": "ADMIN"}, admin.token)
    payload = api.ok(LEAVE_GROUP, {"groupId": group_id}, admin.token)
    assert payload["group"]["memberCount"] == 1


def test_set_member_role_not_member(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    outsider = api.person()
    errors = refused(
        api,
        SET_MEMBER_ROLE,
        {"groupId": group_id, "userId": outsider.id, "role": "MODERATOR"},
        admin.token,
    )
    assert only_code(errors) == "NOT_GROUP_MEMBER"


@pytest.mark.parametrize("role", ["MEMBER", "MODERATOR"])
def test_set_member_role_last_admin(api: Api, role: str) -> None:
    admin = api.person()
    group_id = api.group(admin)
    member(api, group_id)
    errors = refused(
        api, SET_MEMBER_ROLE, {"groupId": group_id, "userId": admin.id, "role": role}, admin.token
    )
    assert only_code(errors) == "LAST_ADMIN"


# --- programs --------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["HOBBIES", "OTHER"])
def test_create_program_group_not_eligible(api: Api, category: str) -> None:
    admin = api.person()
    group_id = api.group(admin, category=category)
    errors = refused(
        api, CREATE_PROGRAM, {"groupId": group_id, "template": "CAREER_ADVANCEMENT"}, admin.token
    )
    assert only_code(errors) == "GROUP_NOT_ELIGIBLE"
    # The category as a person says it, not the enum's name.
    assert errors[0]["message"] == (
        f"Mentorship programs are not offered in {category.lower()} groups."
    )


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": "  "}, "BLANK", "title"),
        ({"title": text(201)}, "TOO_LONG", "title"),
        ({"description": text(5001)}, "TOO_LONG", "description"),
    ],
    ids=["blank-title", "long-title", "long-description"],
)
def test_create_program_format_error(api: Api, overrides: dict, code: str, field: str) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program = {"groupId": group_id, "template": "SKILL_DEVELOPMENT", **overrides}
    errors = refused(api, CREATE_PROGRAM, program, admin.token)
    assert problems(errors) == {(code, (field,))}


def test_create_program_title_of_200_characters_is_accepted(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program = {"groupId": group_id, "template": "SKILL_DEVELOPMENT", "title": text(200)}
    api.ok(CREATE_PROGRAM, program, admin.token)


def test_create_program_format_errors_skip_the_eligibility_check(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin, category="HOBBIES")
    program = {"groupId": group_id, "template": "CAREER_ADVANCEMENT", "title": ""}
    errors = refused(api, CREATE_PROGRAM, program, admin.token)
    assert problems(errors) == {("BLANK", ("title",))}


@pytest.mark.parametrize("status", ["OPEN", "CLOSED"])
def test_update_program_not_draft(api: Api, status: str) -> None:
    admin = api.person()
    program_id = api.program(admin, api.group(admin))
    if status == "CLOSED":
        api.ok(CLOSE_PROGRAM, {"programId": program_id}, admin.token)
    errors = refused(
        api, UPDATE_PROGRAM, {"programId": program_id, "title": "New title"}, admin.token
    )
    assert only_code(errors) == "PROGRAM_NOT_DRAFT"


def test_update_program_reports_nested_format_errors_with_their_paths(api: Api) -> None:
    admin = api.person()
    program_id = api.program(admin, api.group(admin), open=False)
    update = {
        "programId": program_id,
        "title": " ",
        "questions": [
            {"prompt": "Fine?", "required": True, "appliesTo": ["MENTEE"]},
            {"prompt": text(201), "required": False, "appliesTo": ["MENTOR"]},
        ],
        "steps": [
            {"kind": "INTRODUCTIONS", "title": "Say hello", "description": ""},
            {"kind": "ACTION", "title": "   ", "description": text(5001)},
        ],
    }
    errors = refused(api, UPDATE_PROGRAM, update, admin.token)
    assert problems(errors) == {
        ("BLANK", ("title",)),
        ("TOO_LONG", ("questions", "1", "prompt")),
        ("BLANK", ("steps", "1", "title")),
        ("TOO_LONG", ("steps", "1", "description")),
    }


def test_update_program_format_errors_skip_the_draft_check(api: Api) -> None:
    admin = api.person()
    program_id = api.program(admin, api.group(admin))  # OPEN
    errors = refused(api, UPDATE_PROGRAM, {"programId": program_id, "title": ""}, admin.token)
    assert problems(errors) == {("BLANK", ("title",))}


@pytest.mark.parametrize(
    ("status", "mutation", "message"),
    [
        ("OPEN", OPEN_PROGRAM, "The program is already open."),
        ("DRAFT", CLOSE_PROGRAM, "Open the program first: a draft can only be opened."),
        ("CLOSED", CLOSE_PROGRAM, "The program is already closed."),
    ],
    ids=["open-an-open-one", "close-a-draft", "close-a-closed-one"],
)
def test_program_invalid_transition(api: Api, status: str, mutation: str, message: str) -> None:
    admin = api.person()
    program_id = api.program(admin, api.group(admin), open=status != "DRAFT")
    if status == "CLOSED":
        api.ok(CLOSE_PROGRAM, {"programId": program_id}, admin.token)
    errors = refused(api, mutation, {"programId": program_id}, admin.token)
    assert only_code(errors) == "INVALID_TRANSITION"
    assert errors[0]["message"] == message


# --- sign-ups --------------------------------------------------------------------------


def test_sign_up_not_group_member(api: Api) -> None:
    admin = api.person()
    program_id = api.program(admin, api.group(admin))
    outsider = api.person()
    sign_up = sign_up_input(api, program_id, "MENTEE", admin.token)
    errors = refused(api, SIGN_UP, sign_up, outsider.token)
    assert only_code(errors) == "NOT_GROUP_MEMBER"


@pytest.mark.parametrize("status", ["DRAFT", "CLOSED"])
def test_sign_up_program_not_open(api: Api, status: str) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id, open=status == "CLOSED")
    if status == "CLOSED":
        api.ok(CLOSE_PROGRAM, {"programId": program_id}, admin.token)
    person = member(api, group_id)
    errors = refused(
        api, SIGN_UP, sign_up_input(api, program_id, "MENTOR", admin.token), person.token
    )
    assert only_code(errors) == "PROGRAM_NOT_OPEN"


def test_sign_up_underage_when_turning_18_tomorrow(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id)
    minor = member(api, group_id, eighteenth_birthday_on(utc_today() + timedelta(days=1)))
    sign_up = sign_up_input(api, program_id, "MENTEE", minor.token)
    errors = refused(api, SIGN_UP, sign_up, minor.token)
    assert only_code(errors) == "UNDERAGE"


def test_sign_up_accepted_when_turning_18_today(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id)
    today = utc_today()
    if (today.month, today.day) == (2, 29):  # born 28 February, 18 years ago: 18 today too
        birth_date = date(today.year - 18, 2, 28).isoformat()
    else:
        birth_date = today.replace(year=today.year - 18).isoformat()
    adult = member(api, group_id, birth_date)
    payload = api.ok(SIGN_UP, sign_up_input(api, program_id, "MENTEE", adult.token), adult.token)
    assert payload["signUp"]["status"] == "PENDING"


@pytest.mark.parametrize("who", ["pending-mentor", "pending-mentee", "matched-mentee"])
def test_sign_up_already_signed_up_in_that_role(api: Api, who: str) -> None:
    story = api.story()
    if who == "matched-mentee":
        api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    role = "MENTOR" if who == "pending-mentor" else "MENTEE"
    person = story.mentor if role == "MENTOR" else story.mentee
    sign_up = sign_up_input(api, story.program_id, role, person.token)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert only_code(errors) == "ALREADY_SIGNED_UP"


def test_sign_up_again_after_withdrawing_or_in_the_other_role_is_accepted(api: Api) -> None:
    story = api.story()
    api.ok(WITHDRAW_SIGN_UP, {"signUpId": story.mentee_sign_up}, story.mentee.token)
    api.sign_up(story.mentee, story.program_id, "MENTEE")
    api.sign_up(story.mentee, story.program_id, "MENTOR")


@pytest.mark.parametrize(
    ("role", "capacity"),
    [
        pytest.param("MENTOR", 0, id="mentor-0"),
        pytest.param("MENTOR", 6, id="mentor-6"),
        pytest.param("MENTOR", -1, id="mentor-negative"),
        pytest.param("MENTEE", 1, id="mentee-any"),
    ],
)
def test_sign_up_invalid_capacity(api: Api, role: str, capacity: int) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, role, person.token, capacity)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert problems(errors) == {("INVALID_CAPACITY", ("capacity",))}


@pytest.mark.parametrize("capacity", [None, 1, 5])
def test_sign_up_mentor_capacity_within_1_to_5_is_accepted(api: Api, capacity: int | None) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, "MENTOR", person.token, capacity)
    payload = api.ok(SIGN_UP, sign_up, person.token)
    assert payload["signUp"]["capacity"] == (capacity or 1)


def test_sign_up_missing_answer_when_the_question_is_left_out(api: Api) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, "MENTEE", person.token)
    required = {q["id"] for q in questions(api, story.program_id, person.token) if q["required"]}
    dropped = next(a for a in sign_up["answers"] if a["questionId"] in required)
    sign_up["answers"].remove(dropped)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert problems(errors) == {("MISSING_ANSWER", ("answers",))}


def test_sign_up_missing_answer_when_the_answer_is_blank(api: Api) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, "MENTEE", person.token)
    required = {q["id"] for q in questions(api, story.program_id, person.token) if q["required"]}
    index = next(i for i, a in enumerate(sign_up["answers"]) if i and a["questionId"] in required)
    sign_up["answers"][index]["value"] = "   "
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert problems(errors) == {("MISSING_ANSWER", ("answers", str(index), "value"))}


def test_sign_up_answer_of_5000_characters_is_accepted_and_5001_too_long(api: Api) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, "MENTOR", person.token)
    sign_up["answers"][1]["value"] = text(5001)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert problems(errors) == {("TOO_LONG", ("answers", "1", "value"))}
    sign_up["answers"][1]["value"] = text(5000)
    api.ok(SIGN_UP, sign_up, person.token)


def test_sign_up_reports_format_errors_together(api: Api) -> None:
    story = api.story()
    person = member(api, story.group_id)
    sign_up = sign_up_input(api, story.program_id, "MENTEE", person.token, capacity=2)
    sign_up["answers"][0]["value"] = ""
    sign_up["answers"][2]["value"] = text(5001)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    codes = problems(errors)
    assert ("INVALID_CAPACITY", ("capacity",)) in codes
    assert ("TOO_LONG", ("answers", "2", "value")) in codes
    assert ("MISSING_ANSWER", ("answers", "0", "value")) in codes
    assert len(errors) == 3


def test_sign_up_eligibility_comes_before_the_answers_format(api: Api) -> None:
    """Whether someone may sign up at all is checked before their answers: nobody fills
    in a form they could never send. An underage outsider on a closed program, with a
    bad capacity, hears that they are not a member; a 17-year-old member who left every
    answer empty hears UNDERAGE, not four MISSING_ANSWERs."""
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id)
    minor_birth_date = eighteenth_birthday_on(utc_today() + timedelta(days=30))
    minor = member(api, group_id, minor_birth_date)
    empty = sign_up_input(api, program_id, "MENTEE", admin.token)
    for answer in empty["answers"]:
        answer["value"] = ""
    errors = refused(api, SIGN_UP, empty, minor.token)
    assert [e["code"] for e in errors] == ["UNDERAGE"]
    outsider = api.person()
    assert [e["code"] for e in refused(api, SIGN_UP, empty, outsider.token)] == ["NOT_GROUP_MEMBER"]
    api.ok(CLOSE_PROGRAM, {"programId": program_id}, admin.token)
    stranger = api.person(birth_date=minor_birth_date)
    sign_up = sign_up_input(api, program_id, "MENTOR", admin.token, capacity=9)
    errors = refused(api, SIGN_UP, sign_up, stranger.token)
    assert problems(errors) == {("NOT_GROUP_MEMBER", ("programId",))}


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("outsider-on-a-draft", "NOT_GROUP_MEMBER"),
        ("minor-on-a-closed-program", "PROGRAM_NOT_OPEN"),
        ("signed-up-on-a-closed-program", "PROGRAM_NOT_OPEN"),
    ],
)
def test_sign_up_rule_checks_stop_at_the_first_in_contract_order(
    api: Api, scenario: str, expected: str
) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id, open=scenario != "outsider-on-a-draft")
    if scenario == "outsider-on-a-draft":
        person = api.person()
    elif scenario == "minor-on-a-closed-program":
        person = member(api, group_id, eighteenth_birthday_on(utc_today() + timedelta(days=1)))
    else:
        person = member(api, group_id)
        api.sign_up(person, program_id, "MENTEE")
    if scenario != "outsider-on-a-draft":
        api.ok(CLOSE_PROGRAM, {"programId": program_id}, admin.token)
    sign_up = sign_up_input(api, program_id, "MENTEE", admin.token)
    errors = refused(api, SIGN_UP, sign_up, person.token)
    assert only_code(errors) == expected


@pytest.mark.parametrize("state", ["matched-mentee", "matched-mentor", "withdrawn"])
def test_withdraw_sign_up_not_pending(api: Api, state: str) -> None:
    story = api.story()
    if state == "withdrawn":
        api.ok(WITHDRAW_SIGN_UP, {"signUpId": story.mentee_sign_up}, story.mentee.token)
    else:
        api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    person, sign_up_id = (
        (story.mentor, story.mentor_sign_up)
        if state == "matched-mentor"
        else (story.mentee, story.mentee_sign_up)
    )
    errors = refused(api, WITHDRAW_SIGN_UP, {"signUpId": sign_up_id}, person.token)
    assert only_code(errors) == "SIGN_UP_NOT_PENDING"


# --- pairing ---------------------------------------------------------------------------


def pair_input(mentor_sign_up: str, mentee_sign_up: str) -> dict:
    return {"mentorSignUpId": mentor_sign_up, "menteeSignUpId": mentee_sign_up}


def test_create_pair_wrong_role(api: Api) -> None:
    story = api.story()
    swapped = pair_input(story.mentee_sign_up, story.mentor_sign_up)
    errors = refused(api, CREATE_PAIR, swapped, story.admin.token)
    assert only_code(errors) == "WRONG_ROLE"


def test_create_pair_wrong_role_with_two_mentors(api: Api) -> None:
    story = api.story()
    other = member(api, story.group_id)
    other_mentor = api.sign_up(other, story.program_id, "MENTOR")
    errors = refused(
        api, CREATE_PAIR, pair_input(story.mentor_sign_up, other_mentor), story.admin.token
    )
    assert only_code(errors) == "WRONG_ROLE"


def test_create_pair_different_programs(api: Api) -> None:
    story = api.story()
    other_program = api.program(story.admin, story.group_id, template="SKILL_DEVELOPMENT")
    mentee_elsewhere = api.sign_up(story.mentee, other_program, "MENTEE")
    errors = refused(
        api, CREATE_PAIR, pair_input(story.mentor_sign_up, mentee_elsewhere), story.admin.token
    )
    assert only_code(errors) == "DIFFERENT_PROGRAMS"


def test_create_pair_same_person(api: Api) -> None:
    story = api.story()
    own_mentee_sign_up = api.sign_up(story.mentor, story.program_id, "MENTEE")
    errors = refused(
        api, CREATE_PAIR, pair_input(story.mentor_sign_up, own_mentee_sign_up), story.admin.token
    )
    assert only_code(errors) == "SAME_PERSON"


@pytest.mark.parametrize("who", ["mentor", "mentee"])
def test_create_pair_sign_up_withdrawn(api: Api, who: str) -> None:
    story = api.story()
    person, sign_up_id = (
        (story.mentor, story.mentor_sign_up)
        if who == "mentor"
        else (story.mentee, story.mentee_sign_up)
    )
    api.ok(WITHDRAW_SIGN_UP, {"signUpId": sign_up_id}, person.token)
    errors = refused(
        api, CREATE_PAIR, pair_input(story.mentor_sign_up, story.mentee_sign_up), story.admin.token
    )
    assert only_code(errors) == "SIGN_UP_WITHDRAWN"


@pytest.mark.parametrize("first_pair", ["active", "completed"])
def test_create_pair_mentee_already_paired(api: Api, first_pair: str) -> None:
    story, _ = completed_pair(api) if first_pair == "completed" else paired_story(api)
    second = member(api, story.group_id)
    second_mentor = api.sign_up(second, story.program_id, "MENTOR")
    errors = refused(
        api, CREATE_PAIR, pair_input(second_mentor, story.mentee_sign_up), story.admin.token
    )
    assert only_code(errors) == "MENTEE_ALREADY_PAIRED"


def test_create_pair_mentee_of_an_ended_pair_may_be_paired_again(api: Api) -> None:
    story, _ = ended_pair(api)
    second = member(api, story.group_id)
    second_mentor = api.sign_up(second, story.program_id, "MENTOR")
    assert api.pair(story.admin, second_mentor, story.mentee_sign_up)["status"] == "ACTIVE"


@pytest.mark.parametrize("capacity", [1, 2])
def test_create_pair_mentor_at_capacity(api: Api, capacity: int) -> None:
    story = api.story(mentor_capacity=capacity)
    api.pair(story.admin, story.mentor_sign_up, story.mentee_sign_up)
    for _ in range(capacity - 1):
        extra = api.sign_up(member(api, story.group_id), story.program_id, "MENTEE")
        api.pair(story.admin, story.mentor_sign_up, extra)
    waiting = api.sign_up(member(api, story.group_id), story.program_id, "MENTEE")
    errors = refused(api, CREATE_PAIR, pair_input(story.mentor_sign_up, waiting), story.admin.token)
    assert only_code(errors) == "MENTOR_AT_CAPACITY"


def test_create_pair_rule_checks_stop_at_the_first_in_contract_order(api: Api) -> None:
    """Each call breaks a rule and every later one: only the earliest is reported."""
    story = api.story()
    admin = story.admin
    other_program = api.program(admin, story.group_id, template="SKILL_DEVELOPMENT")
    # The mentor also signs up as a mentee, in another program and (then withdrawn) here.
    mentor_as_mentee_elsewhere = api.sign_up(story.mentor, other_program, "MENTEE")
    mentor_as_mentee_here = api.sign_up(story.mentor, story.program_id, "MENTEE")
    api.ok(WITHDRAW_SIGN_UP, {"signUpId": mentor_as_mentee_here}, story.mentor.token)

    calls = [
        # WRONG_ROLE before DIFFERENT_PROGRAMS and SAME_PERSON.
        (pair_input(mentor_as_mentee_elsewhere, story.mentor_sign_up), "WRONG_ROLE"),
        # DIFFERENT_PROGRAMS before SAME_PERSON.
        (pair_input(story.mentor_sign_up, mentor_as_mentee_elsewhere), "DIFFERENT_PROGRAMS"),
        # SAME_PERSON before SIGN_UP_WITHDRAWN.
        (pair_input(story.mentor_sign_up, mentor_as_mentee_here), "SAME_PERSON"),
    ]
    for call, expected in calls:
        assert only_code(refused(api, CREATE_PAIR, call, admin.token)) == expected

    # MENTEE_ALREADY_PAIRED before MENTOR_AT_CAPACITY: a paired mentee and a full mentor.
    api.pair(admin, story.mentor_sign_up, story.mentee_sign_up)
    errors = refused(
        api, CREATE_PAIR, pair_input(story.mentor_sign_up, story.mentee_sign_up), admin.token
    )
    assert only_code(errors) == "MENTEE_ALREADY_PAIRED"

    # SIGN_UP_WITHDRAWN before MENTEE_ALREADY_PAIRED: a withdrawn mentor, a paired mentee.
    quitter = member(api, story.group_id)
    withdrawn_mentor = api.sign_up(quitter, story.program_id, "MENTOR")
    api.ok(WITHDRAW_SIGN_UP, {"signUpId": withdrawn_mentor}, quitter.token)
    errors = refused(
        api, CREATE_PAIR, pair_input(withdrawn_mentor, story.mentee_sign_up), admin.token
    )
    assert only_code(errors) == "SIGN_UP_WITHDRAWN"


# --- pairs -----------------------------------------------------------------------------


def test_complete_milestone_pair_not_active_when_ended(api: Api) -> None:
    story, pair = ended_pair(api)
    milestone = {"milestoneId": pair["milestones"][0]["id"]}
    errors = refused(api, COMPLETE_MILESTONE, milestone, story.mentee.token)
    assert only_code(errors) == "PAIR_NOT_ACTIVE"


def test_complete_milestone_already_completed(api: Api) -> None:
    story, pair = paired_story(api)
    milestone = {"milestoneId": pair["milestones"][0]["id"]}
    api.ok(COMPLETE_MILESTONE, milestone, story.mentor.token)
    errors = refused(api, COMPLETE_MILESTONE, milestone, story.mentee.token)
    assert only_code(errors) == "ALREADY_COMPLETED"


def test_complete_milestone_of_a_completed_pair_is_pair_not_active_first(api: Api) -> None:
    story, pair = completed_pair(api)
    milestone = {"milestoneId": pair["milestones"][0]["id"]}
    errors = refused(api, COMPLETE_MILESTONE, milestone, story.mentor.token)
    assert only_code(errors) == "PAIR_NOT_ACTIVE"


@pytest.mark.parametrize("state", ["ended", "completed"])
def test_post_check_in_pair_not_active(api: Api, state: str) -> None:
    story, pair = ended_pair(api) if state == "ended" else completed_pair(api)
    errors = refused(api, POST_CHECK_IN, {"pairId": pair["id"], "body": "Hi"}, story.mentor.token)
    assert only_code(errors) == "PAIR_NOT_ACTIVE"


@pytest.mark.parametrize("body", ["", " \n\t "], ids=["empty", "whitespace"])
def test_post_check_in_blank_body(api: Api, body: str) -> None:
    story, pair = paired_story(api)
    errors = refused(api, POST_CHECK_IN, {"pairId": pair["id"], "body": body}, story.mentee.token)
    assert problems(errors) == {("BLANK", ("body",))}


def test_post_check_in_body_of_4000_characters_is_accepted_and_4001_too_long(api: Api) -> None:
    story, pair = paired_story(api)
    check_in = {"pairId": pair["id"], "body": text(4001)}
    errors = refused(api, POST_CHECK_IN, check_in, story.mentee.token)
    assert problems(errors) == {("TOO_LONG", ("body",))}
    payload = api.ok(POST_CHECK_IN, {**check_in, "body": text(4000)}, story.mentee.token)
    assert payload["checkIn"]["body"] == text(4000)


def test_post_check_in_format_error_skips_the_pair_status_check(api: Api) -> None:
    story, pair = ended_pair(api)
    errors = refused(api, POST_CHECK_IN, {"pairId": pair["id"], "body": "  "}, story.mentor.token)
    assert problems(errors) == {("BLANK", ("body",))}


@pytest.mark.parametrize("who", ["mentor", "mentee", "admin"])
def test_end_pair_pair_not_active_when_already_ended(api: Api, who: str) -> None:
    story, pair = ended_pair(api)
    person = {"mentor": story.mentor, "mentee": story.mentee, "admin": story.admin}[who]
    errors = refused(api, END_PAIR, {"pairId": pair["id"], "reason": "Again"}, person.token)
    assert only_code(errors) == "PAIR_NOT_ACTIVE"


def test_end_pair_pair_not_active_when_completed(api: Api) -> None:
    story, pair = completed_pair(api)
    errors = refused(api, END_PAIR, {"pairId": pair["id"]}, story.mentee.token)
    assert only_code(errors) == "PAIR_NOT_ACTIVE"


def test_end_pair_reason_of_500_characters_is_accepted_and_501_too_long(api: Api) -> None:
    story, pair = paired_story(api)
    errors = refused(api, END_PAIR, {"pairId": pair["id"], "reason": text(501)}, story.admin.token)
    assert problems(errors) == {("TOO_LONG", ("reason",))}
    payload = api.ok(END_PAIR, {"pairId": pair["id"], "reason": text(500)}, story.admin.token)
    assert payload["pair"]["status"] == "ENDED"
    assert payload["pair"]["endReason"] == text(500)


# --- matching (issue 6) ----------------------------------------------------------------

CREATE_PAIRS = """
mutation($input: CreatePairsInput!) {
  createPairs(input: $input) { pairs { id } signUps { id } userErrors { field message code } }
}"""
SET_MATCHING_WEIGHTS = """
mutation($input: SetMatchingWeightsInput!) {
  setMatchingWeights(input: $input) {
    program { id } matchingWeights { criterion } userErrors { field message code }
  }
}"""
CHOICE_QUESTIONS = """
query($id: ID!) { program(id: $id) { questions { id kind matchKey appliesTo } } }"""


def test_create_pairs_reports_the_failing_pair_and_writes_nothing(api: Api) -> None:
    story = api.story()
    other = api.sign_up(member(api, story.group_id), story.program_id, "MENTEE")
    pairs = [pair_input(story.mentor_sign_up, story.mentee_sign_up)] + [
        pair_input(story.mentor_sign_up, other)
    ]
    errors = refused(api, CREATE_PAIRS, {"pairs": pairs}, story.admin.token)
    assert problems(errors) == {("MENTOR_AT_CAPACITY", ("pairs", "1", "mentorSignUpId"))}


def test_create_pairs_rule_without_a_field_names_the_pair(api: Api) -> None:
    story = api.story()
    pairs = [pair_input(story.mentee_sign_up, story.mentor_sign_up)]
    errors = refused(api, CREATE_PAIRS, {"pairs": pairs}, story.admin.token)
    assert problems(errors) == {("WRONG_ROLE", ("pairs", "0"))}


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            [{"criterion": "height", "weight": 1}],
            ("UNKNOWN_CRITERION", ("weights", "0", "criterion")),
        ),
        ([{"criterion": "goals", "weight": -0.5}], ("INVALID_WEIGHT", ("weights", "0", "weight"))),
    ],
)
def test_set_matching_weights_codes(api: Api, weights: list[dict], expected: tuple) -> None:
    story = api.story()
    errors = refused(
        api,
        SET_MATCHING_WEIGHTS,
        {"programId": story.program_id, "weights": weights},
        story.admin.token,
    )
    assert problems(errors) == {expected}


def test_sign_up_invalid_choice(api: Api) -> None:
    story = api.story()
    newcomer = member(api, story.group_id)
    data = sign_up_input(api, story.program_id, "MENTEE", newcomer.token)
    kinds = api.data(CHOICE_QUESTIONS, {"id": story.program_id}, newcomer.token)
    topics = next(q["id"] for q in kinds["program"]["questions"] if q["matchKey"] == "topics")
    index = next(i for i, a in enumerate(data["answers"]) if a["questionId"] == topics)
    data["answers"][index]["value"] = '["Promotion", 3]'
    errors = refused(api, SIGN_UP, data, newcomer.token)
    assert problems(errors) == {("INVALID_CHOICE", ("answers", str(index), "value"))}


def test_update_program_invalid_options(api: Api) -> None:
    admin = api.person()
    group_id = api.group(admin)
    program_id = api.program(admin, group_id, open=False)
    question = {
        "prompt": "Pick one",
        "required": True,
        "appliesTo": ["MENTEE"],
        "kind": "SINGLE_CHOICE",
        "options": ["Only one"],
    }
    errors = refused(
        api, UPDATE_PROGRAM, {"programId": program_id, "questions": [question]}, admin.token
    )
    assert problems(errors) == {("INVALID_OPTIONS", ("questions", "0", "options"))}


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "in 1 second"), (45, "in 45 seconds"), (900, "in 15 minutes"), (7200, "in 2 hours")],
)
def test_waits_are_said_in_words(seconds: int, words: str) -> None:
    """ "Try again in 900 s." reads like a program talking to itself."""
    from api.ratelimit import RateLimited, wait_words

    assert wait_words(seconds) == words
    assert str(RateLimited(seconds)) == f"Too many requests. Try again {words}."
