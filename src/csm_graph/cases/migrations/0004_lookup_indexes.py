from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("cases", "0003_case_grant_indexes"),
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
        ("households", "0001_initial"),
        ("products", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="CaseAttachment",
            index=Index(fields=["case_id", "id"]),
        ),
    ]
