"""Queries of the households domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.households import services
from csm_graph.schema.context import Info
from csm_graph.schema.households.inputs import HouseholdFilter
from csm_graph.schema.households.types import Household
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type
class HouseholdsQuery:
    @strawberry.field(
        description="Households, newest first: every one for internal users, a consumer's "
        "own current households otherwise.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def households(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            HouseholdFilter | None, strawberry.argument(description="Which households to list.")
        ] = None,
    ) -> Connection[Household]:
        queryset = services.visible_households(info.context.viewer)
        if filter is not None and filter.search:
            queryset = services.search(queryset, filter.search)
        reach = await info.context.reach()
        return await paginate(
            queryset,
            lambda rows: [
                Household.from_model(h, viewer_is_head=h.id in reach.headed_household_ids)
                for h in rows
            ],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
