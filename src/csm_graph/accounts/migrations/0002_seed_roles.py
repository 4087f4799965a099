from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        ops.RunSQL(
            "INSERT INTO role (name, description) VALUES "
            "('ADMIN', 'Everything, including users, roles and configuration'), "
            "('MANAGER', 'Agent, plus their teams'' and reports'' cases and reports'), "
            "('AGENT', 'Works the cases of their teams')",
            reverse_sql="DELETE FROM role WHERE name IN ('ADMIN', 'MANAGER', 'AGENT')",
        ),
    ]
