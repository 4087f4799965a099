from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.exports.models import ExportState


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="DataExport",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("consumer_id", fields.IntField()),
                ("requested_by_id", fields.IntField(null=True)),
                (
                    "state",
                    fields.CharEnumField(
                        default=ExportState.QUEUED,
                        description="QUEUED: QUEUED\nRUNNING: RUNNING\nREADY: READY\nDOWNLOADED: DOWNLOADED\nEXPIRED: EXPIRED\nFAILED: FAILED",
                        enum_type=ExportState,
                        max_length=16,
                    ),
                ),
                ("storage_key", fields.CharField(default="", max_length=200)),
                ("size", fields.BigIntField(default=0)),
                ("download_token_hash", fields.CharField(default="", db_index=True, max_length=64)),
                ("message", fields.CharField(default="", max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "downloaded_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "data_export",
                "app": "exports",
                "indexes": [Index(fields=["consumer_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
