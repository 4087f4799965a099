from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Counter",
            fields=[
                (
                    "name",
                    fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32),
                ),
                ("value", fields.BigIntField(default=0)),
            ],
            options={
                "table": "counter",
                "app": "core",
                "pk_attr": "name",
                "table_description": "Named counters behind human numbers (CON0001001, CS0001001, ...).",
            },
            bases=["Model"],
        ),
    ]
