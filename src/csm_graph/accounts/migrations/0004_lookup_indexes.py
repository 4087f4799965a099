from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("accounts", "0002_seed_roles"),
        ("accounts", "0003_email_token_identity"),
    ]

    initial = False

    operations = [
        ops.AddIndex(
            model_name="EmailToken",
            index=Index(fields=["user_id", "id"]),
        ),
        ops.AddIndex(
            model_name="RefreshToken",
            index=Index(fields=["user_id", "id"]),
        ),
        ops.AddIndex(
            model_name="User",
            index=Index(fields=["manager_id", "id"]),
        ),
        # The many-to-many tables are keyed (user_id, other): index the other side too.
        ops.RunSQL(
            "CREATE INDEX team_member_team ON team_member (team_id, user_id)",
            reverse_sql="DROP INDEX team_member_team",
        ),
        ops.RunSQL(
            "CREATE INDEX user_role_role ON user_role (role_id, user_id)",
            reverse_sql="DROP INDEX user_role_role",
        ),
    ]
