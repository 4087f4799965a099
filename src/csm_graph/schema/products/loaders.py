"""DataLoaders for sold products: one query per relation for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.products.models import SoldProduct
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class SoldProductByIdLoader(ById[SoldProduct]):
    model = SoldProduct


class SoldProductsByOwnerIdLoader(DataLoader[int, list[SoldProduct]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, owner_ids: Sequence[int]) -> list[list[SoldProduct]]:
        by_owner: dict[int, list[SoldProduct]] = defaultdict(list)
        for p in await SoldProduct.filter(owner_id__in=list(owner_ids)).order_by("id"):
            by_owner[p.owner_id].append(p)
        return [by_owner[i] for i in owner_ids]
