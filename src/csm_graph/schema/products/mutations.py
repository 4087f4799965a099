"""Mutations of sold products."""

from __future__ import annotations

import strawberry

from csm_graph.products import services
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
from csm_graph.schema.permissions import IsInternal, Visible
from csm_graph.schema.products.inputs import SoldProductCreateInput
from csm_graph.schema.products.types import SoldProduct


@strawberry.type(description="A sold product, or why it was refused.")
class SoldProductPayload:
    sold_product: SoldProduct | None = strawberry.field(
        extensions=[Visible()], default=None, description="The product as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class ProductsMutation:
    @mutation("Record a product a consumer bought.", IsInternal)
    async def sold_product_create(
        self, info: Info, input: SoldProductCreateInput
    ) -> SoldProductPayload:
        record = await services.create_sold_product(
            info.context.viewer,
            name=input.name,
            serial_number=input.serial_number,
            owner_id=decode_id("ownerId", input.owner_id, "Consumer"),
            household_id=decode_optional_id("householdId", input.household_id, "Household"),
        )
        return SoldProductPayload(sold_product=SoldProduct.from_model(record))
