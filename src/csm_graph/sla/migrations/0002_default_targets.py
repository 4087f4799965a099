from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [
        ops.RunSQL(
            "INSERT INTO sla_target (level, priority, response_minutes, resolution_minutes, "
            "updated_at) VALUES "
            "('PLATINUM', 1, 15, 240, CURRENT_TIMESTAMP), "
            "('PLATINUM', 2, 30, 480, CURRENT_TIMESTAMP), "
            "('PLATINUM', 3, 60, 1440, CURRENT_TIMESTAMP), "
            "('PLATINUM', 4, 120, 2880, CURRENT_TIMESTAMP), "
            "('GOLD', 1, 30, 480, CURRENT_TIMESTAMP), "
            "('GOLD', 2, 60, 960, CURRENT_TIMESTAMP), "
            "('GOLD', 3, 120, 2880, CURRENT_TIMESTAMP), "
            "('GOLD', 4, 240, 4320, CURRENT_TIMESTAMP), "
            "('SILVER', 1, 60, 960, CURRENT_TIMESTAMP), "
            "('SILVER', 2, 120, 1440, CURRENT_TIMESTAMP), "
            "('SILVER', 3, 240, 4320, CURRENT_TIMESTAMP), "
            "('SILVER', 4, 480, 7200, CURRENT_TIMESTAMP), "
            "('BRONZE', 1, 120, 1440, CURRENT_TIMESTAMP), "
            "('BRONZE', 2, 240, 2880, CURRENT_TIMESTAMP), "
            "('BRONZE', 3, 480, 7200, CURRENT_TIMESTAMP), "
            "('BRONZE', 4, 1440, 10080, CURRENT_TIMESTAMP)",
            reverse_sql="DELETE FROM sla_target",
        ),
    ]
