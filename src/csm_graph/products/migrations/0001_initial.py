from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("consumers", "0001_initial"), ("households", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="SoldProduct",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("serial_number", fields.CharField(default="", db_index=True, max_length=100)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "consumers.Consumer",
                        source_field="owner_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sold_products",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "households.Household",
                        source_field="household_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sold_products",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "sold_product", "app": "products", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
