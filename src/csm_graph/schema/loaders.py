"""The DataLoader every domain has: rows of one model by primary key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from csm_graph.db import fetch_by_ids

if TYPE_CHECKING:
    from csm_graph.schema.context import Context

M = TypeVar("M", bound=Model)


class ById(DataLoader[int, M | None]):
    """Rows of one model by primary key, one query per batch; None for an id with
    no row. A subclass names its model: `class UserByIdLoader(ById[User]): model = User`."""

    model: type[M]

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[M | None]:
        found = {row.pk: row for row in await fetch_by_ids(self.model, ids)}
        return [found.get(i) for i in ids]
