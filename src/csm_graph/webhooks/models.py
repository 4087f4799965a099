"""Webhook endpoints, and one outbox row per delivery with its attempts."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.accounts.models import User


class WebhookEvent(StrEnum):
    """What happened; the value is the event's name on the wire (`type`)."""

    CASE_CREATED = "case.created"
    CASE_STATE_CHANGED = "case.state_changed"
    CASE_ASSIGNED = "case.assigned"
    CASE_COMMENT_ADDED = "case.comment_added"
    CONSUMER_CREATED = "consumer.created"
    CONSUMER_UPDATED = "consumer.updated"
    CONSUMER_MERGED = "consumer.merged"
    CONSUMER_ERASED = "consumer.erased"
    SURVEY_ANSWERED = "survey.answered"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    """Waiting to be sent at `next_attempt_at` (first try, or a retry after a failure)."""
    SENDING = "SENDING"
    """Claimed by a job; `next_attempt_at` is when the claim lapses if that job dies."""
    DELIVERED = "DELIVERED"
    """The endpoint answered with a 2xx status."""
    FAILED = "FAILED"
    """Given up after `WEBHOOK_MAX_ATTEMPTS` failed attempts."""
    CANCELLED = "CANCELLED"
    """Not sent: its endpoint was disabled or deleted first."""


class WebhookEndpoint(Model):
    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    events: fields.Field[list[str]] = fields.JSONField(default=list)
    """The wire names of the events it receives (`WebhookEvent` values)."""
    internal = fields.BooleanField(default=False)
    """Receives work notes too: an internal system, not one the consumer side reaches."""
    secret = fields.CharField(max_length=100)
    """`whsec_` + base64: kept as is, since every delivery is signed with it."""
    previous_secret = fields.CharField(max_length=100, default="")
    """The secret before the last rotation: deliveries are signed with both until
    `previous_secret_until`, so receivers can switch without losing any."""
    previous_secret_until = fields.DatetimeField(null=True)
    enabled = fields.BooleanField(default=True)
    consecutive_failures = fields.IntField(default=0)
    """Failed attempts since the last success; at `WEBHOOK_DISABLE_AFTER_FAILURES`
    the endpoint is disabled."""
    disabled_at = fields.DatetimeField(null=True)
    disabled_reason = fields.CharField(max_length=500, default="")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="webhook_endpoints", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    created_by_id: int | None

    class Meta:
        table = "webhook_endpoint"
        indexes = (("created_by_id", "id"),)

    def __str__(self) -> str:
        return f"WebhookEndpoint({self.id}, {self.url})"


class WebhookDelivery(Model):
    """One event for one endpoint: an outbox row written in the change's transaction."""

    id = fields.IntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "webhooks.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    event = fields.CharEnumField(WebhookEvent, max_length=40)
    message_id = fields.CharField(max_length=64, unique=True)
    """The `webhook-id` header: the same on every attempt and redelivery."""
    payload: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    """The body as sent: `{type, timestamp, data}`."""
    consumer_id = fields.IntField(null=True)
    """The consumer the event is about (a plain id: an erasure empties the payload)."""
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.PENDING)
    attempts = fields.IntField(default=0)
    """Claims in the current round (a redelivery starts a new round)."""
    next_attempt_at = fields.DatetimeField(null=True)
    """When the row is next due to be claimed; null once DELIVERED, FAILED or CANCELLED."""
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    endpoint_id: int

    class Meta:
        table = "webhook_delivery"
        indexes = (("endpoint_id", "id"), ("state", "next_attempt_at"), ("consumer_id",))

    def __str__(self) -> str:
        return f"WebhookDelivery({self.id}, {self.event} to {self.endpoint_id}, {self.state})"


class WebhookAttempt(Model):
    """One HTTP request of a delivery, and how the endpoint answered."""

    id = fields.IntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "webhooks.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    """The HTTP status; null when no answer came (connection refused, timeout)."""
    response_excerpt = fields.TextField(default="")
    """The start of the response body (`WEBHOOK_RESPONSE_EXCERPT_BYTES`)."""
    error = fields.TextField(default="")
    duration_ms = fields.IntField(default=0)

    delivery_id: int

    class Meta:
        table = "webhook_attempt"
        indexes = (("delivery_id", "id"),)
