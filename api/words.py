"""Numbers and waits said as a person says them, for messages people read: "1 day",
"2 days", "in 15 minutes". One place, so no message says "1 days" or "900 s"."""

from __future__ import annotations

import math
from datetime import timedelta


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`count(1, "day")` is "1 day"; `count(3, "day")` is "3 days"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def wait_words(seconds: float) -> str:
    """A wait as a person says it: "in 45 seconds", "in 15 minutes", "in 2 hours"."""
    whole = max(1, math.ceil(seconds))
    if whole < 90:
        return f"in {count(whole, 'second')}"
    minutes = round(whole / 60)
    if minutes < 90:
        return f"in {count(minutes, 'minute')}"
    return f"in {count(round(whole / 3600), 'hour')}"


def span_words(span: timedelta) -> str:
    """A past span in its largest whole unit: "40 minutes", "5 hours", "3 days"."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 3600:
        return count(max(1, seconds // 60), "minute")
    if seconds < 86400:
        return count(seconds // 3600, "hour")
    return count(seconds // 86400, "day")
