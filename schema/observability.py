"""Every GraphQL operation, observed once: a log line and the Prometheus metrics.

`OperationObserver` is the observing part of the schema's one extension
(schema/pipeline.py), which records last, so it sees the result after the error codes
were given. It records the operation's name and type when execution starts
(only operations that passed validation reach that point, which is what bounds the
metric labels), and, when the operation ends (for a subscription: when it stops),
- logs operation_name, operation_type, operation_ms, outcome and error_codes: over
  HTTP on the request's access line (api/logs.py), over a websocket in a line of its
  own on `api.operations` (the request id comes with every record);
- counts it in `graphql_operations_total` and, for queries and mutations, observes
  `graphql_operation_duration_seconds`; a subscription is counted in
  `graphql_subscriptions_active` while it runs.

Outcome: `ok`; `user_error` when a mutation payload carries userErrors; otherwise the
`extensions.code` of the first top-level error (`BAD_USER_INPUT`, `UNAUTHENTICATED`...).
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api import logs, metrics

log = logging.getLogger("api.operations")

INVALID = "invalid"


def error_code(error: BaseException) -> str:
    """The code an operation that ended with `error` is counted under."""
    if isinstance(error, GraphQLError):
        return str((error.extensions or {}).get("code") or "BAD_USER_INPUT")
    if isinstance(error, InvalidOperationTypeError):
        return (
            "METHOD_NOT_ALLOWED"
            if error.operation_type is OperationType.MUTATION
            else "BAD_REQUEST"
        )
    if isinstance(error, MissingQueryError):  # `{"query": ""}`: answered 400 BAD_REQUEST
        return "BAD_REQUEST"
    return "INTERNAL_SERVER_ERROR"


def _has_user_errors(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    return any(isinstance(payload, dict) and payload.get("userErrors") for payload in data.values())


class OperationObserver(SchemaExtension):
    """The observer's state and its record of an operation; schema/pipeline.py's one
    extension runs its hooks (it notes the name and type in `on_execute`, and calls
    `_record` when the operation ends)."""

    def __init__(self, *, names: metrics.OperationNames) -> None:
        self.names = names
        self.operation_type: str | None = None
        self.label = INVALID
        self.subscribed = False

    def _record(self, seconds: float, raised: BaseException | None) -> None:
        if raised is not None:
            codes = [error_code(raised)]
            data = None
        else:
            result = self.execution_context.result
            errors = list(getattr(result, "errors", None) or [])
            if not errors:
                errors = list(self.execution_context.pre_execution_errors or [])
            codes = [error_code(error) for error in errors]
            data = getattr(result, "data", None)
        record(
            self.label,
            self.operation_type,
            self.execution_context.operation_name,
            seconds,
            codes,
            data,
        )


def record(  # noqa: PLR0913, PLR0917
    label: str,
    operation_type: str | None,
    name: str | None,
    seconds: float,
    codes: list[str],
    data: Any = None,
) -> None:
    """The operation's log line and metrics (for a live subscription: when it ends)."""
    if codes:
        outcome = codes[0]
    elif _has_user_errors(data):
        outcome = "user_error"
    else:
        outcome = "ok"
    operation_type = operation_type or "unknown"
    metrics.OPERATIONS.labels(label, operation_type, outcome).inc()
    if operation_type in ("query", "mutation"):
        metrics.OPERATION_SECONDS.labels(operation_type).observe(seconds)
    fields = {
        "operation_name": name[:200] if name else None,
        "operation_type": operation_type,
        "operation_ms": round(seconds * 1000, 2),
        "outcome": outcome,
        "error_codes": sorted(set(codes)),
    }
    if not logs.attach_to_access_line(fields):
        log.info("graphql %s %s: %s", operation_type, name or "anonymous", outcome, extra=fields)
