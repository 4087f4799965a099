"""Inputs of customer access management."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.access.engine import CaseAction
from csm_graph.schema.access.types import SoldProductAction


@strawberry.input(description="A new responsibility (administrators).")
class ResponsibilityCreateInput:
    name: str = strawberry.field(description="A unique name, such as case collaborator.")
    description: str = strawberry.field(default="", description="What it is for.")
    case_actions: list[CaseAction] = strawberry.field(
        description="What it allows on cases; must include READ, cannot include WORK."
    )
    sold_product_actions: list[SoldProductAction] = strawberry.field(
        default_factory=list, description="What it allows on sold products."
    )


@strawberry.input(description="A new relationship type (administrators).")
class RelationshipTypeCreateInput:
    name: str = strawberry.field(description="A unique name, such as guarantor.")
    description: str = strawberry.field(default="", description="What it means.")
    applies_to_cases: bool = strawberry.field(default=True, description="For parties of cases.")
    applies_to_sold_products: bool = strawberry.field(
        default=False, description="For parties of sold products."
    )
    default_responsibility_id: strawberry.ID | None = strawberry.field(
        default=None, description="The responsibility new parties get; none: they get none."
    )


@strawberry.input(description="A new department related parties can name (administrators).")
class DepartmentCreateInput:
    name: str = strawberry.field(
        description="A unique name; internal users whose `department` reads the same, "
        "ignoring case and spacing, are its members."
    )


@strawberry.input(
    description="Relate a consumer, a user, a team or a department to a case or a sold product."
)
class RelatedPartyAddInput:
    case_id: strawberry.ID | None = strawberry.field(
        default=None, description="The case (or give soldProductId)."
    )
    sold_product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The sold product (or give caseId)."
    )
    consumer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The consumer (or give userId)."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The user, internal or not (or give consumerId)."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A team: its members hold the access while they are members (internal "
        "users only; not one of your own teams).",
    )
    department_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A department: the internal users in it hold the access while they are "
        "(not your own department).",
    )
    relationship_type_id: strawberry.ID = strawberry.field(description="What they are.")
    responsibility_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Their access; absent: the type's default; null: none.",
    )
    valid_from: dt.date | None = strawberry.field(
        default=None, description="First day their access applies; null: now."
    )
    valid_until: dt.date | None = strawberry.field(
        default=None, description="Last day their access applies; null: open-ended."
    )


@strawberry.input(description="Change a related party; absent fields stay as they are.")
class RelatedPartyUpdateInput:
    id: strawberry.ID = strawberry.field(description="The related party.")
    relationship_type_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="What they are."
    )
    responsibility_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Their access; null: none."
    )
    valid_from: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="First day their access applies; null: any."
    )
    valid_until: dt.date | None = strawberry.field(
        default=strawberry.UNSET, description="Last day their access applies; null: open-ended."
    )


@strawberry.input(description="Remove a related party; their access ends at once.")
class RelatedPartyRemoveInput:
    id: strawberry.ID = strawberry.field(description="The related party.")
