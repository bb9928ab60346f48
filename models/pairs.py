"""Pairs, their milestones and their check-ins."""

from tortoise import fields

from models.base import FastModel
from models.enums import MilestoneKind, PairStatus


class Pair(FastModel):
    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.Program", related_name="pairs", on_delete=fields.CASCADE
    )
    mentor_sign_up = fields.ForeignKeyField(
        "models.SignUp", related_name="mentor_pairs", on_delete=fields.CASCADE
    )
    mentee_sign_up = fields.ForeignKeyField(
        "models.SignUp", related_name="mentee_pairs", on_delete=fields.CASCADE
    )
    mentor = fields.ForeignKeyField(
        "models.User", related_name="mentor_pairs", on_delete=fields.CASCADE
    )
    mentee = fields.ForeignKeyField(
        "models.User", related_name="mentee_pairs", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(PairStatus, max_length=16, default=PairStatus.ACTIVE)
    milestone_count = fields.IntField(default=0)
    completed_milestone_count = fields.IntField(default=0)
    check_in_count = fields.IntField(default=0)
    event_count = fields.IntField(default=0, description="Sequence of the last PairEvent.")
    last_check_in_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    completed_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    ended_by = fields.ForeignKeyField(
        "models.User", related_name="ended_pairs", null=True, on_delete=fields.SET_NULL
    )
    end_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "pairs"
        indexes = (("mentor_id", "status"), ("mentee_id", "status"), ("program_id", "status"))


class Milestone(FastModel):
    id = fields.IntField(primary_key=True)
    pair = fields.ForeignKeyField(
        "models.Pair", related_name="milestones", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    kind = fields.CharEnumField(MilestoneKind, max_length=32)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    suggested_week = fields.IntField(null=True)
    completed_at = fields.DatetimeField(null=True)
    completed_by = fields.ForeignKeyField(
        "models.User", related_name="completed_milestones", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "milestones"
        unique_together = (("pair", "position"),)


class CheckIn(FastModel):
    id = fields.IntField(primary_key=True)
    pair = fields.ForeignKeyField("models.Pair", related_name="check_ins", on_delete=fields.CASCADE)
    author = fields.ForeignKeyField(
        "models.User", related_name="check_ins", on_delete=fields.CASCADE
    )
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "check_ins"
