from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="ErasureRequest",
            name="decision_reason",
            field=fields.CharField(default="", max_length=500),
        ),
        ops.AddIndex(
            model_name="ErasureRequest",
            index=Index(fields=["state", "id"]),
        ),
    ]
