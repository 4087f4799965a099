"""DataLoaders for customer access: one query per relation for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q

from csm_graph.access.models import (
    Department,
    RelatedParty,
    RelationshipType,
    Responsibility,
    department_key,
)
from csm_graph.accounts.models import User, UserType
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class ResponsibilityByIdLoader(ById[Responsibility]):
    model = Responsibility


class RelationshipTypeByIdLoader(ById[RelationshipType]):
    model = RelationshipType


class DepartmentByIdLoader(ById[Department]):
    model = Department


class MembersByDepartmentNameLoader(DataLoader[str, list[User]]):
    """The active internal users of each department (by its name), as the engine
    matches them (`department_key`), in one query per page."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, names: Sequence[str]) -> list[list[User]]:
        wanted = Q()
        for name in names:
            wanted |= Q(department__iexact=name)
        users = await User.filter(wanted, user_type=UserType.INTERNAL, is_active=True).order_by(
            "id"
        )
        by_key: dict[str, list[User]] = defaultdict(list)
        for user in users:
            by_key[department_key(user.department)].append(user)
        return [by_key[department_key(n)] for n in names]


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
