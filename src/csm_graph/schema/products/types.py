"""GraphQL types of sold products."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.products import models
from csm_graph.schema.context import Info
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible
from csm_graph.schema.products.loaders import SoldProductByIdLoader, SoldProductsByOwnerIdLoader

if TYPE_CHECKING:
    from csm_graph.schema.access.types import RelatedParty
    from csm_graph.schema.consumers.types import Consumer
    from csm_graph.schema.households.types import Household


@strawberry.type(description="A product a consumer bought; cases can be about it.")
class SoldProduct(Node):
    model: strawberry.Private[models.SoldProduct]
    name: str = strawberry.field(description="What the product is.")
    serial_number: str = strawberry.field(description="Its serial or contract number.")
    created_at: dt.datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_model(cls, p: models.SoldProduct) -> SoldProduct:
        return cls(
            id=to_global_id("SoldProduct", p.id),
            model=p,
            name=p.name,
            serial_number=p.serial_number,
            created_at=p.created_at,
        )

    @strawberry.field(description="The consumer who owns it.", extensions=[Visible()])
    async def owner(
        self, info: Info
    ) -> Annotated[Consumer, strawberry.lazy("csm_graph.schema.consumers.types")] | None:
        from csm_graph.schema.consumers.types import consumer_by_id

        return await consumer_by_id(info, self.model.owner_id)

    @strawberry.field(description="The household it belongs to, if any.", extensions=[Visible()])
    async def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("csm_graph.schema.households.types")] | None:
        from csm_graph.schema.households.types import household_by_id

        return await household_by_id(info, self.model.household_id)

    @strawberry.field(
        description="Who is related to the product; they reach every case about it.",
        extensions=[Visible()],
    )
    async def related_parties(
        self, info: Info
    ) -> list[Annotated[RelatedParty, strawberry.lazy("csm_graph.schema.access.types")]]:
        from csm_graph.schema.access.types import product_related_parties

        return await product_related_parties(info, self.model.id)


async def consumer_sold_products(info: Info, consumer_id: int) -> list[SoldProduct]:
    rows = await info.context.loaders.get(SoldProductsByOwnerIdLoader).load(consumer_id)
    return [SoldProduct.from_model(p) for p in rows]


async def sold_product_by_id(info: Info, product_id: int | None) -> SoldProduct | None:
    """A product's GraphQL object; visibility is the field's to check."""
    if product_id is None:
        return None
    record = await info.context.loaders.get(SoldProductByIdLoader).load(product_id)
    return SoldProduct.from_model(record) if record else None


register_node("SoldProduct", sold_product_by_id)
