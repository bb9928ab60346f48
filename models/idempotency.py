"""Idempotency keys: a keyed mutation's key and, once it has answered, its response."""

from tortoise import fields

from models.base import FastModel


class IdempotencyKey(FastModel):
    """One `Idempotency-Key` a user sent with a mutation that wrote something.

    The row is inserted by the mutation's own transaction (api/services/transactions.py),
    so it exists exactly when the mutation committed; the response is added after the
    mutation answered. A retry within 24 hours gets that response. Rows past their 24
    hours are ignored, taken over by a new use of the key, and deleted by the reminder
    pass (api/reminders.py).
    """

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField(
        "models.User", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=255, description="As sent: 1-255 printable ASCII.")
    request_hash = fields.CharField(
        max_length=64, description="SHA-256 of the query, operation name and variables."
    )
    created_at = fields.DatetimeField(description="Set by the transaction of the mutation.")
    status = fields.IntField(
        null=True, description="The HTTP status, null until the response is stored."
    )
    content_type = fields.CharField(max_length=100, null=True)
    body = fields.TextField(null=True, description="The response body, as sent.")

    class Meta:
        table = "idempotency_keys"
        unique_together = (("user", "key"),)
        indexes = (("created_at",),)
