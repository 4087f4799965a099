"""Erasure requests for administrators."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.privacy import models
from csm_graph.schema.context import Info
from csm_graph.schema.pagination import After, Before, Connection, Edge, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, Visible, restricted_field
from csm_graph.schema.privacy.types import ErasureRequest, ErasureRequestState, consumer_numbers


@strawberry.type(name="ErasureRequestConnection", description="A page of erasure requests.")
class ErasureRequestConnection(Connection[ErasureRequest]):
    pass


@strawberry.type
class PrivacyQuery:
    @restricted_field(
        "Erasure requests, newest first. Pass `state: REQUESTED` for those waiting.",
        IsAdmin,
        extensions=[Visible()],
    )
    async def erasure_requests(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        state: Annotated[
            ErasureRequestState | None,
            strawberry.argument(description="Only requests in this state; null: all."),
        ] = None,
    ) -> ErasureRequestConnection:
        queryset = models.ErasureRequest.all()
        if state is not None:
            queryset = queryset.filter(state=state)
        page = await paginate(
            queryset, list, first=first, after=after, last=last, before=before, descending=True
        )
        numbers = await consumer_numbers(sorted({e.node.consumer_id for e in page.edges}))
        edges = [
            Edge(
                cursor=e.cursor,
                node=ErasureRequest.from_model(e.node, numbers.get(e.node.consumer_id, "")),
            )
            for e in page.edges
        ]
        return ErasureRequestConnection(edges=edges, page_info=page.page_info, count=page.count)
