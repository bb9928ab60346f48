"""People and their sessions."""

from tortoise import fields

from models.base import FastModel


class User(FastModel):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True, description="Lower-cased.")
    name = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=255)
    birth_date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class AuthToken(FastModel):
    """A bearer token, stored only as its SHA-256 hash."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_tokens"
