"""GraphQL types of the households domain."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from csm_graph import clock
from csm_graph.households import models
from csm_graph.households.access import Reach
from csm_graph.schema.cases.queries import cases_under
from csm_graph.schema.consumers.types import Address, Consumer, consumer_by_id
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.households.loaders import (
    CurrentMembershipsByConsumerIdLoader,
    CurrentRepresentationsByConsumerIdLoader,
    CurrentRepresentationsByRepresentativeIdLoader,
    HouseholdByIdLoader,
    MembersByHouseholdIdLoader,
)
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Guard, Visible
from csm_graph.schema.policy import household_members, internal_only

register_enum(
    models.Relationship,
    name="HouseholdRelationship",
    description="How a member belongs.",
    values={
        models.Relationship.HEAD: "Head of the household.",
        models.Relationship.SPOUSE: "The head's spouse.",
        models.Relationship.PARTNER: "The head's partner.",
        models.Relationship.CHILD: "A child of the household.",
        models.Relationship.DEPENDENT: "Another dependent of the household.",
        models.Relationship.OTHER: "Any other member.",
    },
)
Relationship = models.Relationship


@strawberry.type(description="People who live together and are served together.")
class Household(Node):
    model: strawberry.Private[models.Household]
    db_id: strawberry.Private[int]
    viewer_is_head: strawberry.Private[bool]
    number: str = strawberry.field(description="Human number, such as HOLD0001001.")
    name: str = strawberry.field(description="Name, such as 'The Lee family'.")
    address: Address = strawberry.field(description="Postal address.")
    notes: str | None = strawberry.field(
        description="Notes for agents. Internal users only.", extensions=[Guard(internal_only)]
    )
    created_at: dt.datetime = strawberry.field(description="When the household was made.")

    @classmethod
    def from_model(cls, h: models.Household, *, viewer_is_head: bool = False) -> Household:
        return cls(
            id=to_global_id("Household", h.id),
            model=h,
            db_id=h.id,
            viewer_is_head=viewer_is_head,
            number=h.number,
            name=h.name,
            address=Address(
                line1=h.address_line1,
                line2=h.address_line2,
                city=h.city,
                region=h.region,
                postal_code=h.postal_code,
                country=h.country,
            ),
            notes=h.notes,
            created_at=h.created_at,
        )

    @strawberry.field(
        description="Members, oldest first: current ones, and past ones with `includePast`. "
        "Internal users and the household's current heads only.",
        extensions=[Guard(household_members), Visible()],
    )
    async def members(
        self,
        info: Info,
        include_past: Annotated[
            bool, strawberry.argument(description="Also list memberships that have ended.")
        ] = False,
    ) -> list[HouseholdMember]:
        rows = await info.context.loaders.get(MembersByHouseholdIdLoader).load(self.db_id)
        today = clock.today()
        return [
            HouseholdMember.from_model(m, today)
            for m in rows
            if include_past or m.is_current(today)
        ]

    cases = cases_under(
        "household_id",
        "The household's cases that the viewer may read, newest first: `cases` "
        "of this household only (a case follows its consumer out of the household: heads "
        "and members read those of current members).",
    )


@strawberry.type(description="A consumer's membership of a household, current or past.")
class HouseholdMember(Node):
    model: strawberry.Private[models.HouseholdMember]
    db_id: strawberry.Private[int]
    household_id: strawberry.Private[int]
    consumer_id: strawberry.Private[int]
    relationship: Relationship = strawberry.field(description="How the member belongs.")
    is_head: bool = strawberry.field(description="Whether the member heads the household.")
    is_primary: bool = strawberry.field(
        description="Whether this is the member's primary household."
    )
    start_date: dt.date = strawberry.field(description="First day of the membership.")
    end_date: dt.date | None = strawberry.field(
        description="The day the membership ended; null while it lasts."
    )
    is_current: bool = strawberry.field(description="Whether the membership holds today.")

    @classmethod
    def from_model(cls, m: models.HouseholdMember, today: dt.date) -> HouseholdMember:
        return cls(
            id=to_global_id("HouseholdMember", m.id),
            model=m,
            db_id=m.id,
            household_id=m.household_id,
            consumer_id=m.consumer_id,
            relationship=m.relationship,
            is_head=m.is_head,
            is_primary=m.is_primary,
            start_date=m.start_date,
            end_date=m.end_date,
            is_current=m.is_current(today),
        )

    @strawberry.field(description="The household.", extensions=[Visible()])
    async def household(self, info: Info) -> Household | None:
        return await household_by_id(info, self.household_id)

    @strawberry.field(
        description="The member; null when the viewer may not see them.", extensions=[Visible()]
    )
    async def consumer(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.consumer_id)


@strawberry.type(description="An authorized representative: one consumer acting for another.")
class Representation(Node):
    model: strawberry.Private[models.Representation]
    db_id: strawberry.Private[int]
    representative_id: strawberry.Private[int]
    consumer_id: strawberry.Private[int]
    valid_from: dt.date = strawberry.field(description="First day it holds.")
    valid_until: dt.date | None = strawberry.field(
        description="Last day it holds; null when open-ended."
    )
    is_current: bool = strawberry.field(description="Whether it holds today.")

    @classmethod
    def from_model(cls, r: models.Representation) -> Representation:
        return cls(
            id=to_global_id("Representation", r.id),
            model=r,
            db_id=r.id,
            representative_id=r.representative_id,
            consumer_id=r.consumer_id,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            is_current=r.is_current(clock.today()),
        )

    @strawberry.field(description="The consumer who acts.", extensions=[Visible()])
    async def representative(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.representative_id)

    @strawberry.field(description="The consumer acted for.", extensions=[Visible()])
    async def consumer(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.consumer_id)


async def household_by_id(info: Info, household_id: int | None) -> Household | None:
    """A household's GraphQL object; visibility is the field's to check."""
    if household_id is None:
        return None
    record = await info.context.loaders.get(HouseholdByIdLoader).load(household_id)
    if record is None:
        return None
    return household_in_reach(record, await info.context.reach())


def household_in_reach(record: models.Household, reach: Reach) -> Household:
    """The GraphQL object of a household for a viewer of `reach`."""
    return Household.from_model(record, viewer_is_head=record.id in reach.headed_household_ids)


async def _member_node(info: Info, pk: int) -> HouseholdMember | None:
    member = await models.HouseholdMember.get_or_none(id=pk)
    return HouseholdMember.from_model(member, clock.today()) if member else None


async def _representation_node(info: Info, pk: int) -> Representation | None:
    representation = await models.Representation.get_or_none(id=pk)
    return Representation.from_model(representation) if representation else None


register_node("Household", household_by_id)
register_node("HouseholdMember", _member_node)
register_node("Representation", _representation_node)


# --- the household fields of Consumer (declared on Consumer, resolved here) ---------


async def consumer_households(info: Info, consumer_id: int) -> list[Household]:
    memberships = await info.context.loaders.get(CurrentMembershipsByConsumerIdLoader).load(
        consumer_id
    )
    households = [await household_by_id(info, m.household_id) for m in memberships]
    return [h for h in households if h is not None]


async def consumer_primary_household(info: Info, consumer_id: int) -> Household | None:
    memberships = await info.context.loaders.get(CurrentMembershipsByConsumerIdLoader).load(
        consumer_id
    )
    primary = next((m for m in memberships if m.is_primary), None)
    if primary is None:
        return None
    return await household_by_id(info, primary.household_id)


async def consumer_representatives(info: Info, consumer_id: int) -> list[Representation]:
    rows = await info.context.loaders.get(CurrentRepresentationsByConsumerIdLoader).load(
        consumer_id
    )
    return [Representation.from_model(r) for r in rows]


async def consumer_represents(info: Info, consumer_id: int) -> list[Representation]:
    rows = await info.context.loaders.get(CurrentRepresentationsByRepresentativeIdLoader).load(
        consumer_id
    )
    return [Representation.from_model(r) for r in rows]
