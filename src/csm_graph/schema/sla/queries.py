"""Queries of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.permissions import IsInternal
from csm_graph.schema.sla.types import SlaTarget
from csm_graph.sla import services


@strawberry.type
class SlaQuery:
    @strawberry.field(
        description="Every SLA target, by level and priority (internal users).",
        permission_classes=[IsInternal],
    )
    async def sla_targets(self, info: Info) -> list[SlaTarget]:
        return [SlaTarget.from_model(t) for t in await services.targets()]
