from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_sessions_and_email_change"),
        ("consumers", "0003_lookup_indexes"),
    ]

    initial = False

    operations = [
        ops.CreateModel(
            name="DuplicateDismissal",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "lower",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="lower_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dismissals_as_lower",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "higher",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="higher_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dismissals_as_higher",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "dismissed_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="dismissed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="duplicate_dismissals",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "consumer_duplicate_dismissal",
                "app": "consumers",
                "unique_together": (("lower_id", "higher_id"),),
                "indexes": [Index(fields=["higher_id", "lower_id"])],
                "pk_attr": "id",
                "table_description": "Two consumer records an agent said are not the same person.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Consumer",
            name="legal_hold",
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name="Consumer",
            name="merged_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Consumer",
            name="merged_into",
            field=fields.ForeignKeyField(
                "consumers.Consumer",
                source_field="merged_into_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="merged_records",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        ops.AddIndex(
            model_name="Consumer",
            index=Index(fields=["merged_into_id", "id"]),
        ),
    ]
