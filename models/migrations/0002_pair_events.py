from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import PairEventKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PairEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('pair', fields.ForeignKeyField('models.Pair', source_field='pair_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('sequence', fields.IntField()),
                ('kind', fields.CharEnumField(description='MILESTONE_COMPLETED: MILESTONE_COMPLETED\nCHECK_IN_POSTED: CHECK_IN_POSTED\nPAIR_COMPLETED: PAIR_COMPLETED\nPAIR_ENDED: PAIR_ENDED', enum_type=PairEventKind, max_length=32)),
                ('milestone', fields.ForeignKeyField('models.Milestone', source_field='milestone_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('check_in', fields.ForeignKeyField('models.CheckIn', source_field='check_in_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('reason', fields.CharField(null=True, max_length=500)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pair_events', 'app': 'models', 'unique_together': (('pair', 'sequence'),), 'pk_attr': 'id', 'table_description': 'Something the two members of a pair should see, numbered without gaps per pair.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Pair',
            name='event_count',
            field=fields.IntField(default=0, description='Sequence of the last PairEvent.'),
        ),
    ]
