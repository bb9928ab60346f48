"""Notifications for one person, and the record of check-in reminders sent."""

from tortoise import fields

from models.base import FastModel
from models.enums import NotificationKind


class Notification(FastModel):
    """Something a person should know about: paired, pair ended or completed, a reminder."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32)
    pair = fields.ForeignKeyField(
        "models.Pair", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("user_id", "read_at"),)


class CheckInReminder(FastModel):
    """One weekly reminder of one overdue pair. The unique key is the guard that lets
    several workers run the reminder pass at once: the insert that wins sends it."""

    id = fields.IntField(primary_key=True)
    pair = fields.ForeignKeyField("models.Pair", related_name="reminders", on_delete=fields.CASCADE)
    due_at = fields.DatetimeField(description="When the check-in was due.")
    period = fields.IntField(description="Whole weeks overdue when it was sent: 0, 1, 2...")
    sent_at = fields.DatetimeField()

    class Meta:
        table = "check_in_reminders"
        unique_together = (("pair", "due_at", "period"),)
