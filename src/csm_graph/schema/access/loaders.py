"""DataLoaders for customer access: one query per relation for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class ResponsibilityByIdLoader(ById[Responsibility]):
    model = Responsibility


class RelationshipTypeByIdLoader(ById[RelationshipType]):
    model = RelationshipType


class RelatedPartiesByCaseIdLoader(DataLoader[int, list[RelatedParty]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, case_ids: Sequence[int]) -> list[list[RelatedParty]]:
        by_case: dict[int, list[RelatedParty]] = defaultdict(list)
        for p in await RelatedParty.filter(case_id__in=list(case_ids)).order_by("id"):
            by_case[p.case_id or 0].append(p)
        return [by_case[i] for i in case_ids]


class RelatedPartiesBySoldProductIdLoader(DataLoader[int, list[RelatedParty]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, product_ids: Sequence[int]) -> list[list[RelatedParty]]:
        by_product: dict[int, list[RelatedParty]] = defaultdict(list)
        for p in await RelatedParty.filter(sold_product_id__in=list(product_ids)).order_by("id"):
            by_product[p.sold_product_id or 0].append(p)
        return [by_product[i] for i in product_ids]
