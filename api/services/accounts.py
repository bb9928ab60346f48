"""Registering, signing in and out, and the account's safety and privacy.

- Failed sign-ins are counted per email in the database (`LoginThrottle`), so the limit
  holds across workers: after `login_failures_allowed` failures within
  `login_failure_window_s`, every attempt for that email is refused for
  `login_lockout_s` with a top-level RATE_LIMITED error (and `retryAfter`), whatever the
  password, and whether or not an account uses the email. A successful sign-in clears
  the count. `changePassword` and `deleteAccount` check the current password through the
  same counter, so a stolen token cannot be used to guess it either.
- `changePassword` keeps the current session and revokes every other one.
- `deleteAccount` erases the person's data and keeps an anonymous "Deleted user" row, so
  that the check-ins they wrote stay readable for the other member of their pairs.
- `export_my_data` gathers everything stored about the viewer.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery

from api import auth
from api.clock import now, today
from api.errors import DomainError, require
from api.ratelimit import RateLimited
from api.services import pairs
from api.services.transactions import in_transaction
from api.settings import Settings
from api.validation import EMAIL_MAX, NAME_MAX, FormatChecker
from api.words import wait_words
from models import (
    Answer,
    AuthToken,
    Block,
    CheckIn,
    Group,
    GroupMembership,
    LoginThrottle,
    Milestone,
    Notification,
    Pair,
    SignUp,
    User,
)
from models.enums import GroupRole, SignUpStatus

_EMAIL_TAKEN = "An account with this email already exists."
_WRONG_PASSWORD = "Wrong password."
_LOCKED = "Too many failed sign-in attempts. Try again {wait}."

DELETED_NAME = "Deleted user"
DELETED_EMAIL_DOMAIN = "deleted.invalid"  # RFC 2606: never routable
DELETED_BIRTH_DATE = date(1900, 1, 1)
UNUSABLE_PASSWORD_HASH = "!deleted"  # not an argon2 hash: verifies nothing
DELETED_PAIR_REASON = "The other member deleted their account."

IdOf = Callable[[str, int], str]


async def register(
    email: str, password: str, name: str, birth_date: date, token_ttl_days: int
) -> tuple[str, User]:
    check = FormatChecker()
    email = check.email(email, ["email"])
    check.password(password, ["password"])
    name = check.text(name, ["name"], NAME_MAX)
    check.birth_date(birth_date, ["birthDate"], today())
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


# --- failed sign-ins ---------------------------------------------------------------------


def _email_key(email: str) -> str:
    """The throttle's key: the normalised email's hash (the email itself is not stored)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def _refuse_if_locked(key: str) -> None:
    at = now()
    row = await LoginThrottle.get_or_none(email_hash=key)
    if row is not None and row.locked_until is not None and row.locked_until > at:
        wait = (row.locked_until - at).total_seconds()
        raise RateLimited(wait, _LOCKED.format(wait=wait_words(wait)))


async def _record_failure(key: str, settings: Settings) -> None:
    """Count one failure in the sliding window; the one that reaches the limit locks."""
    at = now()
    window_start = at - timedelta(seconds=settings.login_failure_window_s)
    async with in_transaction():
        # Make sure the row exists (racing workers: one insert wins), then lock it.
        await LoginThrottle.bulk_create(
            [LoginThrottle(email_hash=key, recent_failures=[], last_failure_at=at)],
            ignore_conflicts=True,
        )
        row = await LoginThrottle.filter(email_hash=key).select_for_update().get()
        if row.locked_until is not None and row.locked_until <= at:  # a lockout ran out
            row.recent_failures, row.locked_until = [], None
        recent = [t for t in row.recent_failures if datetime.fromisoformat(t) > window_start]
        recent.append(at.isoformat())
        if len(recent) >= settings.login_failures_allowed:
            row.locked_until = at + timedelta(seconds=settings.login_lockout_s)
            recent = []
        row.recent_failures, row.last_failure_at = recent, at
        await row.save(update_fields=["recent_failures", "last_failure_at", "locked_until"])
    # Rows that can neither be locked nor hold a failure inside the window any more.
    forgotten = max(settings.login_failure_window_s, settings.login_lockout_s)
    await LoginThrottle.filter(last_failure_at__lt=at - timedelta(seconds=forgotten)).delete()


