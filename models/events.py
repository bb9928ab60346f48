"""The per-pair event log (an outbox): written in the same transaction as the change,
published after commit, and by the relay (api/relay.py) when that publish was lost."""

from tortoise import fields

from models.base import FastModel
from models.enums import PairEventKind


class PairEvent(FastModel):
    """Something the two members of a pair should see, numbered without gaps per pair.

    Live delivery publishes it after commit; a subscriber that missed a message (a
    failed publish, a broker outage, a reconnect) reads the gap back from this table.
    """

    id = fields.BigIntField(primary_key=True)
    pair = fields.ForeignKeyField("models.Pair", related_name="events", on_delete=fields.CASCADE)
    sequence = fields.IntField()
    kind = fields.CharEnumField(PairEventKind, max_length=32)
    milestone = fields.ForeignKeyField(
        "models.Milestone", related_name="events", null=True, on_delete=fields.CASCADE
    )
    check_in = fields.ForeignKeyField(
        "models.CheckIn", related_name="events", null=True, on_delete=fields.CASCADE
    )
    reason = fields.CharField(max_length=500, null=True)
    occurred_at = fields.DatetimeField()
    # Null until the event was handed to the broker; the relay publishes what is still
    # null a moment after commit. A partial index (migration 0005) keeps its scan cheap.
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pair_events"
        unique_together = (("pair", "sequence"),)
