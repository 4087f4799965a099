from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]

    initial = False

    operations = [
        # Where concurrent joins left two primary households, the oldest stays primary.
        ops.RunSQL(
            "UPDATE household_member SET is_primary = false "
            "WHERE is_primary AND end_date IS NULL AND id NOT IN ("
            "SELECT MIN(id) FROM household_member "
            "WHERE is_primary AND end_date IS NULL GROUP BY consumer_id)",
            reverse_sql="SELECT 1",
        ),
        ops.RunSQL(
            "CREATE UNIQUE INDEX household_member_one_primary "
            "ON household_member (consumer_id) WHERE is_primary AND end_date IS NULL",
            reverse_sql="DROP INDEX household_member_one_primary",
        ),
    ]
