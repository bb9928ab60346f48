"""Account safety: blocks between people, and failed sign-in attempts per email."""

from tortoise import fields

from models.base import FastModel


class Block(FastModel):
    """One person blocking another.

    The blocked person cannot be paired with the blocker again, and does not see the
    blocker's check-ins or sign-ups.
    """

    id = fields.IntField(primary_key=True)
    blocker = fields.ForeignKeyField(
        "models.User", related_name="blocks_made", on_delete=fields.CASCADE
    )
    blocked = fields.ForeignKeyField(
        "models.User", related_name="blocks_received", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocks"
        unique_together = (("blocker", "blocked"),)
        indexes = (("blocked_id",),)


class LoginThrottle(FastModel):
    """Failed sign-ins for one email, shared by every worker through the database.

    The email is stored only as its SHA-256 hash, whether or not an account uses it.
    `recent_failures` holds the times of the failures inside the sliding window (at
    most the allowed number). Reaching the limit sets `locked_until`, and until then
    every attempt is refused, whatever the password.
    """

    id = fields.IntField(primary_key=True)
    email_hash = fields.CharField(max_length=64, unique=True)
    recent_failures = fields.JSONField(default=list, description="ISO 8601 times, oldest first.")
    last_failure_at = fields.DatetimeField(description="Rows long past it are pruned.")
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "login_throttles"
        indexes = (("last_failure_at",),)
