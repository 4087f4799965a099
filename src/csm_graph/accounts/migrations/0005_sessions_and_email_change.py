from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from csm_graph.accounts.models import TokenPurpose


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_lookup_indexes")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="EmailToken",
            name="purpose",
            field=fields.CharEnumField(
                description="VERIFY_EMAIL: VERIFY_EMAIL\nPASSWORD_RESET: PASSWORD_RESET\nEMAIL_CHANGE: EMAIL_CHANGE",
                enum_type=TokenPurpose,
                max_length=20,
            ),
        ),
        # SQLite alters a column by rebuilding the table, which drops its indexes.
        ops.RunSQL(
            'CREATE INDEX IF NOT EXISTS "idx_email_token_user_id_78ac1a" '
            'ON "email_token" ("user_id", "id")',
            reverse_sql="SELECT 1",
        ),
        ops.AddField(
            model_name="EmailToken",
            name="email",
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name="User",
            name="pending_email",
            field=fields.CharField(null=True, max_length=254),
        ),
        ops.AddField(
            model_name="User",
            name="session_epoch",
            field=fields.IntField(default=0),
        ),
    ]
