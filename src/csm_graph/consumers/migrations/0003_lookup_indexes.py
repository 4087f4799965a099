from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="ImportRowError",
            index=Index(fields=["job_id", "row"]),
        ),
    ]