async def _check_password(
    user: User | None, email: str, password: str, settings: Settings, field: list[str] | None
) -> User:
    """The throttled password check shared by login, changePassword and deleteAccount."""
    key = _email_key(email)
    await _refuse_if_locked(key)
    ok = await auth.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        await _record_failure(key, settings)
        message = "Wrong email or password." if field is None else _WRONG_PASSWORD
        raise DomainError.one("INVALID_CREDENTIALS", message, field)
    await LoginThrottle.filter(email_hash=key).delete()
    return user


async def login(email: str, password: str, settings: Settings) -> tuple[str, User]:
    """Sign in. Refused with RATE_LIMITED while the email is locked out, whatever the
    password; an unknown email fails exactly like a wrong password."""
    normalized = email.strip().lower()
    # No account has an over-long email; the ORM would refuse to even look it up.
    user = await User.get_or_none(email=normalized) if len(normalized) <= EMAIL_MAX else None
    user = await _check_password(user, email, password, settings, None)
    return await auth.issue_token(user, settings.token_ttl_days), user


async def logout(viewer: User, token_hash: str | None, all_sessions: bool) -> int:
    """Revoke the current token, or every live token of the viewer."""
    tokens = AuthToken.filter(user_id=viewer.pk, revoked_at=None)
    if not all_sessions:
        tokens = tokens.filter(token_hash=token_hash or "")
    async with in_transaction():  # so that it records the idempotency key
        return await tokens.update(revoked_at=now())


# --- changing the password ---------------------------------------------------------------


async def change_password(
    viewer: User,
    token_hash: str | None,
    current_password: str,
    new_password: str,
    settings: Settings,
) -> tuple[User, int]:
    """Set a new password and revoke every other session; the current one stays.

    Returns the viewer and how many tokens were revoked. The format check (WEAK_PASSWORD)
    comes before the rule check (INVALID_CREDENTIALS), as in every mutation.
    """
    check = FormatChecker()
    check.password(new_password, ["newPassword"])
    check.done()
    user = await User.get(pk=viewer.pk)
    await _check_password(user, user.email, current_password, settings, ["currentPassword"])
    password_hash = await auth.hash_password(new_password)
    async with in_transaction():
        await User.filter(pk=user.pk).update(password_hash=password_hash)
        others = AuthToken.filter(user_id=user.pk, revoked_at=None)
        if token_hash is not None:
            others = others.exclude(token_hash=token_hash)
        revoked = await others.update(revoked_at=now())
    await user.refresh_from_db()
    return user, revoked


# --- deleting the account ----------------------------------------------------------------


async def delete_account(viewer: User, password: str, settings: Settings) -> None:
    """Erase the viewer's personal data, in one transaction.

    Kept, anonymised: the user row (name "Deleted user", a unique placeholder email at
    `deleted.invalid`, an unusable password hash, a neutral birth date), so that the
    check-ins they wrote and the milestones they completed still show, by "Deleted
    user", to the other member of their pairs. Their ACTIVE pairs end (PAIR_ENDED,
    published after commit), their PENDING sign-ups are withdrawn and every answer they
    gave is deleted; their memberships, sessions, blocks they made and failed sign-in
    count are deleted. A group whose last admin they were gets its longest-standing
    member as admin (the contract has no userError for it, and the group must not be
    left without one); a group they were alone in is left with no members.
    """
    user = await User.get(pk=viewer.pk)
    await _check_password(user, user.email, password, settings, ["password"])
    old_email_key = _email_key(user.email)
    at = now()
    async with in_transaction():
        await pairs.lock_users(user.pk)
        endings = await pairs.end_active_pairs(
            user.pk, ended_by_pk=user.pk, reason=DELETED_PAIR_REASON
        )
        # The other members are told; the deleted account keeps no notifications.
        endings.notifications = [n for n in endings.notifications if n.user_id != user.pk]
        await Notification.filter(user_id=user.pk).delete()
        sign_up_ids = await SignUp.filter(user_id=user.pk).values_list("id", flat=True)
        await Answer.filter(sign_up_id__in=list(sign_up_ids)).delete()
        await SignUp.filter(user_id=user.pk, status=SignUpStatus.PENDING, live=True).update(
            status=SignUpStatus.WITHDRAWN, live=None, withdrawn_at=at
        )
        await _leave_every_group(user.pk)
        await Block.filter(blocker_id=user.pk).delete()
        await AuthToken.filter(user_id=user.pk).delete()
        await LoginThrottle.filter(email_hash=old_email_key).delete()
        await User.filter(pk=user.pk).update(
            name=DELETED_NAME,
            email=f"deleted-{user.pk}-{secrets.token_hex(8)}@{DELETED_EMAIL_DOMAIN}",
            password_hash=UNUSABLE_PASSWORD_HASH,
            birth_date=DELETED_BIRTH_DATE,
        )
    await endings.publish()


