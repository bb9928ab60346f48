"""Programs, their sign-up questions and their guided timeline."""

from tortoise import fields

from models.base import FastModel
from models.enums import MilestoneKind, ProgramStatus, ProgramTemplate, QuestionKind


class Program(FastModel):
    id = fields.IntField(primary_key=True)
    group = fields.ForeignKeyField(
        "models.Group", related_name="programs", on_delete=fields.CASCADE
    )
    template = fields.CharEnumField(ProgramTemplate, max_length=32)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharEnumField(ProgramStatus, max_length=16, default=ProgramStatus.DRAFT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "programs"


class SignUpQuestion(FastModel):
    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.Program", related_name="questions", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    prompt = fields.CharField(max_length=200)
    required = fields.BooleanField(default=True)
    applies_to = fields.JSONField(description="Role names this question is asked of.")
    kind = fields.CharEnumField(QuestionKind, max_length=16, default=QuestionKind.TEXT)
    options = fields.JSONField(default=list, description="The choices, for choice questions.")
    match_key = fields.CharField(
        max_length=32, null=True, description="Which matching criterion the answers feed."
    )

    class Meta:
        table = "sign_up_questions"
        unique_together = (("program", "position"),)


class ProgramStep(FastModel):
    """One step of the guided timeline of a program, copied into the milestones of each new pair."""

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.Program", related_name="steps", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    kind = fields.CharEnumField(MilestoneKind, max_length=32)
    title = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    suggested_week = fields.IntField(null=True)

    class Meta:
        table = "program_steps"
        unique_together = (("program", "position"),)
