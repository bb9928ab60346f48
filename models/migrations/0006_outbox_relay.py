"""The outbox relay and the notification log: `published_at` on pair events and
notifications (existing rows count as published), a gap-free `sequence` per person on
notifications (numbered in id order for existing rows) with its counter table, and
partial indexes on the unpublished rows, which keep the relay's idle query cheap."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class AddNotNullInteger(ops.AddField):
    """AddField for a NOT NULL integer column with a SQL DEFAULT, which a table with rows
    needs (Tortoise emits none, which SQLite refuses); a later step fills it in."""

    def __init__(self, model_name, name, field, table):
        super().__init__(model_name, name, field)
        self.table = table

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        await state_editor.client.execute_script(
            f'ALTER TABLE "{self.table}" ADD COLUMN "{self.name}" INTEGER NOT NULL DEFAULT 0'
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0005_idempotency_keys')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PairEvent',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Notification',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AddNotNullInteger(
            model_name='Notification',
            name='sequence',
            field=fields.IntField(description="Position in the person's notifications: 1, 2, 3..."),
            table='notifications',
        ),
        ops.CreateModel(
            name='NotificationCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_counter', on_delete=OnDelete.CASCADE)),
                ('last_sequence', fields.IntField()),
            ],
            options={'table': 'notification_counters', 'app': 'models', 'pk_attr': 'id', 'table_description': "The sequence of a person's latest notification."},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                # What exists was published (or is too old to matter) before the relay.
                'UPDATE "pair_events" SET "published_at" = "occurred_at"',
                'UPDATE "notifications" SET "published_at" = "created_at"',
                'UPDATE "notifications" SET "sequence" = (SELECT COUNT(*) FROM "notifications" AS "n" '
                'WHERE "n"."user_id" = "notifications"."user_id" AND "n"."id" <= "notifications"."id")',
                'INSERT INTO "notification_counters" ("user_id", "last_sequence") '
                'SELECT "user_id", MAX("sequence") FROM "notifications" GROUP BY "user_id"',
                'CREATE UNIQUE INDEX "uid_notificatio_user_id_sequence" ON "notifications" ("user_id", "sequence")',
                'CREATE INDEX "idx_pair_events_unpublished" ON "pair_events" ("id") WHERE "published_at" IS NULL',
                'CREATE INDEX "idx_notifications_unpublished" ON "notifications" ("id") WHERE "published_at" IS NULL',
            ]
        ),
    ]
