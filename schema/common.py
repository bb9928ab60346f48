"""Shared GraphQL building blocks: Node, UserError, connections, the Info alias."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types import Info as StrawberryInfo
from tortoise.queryset import QuerySet

from api.context import Context
from api.errors import BadUserInput, DomainError
from models.base import FastQuery
from schema.enums import describe
from schema.ids import decode_cursor, encode_cursor, encode_id

Info = StrawberryInfo[Context, None]
T = TypeVar("T")

PAGE_DEFAULT = 20
PAGE_MAX = 100


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    model: strawberry.Private[Any]

    @strawberry.field(description="Opaque global ID; pass it back unchanged.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id(self.__strawberry_definition__.name, self.model.pk))  # type: ignore[attr-defined]


class _UserErrorCode(Enum):
    BLANK = "BLANK"
    TOO_LONG = "TOO_LONG"
    INVALID_EMAIL = "INVALID_EMAIL"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CAPACITY = "INVALID_CAPACITY"
    MISSING_ANSWER = "MISSING_ANSWER"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ALREADY_GROUP_MEMBER = "ALREADY_GROUP_MEMBER"
    NOT_GROUP_MEMBER = "NOT_GROUP_MEMBER"
    LAST_ADMIN = "LAST_ADMIN"
    GROUP_NOT_ELIGIBLE = "GROUP_NOT_ELIGIBLE"
    PROGRAM_NOT_DRAFT = "PROGRAM_NOT_DRAFT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PROGRAM_NOT_OPEN = "PROGRAM_NOT_OPEN"
    UNDERAGE = "UNDERAGE"
    ALREADY_SIGNED_UP = "ALREADY_SIGNED_UP"
    SIGN_UP_NOT_PENDING = "SIGN_UP_NOT_PENDING"
    WRONG_ROLE = "WRONG_ROLE"
    DIFFERENT_PROGRAMS = "DIFFERENT_PROGRAMS"
    SAME_PERSON = "SAME_PERSON"
    SIGN_UP_WITHDRAWN = "SIGN_UP_WITHDRAWN"
    MENTEE_ALREADY_PAIRED = "MENTEE_ALREADY_PAIRED"
    MENTOR_AT_CAPACITY = "MENTOR_AT_CAPACITY"
    PAIR_NOT_ACTIVE = "PAIR_NOT_ACTIVE"
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    BLOCKED = "BLOCKED"
    INVALID_CHOICE = "INVALID_CHOICE"
    INVALID_OPTIONS = "INVALID_OPTIONS"
    UNKNOWN_CRITERION = "UNKNOWN_CRITERION"
    INVALID_WEIGHT = "INVALID_WEIGHT"
    INVALID_BIRTH_DATE = "INVALID_BIRTH_DATE"


UserErrorCode = describe(
    _UserErrorCode,
    "Why a mutation refused a change the person can act on.",
    {
        "BLANK": "A required text is empty once trimmed.",
        "TOO_LONG": "A text is over its limit.",
        "INVALID_EMAIL": "Not an email address.",
        "WEAK_PASSWORD": "The password is under 10 characters.",
        "INVALID_CAPACITY": "A mentor's capacity is outside 1-5, or a mentee gave one.",
        "MISSING_ANSWER": "A required sign-up question has no answer.",
        "EMAIL_TAKEN": "An account with this email exists.",
        "INVALID_CREDENTIALS": "Wrong email or password.",
        "ALREADY_GROUP_MEMBER": "Already a member of the group.",
        "NOT_GROUP_MEMBER": "The person is not a member of the group.",
        "LAST_ADMIN": "The change would leave the group without an admin.",
        "GROUP_NOT_ELIGIBLE": "The group's category does not offer mentorship.",
        "PROGRAM_NOT_DRAFT": "Only a DRAFT program can be changed.",
        "INVALID_TRANSITION": "The program cannot move to that status from its current one.",
        "PROGRAM_NOT_OPEN": "The program is not taking sign-ups.",
        "UNDERAGE": "Mentorship is for people aged 18 and over.",
        "ALREADY_SIGNED_UP": "Already signed up in this role (and not withdrawn).",
        "SIGN_UP_NOT_PENDING": "Only a PENDING sign-up can be withdrawn.",
        "WRONG_ROLE": "The mentor sign-up is not a MENTOR's, or the mentee's not a MENTEE's.",
        "DIFFERENT_PROGRAMS": "The two sign-ups belong to different programs.",
        "SAME_PERSON": "Nobody can be paired with themselves.",
        "SIGN_UP_WITHDRAWN": "A sign-up was withdrawn.",
        "MENTEE_ALREADY_PAIRED": "The mentee already has a pair in this program.",
        "MENTOR_AT_CAPACITY": "The mentor has no free slot.",
        "PAIR_NOT_ACTIVE": "The pair is COMPLETED or ENDED.",
        "ALREADY_COMPLETED": "The milestone is already done.",
        "BLOCKED": "One of the two people has blocked the other: they cannot be paired.",
        "INVALID_CHOICE": "A choice answer is not a JSON list of strings, or a single-choice "
        "answer names more than one option.",
        "INVALID_OPTIONS": "A choice question needs 2 or more distinct options of 1-100 "
        "characters, without commas.",
        "UNKNOWN_CRITERION": "No matching criterion has that name.",
        "INVALID_WEIGHT": "A weight is outside 0-100, or every weight would be 0.",
        "INVALID_BIRTH_DATE": "A birth date in the future, or before 1900.",
    },
    name="UserErrorCode",
)


@strawberry.type(description="A product rule refused the change; nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field at fault, list indexes as strings; null if none."
    )
    message: str = strawberry.field(description="What went wrong, for a person to read.")
    code: UserErrorCode = strawberry.field(description="What went wrong, for a program.")  # type: ignore[valid-type]


@strawberry.type(description="The result of a mutation.")
class Payload:
    """Base of every mutation payload: the objects it changed, and `userErrors`."""

    user_errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing happened, if it didn't."
    )


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            field=list(p.field) if p.field is not None else None,
            message=p.message,
            code=UserErrorCode[p.code],  # type: ignore[index]
        )
        for p in error.problems
    ]


@strawberry.type(description="Where a page sits in its connection (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")


@strawberry.type(description="One item of a connection, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list that grows (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    query: strawberry.Private[QuerySet | FastQuery]

    @strawberry.field(description="How many items the whole list holds.")
    async def total_count(self) -> int:
        return await self.query.count()


def page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    """(size, backwards); rejects what a correct client never sends."""
    if first is not None and last is not None:
        raise BadUserInput("Pass `first` or `last`, not both.")
    size = first if first is not None else last
    if size is None:
        return PAGE_DEFAULT, False
    if size < 0:
        raise BadUserInput("`first` and `last` must not be negative.")
    if size > PAGE_MAX:
        raise BadUserInput(f"`first` and `last` are capped at {PAGE_MAX}.")
    return size, last is not None


async def paginate(
    query: QuerySet | FastQuery,
    wrap: Callable[[Any], T],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    newest_first: bool = False,
) -> Connection[T]:
    """Keyset pagination on the primary key: stable while items are added."""
    size, backwards = page_size(first, last)
    page = query
    if after is not None:
        pk = decode_cursor(after)
        page = page.filter(id__lt=pk) if newest_first else page.filter(id__gt=pk)
    if before is not None:
        pk = decode_cursor(before)
        page = page.filter(id__gt=pk) if newest_first else page.filter(id__lt=pk)
    descending = newest_first != backwards
    rows = await page.order_by("-id" if descending else "id").limit(size + 1) if size else []
    more = len(rows) > size
    rows = list(rows[:size])
    if backwards:
        rows.reverse()
    edges = [Edge(cursor=encode_cursor(row.pk), node=wrap(row)) for row in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if not backwards else before is not None,
            has_previous_page=more if backwards else after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        query=query,
    )


First = Annotated[
    int | None,
    strawberry.argument(description="Return the first n items (default 20, at most 100)."),
]
After = Annotated[str | None, strawberry.argument(description="Return items after this cursor.")]
Last = Annotated[
    int | None,
    strawberry.argument(description="Return the last n items (at most 100)."),
]
Before = Annotated[str | None, strawberry.argument(description="Return items before this cursor.")]
