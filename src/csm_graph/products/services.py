"""Sold products: creating them, and which cases may name them (who may see
them is `access.policy`'s)."""

from __future__ import annotations

from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.accounts.viewer import Viewer
from csm_graph.consumers.models import Consumer
from csm_graph.errors import ErrorCode, ErrorList, UserErrors
from csm_graph.households.models import Household
from csm_graph.products.models import SoldProduct
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text


async def create_sold_product(
    viewer: Viewer | None,
    *,
    name: str | None,
    serial_number: str | None,
    owner_id: int,
    household_id: int | None,
) -> SoldProduct:
    """Record a product a consumer bought (internal users)."""
    if viewer is None or not viewer.is_internal:
        raise UserErrors.one(None, "Only internal users record sold products.", ErrorCode.FORBIDDEN)
    errors = ErrorList()
    clean_name = serial = ""
    try:
        clean_name = require_text("name", name, max_length=200)
    except UserErrors as exc:
        errors.errors.extend(exc.errors)
    try:
        serial = require_text("serial_number", serial_number, max_length=100, required=False)
    except UserErrors as exc:
        errors.errors.extend(exc.errors)
    if not await Consumer.filter(id=owner_id, merged_into_id=None).exists():
        errors.add("owner_id", "No such consumer.", ErrorCode.NOT_FOUND)
    if household_id is not None and not await Household.filter(id=household_id).exists():
        errors.add("household_id", "No such household.", ErrorCode.NOT_FOUND)
    errors.raise_if_any()
    async with unit_of_work():
        return await SoldProduct.create(
            name=clean_name, serial_number=serial, owner_id=owner_id, household_id=household_id
        )


async def product_for_case(
    subject: Subject, sold_product_id: int, consumer_id: int, household_id: int | None
) -> SoldProduct:
    """The product a new case is about: one the viewer sees, of the consumer or
    of the case's household."""
    product = await policy.require_visible(
        subject,
        await SoldProduct.get_or_none(id=sold_product_id),
        "sold_product_id",
        "sold product",
    )
    if product.owner_id != consumer_id and (
        product.household_id is None or product.household_id != household_id
    ):
        raise UserErrors.one(
            "sold_product_id",
            "The product belongs to neither the consumer nor the case's household.",
            ErrorCode.INVALID,
        )
    return product
