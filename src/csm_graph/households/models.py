"""Households, their memberships, and authorized representatives."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.accounts.models import User
    from csm_graph.consumers.models import Consumer


class Relationship(StrEnum):
    HEAD = "HEAD"
    SPOUSE = "SPOUSE"
    PARTNER = "PARTNER"
    CHILD = "CHILD"
    DEPENDENT = "DEPENDENT"
    OTHER = "OTHER"


class Household(Model):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=200)
    address_line1 = fields.CharField(max_length=200, default="")
    address_line2 = fields.CharField(max_length=200, default="")
    city = fields.CharField(max_length=100, default="")
    region = fields.CharField(max_length=100, default="")
    postal_code = fields.CharField(max_length=20, default="")
    country = fields.CharField(max_length=2, default="")
    notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "household"


class HouseholdMember(Model):
    """A consumer's membership of a household.

    Current while `start_date <= today` and `end_date` is empty; `end_date`
    is the day the membership ended (no longer a member from that day on).
    Ended memberships are kept as history. At most one open membership per
    consumer and household: the service checks it, and a partial unique
    index (migration 0001) holds it in the database.
    """

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "households.Household", related_name="members", on_delete=fields.CASCADE
    )
    consumer: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="memberships", on_delete=fields.CASCADE
    )
    relationship = fields.CharEnumField(Relationship, max_length=16)
    is_head = fields.BooleanField(default=False)
    is_primary = fields.BooleanField(default=False)
    """The consumer's primary household: exactly one of their current memberships."""
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    household_id: int
    consumer_id: int

    class Meta:
        table = "household_member"

    def is_current(self, today: dt.date) -> bool:
        return self.end_date is None and self.start_date <= today


class Representation(Model):
    """An authorized representative: one consumer acting for another.

    `representative` may act for `consumer` from `valid_from` to
    `valid_until`, both days included; open-ended without `valid_until`.
    """

    id = fields.IntField(primary_key=True)
    representative: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="representations_held", on_delete=fields.CASCADE
    )
    consumer: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="representations", on_delete=fields.CASCADE
    )
    valid_from = fields.DateField()
    valid_until = fields.DateField(null=True)
    read_only = fields.BooleanField(default=False)
    """The representative reads the consumer's cases but does not act on them
    (a delegation of scope READ)."""
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="+", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    representative_id: int
    consumer_id: int

    class Meta:
        table = "representation"

    def is_current(self, today: dt.date) -> bool:
        return self.valid_from <= today and (self.valid_until is None or today <= self.valid_until)
