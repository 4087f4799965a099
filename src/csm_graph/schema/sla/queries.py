"""Queries of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.permissions import IsInternal, Visible, restricted_field
from csm_graph.schema.sla.types import SlaSchedule, SlaTarget
from csm_graph.sla import schedules, services


@strawberry.type
class SlaQuery:
    @restricted_field(
        "Every SLA target, by level and priority.",
        IsInternal,
        extensions=[Visible()],
    )
    async def sla_targets(self, info: Info) -> list[SlaTarget]:
        return [SlaTarget.from_model(t) for t in await services.targets()]

    @restricted_field(
        "Every SLA schedule, by name.",
        IsInternal,
        extensions=[Visible()],
    )
    async def sla_schedules(self, info: Info) -> list[SlaSchedule]:
        return [SlaSchedule.from_model(s) for s in await schedules.schedules()]
