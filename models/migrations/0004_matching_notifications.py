"""Matching weights, question kinds and options, notifications, check-in reminders."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import NotificationKind, QuestionKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class AddColumnWithDefault(ops.AddField):
    """AddField whose column gets a SQL DEFAULT, so tables with rows can take a NOT NULL
    column (Tortoise emits none, which SQLite refuses on a non-empty table)."""

    def __init__(self, model_name, name, field, sql):
        super().__init__(model_name, name, field)
        self.sql = sql

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        dialect = state_editor.client.capabilities.dialect
        await state_editor.client.execute_script(
            f'ALTER TABLE "sign_up_questions" ADD COLUMN "{self.name}" {self.sql[dialect]}'
        )


class Migration(migrations.Migration):
    dependencies = [('models', '0003_account_safety')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CheckInReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pair', fields.ForeignKeyField('models.Pair', source_field='pair_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('due_at', fields.DatetimeField(description='When the check-in was due.', auto_now=False, auto_now_add=False)),
                ('period', fields.IntField(description='Whole weeks overdue when it was sent: 0, 1, 2...')),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'check_in_reminders', 'app': 'models', 'unique_together': (('pair', 'due_at', 'period'),), 'pk_attr': 'id', 'table_description': 'One weekly reminder of one overdue pair.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MatchingWeight',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('program', fields.ForeignKeyField('models.Program', source_field='program_id', db_constraint=True, to_field='id', related_name='matching_weights', on_delete=OnDelete.CASCADE)),
                ('criterion', fields.CharField(max_length=32)),
                ('weight', fields.FloatField()),
            ],
            options={'table': 'matching_weights', 'app': 'models', 'unique_together': (('program', 'criterion'),), 'pk_attr': 'id', 'table_description': "The weight of one criterion in one program (criteria without a row use the default)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='PAIRED: PAIRED\nPAIR_ENDED: PAIR_ENDED\nPAIR_COMPLETED: PAIR_COMPLETED\nCHECK_IN_REMINDER: CHECK_IN_REMINDER', enum_type=NotificationKind, max_length=32)),
                ('pair', fields.ForeignKeyField('models.Pair', source_field='pair_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['user_id', 'read_at'])], 'pk_attr': 'id', 'table_description': 'Something a person should know about: paired, pair ended or completed, a reminder.'},
            bases=['Model'],
        ),
        AddColumnWithDefault(
            model_name='SignUpQuestion',
            name='kind',
            field=fields.CharEnumField(default=QuestionKind.TEXT, description='TEXT: TEXT\nSINGLE_CHOICE: SINGLE_CHOICE\nMULTIPLE_CHOICE: MULTIPLE_CHOICE', enum_type=QuestionKind, max_length=16),
            sql={'sqlite': "VARCHAR(16) NOT NULL DEFAULT 'TEXT'", 'postgres': "VARCHAR(16) NOT NULL DEFAULT 'TEXT'"},
        ),
        AddColumnWithDefault(
            model_name='SignUpQuestion',
            name='match_key',
            field=fields.CharField(null=True, description='Which matching criterion the answers feed.', max_length=32),
            sql={'sqlite': 'VARCHAR(32)', 'postgres': 'VARCHAR(32)'},
        ),
        AddColumnWithDefault(
            model_name='SignUpQuestion',
            name='options',
            field=fields.JSONField(default=list, description='The choices, for choice questions.'),
            sql={'sqlite': "JSON NOT NULL DEFAULT '[]'", 'postgres': "JSONB NOT NULL DEFAULT '[]'::jsonb"},
        ),
    ]
