"""Read-side visibility helpers for nested fields, through the request's loaders.

Top-level lookups go through `api.services.access`; this module answers the cheap
per-field questions (is this the viewer? what is the viewer's role here?) without a
query per item.
"""

from __future__ import annotations

from api.services.access import is_pair_member
from models import User
from models.enums import GroupRole
from schema.common import Info

__all__ = ["is_group_admin", "is_pair_member", "is_viewer", "viewer_role"]


async def viewer_role(info: Info, group_id: int) -> GroupRole | None:
    if await info.context.viewer() is None:
        return None
    membership = await info.context.loaders.viewer_membership(group_id)
    return membership.role if membership else None


async def is_viewer(info: Info, user: User) -> bool:
    viewer = await info.context.viewer()
    return viewer is not None and viewer.pk == user.pk


async def is_group_admin(info: Info, group_id: int) -> bool:
    return await viewer_role(info, group_id) == GroupRole.ADMIN
