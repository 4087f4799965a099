from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.notifications.models import OutboxState


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="OutboxEmail",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("key", fields.CharField(unique=True, max_length=255)),
                ("template", fields.CharField(max_length=64)),
                ("recipient", fields.CharField(max_length=254)),
                ("context", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "state",
                    fields.CharEnumField(
                        default=OutboxState.PENDING,
                        description="PENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED",
                        enum_type=OutboxState,
                        max_length=16,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.TextField(default="", unique=False)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("message_id", fields.CharField(max_length=255)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "outbox_email",
                "app": "notifications",
                "indexes": [Index(fields=["state", "next_attempt_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
