"""Mutations of customer access management."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from csm_graph.access import models, services
from csm_graph.errors import UserErrors
from csm_graph.schema.access.inputs import (
    RelatedPartyAddInput,
    RelatedPartyRemoveInput,
    RelatedPartyUpdateInput,
    RelationshipTypeCreateInput,
    ResponsibilityCreateInput,
)
from csm_graph.schema.access.types import RelatedParty, RelationshipType, Responsibility
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError, user_errors
from csm_graph.schema.inputs import given
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type(description="A responsibility, or why it was refused.")
class ResponsibilityPayload:
    responsibility: Responsibility | None = strawberry.field(
        extensions=[Visible()], default=None, description="The responsibility as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="A relationship type, or why it was refused.")
class RelationshipTypePayload:
    relationship_type: RelationshipType | None = strawberry.field(
        extensions=[Visible()], default=None, description="The relationship type as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="A related party, or why the change was refused.")
class RelatedPartyPayload:
    related_party: RelatedParty | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="The related party as saved (as it was, once removed).",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


async def _party_payload(
    change: Callable[[], Awaitable[models.RelatedParty]],
) -> RelatedPartyPayload:
    try:
        party = await change()
    except UserErrors as exc:
        return RelatedPartyPayload(errors=user_errors(exc))
    return RelatedPartyPayload(related_party=RelatedParty.from_model(party))


def _optional_id(field: str, value: strawberry.ID | None, type_name: str) -> int | None:
    return decode_id(field, value, type_name) if value else None


_ID_FIELDS = {
    "case_id": ("caseId", "Case"),
    "sold_product_id": ("soldProductId", "SoldProduct"),
    "consumer_id": ("consumerId", "Consumer"),
    "user_id": ("userId", "User"),
    "relationship_type_id": ("relationshipTypeId", "RelationshipType"),
    "responsibility_id": ("responsibilityId", "Responsibility"),
}


def _decoded(data: dict[str, object]) -> dict[str, object]:
    for key, (field, type_name) in _ID_FIELDS.items():
        if key in data:
            value = data[key]
            data[key] = decode_id(field, str(value), type_name) if value else None
    return data


@strawberry.type
class AccessMutation:
    @strawberry.mutation(
        description="Define a responsibility and what it allows (administrators).",
        permission_classes=[IsAuthenticated],
    )
    async def responsibility_create(
        self, info: Info, input: ResponsibilityCreateInput
    ) -> ResponsibilityPayload:
        try:
            record = await services.create_responsibility(
                info.context.viewer,
                name=input.name,
                description=input.description,
                case_actions=[a.value for a in input.case_actions],
                product_actions=[a.value for a in input.sold_product_actions],
            )
        except UserErrors as exc:
            return ResponsibilityPayload(errors=user_errors(exc))
        return ResponsibilityPayload(responsibility=Responsibility.from_model(record))

    @strawberry.mutation(
        description="Define a relationship type (administrators).",
        permission_classes=[IsAuthenticated],
    )
    async def relationship_type_create(
        self, info: Info, input: RelationshipTypeCreateInput
    ) -> RelationshipTypePayload:
        try:
            record = await services.create_relationship_type(
                info.context.viewer,
                name=input.name,
                description=input.description,
                for_cases=input.applies_to_cases,
                for_sold_products=input.applies_to_sold_products,
                default_responsibility_id=_optional_id(
                    "defaultResponsibilityId", input.default_responsibility_id, "Responsibility"
                ),
            )
        except UserErrors as exc:
            return RelationshipTypePayload(errors=user_errors(exc))
        return RelationshipTypePayload(relationship_type=RelationshipType.from_model(record))

    @strawberry.mutation(
        description="Relate a consumer or a user to a case or a sold product: agents and "
        "administrators, or a party whose responsibility manages related parties.",
        permission_classes=[IsAuthenticated],
    )
    async def related_party_add(
        self, info: Info, input: RelatedPartyAddInput
    ) -> RelatedPartyPayload:
        async def change() -> models.RelatedParty:
            return await services.add_related_party(info.context.viewer, _decoded(given(input)))

        return await _party_payload(change)

    @strawberry.mutation(
        description="Change a related party's type, responsibility or validity.",
        permission_classes=[IsAuthenticated],
    )
    async def related_party_update(
        self, info: Info, input: RelatedPartyUpdateInput
    ) -> RelatedPartyPayload:
        async def change() -> models.RelatedParty:
            data = given(input)
            party_id = decode_id("id", str(data.pop("id")), "RelatedParty")
            if "relationship_type_id" in data and data["relationship_type_id"] is None:
                raise UserErrors.one("relationshipTypeId", "A party needs a relationship type.")
            return await services.update_related_party(
                info.context.viewer, party_id, _decoded(data)
            )

        return await _party_payload(change)

    @strawberry.mutation(
        description="Remove a related party; what it granted ends at once.",
        permission_classes=[IsAuthenticated],
    )
    async def related_party_remove(
        self, info: Info, input: RelatedPartyRemoveInput
    ) -> RelatedPartyPayload:
        async def change() -> models.RelatedParty:
            party_id = decode_id("id", input.id, "RelatedParty")
            return await services.remove_related_party(info.context.viewer, party_id)

        return await _party_payload(change)
