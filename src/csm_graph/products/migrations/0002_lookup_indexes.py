from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
        ("households", "0001_initial"),
        ("products", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="SoldProduct",
            index=Index(fields=["owner_id", "id"]),
        ),
        ops.AddIndex(
            model_name="SoldProduct",
            index=Index(fields=["household_id", "id"]),
        ),
    ]
