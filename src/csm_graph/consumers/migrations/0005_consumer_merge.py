from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_sessions_and_email_change"),
        ("consumers", "0004_merge_and_duplicates"),
    ]

    initial = False

    operations = [
        ops.CreateModel(
            name="ConsumerMerge",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "survivor",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="survivor_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="merges_received",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "merged",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="merged_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="merges_given",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "merged_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="merged_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="consumer_merges",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "closed_user",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="closed_user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="closed_by_merges",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("fields_taken", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("moved", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "consumer_merge",
                "app": "consumers",
                "indexes": [
                    Index(fields=["survivor_id", "id"]),
                    Index(fields=["merged_id", "id"]),
                    Index(fields=["merged_by_id", "id"]),
                    Index(fields=["closed_user_id", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "One merge of a duplicate record into the one that survives, kept as history.",
            },
            bases=["Model"],
        ),
    ]
