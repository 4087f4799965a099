from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from csm_graph.accounts.models import TokenPurpose


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_seed_roles")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EmailToken",
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
                        related_name="email_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="VERIFY_EMAIL: VERIFY_EMAIL\nPASSWORD_RESET: PASSWORD_RESET",
                        enum_type=TokenPurpose,
                        max_length=20,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "email_token",
                "app": "accounts",
                "pk_attr": "id",
                "table_description": "A single-use token sent by email (verification, password reset), stored hashed.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="User",
            name="identity_changed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
