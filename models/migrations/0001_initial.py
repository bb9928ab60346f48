import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.enums import (
    GroupCategory,
    GroupRole,
    MentorshipRole,
    MilestoneKind,
    PairStatus,
    ProgramStatus,
    ProgramTemplate,
    SignUpStatus,
)


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Group",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=100)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "category",
                    fields.CharEnumField(
                        description="PARENTING: PARENTING\nPROFESSIONAL_DEVELOPMENT: PROFESSIONAL_DEVELOPMENT\nPERSONAL_DEVELOPMENT: PERSONAL_DEVELOPMENT\nEDUCATION: EDUCATION\nCRISIS_RECOVERY: CRISIS_RECOVERY\nHOBBIES: HOBBIES\nOTHER: OTHER",
                        enum_type=GroupCategory,
                        max_length=32,
                    ),
                ),
                ("member_count", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "groups", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Program",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="programs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "template",
                    fields.CharEnumField(
                        description="CAREER_ADVANCEMENT: CAREER_ADVANCEMENT\nSKILL_DEVELOPMENT: SKILL_DEVELOPMENT\nENCOURAGEMENT_AND_SUPPORT: ENCOURAGEMENT_AND_SUPPORT",
                        enum_type=ProgramTemplate,
                        max_length=32,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ProgramStatus.DRAFT,
                        description="DRAFT: DRAFT\nOPEN: OPEN\nCLOSED: CLOSED",
                        enum_type=ProgramStatus,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "programs", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProgramStep",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "program",
                    fields.ForeignKeyField(
                        "models.Program",
                        source_field="program_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="steps",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="INTRODUCTIONS: INTRODUCTIONS\nGOAL_SETTING: GOAL_SETTING\nRESOURCE_SHARING: RESOURCE_SHARING\nSKILL_KNOWLEDGE: SKILL_KNOWLEDGE\nPLANNING: PLANNING\nACTION: ACTION\nREFLECTION: REFLECTION\nCUSTOM: CUSTOM",
                        enum_type=MilestoneKind,
                        max_length=32,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                ("suggested_week", fields.IntField(null=True)),
            ],
            options={
                "table": "program_steps",
                "app": "models",
                "unique_together": (("program", "position"),),
                "pk_attr": "id",
                "table_description": "One step of the guided timeline of a program, copied into the milestones of each new pair.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SignUpQuestion",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "program",
                    fields.ForeignKeyField(
                        "models.Program",
                        source_field="program_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="questions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                ("prompt", fields.CharField(max_length=200)),
                ("required", fields.BooleanField(default=True)),
                (
                    "applies_to",
                    fields.JSONField(
                        description="Role names this question is asked of.",
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
            ],
            options={
                "table": "sign_up_questions",
                "app": "models",
                "unique_together": (("program", "position"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "email",
                    fields.CharField(unique=True, description="Lower-cased.", max_length=254),
                ),
                ("name", fields.CharField(max_length=100)),
                ("password_hash", fields.CharField(max_length=255)),
                ("birth_date", fields.DateField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "users", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuthToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "auth_tokens",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A bearer token, stored only as its SHA-256 hash.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="GroupMembership",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "group",
                    fields.ForeignKeyField(
                        "models.Group",
                        source_field="group_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        default=GroupRole.MEMBER,
                        description="ADMIN: ADMIN\nMODERATOR: MODERATOR\nMEMBER: MEMBER",
                        enum_type=GroupRole,
                        max_length=16,
                    ),
                ),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "group_memberships",
                "app": "models",
                "unique_together": (("group", "user"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SignUp",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "program",
                    fields.ForeignKeyField(
                        "models.Program",
                        source_field="program_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sign_ups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sign_ups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        description="MENTOR: MENTOR\nMENTEE: MENTEE",
                        enum_type=MentorshipRole,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=SignUpStatus.PENDING,
                        description="PENDING: PENDING\nMATCHED: MATCHED\nWITHDRAWN: WITHDRAWN",
                        enum_type=SignUpStatus,
                        max_length=16,
                    ),
                ),
                ("capacity", fields.IntField(default=1)),
                ("slots_used", fields.IntField(default=0)),
                ("active_pair_count", fields.IntField(default=0)),
                ("live", fields.BooleanField(null=True, default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "withdrawn_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "sign_ups",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An offer to mentor, or a wish to be mentored, in one program.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Answer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "sign_up",
                    fields.ForeignKeyField(
                        "models.SignUp",
                        source_field="sign_up_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="answers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "question",
                    fields.ForeignKeyField(
                        "models.SignUpQuestion",
                        source_field="question_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="answers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("value", fields.TextField(unique=False)),
            ],
            options={
                "table": "answers",
                "app": "models",
                "unique_together": (("sign_up", "question"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Pair",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "program",
                    fields.ForeignKeyField(
                        "models.Program",
                        source_field="program_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="pairs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "mentor_sign_up",
                    fields.ForeignKeyField(
                        "models.SignUp",
                        source_field="mentor_sign_up_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentor_pairs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "mentee_sign_up",
                    fields.ForeignKeyField(
                        "models.SignUp",
                        source_field="mentee_sign_up_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentee_pairs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "mentor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="mentor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentor_pairs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "mentee",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="mentee_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="mentee_pairs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=PairStatus.ACTIVE,
                        description="ACTIVE: ACTIVE\nCOMPLETED: COMPLETED\nENDED: ENDED",
                        enum_type=PairStatus,
                        max_length=16,
                    ),
                ),
                ("milestone_count", fields.IntField(default=0)),
                ("completed_milestone_count", fields.IntField(default=0)),
                ("check_in_count", fields.IntField(default=0)),
                (
                    "last_check_in_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "completed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("ended_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "ended_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="ended_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="ended_pairs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("end_reason", fields.CharField(null=True, max_length=500)),
            ],
            options={
                "table": "pairs",
                "app": "models",
                "indexes": [
                    Index(fields=["mentor_id", "status"]),
                    Index(fields=["mentee_id", "status"]),
                    Index(fields=["program_id", "status"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CheckIn",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "pair",
                    fields.ForeignKeyField(
                        "models.Pair",
                        source_field="pair_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="check_ins",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "author",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="author_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="check_ins",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("body", fields.TextField(unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "check_ins", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Milestone",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "pair",
                    fields.ForeignKeyField(
                        "models.Pair",
                        source_field="pair_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="milestones",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="INTRODUCTIONS: INTRODUCTIONS\nGOAL_SETTING: GOAL_SETTING\nRESOURCE_SHARING: RESOURCE_SHARING\nSKILL_KNOWLEDGE: SKILL_KNOWLEDGE\nPLANNING: PLANNING\nACTION: ACTION\nREFLECTION: REFLECTION\nCUSTOM: CUSTOM",
                        enum_type=MilestoneKind,
                        max_length=32,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("description", fields.TextField(default="", unique=False)),
                ("suggested_week", fields.IntField(null=True)),
                (
                    "completed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "completed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="completed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="completed_milestones",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "milestones",
                "app": "models",
                "unique_together": (("pair", "position"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        # Tortoise 1.1.9's CreateModel ignores Meta.constraints, so they are added here;
        # the check first, because on SQLite adding it rebuilds the table.
        ops.AddConstraint(
            model_name="SignUp",
            constraint=CheckConstraint(
                check="slots_used >= 0 AND slots_used <= capacity AND active_pair_count >= 0",
                name="sign_ups_slots_within_capacity",
            ),
        ),
        ops.AddConstraint(
            model_name="SignUp",
            constraint=UniqueConstraint(
                fields=("program_id", "user_id", "role", "live"), name="sign_ups_one_live_per_role"
            ),
        ),
    ]
