"""Survey decisions: one row each time a case closes, a survey sent or skipped with why."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.cases.models import Case
    from csm_graph.consumers.models import Consumer


class SkipReason(StrEnum):
    PASSWORD_REQUEST = "PASSWORD_REQUEST"
    """Password requests are not surveyed."""
    ALREADY_SURVEYED = "ALREADY_SURVEYED"
    """This case already had a survey (it was reopened and closed again)."""
    RECENTLY_SURVEYED = "RECENTLY_SURVEYED"
    """The consumer got a survey within SURVEY_WINDOW_DAYS."""
    NO_EMAIL = "NO_EMAIL"
    """The consumer has no email address, or does not want emails."""


class Survey(Model):
    """A closing of a case and its survey decision.

    Sent (`skip_reason` null): the consumer was emailed a token, answered
    once with a rating before `expires_at`. Skipped: `skip_reason` says why.
    """

    id = fields.IntField(primary_key=True)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "cases.Case", related_name="surveys", on_delete=fields.CASCADE
    )
    consumer: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="surveys", on_delete=fields.CASCADE
    )
    skip_reason = fields.CharEnumField(SkipReason, max_length=24, null=True)
    token_hash = fields.CharField(max_length=64, unique=True, null=True)
    """SHA-256 of the token in the emailed link (the token itself is not kept here)."""
    expires_at = fields.DatetimeField(null=True)
    rating = fields.SmallIntField(null=True)
    comment = fields.TextField(default="")
    answered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    case_id: int
    consumer_id: int

    class Meta:
        table = "survey"
        indexes = (("case_id", "skip_reason"), ("consumer_id", "id"))
