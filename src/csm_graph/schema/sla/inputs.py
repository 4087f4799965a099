"""Inputs of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.consumers.types import SlaLevel


@strawberry.input(description="A new SLA target for one level and priority.")
class SlaTargetSetInput:
    level: SlaLevel = strawberry.field(description="The SLA level.")
    priority: int = strawberry.field(description="The case priority, 1 (critical) to 4 (low).")
    response_minutes: int = strawberry.field(description="Minutes to the first response.")
    resolution_minutes: int = strawberry.field(description="Minutes to a proposed solution.")
