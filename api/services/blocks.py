"""Blocking: one person stops all contact with another.

Blocking ends every ACTIVE pair the two share (a PAIR_ENDED event each, published
after commit, exactly as `endPair`), and from then on the two cannot be paired in
either direction (`createPair` answers BLOCKED) and the blocked person does not see
the blocker's check-ins or sign-ups (`api.services.access`). Blocking is idempotent
and silent: the ended pairs carry no reason, so the other person is not told why.
"""

from __future__ import annotations

from api.errors import BadUserInput
from api.services import access, pairs
from api.services.transactions import in_transaction
from models import Block, Pair, User


async def block_user(viewer: User, user_pk: int) -> tuple[User, list[Pair]]:
    """Block `user_pk`; returns the blocked user and the pairs this ended."""
    target = await access.visible_user(user_pk)  # any user; NOT_FOUND if there is none
    if target.pk == viewer.pk:
        # A correct client never offers it (see the report): not a userError.
        raise BadUserInput("You cannot block yourself.")
    async with in_transaction():
        # Serialised with `createPair` between the two: it either sees the block and
        # refuses, or its pair is committed before this and is ended here.
        await pairs.lock_users(viewer.pk, target.pk)
        if not await Block.filter(blocker_id=viewer.pk, blocked_id=target.pk).exists():
            await Block.create(blocker_id=viewer.pk, blocked_id=target.pk)
        endings = await pairs.end_active_pairs(
            viewer.pk, ended_by_pk=viewer.pk, reason=None, other_pk=target.pk
        )
    await endings.publish()
    ended = await Pair.filter(pk__in=endings.pair_pks).order_by("id")
    return target, list(ended)


async def blocks_made(user_pk: int) -> list[Block]:
    return await Block.filter(blocker_id=user_pk).order_by("id")
