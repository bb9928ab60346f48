"""The one source of the current time, in UTC."""

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Ages and due dates are computed on the UTC date."""
    return now().date()
