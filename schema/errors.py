"""How errors leave the server: expected ones keep their code, the rest are masked.

- An `ApiError` (UNAUTHENTICATED, NOT_FOUND, ...) keeps its message and code.
- A parse, validation or variable-coercion error gets BAD_USER_INPUT.
- A fault that says the database is unreachable or too slow (api/db.py's
  `is_database_outage`) gets UNAVAILABLE with a message saying to retry; it is logged as
  one warning line, not a traceback (an outage makes hundreds).
- Anything else is an unexpected fault: the client sees "Unexpected error." with
  INTERNAL_SERVER_ERROR; the details go to the server log, and only there.
"""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from api.db import is_database_outage
from api.errors import ApiError, DatabaseUnavailable

log = logging.getLogger("api.errors")


def is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class ErrorCodes(MaskErrors):
    """Give every error an `extensions.code`, masking the unexpected ones."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        outage = is_database_outage(error.original_error)
        return GraphQLError(
            message=DatabaseUnavailable.default_message if outage else self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": DatabaseUnavailable.code if outage else "INTERNAL_SERVER_ERROR"},
        )

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                original = error.original_error
                code = original.code if isinstance(original, ApiError) else "BAD_USER_INPUT"
                error.extensions = {**(error.extensions or {}), "code": code}
        return processed


def log_faults(errors: list[GraphQLError], operation_name: str | None) -> None:
    """Log only faults: rule and input errors are the client's business, not ours."""
    for error in errors:
        if is_unexpected(error) and is_database_outage(error.original_error):
            log.warning(
                "database unavailable in %s: %r",
                operation_name or "operation",
                error.original_error,
            )
        elif is_unexpected(error):
            log.error(
                "unexpected error in %s",
                operation_name or "operation",
                exc_info=error.original_error,
            )


class MentorshipSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_faults(errors, getattr(execution_context, "operation_name", None))
