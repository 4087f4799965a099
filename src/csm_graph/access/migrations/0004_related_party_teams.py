from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0003_lookup_indexes"),
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("accounts", "0004_lookup_indexes"),
        ("accounts", "0005_sessions_and_email_change"),
        ("cases", "0005_consumer_merged_activity"),
        ("consumers", "0005_consumer_merge"),
        ("products", "0002_lookup_indexes"),
    ]

    initial = False

    operations = [
        ops.CreateModel(
            name="Department",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("key", fields.CharField(unique=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "department",
                "app": "access",
                "pk_attr": "id",
                "table_description": "A department of the organisation, as a related party can name it.",
            },
            bases=["Model"],
        ),
        ops.AlterModelOptions(
            name="RelatedParty",
            options={
                "table": "related_party",
                "app": "access",
                "indexes": [
                    Index(fields=["case_id", "id"]),
                    Index(fields=["sold_product_id", "id"]),
                    Index(fields=["consumer_id", "id"]),
                    Index(fields=["user_id", "id"]),
                    Index(fields=["team_id", "id"]),
                    Index(fields=["department_id", "id"]),
                    Index(fields=["relationship_type_id", "id"]),
                    Index(fields=["responsibility_id", "id"]),
                ],
                "pk_attr": "id",
                "table_description": "A consumer, a user, a team or a department related to a case or a sold",
            },
        ),
        ops.AddField(
            model_name="RelatedParty",
            name="department",
            field=fields.ForeignKeyField(
                "access.Department",
                source_field="department_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="related_parties",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        ops.AddField(
            model_name="RelatedParty",
            name="team",
            field=fields.ForeignKeyField(
                "accounts.Team",
                source_field="team_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="related_parties",
                on_delete=OnDelete.CASCADE,
            ),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["team_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["department_id", "id"]),
        ),
    ]
