from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("accounts", "0004_lookup_indexes"),
        ("accounts", "0005_sessions_and_email_change"),
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
        ("consumers", "0003_lookup_indexes"),
        ("consumers", "0004_merge_and_duplicates"),
        ("consumers", "0005_consumer_merge"),
        ("households", "0002_one_primary_household"),
    ]

    initial = False

    operations = [
        ops.AddField(
            model_name="Representation",
            name="read_only",
            field=fields.BooleanField(default=False),
        ),
    ]
