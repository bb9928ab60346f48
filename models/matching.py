"""Matching: the weights a program's admin gave the criteria."""

from tortoise import fields

from models.base import FastModel


class MatchingWeight(FastModel):
    """The weight of one criterion in one program (criteria without a row use the default)."""

    id = fields.IntField(primary_key=True)
    program = fields.ForeignKeyField(
        "models.Program", related_name="matching_weights", on_delete=fields.CASCADE
    )
    criterion = fields.CharField(max_length=32)
    weight = fields.FloatField()

    class Meta:
        table = "matching_weights"
        unique_together = (("program", "criterion"),)
