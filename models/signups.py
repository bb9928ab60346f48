"""Sign-ups and their answers."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.base import FastModel
from models.enums import MentorshipRole, SignUpStatus


class SignUp(FastModel):
    """An offer to mentor, or a wish to be mentored, in one program.

    `slots_used` counts the pairs holding this sign-up: a mentor's ACTIVE pairs, a
    mentee's ACTIVE or COMPLETED pair. The database keeps it within `capacity`
    (1 for mentees), so racing pairings cannot overbook anyone.
    `live` is TRUE until withdrawn and NULL after, so the unique index allows one
    live sign-up per person and role while keeping withdrawn history.
    """

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.Program", related_name="sign_ups", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("models.User", related_name="sign_ups", on_delete=fields.CASCADE)
    role = fields.CharEnumField(MentorshipRole, max_length=16)
    status = fields.CharEnumField(SignUpStatus, max_length=16, default=SignUpStatus.PENDING)
    capacity = fields.IntField(default=1)
    slots_used = fields.IntField(default=0)
    active_pair_count = fields.IntField(default=0)
    live = fields.BooleanField(null=True, default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sign_ups"
        constraints = (
            UniqueConstraint(
                fields=("program_id", "user_id", "role", "live"), name="sign_ups_one_live_per_role"
            ),
            CheckConstraint(
                check="slots_used >= 0 AND slots_used <= capacity AND active_pair_count >= 0",
                name="sign_ups_slots_within_capacity",
            ),
        )


class Answer(FastModel):
    id = fields.IntField(primary_key=True)
    sign_up = fields.ForeignKeyField(
        "models.SignUp", related_name="answers", on_delete=fields.CASCADE
    )
    question = fields.ForeignKeyField(
        "models.SignUpQuestion", related_name="answers", on_delete=fields.CASCADE
    )
    value = fields.TextField()

    class Meta:
        table = "answers"
        unique_together = (("sign_up", "question"),)
