"""Relay global IDs: opaque base64 of `Type:pk`."""

from __future__ import annotations

import base64
import binascii

from api.errors import BadUserInput, NotFound

_MAX_PK = 2**63 - 1


def encode_id(typename: str, pk: int) -> str:
    return base64.b64encode(f"{typename}:{pk}".encode()).decode()


def decode_id(raw: str) -> tuple[str, int]:
    """(type name, pk); an ID that cannot be decoded is BAD_USER_INPUT."""
    try:
        text = base64.b64decode(raw.encode("ascii"), validate=True).decode()
        typename, _, pk_text = text.partition(":")
        pk = int(pk_text)
    except (UnicodeError, binascii.Error, ValueError):
        raise BadUserInput(f"Malformed ID: {raw[:100]!r}.") from None
    if not typename or not pk_text.isdigit() or not 0 < pk <= _MAX_PK:
        raise BadUserInput(f"Malformed ID: {raw[:100]!r}.")
    return typename, pk


def pk_or_none(raw: str, typename: str) -> int | None:
    """The pk if `raw` names a `typename`; None if it names another type (reads: null)."""
    kind, pk = decode_id(raw)
    return pk if kind == typename else None


def pk_of(raw: str, typename: str) -> int:
    """The pk for a mutation argument; another type is NOT_FOUND."""
    pk = pk_or_none(raw, typename)
    if pk is None:
        raise NotFound()
    return pk


def encode_cursor(pk: int) -> str:
    return base64.b64encode(f"cursor:{pk}".encode()).decode()


def decode_cursor(raw: str) -> int:
    kind, pk = decode_id(raw)
    if kind != "cursor":
        raise BadUserInput(f"Malformed cursor: {raw[:100]!r}.")
    return pk
