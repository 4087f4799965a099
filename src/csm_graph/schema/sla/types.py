"""GraphQL types of the SLA domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.schema.consumers.types import SlaLevel
from csm_graph.schema.context import Info
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.sla import models


@strawberry.type(description="How fast cases of one SLA level and priority must be handled.")
class SlaTarget(Node):
    model: strawberry.Private[models.SlaTarget]
    level: SlaLevel = strawberry.field(description="The consumer's SLA level.")
    priority: int = strawberry.field(description="The case priority, 1 (critical) to 4 (low).")
    response_minutes: int = strawberry.field(
        description="Minutes from opening to the first public reply by an internal user."
    )
    resolution_minutes: int = strawberry.field(
        description="Minutes from opening to a proposed solution, not counting time "
        "awaiting the consumer."
    )
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, t: models.SlaTarget) -> SlaTarget:
        return cls(
            id=to_global_id("SlaTarget", t.id),
            model=t,
            level=t.level,
            priority=t.priority,
            response_minutes=t.response_minutes,
            resolution_minutes=t.resolution_minutes,
            updated_at=t.updated_at,
        )


async def _sla_target_node(info: Info, pk: int) -> SlaTarget | None:
    target = await models.SlaTarget.get_or_none(id=pk)
    return SlaTarget.from_model(target) if target else None


register_node("SlaTarget", _sla_target_node)