async def _leave_every_group(user_pk: int) -> None:
    """Remove every membership; hand a group whose last admin this was to its
    longest-standing remaining member."""
    memberships = await GroupMembership.filter(user_id=user_pk).order_by("group_id")
    for membership in memberships:
        group_pk = membership.group_id
        await Group.filter(pk=group_pk).select_for_update().first()  # as leaveGroup does
        if membership.role == GroupRole.ADMIN:
            admins = GroupMembership.filter(group_id=group_pk, role=GroupRole.ADMIN)
            if not await admins.exclude(user_id=user_pk).exists():
                heir = (
                    await GroupMembership.filter(group_id=group_pk)
                    .exclude(user_id=user_pk)
                    .order_by("joined_at", "id")
                    .first()
                )
                if heir is not None:
                    await GroupMembership.filter(pk=heir.pk).update(role=GroupRole.ADMIN)
        await GroupMembership.filter(pk=membership.pk).delete()
        await Group.filter(pk=group_pk).update(member_count=F("member_count") - 1)


# --- exporting the data ------------------------------------------------------------------


def _time(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_my_data(viewer: User, token_hash: str | None, id_of: IdOf) -> dict[str, Any]:
    """Everything stored about the viewer, as JSON-ready data, in a fixed number of queries.

    Other people appear only as `{id, name}`; check-ins are those of the viewer's own
    pairs, less those written by someone who blocked the viewer. Password and token
    hashes are left out: sessions are listed by their dates.
    """
    user = await User.get(pk=viewer.pk)
    people: dict[int, str] = {user.pk: user.name}

    def person(pk: int | None) -> dict[str, str] | None:
        return {"id": id_of("User", pk), "name": people.get(pk, DELETED_NAME)} if pk else None

    tokens = await AuthToken.filter(user_id=user.pk).order_by("id")
    memberships = (
        await GroupMembership.filter(user_id=user.pk).select_related("group").order_by("id")
    )
    sign_ups = await SignUp.filter(user_id=user.pk).select_related("program").order_by("id")
    answers = (
        await Answer.filter(sign_up_id__in=[s.pk for s in sign_ups])
        .select_related("question")
        .order_by("sign_up_id", "question_id")
    )
    my_pairs = (
        await Pair.filter(Q(mentor_id=user.pk) | Q(mentee_id=user.pk))
        .select_related("program")
        .order_by("id")
    )
    pair_ids = [p.pk for p in my_pairs]
    milestones = await Milestone.filter(pair_id__in=pair_ids).order_by("pair_id", "position")
    blockers = Block.filter(blocked_id=user.pk).values("blocker_id")
    check_ins = (
        await CheckIn.filter(pair_id__in=pair_ids)
        .exclude(author_id__in=Subquery(blockers))
        .order_by("id")
    )
    blocks = await Block.filter(blocker_id=user.pk).order_by("id")
    others = {p.mentor_id for p in my_pairs} | {p.mentee_id for p in my_pairs}
    others |= {p.ended_by_id for p in my_pairs if p.ended_by_id}
    others |= {m.completed_by_id for m in milestones if m.completed_by_id}
    others |= {c.author_id for c in check_ins} | {b.blocked_id for b in blocks}
    others.discard(user.pk)
    if others:
        people.update(await User.filter(pk__in=list(others)).values_list("id", "name"))
    throttle = await LoginThrottle.get_or_none(email_hash=_email_key(user.email))

    answers_of: dict[int, list[dict[str, Any]]] = {}
    for answer in answers:
        answers_of.setdefault(answer.sign_up_id, []).append(
            {
                "question": {
                    "id": id_of("SignUpQuestion", answer.question_id),
                    "prompt": answer.question.prompt,
                },
                "value": answer.value,
            }
        )
    milestones_of: dict[int, list[dict[str, Any]]] = {}
    for milestone in milestones:
        milestones_of.setdefault(milestone.pair_id, []).append(
            {
                "id": id_of("Milestone", milestone.pk),
                "position": milestone.position,
                "kind": milestone.kind.value,
                "title": milestone.title,
                "description": milestone.description,
                "completedAt": _time(milestone.completed_at),
                "completedBy": person(milestone.completed_by_id),
            }
        )
    check_ins_of: dict[int, list[dict[str, Any]]] = {}
    for check_in in check_ins:
        check_ins_of.setdefault(check_in.pair_id, []).append(
            {
                "id": id_of("CheckIn", check_in.pk),
                "author": person(check_in.author_id),
                "writtenByYou": check_in.author_id == user.pk,
                "body": check_in.body,
                "createdAt": _time(check_in.created_at),
            }
        )
    return {
        "exportedAt": _time(now()),
        "profile": {
            "id": id_of("User", user.pk),
            "email": user.email,
            "name": user.name,
            "birthDate": _time(user.birth_date),
            "createdAt": _time(user.created_at),
        },
        "sessions": [
            {
                "createdAt": _time(token.created_at),
                "expiresAt": _time(token.expires_at),
                "revokedAt": _time(token.revoked_at),
                "current": token.token_hash == token_hash,
            }
            for token in tokens
        ],
        "failedSignIns": {
            "recent": len(throttle.recent_failures) if throttle else 0,
            "lockedUntil": _time(throttle.locked_until) if throttle else None,
        },
        "memberships": [
            {
                "id": id_of("GroupMembership", m.pk),
                "group": {"id": id_of("Group", m.group_id), "name": m.group.name},
                "role": m.role.value,
                "joinedAt": _time(m.joined_at),
            }
            for m in memberships
        ],
        "signUps": [
            {
                "id": id_of("SignUp", s.pk),
                "program": {"id": id_of("Program", s.program_id), "title": s.program.title},
                "role": s.role.value,
                "status": s.status.value,
                "capacity": s.capacity if s.role.value == "MENTOR" else None,
                "createdAt": _time(s.created_at),
                "withdrawnAt": _time(s.withdrawn_at),
                "answers": answers_of.get(s.pk, []),
            }
            for s in sign_ups
        ],
        "pairs": [
            {
                "id": id_of("Pair", p.pk),
                "program": {"id": id_of("Program", p.program_id), "title": p.program.title},
                "role": "MENTOR" if p.mentor_id == user.pk else "MENTEE",
                "mentor": person(p.mentor_id),
                "mentee": person(p.mentee_id),
                "status": p.status.value,
                "createdAt": _time(p.created_at),
                "completedAt": _time(p.completed_at),
                "endedAt": _time(p.ended_at),
                "endedBy": person(p.ended_by_id),
                "endReason": p.end_reason,
                "milestones": milestones_of.get(p.pk, []),
                "checkIns": check_ins_of.get(p.pk, []),
            }
            for p in my_pairs
        ],
        "blocks": [
            {"user": person(b.blocked_id), "createdAt": _time(b.created_at)} for b in blocks
        ],
    }
