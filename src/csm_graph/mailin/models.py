"""Inbound emails: each message as it arrived, and what processing made of it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.cases.models import Case, CaseComment


class Intake(StrEnum):
    SMTP = "SMTP"
    """Delivered to `csm-graph mail-in`."""
    IMAP = "IMAP"
    """Fetched from a mailbox by `csm-graph mail-poll`."""


class InboundState(StrEnum):
    RECEIVED = "RECEIVED"
    """Stored, waiting for its processing job."""
    ATTACHED = "ATTACHED"
    """Added to an existing case as a public comment."""
    OPENED = "OPENED"
    """Opened a new case."""
    PARKED = "PARKED"
    """Kept for an agent: the sender may not comment on the case it answers, or is unknown
    while unknown senders are refused."""
    IGNORED = "IGNORED"
    """An auto-reply, a bounce, a mail loop or over the sender's rate limit."""
    FAILED = "FAILED"
    """Processing failed (see `error`); the sweep tries it again."""


PENDING_STATES = (InboundState.RECEIVED, InboundState.FAILED)
"""The states processing takes a message from."""


class InboundEmail(Model):
    id = fields.IntField(primary_key=True)
    intake = fields.CharEnumField(Intake, max_length=8)
    state = fields.CharEnumField(InboundState, max_length=16, default=InboundState.RECEIVED)
    envelope_from = fields.CharField(max_length=254, default="")
    """The SMTP `MAIL FROM` (empty for a bounce, and for IMAP)."""
    envelope_to: fields.Field[list[str]] = fields.JSONField(default=list)
    """The SMTP `RCPT TO` addresses we accepted (the mailbox's address for IMAP)."""
    sender = fields.CharField(max_length=254, default="", db_index=True)
    """The `From` address, lower-cased: the person processing acts as."""
    message_id = fields.CharField(max_length=255, default="", db_index=True)
    subject = fields.CharField(max_length=500, default="")
    size = fields.IntField(default=0)
    raw_key = fields.CharField(max_length=100)
    """The raw message's storage key (`storage.put`): kept whatever processing does."""
    received_at = fields.DatetimeField()
    processed_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    """Processing runs so far."""
    reason = fields.TextField(default="")
    """Why it was parked or ignored, or the error it failed with."""
    case: fields.ForeignKeyNullableRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="inbound_emails", null=True, on_delete=fields.SET_NULL
    )
    """The case it opened or joined (or would have joined, when parked)."""
    comment: fields.ForeignKeyNullableRelation[CaseComment] = fields.ForeignKeyField(
        "cases.CaseComment", related_name="inbound_emails", null=True, on_delete=fields.SET_NULL
    )

    case_id: int | None
    comment_id: int | None

    class Meta:
        table = "inbound_email"
        indexes = (("case_id", "id"), ("comment_id", "id"), ("state", "received_at"))

    def __str__(self) -> str:
        return f"InboundEmail({self.id}, from {self.sender}, {self.state})"
