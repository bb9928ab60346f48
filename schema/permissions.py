"""Read-side visibility helpers for nested fields, through the request's loaders.

Top-level lookups go through `api.services.access`; this module answers the cheap
per-field questions (is this the viewer? what is the viewer's role here?) without a
query per item.
"""

from __future__ import annotations

from api.services.access import can_see_pair, can_see_program, is_pair_member
from models import Pair, Program, User
from models.enums import GroupRole
from schema.common import Info

__all__ = ["can_see_pair", "can_see_program", "is_pair_member", "is_viewer", "viewer_role"]


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


async def sees_program(info: Info, program: Program) -> bool:
    return can_see_program(program, await viewer_role(info, program.group_id))


async def sees_pair(info: Info, pair: Pair) -> bool:
    viewer = await info.context.viewer()
    if viewer is None:
        return False
    if is_pair_member(viewer.pk, pair):
        return True
    program = await info.context.loaders.programs.load(pair.program_id)
    return program is not None and can_see_pair(
        viewer.pk, pair, await viewer_role(info, program.group_id)
    )
