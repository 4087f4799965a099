from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from csm_graph.households.models import Relationship


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_email_token_identity"), ("consumers", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="Household",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("number", fields.CharField(unique=True, max_length=16)),
                ("name", fields.CharField(max_length=200)),
                ("address_line1", fields.CharField(default="", max_length=200)),
                ("address_line2", fields.CharField(default="", max_length=200)),
                ("city", fields.CharField(default="", max_length=100)),
                ("region", fields.CharField(default="", max_length=100)),
                ("postal_code", fields.CharField(default="", max_length=20)),
                ("country", fields.CharField(default="", max_length=2)),
                ("notes", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "household", "app": "households", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="HouseholdMember",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "households.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="members",
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
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "relationship",
                    fields.CharEnumField(
                        description="HEAD: HEAD\nSPOUSE: SPOUSE\nPARTNER: PARTNER\nCHILD: CHILD\nDEPENDENT: DEPENDENT\nOTHER: OTHER",
                        enum_type=Relationship,
                        max_length=16,
                    ),
                ),
                ("is_head", fields.BooleanField(default=False)),
                ("is_primary", fields.BooleanField(default=False)),
                ("start_date", fields.DateField()),
                ("end_date", fields.DateField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "household_member",
                "app": "households",
                "pk_attr": "id",
                "table_description": "A consumer's membership of a household.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Representation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "representative",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="representative_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="representations_held",
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
                        related_name="representations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("valid_from", fields.DateField()),
                ("valid_until", fields.DateField(null=True)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="+",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "representation",
                "app": "households",
                "pk_attr": "id",
                "table_description": "An authorized representative: one consumer acting for another.",
            },
            bases=["Model"],
        ),
        # One open membership per consumer and household, held by the database
        # too (Meta.constraints emits nothing on SQLite; a partial index works on both).
        ops.RunSQL(
            "CREATE UNIQUE INDEX household_member_one_open "
            "ON household_member (household_id, consumer_id) WHERE end_date IS NULL",
            reverse_sql="DROP INDEX household_member_one_open",
        ),
        ops.RunSQL(
            "CREATE INDEX household_member_consumer ON household_member (consumer_id)",
            reverse_sql="DROP INDEX household_member_consumer",
        ),
        ops.RunSQL(
            "CREATE INDEX representation_consumer ON representation (consumer_id)",
            reverse_sql="DROP INDEX representation_consumer",
        ),
        ops.RunSQL(
            "CREATE INDEX representation_representative ON representation (representative_id)",
            reverse_sql="DROP INDEX representation_representative",
        ),
    ]
