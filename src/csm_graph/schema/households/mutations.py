"""Mutations of the households domain."""

from __future__ import annotations

import strawberry

from csm_graph import clock
from csm_graph.errors import UserErrors
from csm_graph.households import services
from csm_graph.schema.consumers.inputs import ADDRESS_FIELDS
from csm_graph.schema.consumers.mutations import ConsumerPayload
from csm_graph.schema.consumers.types import Consumer
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError, user_errors
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
from csm_graph.schema.node import decode_id
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


async def _household_payload(
    info: Info, household_id: int, member: HouseholdMember
) -> HouseholdPayload:
    record = await info.context.loaders.get(HouseholdByIdLoader).load(household_id)
    assert record is not None
    return HouseholdPayload(household=Household.from_model(record), member=member)


@strawberry.type
class HouseholdsMutation:
    @strawberry.mutation(
        description="Create a household (internal users).", permission_classes=[IsInternal]
    )
    async def household_create(self, info: Info, input: HouseholdCreateInput) -> HouseholdPayload:
        data: dict[str, object] = {"name": input.name}
        if input.notes is not None:
            data["notes"] = input.notes
        if input.address is not None:
            for key, value in given(input.address).items():
                data[ADDRESS_FIELDS[key]] = value
        try:
            household = await services.create_household(info.context.viewer, data)
        except UserErrors as exc:
            return HouseholdPayload(errors=user_errors(exc))
        return HouseholdPayload(household=Household.from_model(household))

    @strawberry.mutation(
        description="Make a consumer a current member of a household (internal users).",
        permission_classes=[IsInternal],
    )
    async def household_member_add(
        self, info: Info, input: HouseholdMemberAddInput
    ) -> HouseholdPayload:
        try:
            household_id = decode_id("householdId", input.household_id, "Household")
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            member = await services.add_member(
                info.context.viewer,
                household_id,
                consumer_id,
                input.relationship,
                is_head=input.is_head,
                start_date=input.start_date,
            )
        except UserErrors as exc:
            return HouseholdPayload(errors=user_errors(exc))
        return await _household_payload(
            info, household_id, HouseholdMember.from_model(member, clock.today())
        )

    @strawberry.mutation(
        description="End a current membership, keeping it as history (internal users).",
        permission_classes=[IsInternal],
    )
    async def household_member_end(
        self, info: Info, input: HouseholdMemberEndInput
    ) -> HouseholdPayload:
        try:
            household_id = decode_id("householdId", input.household_id, "Household")
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            new_head = (
                decode_id("newHeadConsumerId", input.new_head_consumer_id, "Consumer")
                if input.new_head_consumer_id is not None
                else None
            )
            member = await services.end_member(
                info.context.viewer,
                household_id,
                consumer_id,
                end_date=input.end_date,
                new_head_consumer_id=new_head,
            )
        except UserErrors as exc:
            return HouseholdPayload(errors=user_errors(exc))
        return await _household_payload(
            info, household_id, HouseholdMember.from_model(member, clock.today())
        )

    @strawberry.mutation(
        description="Choose a consumer's primary household among their current ones "
        "(internal users, or the consumer themselves).",
        permission_classes=[IsAuthenticated],
    )
    async def consumer_primary_household_set(
        self, info: Info, input: ConsumerPrimaryHouseholdSetInput
    ) -> ConsumerPayload:
        try:
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            household_id = decode_id("householdId", input.household_id, "Household")
            consumer = await services.set_primary_household(
                info.context.viewer, consumer_id, household_id
            )
        except UserErrors as exc:
            return ConsumerPayload(errors=user_errors(exc))
        return ConsumerPayload(consumer=Consumer.from_model(consumer))

    @strawberry.mutation(
        description="Let one consumer act for another over a period (internal users).",
        permission_classes=[IsInternal],
    )
    async def representative_add(
        self, info: Info, input: RepresentativeAddInput
    ) -> RepresentativePayload:
        try:
            representative_id = decode_id("representativeId", input.representative_id, "Consumer")
            consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
            representation = await services.add_representative(
                info.context.viewer,
                representative_id,
                consumer_id,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
            )
        except UserErrors as exc:
            return RepresentativePayload(errors=user_errors(exc))
        return RepresentativePayload(representation=Representation.from_model(representation))

    @strawberry.mutation(
        description="Remove a representation (internal users).", permission_classes=[IsInternal]
    )
    async def representative_remove(
        self, info: Info, input: RepresentativeRemoveInput
    ) -> RepresentativePayload:
        try:
            representation_id = decode_id("id", input.id, "Representation")
            representation = await services.remove_representative(
                info.context.viewer, representation_id
            )
        except UserErrors as exc:
            return RepresentativePayload(errors=user_errors(exc))
        return RepresentativePayload(representation=Representation.from_model(representation))
