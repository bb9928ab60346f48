"""Messages count and wait as a person says it (api/words.py): never "1 days",
"overdue by 0 days" or "900 s"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.words import count, span_words, wait_words


@pytest.mark.parametrize(
    ("number", "said"), [(0, "0 slots"), (1, "1 slot"), (2, "2 slots"), (12, "12 slots")]
)
def test_a_count_agrees_with_its_number(number: int, said: str) -> None:
    assert count(number, "slot") == said


def test_an_irregular_plural_is_given() -> None:
    assert (count(1, "child", "children"), count(3, "child", "children")) == (
        "1 child",
        "3 children",
    )


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=5), "1 minute"),
        (timedelta(minutes=40), "40 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=5, minutes=59), "5 hours"),
        (timedelta(days=1, hours=3), "1 day"),
        (timedelta(days=9), "9 days"),
    ],
)
def test_a_span_is_said_in_its_largest_whole_unit(span: timedelta, said: str) -> None:
    assert span_words(span) == said


def test_a_wait_of_a_minute_and_a_half_or_more_is_in_minutes() -> None:
    assert (wait_words(89), wait_words(90), wait_words(5400)) == (
        "in 89 seconds",
        "in 2 minutes",
        "in 2 hours",
    )
