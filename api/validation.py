"""Format checks on input: collected together, reported together (docs/client-guide.md, Errors)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from api.errors import DomainError, Problem

NAME_MAX = 100
TITLE_MAX = 200
TEXT_MAX = 5000
CHECK_IN_MAX = 4000
REASON_MAX = 500
PASSWORD_MIN = 10
EMAIL_MAX = 254
BIRTH_DATE_MIN = date(1900, 1, 1)
LIST_MAX = 100

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FormatChecker:
    """Collects format problems; `done()` raises them all at once, if any."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, field: Sequence[str] | None) -> None:
        self.problems.append(Problem(code, message, tuple(field) if field is not None else None))

    def text(
        self, value: str | None, field: Sequence[str], max_length: int, *, required: bool = True
    ) -> str | None:
        """Trim a text input; report BLANK or TOO_LONG. Returns the trimmed value."""
        if value is None:
            if required:
                self.add("BLANK", f"{field[-1]} must not be blank.", field)
            return None
        trimmed = value.strip()
        if required and not trimmed:
            self.add("BLANK", f"{field[-1]} must not be blank.", field)
        elif len(trimmed) > max_length:
            self.add("TOO_LONG", f"{field[-1]} must be at most {max_length} characters.", field)
        return trimmed

    def email(self, value: str, field: Sequence[str]) -> str:
        email = value.strip().lower()
        if len(email) > EMAIL_MAX or not _EMAIL.match(email):
            self.add("INVALID_EMAIL", "Enter a valid email address.", field)
        return email

    def password(self, value: str, field: Sequence[str]) -> None:
        if len(value) < PASSWORD_MIN:
            self.add(
                "WEAK_PASSWORD", f"Use a password of at least {PASSWORD_MIN} characters.", field
            )

    def birth_date(self, value: date, field: Sequence[str], today: date) -> None:
        """A birth date someone could have: not in the future, not before 1900."""
        if value > today or value < BIRTH_DATE_MIN:
            earliest = BIRTH_DATE_MIN.year
            message = f"Enter your birth date: not in the future, nor before {earliest}."
            self.add("INVALID_BIRTH_DATE", message, field)

    def done(self) -> None:
        if self.problems:
            raise DomainError(self.problems)
