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
    sequence = fields.IntField(description="Position in the person's notifications: 1, 2, 3...")
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)
    # Null until handed to the broker (see PairEvent.published_at).
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("user_id", "read_at"),)
        unique_together = (("user", "sequence"),)


class NotificationCounter(FastModel):
    """The sequence of a person's latest notification. Incremented in the transaction
    that stores the notification: the row stays locked until it commits, so sequences
    rise without gaps (the rule `Pair.event_count` keeps for pair events). A row of its
    own, not a column of `users`: the services lock users before pairs, but a pair's
    change notifies after locking the pair, so a lock on the user row there could
    deadlock; only notifying ever locks this row."""

    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField(
        "models.User", related_name="notification_counter", on_delete=fields.CASCADE
    )
    last_sequence = fields.IntField()

    class Meta:
        table = "notification_counters"


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
