"""The email outbox: one row per email, written in the transaction that caused it."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxState(StrEnum):
    PENDING = "PENDING"
    """Waiting to be sent at `next_attempt_at` (first try, or a retry after a failure)."""
    SENDING = "SENDING"
    """Claimed by a job; `next_attempt_at` is when the claim lapses if that job dies."""
    SENT = "SENT"
    FAILED = "FAILED"
    """Given up: a permanent refusal, or `MAIL_MAX_ATTEMPTS` failures. See `last_error`."""


class OutboxEmail(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=255, unique=True)
    """Unique per (event, recipient): queueing the same key twice writes one row."""
    template = fields.CharField(max_length=64)
    recipient = fields.CharField(max_length=254)
    context: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    """The template's variables, kept as queued and rendered at send time."""
    state = fields.CharEnumField(OutboxState, max_length=16, default=OutboxState.PENDING)
    attempts = fields.IntField(default=0)
    """Claims so far, including one whose worker died mid-send."""
    last_error = fields.TextField(default="")
    next_attempt_at = fields.DatetimeField(null=True)
    """When the row is next due to be claimed; null once SENT or FAILED."""
    message_id = fields.CharField(max_length=255)
    """The Message-ID header, fixed at queue time so every retry carries the same one."""
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_email"
        indexes = (("state", "next_attempt_at"),)

    def __str__(self) -> str:
        return f"OutboxEmail({self.id}, {self.template} to {self.recipient}, {self.state})"
