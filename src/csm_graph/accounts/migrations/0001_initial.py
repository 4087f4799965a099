from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from csm_graph.accounts.models import UserType


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Role",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=32)),
                ("description", fields.CharField(default="", max_length=200)),
            ],
            options={"table": "role", "app": "accounts", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Team",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "team", "app": "accounts", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("password_hash", fields.CharField(null=True, max_length=200)),
                (
                    "user_type",
                    fields.CharEnumField(
                        default=UserType.EXTERNAL,
                        description="INTERNAL: INTERNAL\nEXTERNAL: EXTERNAL",
                        enum_type=UserType,
                        max_length=16,
                    ),
                ),
                ("prefix", fields.CharField(default="", max_length=40)),
                ("first_name", fields.CharField(default="", max_length=100)),
                ("middle_name", fields.CharField(default="", max_length=100)),
                ("last_name", fields.CharField(default="", max_length=100)),
                ("suffix", fields.CharField(default="", max_length=40)),
                ("phone", fields.CharField(default="", max_length=20)),
                ("is_active", fields.BooleanField(default=True)),
                ("email_verified", fields.BooleanField(default=False)),
                (
                    "last_login_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("department", fields.CharField(default="", max_length=100)),
                ("title", fields.CharField(default="", max_length=100)),
                ("employee_id", fields.CharField(null=True, unique=True, max_length=40)),
                (
                    "manager",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="manager_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reports",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "roles",
                    fields.ManyToManyField(
                        "accounts.Role",
                        unique=True,
                        db_constraint=True,
                        through="user_role",
                        forward_key="role_id",
                        backward_key="user_id",
                        related_name="users",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "teams",
                    fields.ManyToManyField(
                        "accounts.Team",
                        unique=True,
                        db_constraint=True,
                        through="team_member",
                        forward_key="team_id",
                        backward_key="user_id",
                        related_name="members",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "user", "app": "accounts", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RefreshToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refresh_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("family", fields.CharField(db_index=True, max_length=32)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "refresh_token",
                "app": "accounts",
                "pk_attr": "id",
                "table_description": "A refresh token, stored as its SHA-256 only.",
            },
            bases=["Model"],
        ),
    ]
