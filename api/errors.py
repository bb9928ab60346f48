"""The error vocabulary of the API.

- `DomainError`: a product rule the person can act on; becomes a `UserError` in a payload.
- `ApiError` subclasses: top-level GraphQL errors with `extensions.code`. They are
  `GraphQLError`s so that Strawberry keeps their code and the masking lets them through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import GraphQLError


class ApiError(GraphQLError):
    code = "INTERNAL_SERVER_ERROR"
    default_message = "Unexpected error."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message, extensions={"code": self.code})


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    default_message = "Sign in first: send a valid bearer token."


class NotFound(ApiError):
    code = "NOT_FOUND"
    default_message = "No such object, or you cannot see it."


class Forbidden(ApiError):
    code = "FORBIDDEN"
    default_message = "You may not do this."


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"
    default_message = "Invalid input."


class SlowConsumer(ApiError):
    """A subscription that fell too far behind its live events and was ended."""

    code = "SLOW_CONSUMER"
    default_message = (
        "This subscription fell too far behind its live events and was ended. "
        "Resubscribe with your last cursor (pairEvents: `after` = the cursor of the last "
        "event you received) to catch up."
    )


class Unavailable(ApiError):
    """Live delivery is interrupted (the event broker went away or is not reachable)."""

    code = "UNAVAILABLE"
    default_message = (
        "Live event delivery is interrupted. Resubscribe with your last cursor "
        "(pairEvents: `after` = the cursor of the last event you received) to catch up."
    )


class DatabaseUnavailable(ApiError):
    """The database did not answer (restarting, unreachable, or over its time limit).

    Same code as a broken live delivery: the client's move is the same, retry shortly.
    A mutation cut off this way may or may not have been committed."""

    code = "UNAVAILABLE"
    default_message = (
        "The database is not answering right now. Retry in a few seconds; a mutation "
        "interrupted this way may or may not have been applied, so read before repeating it."
    )


class IdempotencyKeyReused(ApiError):
    """An `Idempotency-Key` already used for a different request (api/idempotency.py)."""

    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422  # the IETF httpapi draft's status for a key reused with another payload
    default_message = (
        "This Idempotency-Key was already used with a different operation or variables. "
        "Send a new key for a new request."
    )


class IdempotencyKeyInUse(ApiError):
    """The first request with this `Idempotency-Key` has not answered yet."""

    code = "IDEMPOTENCY_KEY_IN_USE"
    status = 409  # the draft's status for a concurrent request with the same key
    default_message = (
        "A request with this Idempotency-Key is still running. Retry with the same key "
        "in a moment to get its response."
    )


class IdempotencyResponseLost(ApiError):
    """The keyed mutation committed, but its response was never stored (the server
    stopped in between): retrying cannot get it, and must not run the mutation again."""

    code = "IDEMPOTENCY_RESPONSE_LOST"
    status = 409
    default_message = (
        "The mutation sent with this Idempotency-Key was carried out, but its response "
        "was lost. Read the current state instead of retrying."
    )


@dataclass(frozen=True)
class Problem:
    """One user-actionable problem: a `UserErrorCode` name, a message and the input path."""

    code: str
    message: str
    field: tuple[str, ...] | None = None


@dataclass
class DomainError(Exception):
    """Raised by services when a product rule refuses the change. Nothing was written."""

    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def one(cls, code: str, message: str, field: Sequence[str] | None = None) -> DomainError:
        return cls([Problem(code, message, tuple(field) if field is not None else None)])

    def __str__(self) -> str:
        return "; ".join(f"{p.code}: {p.message}" for p in self.problems)


def require(condition: object, code: str, message: str, field: Sequence[str] | None = None) -> None:
    """Refuse with one rule error unless `condition` holds."""
    if not condition:
        raise DomainError.one(code, message, field)
