from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("cases", "0001_initial"),
        ("consumers", "0001_initial"),
        ("households", "0001_initial"),
        ("products", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.AddField(
            model_name="Case",
            name="first_response_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Case",
            name="resolution_due_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Case",
            name="response_due_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Case",
            name="sla_breach_notified_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Case",
            name="sla_breached",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="Case",
            name="sla_paused_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Case",
            name="sold_product",
            field=fields.ForeignKeyField(
                "products.SoldProduct",
                source_field="sold_product_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="cases",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
    ]
