from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.mailin.models import InboundState, Intake


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_consumer_merged_activity")]

    initial = True

    operations = [
        ops.CreateModel(
            name="InboundEmail",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "intake",
                    fields.CharEnumField(
                        description="SMTP: SMTP\nIMAP: IMAP", enum_type=Intake, max_length=8
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=InboundState.RECEIVED,
                        description="RECEIVED: RECEIVED\nATTACHED: ATTACHED\nOPENED: OPENED\nPARKED: PARKED\nIGNORED: IGNORED\nFAILED: FAILED",
                        enum_type=InboundState,
                        max_length=16,
                    ),
                ),
                ("envelope_from", fields.CharField(default="", max_length=254)),
                ("envelope_to", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("sender", fields.CharField(default="", db_index=True, max_length=254)),
                ("message_id", fields.CharField(default="", db_index=True, max_length=255)),
                ("subject", fields.CharField(default="", max_length=500)),
                ("size", fields.IntField(default=0)),
                ("raw_key", fields.CharField(max_length=100)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "processed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("attempts", fields.IntField(default=0)),
                ("reason", fields.TextField(default="", unique=False)),
                (
                    "case",
                    fields.ForeignKeyField(
                        "cases.Case",
                        source_field="case_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="inbound_emails",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "comment",
                    fields.ForeignKeyField(
                        "cases.CaseComment",
                        source_field="comment_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="inbound_emails",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "inbound_email",
                "app": "mailin",
                "indexes": [
                    Index(fields=["case_id", "id"]),
                    Index(fields=["comment_id", "id"]),
                    Index(fields=["state", "received_at"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
