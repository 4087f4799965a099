from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("cases", "0001_initial"),
        ("cases", "0002_sold_product_sla"),
        ("consumers", "0002_search_trigrams"),
        ("households", "0001_initial"),
        ("products", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["consumer_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["assigned_to_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["household_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["opened_by_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["assignment_team_id", "id"]),
        ),
        ops.AddIndex(
            model_name="Case",
            index=Index(fields=["sold_product_id", "id"]),
        ),
    ]
