"""Erasure (right to be forgotten): requests, and what was done about them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ErasureState(StrEnum):
    REQUESTED = "REQUESTED"
    """Asked for by the consumer; an administrator confirms or rejects it."""
    DONE = "DONE"
    REJECTED = "REJECTED"


class ErasureRequest(Model):
    id = fields.IntField(primary_key=True)
    consumer_id = fields.IntField()
    """The consumer to erase (a plain id: the row outlives their personal data)."""
    state = fields.CharEnumField(ErasureState, max_length=16, default=ErasureState.REQUESTED)
    reason = fields.CharField(max_length=500, default="")
    """Why (a legal basis or a ticket reference): never the person's own data."""
    requested_by_id = fields.IntField(null=True)
    decided_by_id = fields.IntField(null=True)
    decision_reason = fields.CharField(max_length=500, default="")
    """Why an administrator confirmed or rejected it (a rejection tells the
    consumer this); like `reason`, never the person's own data."""
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "erasure_request"
        indexes = (("consumer_id", "id"), ("state", "id"))
