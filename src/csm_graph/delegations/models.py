"""Delegations a consumer starts: an invitation by email that, once accepted,
becomes a representation the access engine already understands."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.accounts.models import User
    from csm_graph.cases.models import CaseActivity
    from csm_graph.consumers.models import Consumer
    from csm_graph.households.models import Representation


class DelegationScope(StrEnum):
    READ = "READ"
    """The delegate reads the consumer's cases."""
    READ_AND_ACT = "READ_AND_ACT"
    """The delegate reads and acts on them as the consumer would (comment, attach,
    accept or reject a solution, close) and opens cases for them."""


class DelegationState(StrEnum):
    INVITED = "INVITED"
    ACCEPTED = "ACCEPTED"
    ENDED = "ENDED"


class DelegationStatus(StrEnum):
    """Where a delegation stands at a moment (derived, never stored)."""

    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    ENDED = "ENDED"
    EXPIRED = "EXPIRED"


class Delegation(Model):
    """One consumer's invitation to another person to act for them until `ends_on`.

    The invitation carries a single-use token (only its hash is kept); the
    acceptance creates `representation`, valid up to `ends_on` included, so an
    expired delegation grants nothing without any job.
    """

    id = fields.IntField(primary_key=True)
    consumer: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="delegations_given", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    """The invited address (lower-cased); the accepting login must have it."""
    scope = fields.CharEnumField(DelegationScope, max_length=16)
    ends_on = fields.DateField()
    """The last day the delegation holds."""
    state = fields.CharEnumField(DelegationState, max_length=16, default=DelegationState.INVITED)
    token_hash = fields.CharField(max_length=64, null=True, unique=True)
    """SHA-256 of the invitation's token; cleared when it is spent."""
    token_expires_at = fields.DatetimeField()
    delegate: fields.ForeignKeyNullableRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="delegations_held", null=True, on_delete=fields.CASCADE
    )
    representation: fields.ForeignKeyNullableRelation[Representation] = fields.ForeignKeyField(
        "households.Representation",
        related_name="delegations",
        null=True,
        on_delete=fields.SET_NULL,
    )
    ended_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="delegations_ended", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    """When the reminder before the end was sent (claimed once)."""

    consumer_id: int
    delegate_id: int | None
    representation_id: int | None
    ended_by_id: int | None

    class Meta:
        table = "delegation"
        indexes = (
            ("consumer_id", "id"),
            ("delegate_id", "id"),
            ("representation_id",),
            ("ended_by_id",),
            ("state", "ends_on"),
        )

    def status(self, now: dt.datetime) -> DelegationStatus:
        """EXPIRED past its last day, or once an unaccepted invitation's link ran out."""
        if self.state is DelegationState.ENDED:
            return DelegationStatus.ENDED
        if self.ends_on < now.date():
            return DelegationStatus.EXPIRED
        if self.state is DelegationState.ACCEPTED:
            return DelegationStatus.ACTIVE
        if self.token_expires_at <= now:
            return DelegationStatus.EXPIRED
        return DelegationStatus.INVITED


class DelegatedActivity(Model):
    """The mark on a case activity entry written by a delegate acting under a delegation."""

    id = fields.IntField(primary_key=True)
    activity: fields.OneToOneRelation[CaseActivity] = fields.OneToOneField(
        "cases.CaseActivity", related_name="delegation_mark", on_delete=fields.CASCADE
    )
    delegation: fields.ForeignKeyRelation[Delegation] = fields.ForeignKeyField(
        "delegations.Delegation", related_name="activity_marks", on_delete=fields.CASCADE
    )

    activity_id: int
    delegation_id: int

    class Meta:
        table = "delegated_activity"
        indexes = (("delegation_id",),)
