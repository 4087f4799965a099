"""Inputs of sold products."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A product a consumer bought (internal users).")
class SoldProductCreateInput:
    name: str = strawberry.field(description="What the product is.")
    serial_number: str = strawberry.field(default="", description="Its serial or contract number.")
    owner_id: strawberry.ID = strawberry.field(description="The consumer who owns it.")
    household_id: strawberry.ID | None = strawberry.field(
        default=None, description="The household it belongs to, if any."
    )
