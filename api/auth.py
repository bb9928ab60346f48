"""Passwords (argon2) and opaque bearer tokens (stored only as SHA-256 hashes)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.connection import connections

from api.clock import now
from models import AuthToken, User

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown email as slow as a real one.
_dummy_hash = _hasher.hash("not-a-real-password")


def configure_hashing(time_cost: int, memory_kib: int) -> None:
    """Set argon2's cost (settings: PASSWORD_HASH_TIME_COST, PASSWORD_HASH_MEMORY_KIB).
    Existing hashes keep verifying: argon2 stores its parameters in each hash."""
    global _hasher, _dummy_hash
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        _dummy_hash = _hasher.hash("not-a-real-password")


async def hash_password(password: str) -> str:
    """Hash off the event loop: argon2 is deliberately slow."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(_verify)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(user: User, ttl_days: int) -> str:
    """Create a session token; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    await AuthToken.create(
        user=user, token_hash=hash_token(token), expires_at=now() + timedelta(days=ttl_days)
    )
    return token


# Every authenticated request runs this: one prepared statement, not a query built by the
# ORM each time (that building was about a third of a check-in's CPU; bench/).
_TOKEN_USER_SQL = (
    'SELECT "users".* FROM "auth_tokens" JOIN "users" ON "users"."id" = "auth_tokens"."user_id" '
    'WHERE "auth_tokens"."token_hash" = {} AND "auth_tokens"."revoked_at" IS NULL '
    'AND "auth_tokens"."expires_at" > {} LIMIT 1'
)
_PLACEHOLDERS = {"postgres": ("$1", "$2"), "sqlite": ("?", "?")}


async def user_for_token(token: str) -> User | None:
    """The user a live (unexpired, unrevoked) token belongs to, or None."""
    connection = connections.get("default")
    marks = _PLACEHOLDERS[connection.capabilities.dialect]  # the two backends we run on
    # The same value the ORM would compare with (SQLite stores datetimes as text).
    expires_after = AuthToken._meta.fields_map["expires_at"].to_db_value(now(), AuthToken)
    rows = await connection.execute_query_dict(
        _TOKEN_USER_SQL.format(*marks), [hash_token(token), expires_after]
    )
    return User._init_from_db(**rows[0]) if rows else None


def bearer_token(header: str | None) -> str | None:
    """The token from an `Authorization: Bearer <token>` value, or None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
