"""Queries of the data exports domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.exports import models
from csm_graph.schema.context import Info
from csm_graph.schema.exports.types import DataExport
from csm_graph.schema.node import decode_query_id
from csm_graph.schema.permissions import IsAuthenticated, Visible

LISTED = 100
"""The most recent exports a list shows."""


@strawberry.type
class ExportsQuery:
    @strawberry.field(
        description="A consumer's data exports, newest first (the last 100): administrators "
        "and the consumer's own login; empty for anyone else.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def data_exports(
        self,
        info: Info,
        consumer_id: Annotated[
            strawberry.ID, strawberry.argument(description="The consumer whose exports to list.")
        ],
    ) -> list[DataExport]:
        pk = decode_query_id(consumer_id, "Consumer")
        if pk is None:
            return []
        rows = await models.DataExport.filter(consumer_id=pk).order_by("-id").limit(LISTED)
        return [DataExport.from_model(row) for row in rows]
