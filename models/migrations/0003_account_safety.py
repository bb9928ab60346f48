"""Account safety: blocks between people, and failed sign-ins per email (login lockout)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0002_pair_events")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Block",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "blocker",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="blocker_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="blocks_made",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "blocked",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="blocked_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="blocks_received",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "blocks",
                "app": "models",
                "unique_together": (("blocker", "blocked"),),
                "indexes": [Index(fields=["blocked_id"])],
                "pk_attr": "id",
                "table_description": "One person blocking another.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginThrottle",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("email_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "recent_failures",
                    fields.JSONField(default=list, description="ISO 8601 times, oldest first."),
                ),
                (
                    "last_failure_at",
                    fields.DatetimeField(
                        description="Rows long past it are pruned.",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                (
                    "locked_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "login_throttles",
                "app": "models",
                "indexes": [Index(fields=["last_failure_at"])],
                "pk_attr": "id",
                "table_description": "Failed sign-ins for one email, shared by every worker "
                "through the database.",
            },
            bases=["Model"],
        ),
    ]
