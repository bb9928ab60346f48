"""Registering, signing in and out."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api import auth
from api.clock import now
from api.errors import DomainError, require
from api.validation import NAME_MAX, FormatChecker
from models import AuthToken, User

_EMAIL_TAKEN = "An account with this email already exists."


async def register(
    email: str, password: str, name: str, birth_date: date, token_ttl_days: int
) -> tuple[str, User]:
    check = FormatChecker()
    email = check.email(email, ["email"])
    check.password(password, ["password"])
    name = check.text(name, ["name"], NAME_MAX)
    check.done()
    require(not await User.filter(email=email).exists(), "EMAIL_TAKEN", _EMAIL_TAKEN, ["email"])
    password_hash = await auth.hash_password(password)
    try:
        async with in_transaction():
            user = await User.create(
                email=email, name=name, password_hash=password_hash, birth_date=birth_date
            )
            token = await auth.issue_token(user, token_ttl_days)
    except IntegrityError:  # a racing registration took the email first
        raise DomainError.one("EMAIL_TAKEN", _EMAIL_TAKEN, ["email"]) from None
    return token, user


async def login(email: str, password: str, token_ttl_days: int) -> tuple[str, User]:
    user = await User.get_or_none(email=email.strip().lower())
    ok = await auth.verify_password(user.password_hash if user else None, password)
    require(user is not None and ok, "INVALID_CREDENTIALS", "Wrong email or password.")
    assert user is not None
    return await auth.issue_token(user, token_ttl_days), user


async def logout(viewer: User, token_hash: str | None, all_sessions: bool) -> int:
    """Revoke the current token, or every live token of the viewer."""
    tokens = AuthToken.filter(user_id=viewer.pk, revoked_at=None)
    if not all_sessions:
        tokens = tokens.filter(token_hash=token_hash or "")
    return await tokens.update(revoked_at=now())
