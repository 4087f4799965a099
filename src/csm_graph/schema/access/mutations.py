"""Mutations of customer access management."""

from __future__ import annotations

from typing import Any

import strawberry

from csm_graph.access import models, services
from csm_graph.access.services import PartyChanges, PartyDraft
from csm_graph.errors import UserErrors
from csm_graph.schema.access.inputs import (
    DepartmentCreateInput,
    RelatedPartyAddInput,
    RelatedPartyRemoveInput,
    RelatedPartyUpdateInput,
    RelationshipTypeCreateInput,
    ResponsibilityCreateInput,
)
from csm_graph.schema.access.types import (
    Department,
    RelatedParty,
    RelationshipType,
    Responsibility,
)
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.inputs import given
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
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


@strawberry.type(description="A department, or why it was refused.")
class DepartmentPayload:
    department: Department | None = strawberry.field(
        extensions=[Visible()], default=None, description="The department as saved."
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

    @classmethod
    def of(cls, party: models.RelatedParty) -> RelatedPartyPayload:
        return cls(related_party=RelatedParty.from_model(party))


_ID_FIELDS = {
    "case_id": ("caseId", "Case"),
    "sold_product_id": ("soldProductId", "SoldProduct"),
    "consumer_id": ("consumerId", "Consumer"),
    "user_id": ("userId", "User"),
    "team_id": ("teamId", "Team"),
    "department_id": ("departmentId", "Department"),
    "relationship_type_id": ("relationshipTypeId", "RelationshipType"),
    "responsibility_id": ("responsibilityId", "Responsibility"),
}


def _decoded(data: dict[str, Any]) -> dict[str, Any]:
    for key, (field, type_name) in _ID_FIELDS.items():
        if key in data:
            value = data[key]
            data[key] = decode_id(field, str(value), type_name) if value else None
    return data


@strawberry.type
class AccessMutation:
    @mutation("Define a responsibility and what it allows (administrators).", IsAuthenticated)
    async def responsibility_create(
        self, info: Info, input: ResponsibilityCreateInput
    ) -> ResponsibilityPayload:
        record = await services.create_responsibility(
            info.context.viewer,
            name=input.name,
            description=input.description,
            case_actions=[a.value for a in input.case_actions],
            product_actions=[a.value for a in input.sold_product_actions],
        )
        return ResponsibilityPayload(responsibility=Responsibility.from_model(record))

    @mutation("Define a relationship type (administrators).", IsAuthenticated)
    async def relationship_type_create(
        self, info: Info, input: RelationshipTypeCreateInput
    ) -> RelationshipTypePayload:
        record = await services.create_relationship_type(
            info.context.viewer,
            name=input.name,
            description=input.description,
            for_cases=input.applies_to_cases,
            for_sold_products=input.applies_to_sold_products,
            default_responsibility_id=decode_optional_id(
                "defaultResponsibilityId", input.default_responsibility_id, "Responsibility"
            ),
        )
        return RelationshipTypePayload(relationship_type=RelationshipType.from_model(record))

    @mutation("Define a department related parties can name (administrators).", IsAuthenticated)
    async def department_create(
        self, info: Info, input: DepartmentCreateInput
    ) -> DepartmentPayload:
        record = await services.create_department(info.context.viewer, name=input.name)
        return DepartmentPayload(department=Department.from_model(record))

    @mutation(
        "Relate a consumer, a user, a team or a department to a case or a sold product: "
        "agents and administrators, or a party whose responsibility manages related parties.",
        IsAuthenticated,
    )
    async def related_party_add(
        self, info: Info, input: RelatedPartyAddInput
    ) -> RelatedPartyPayload:
        draft = PartyDraft(**_decoded(given(input)))
        return RelatedPartyPayload.of(
            await services.add_related_party(await info.context.actor(), draft)
        )

    @mutation("Change a related party's type, responsibility or validity.", IsAuthenticated)
    async def related_party_update(
        self, info: Info, input: RelatedPartyUpdateInput
    ) -> RelatedPartyPayload:
        data = given(input)
        party_id = decode_id("id", str(data.pop("id")), "RelatedParty")
        if "relationship_type_id" in data and data["relationship_type_id"] is None:
            raise UserErrors.one("relationshipTypeId", "A party needs a relationship type.")
        party = await services.update_related_party(
            await info.context.actor(), party_id, PartyChanges(**_decoded(data))
        )
        return RelatedPartyPayload.of(party)

    @mutation("Remove a related party; what it granted ends at once.", IsAuthenticated)
    async def related_party_remove(
        self, info: Info, input: RelatedPartyRemoveInput
    ) -> RelatedPartyPayload:
        party_id = decode_id("id", input.id, "RelatedParty")
        return RelatedPartyPayload.of(
            await services.remove_related_party(await info.context.actor(), party_id)
        )
