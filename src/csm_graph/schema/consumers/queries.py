"""Queries of the consumers domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.consumers import services
from csm_graph.schema.consumers.inputs import ConsumerFilter
from csm_graph.schema.consumers.types import Consumer
from csm_graph.schema.context import Info
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsInternal, Visible, restricted_field


@strawberry.type
class ConsumersQuery:
    @restricted_field(
        "Consumers, newest first, filtered.",
        IsInternal,
        extensions=[Visible()],
    )
    async def consumers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ConsumerFilter | None, strawberry.argument(description="Which consumers to list.")
        ] = None,
    ) -> Connection[Consumer]:
        queryset = services.visible_consumers(info.context.viewer)
        if filter is not None:
            if filter.search:
                queryset = services.search(queryset, filter.search)
            if filter.sla_level is not None:
                queryset = queryset.filter(sla_level=filter.sla_level)
            if filter.linked is not None:
                queryset = queryset.filter(user_id__isnull=not filter.linked)
        return await paginate(
            queryset,
            lambda rows: [Consumer.from_model(c) for c in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
