from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from csm_graph.webhooks.models import DeliveryState, WebhookEvent


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_sessions_and_email_change")]

    initial = True

    operations = [
        ops.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("url", fields.CharField(max_length=2000)),
                ("description", fields.CharField(default="", max_length=200)),
                ("events", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("internal", fields.BooleanField(default=False)),
                ("secret", fields.CharField(max_length=100)),
                ("previous_secret", fields.CharField(default="", max_length=100)),
                (
                    "previous_secret_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("enabled", fields.BooleanField(default=True)),
                ("consecutive_failures", fields.IntField(default=0)),
                (
                    "disabled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("disabled_reason", fields.CharField(default="", max_length=500)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhook_endpoints",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "webhook_endpoint",
                "app": "webhooks",
                "indexes": [Index(fields=["created_by_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "endpoint",
                    fields.ForeignKeyField(
                        "webhooks.WebhookEndpoint",
                        source_field="endpoint_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "event",
                    fields.CharEnumField(
                        description="CASE_CREATED: case.created\nCASE_STATE_CHANGED: case.state_changed\nCASE_ASSIGNED: case.assigned\nCASE_COMMENT_ADDED: case.comment_added\nCONSUMER_CREATED: consumer.created\nCONSUMER_UPDATED: consumer.updated\nCONSUMER_MERGED: consumer.merged\nCONSUMER_ERASED: consumer.erased\nSURVEY_ANSWERED: survey.answered",
                        enum_type=WebhookEvent,
                        max_length=40,
                    ),
                ),
                ("message_id", fields.CharField(unique=True, max_length=64)),
                ("payload", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("consumer_id", fields.IntField(null=True)),
                (
                    "state",
                    fields.CharEnumField(
                        default=DeliveryState.PENDING,
                        description="PENDING: PENDING\nSENDING: SENDING\nDELIVERED: DELIVERED\nFAILED: FAILED\nCANCELLED: CANCELLED",
                        enum_type=DeliveryState,
                        max_length=16,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "delivered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "webhook_delivery",
                "app": "webhooks",
                "indexes": [
                    Index(fields=["endpoint_id", "id"]),
                    Index(fields=["state", "next_attempt_at"]),
                    Index(fields=["consumer_id"]),
                ],
                "pk_attr": "id",
                "table_description": "One event for one endpoint: an outbox row written in the change's transaction.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="WebhookAttempt",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "delivery",
                    fields.ForeignKeyField(
                        "webhooks.WebhookDelivery",
                        source_field="delivery_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="attempt_rows",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("status_code", fields.IntField(null=True)),
                ("response_excerpt", fields.TextField(default="", unique=False)),
                ("error", fields.TextField(default="", unique=False)),
                ("duration_ms", fields.IntField(default=0)),
            ],
            options={
                "table": "webhook_attempt",
                "app": "webhooks",
                "indexes": [Index(fields=["delivery_id", "id"])],
                "pk_attr": "id",
                "table_description": "One HTTP request of a delivery, and how the endpoint answered.",
            },
            bases=["Model"],
        ),
    ]
