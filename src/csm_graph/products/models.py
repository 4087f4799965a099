"""Sold products: what a consumer bought, which cases can be about."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from csm_graph.consumers.models import Consumer
    from csm_graph.households.models import Household


class SoldProduct(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    serial_number = fields.CharField(max_length=100, default="", db_index=True)
    owner: fields.ForeignKeyRelation[Consumer] = fields.ForeignKeyField(
        "consumers.Consumer", related_name="sold_products", on_delete=fields.RESTRICT
    )
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "households.Household", related_name="sold_products", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    owner_id: int
    household_id: int | None

    class Meta:
        table = "sold_product"
        indexes = (("owner_id", "id"), ("household_id", "id"))
