"""Sold products: what consumers own, and what cases can be about."""

from __future__ import annotations

from dataclasses import dataclass, field

from csm_graph.consumers.models import Consumer
from csm_graph.demo.state import Demo
from csm_graph.demo.vocabulary import PRODUCTS
from csm_graph.products.models import SoldProduct


@dataclass
class Products:
    """The sold products, and the ids of each consumer's."""

    products: list[SoldProduct] = field(default_factory=list)
    of: dict[int, list[int]] = field(default_factory=dict)
    """Consumer id to the ids of the products they own."""


def build_products(demo: Demo, people: list[Consumer], current: dict[int, int]) -> Products:
    """Zero to three products per consumer, each with a serial number and
    shared with the household the owner belongs to now.

    Cases can be about a product, and a household's members see what the
    household owns, so product grants have rows to show and to hide.
    """
    rng = demo.rng
    built = Products()
    for consumer in people:
        for _ in range(rng.choices((0, 1, 2, 3), weights=(20, 40, 25, 15))[0]):
            product = SoldProduct(
                id=demo.ids.take(SoldProduct),
                name=rng.choice(PRODUCTS),
                serial_number=f"SN{rng.getrandbits(40):010X}",
                owner_id=consumer.id,
                household_id=current.get(consumer.id),
                created_at=demo.ago(900, 30),
            )
            built.products.append(product)
            built.of.setdefault(consumer.id, []).append(product.id)
    return built
