from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.surveys.models import SkipReason


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("cases", "0002_sold_product_sla"),
        ("consumers", "0001_initial"),
    ]

    initial = True

    operations = [
        ops.CreateModel(
            name="Survey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "case",
                    fields.ForeignKeyField(
                        "cases.Case",
                        source_field="case_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="surveys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "consumer",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="consumer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="surveys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "skip_reason",
                    fields.CharEnumField(
                        null=True,
                        description="PASSWORD_REQUEST: PASSWORD_REQUEST\nALREADY_SURVEYED: ALREADY_SURVEYED\nRECENTLY_SURVEYED: RECENTLY_SURVEYED\nNO_EMAIL: NO_EMAIL",
                        enum_type=SkipReason,
                        max_length=24,
                    ),
                ),
                ("token_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("rating", fields.SmallIntField(null=True)),
                ("comment", fields.TextField(default="", unique=False)),
                (
                    "answered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "survey",
                "app": "surveys",
                "indexes": [
                    Index(fields=["case_id", "skip_reason"]),
                    Index(fields=["consumer_id", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "A closing of a case and its survey decision.",
            },
            bases=["Model"],
        ),
    ]
