"""DataLoaders for delegations and their marks on case activity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.dataloader import DataLoader

from csm_graph.delegations.models import DelegatedActivity
from csm_graph.schema.node import to_global_id

if TYPE_CHECKING:
    from csm_graph.schema.context import Context, Info


class DelegationIdByActivityIdLoader(DataLoader[int, int | None]):
    """The delegation each activity entry was made under, if any: one query per page."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, activity_ids: Sequence[int]) -> list[int | None]:
        rows: list[Any] = await DelegatedActivity.filter(
            activity_id__in=list(activity_ids)
        ).values_list("activity_id", "delegation_id")
        marks = {int(a): int(d) for a, d in rows}
        return [marks.get(i) for i in activity_ids]


async def activity_delegation_id(info: Info, activity_id: int) -> strawberry.ID | None:
    """The global id of the delegation an activity entry was made under, if any
    (for `CaseActivity.delegationId`)."""
    loader = info.context.loaders.get(DelegationIdByActivityIdLoader)
    delegation_id = await loader.load(activity_id)
    return to_global_id("Delegation", delegation_id) if delegation_id is not None else None
