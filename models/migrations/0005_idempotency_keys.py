"""Idempotency keys: one row per user and `Idempotency-Key` of a mutation that wrote."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_matching_notifications")]

    initial = False

    operations = [
        ops.CreateModel(
            name="IdempotencyKey",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="idempotency_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "key",
                    fields.CharField(description="As sent: 1-255 printable ASCII.", max_length=255),
                ),
                (
                    "request_hash",
                    fields.CharField(
                        description="SHA-256 of the query, operation name and variables.",
                        max_length=64,
                    ),
                ),
                (
                    "created_at",
                    fields.DatetimeField(
                        description="Set by the transaction of the mutation.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "status",
                    fields.IntField(null=True, description="The HTTP status, null until the response is stored."),
                ),
                ("content_type", fields.CharField(null=True, max_length=100)),
                (
                    "body",
                    fields.TextField(
                        null=True, description="The response body, as sent.", unique=False
                    ),
                ),
            ],
            options={
                "table": "idempotency_keys",
                "app": "models",
                "unique_together": (("user", "key"),),
                "indexes": [Index(fields=["created_at"])],
                "pk_attr": "id",
                "table_description": "One `Idempotency-Key` a user sent with a mutation that "
                "wrote something.",
            },
            bases=["Model"],
        ),
    ]
