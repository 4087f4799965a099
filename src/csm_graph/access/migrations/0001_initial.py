from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("cases", "0002_sold_product_sla"),
        ("consumers", "0001_initial"),
        ("products", "0001_initial"),
    ]

    initial = True

    operations = [
        ops.CreateModel(
            name="Responsibility",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                ("case_actions", fields.CharField(default="", max_length=300)),
                ("product_actions", fields.CharField(default="", max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "responsibility", "app": "access", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RelationshipType",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("description", fields.CharField(default="", max_length=500)),
                ("for_cases", fields.BooleanField(default=True)),
                ("for_sold_products", fields.BooleanField(default=False)),
                (
                    "default_responsibility",
                    fields.ForeignKeyField(
                        "access.Responsibility",
                        source_field="default_responsibility_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="relationship_types",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "relationship_type", "app": "access", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RelatedParty",
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
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "sold_product",
                    fields.ForeignKeyField(
                        "products.SoldProduct",
                        source_field="sold_product_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "consumer",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="consumer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "relationship_type",
                    fields.ForeignKeyField(
                        "access.RelationshipType",
                        source_field="relationship_type_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "responsibility",
                    fields.ForeignKeyField(
                        "access.Responsibility",
                        source_field="responsibility_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("valid_from", fields.DateField(null=True)),
                ("valid_until", fields.DateField(null=True)),
                (
                    "added_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="added_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="related_parties_added",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "related_party",
                "app": "access",
                "pk_attr": "id",
                "table_description": "A consumer or a user related to a case or a sold product (exactly one of each).",
            },
            bases=["Model"],
        ),
    ]
