from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_defaults"),
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
        ("cases", "0003_case_grant_indexes"),
        ("consumers", "0001_initial"),
        ("consumers", "0002_search_trigrams"),
        ("products", "0001_initial"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["case_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["sold_product_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["consumer_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["user_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["relationship_type_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelatedParty",
            index=Index(fields=["responsibility_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RelationshipType",
            index=Index(fields=["default_responsibility_id", "id"]),
        ),
    ]
