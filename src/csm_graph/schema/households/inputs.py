"""Inputs of the households domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.schema.consumers.inputs import AddressInput
from csm_graph.schema.households.types import Relationship


@strawberry.input(description="Which households to list.")
class HouseholdFilter:
    search: str | None = strawberry.field(default=None, description="Part of the name or number.")


@strawberry.input(description="A new household (internal users); members are added after.")
class HouseholdCreateInput:
    name: str = strawberry.field(description="Name, such as 'The Lee family'.")
    address: AddressInput | None = strawberry.field(default=None, description="Postal address.")
    notes: str | None = strawberry.field(default=None, description="Notes for agents.")


@strawberry.input(description="Make a consumer a current member of a household (internal users).")
class HouseholdMemberAddInput:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")
    relationship: Relationship = strawberry.field(description="How the consumer belongs.")
    is_head: bool | None = strawberry.field(
        default=None,
        description="Whether the member heads the household; defaults to relationship HEAD. "
        "A household's first member must be a head.",
    )
    start_date: dt.date | None = strawberry.field(
        default=None, description="First day; today when omitted. Not in the future."
    )


@strawberry.input(description="End a current membership; it stays as history (internal users).")
class HouseholdMemberEndInput:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    consumer_id: strawberry.ID = strawberry.field(description="The member's consumer.")
    end_date: dt.date | None = strawberry.field(
        default=None,
        description="The day it ended; today when omitted. Not in the future, not before "
        "the start.",
    )
    new_head_consumer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Another current member who becomes a head; needed when ending the "
        "last head of a household that keeps members.",
    )


@strawberry.input(description="Choose a consumer's primary household.")
class ConsumerPrimaryHouseholdSetInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")
    household_id: strawberry.ID = strawberry.field(
        description="One of the consumer's current households."
    )


@strawberry.input(description="Let one consumer act for another (internal users).")
class RepresentativeAddInput:
    representative_id: strawberry.ID = strawberry.field(description="The consumer who acts.")
    consumer_id: strawberry.ID = strawberry.field(description="The consumer acted for.")
    valid_from: dt.date | None = strawberry.field(
        default=None, description="First day it holds; today when omitted."
    )
    valid_until: dt.date | None = strawberry.field(
        default=None, description="Last day it holds; open-ended when omitted."
    )


@strawberry.input(description="Remove a representation (internal users).")
class RepresentativeRemoveInput:
    id: strawberry.ID = strawberry.field(description="The representation.")
