"""Rate limits on mutations, per user and per IP."""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import SchemaExtension

from api.settings import Settings


def rate_limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    return []
