"""Mutations of the households domain."""

from __future__ import annotations

import strawberry

from csm_graph import clock
from csm_graph.core.partial import KEEP
from csm_graph.households import services
from csm_graph.households.models import HouseholdMember as HouseholdMemberModel
from csm_graph.households.services import HouseholdDraft
from csm_graph.schema.consumers.inputs import ADDRESS_FIELDS, ADDRESS_PATHS
from csm_graph.schema.consumers.mutations import ConsumerPayload
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.households.inputs import (
    ConsumerPrimaryHouseholdSetInput,
    HouseholdCreateInput,
    HouseholdMemberAddInput,
    HouseholdMemberEndInput,
    RepresentativeAddInput,
    RepresentativeRemoveInput,
)
from csm_graph.schema.households.loaders import HouseholdByIdLoader
from csm_graph.schema.households.types import Household, HouseholdMember, Representation
from csm_graph.schema.inputs import given
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
from csm_graph.schema.permissions import IsAuthenticated, IsInternal, Visible


@strawberry.type(description="A household, or why the change was refused.")
class HouseholdPayload:
    household: Household | None = strawberry.field(
        extensions=[Visible()], default=None, description="The household."
    )
    member: HouseholdMember | None = strawberry.field(
        extensions=[Visible()], default=None, description="The membership added or ended, if any."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="A representation, or why the change was refused.")
class RepresentativePayload:
    representation: Representation | None = strawberry.field(
        extensions=[Visible()], default=None, description="The representation added or removed."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


async def _household_payload(info: Info, member: HouseholdMemberModel) -> HouseholdPayload:
    record = await info.context.loaders.get(HouseholdByIdLoader).load(member.household_id)
    assert record is not None
    return HouseholdPayload(
        household=Household.from_model(record),
        member=HouseholdMember.from_model(member, clock.today()),
    )


@strawberry.type
class HouseholdsMutation:
    @mutation("Create a household.", IsInternal, paths=ADDRESS_PATHS)
    async def household_create(self, info: Info, input: HouseholdCreateInput) -> HouseholdPayload:
        address = given(input.address) if input.address is not None else {}
        draft = HouseholdDraft(
            name=input.name,
            notes=KEEP if input.notes is None else input.notes,
            **{ADDRESS_FIELDS[key]: value for key, value in address.items()},
        )
        household = await services.create_household(info.context.viewer, draft)
        return HouseholdPayload(household=Household.from_model(household))

    @mutation("Make a consumer a current member of a household.", IsInternal)
    async def household_member_add(
        self, info: Info, input: HouseholdMemberAddInput
    ) -> HouseholdPayload:
        member = await services.add_member(
            info.context.viewer,
            decode_id("householdId", input.household_id, "Household"),
            decode_id("consumerId", input.consumer_id, "Consumer"),
            input.relationship,
            is_head=input.is_head,
            start_date=input.start_date,
        )
        return await _household_payload(info, member)

    @mutation("End a current membership, keeping it as history.", IsInternal)
    async def household_member_end(
        self, info: Info, input: HouseholdMemberEndInput
    ) -> HouseholdPayload:
        member = await services.end_member(
            info.context.viewer,
            decode_id("householdId", input.household_id, "Household"),
            decode_id("consumerId", input.consumer_id, "Consumer"),
            end_date=input.end_date,
            new_head_consumer_id=decode_optional_id(
                "newHeadConsumerId", input.new_head_consumer_id, "Consumer"
            ),
        )
        return await _household_payload(info, member)

    @mutation(
        "Choose a consumer's primary household among their current ones "
        "(internal users, or the consumer themselves).",
        IsAuthenticated,
    )
    async def consumer_primary_household_set(
        self, info: Info, input: ConsumerPrimaryHouseholdSetInput
    ) -> ConsumerPayload:
        consumer = await services.set_primary_household(
            await info.context.actor(),
            decode_id("consumerId", input.consumer_id, "Consumer"),
            decode_id("householdId", input.household_id, "Household"),
        )
        return ConsumerPayload.of(consumer)

    @mutation("Let one consumer act for another over a period.", IsInternal)
    async def representative_add(
        self, info: Info, input: RepresentativeAddInput
    ) -> RepresentativePayload:
        representation = await services.add_representative(
            info.context.viewer,
            decode_id("representativeId", input.representative_id, "Consumer"),
            decode_id("consumerId", input.consumer_id, "Consumer"),
            valid_from=input.valid_from,
            valid_until=input.valid_until,
        )
        return RepresentativePayload(representation=Representation.from_model(representation))

    @mutation("Remove a representation.", IsInternal)
    async def representative_remove(
        self, info: Info, input: RepresentativeRemoveInput
    ) -> RepresentativePayload:
        representation = await services.remove_representative(
            info.context.viewer, decode_id("id", input.id, "Representation")
        )
        return RepresentativePayload(representation=Representation.from_model(representation))
