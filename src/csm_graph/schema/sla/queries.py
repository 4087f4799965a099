"""Queries of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.permissions import IsInternal, Visible, restricted_field
from csm_graph.schema.sla.types import SlaTarget
from csm_graph.sla import services


@strawberry.type
class SlaQuery:
    @restricted_field(
        "Every SLA target, by level and priority.",
        IsInternal,
        extensions=[Visible()],
    )
    async def sla_targets(self, info: Info) -> list[SlaTarget]:
        return [SlaTarget.from_model(t) for t in await services.targets()]
