"""Mutations of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.permissions import IsAdmin, Visible
from csm_graph.schema.sla.inputs import SlaTargetSetInput
from csm_graph.schema.sla.types import SlaTarget
from csm_graph.sla import services


@strawberry.type(description="An SLA target, or why the change was refused.")
class SlaTargetPayload:
    target: SlaTarget | None = strawberry.field(
        extensions=[Visible()], default=None, description="The target as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class SlaMutation:
    @mutation(
        "Set the response and resolution targets of one SLA level and priority. "
        "New cases use it; a running case when its priority changes.",
        IsAdmin,
    )
    async def sla_target_set(self, info: Info, input: SlaTargetSetInput) -> SlaTargetPayload:
        target = await services.set_target(
            info.context.viewer,
            input.level,
            input.priority,
            input.response_minutes,
            input.resolution_minutes,
        )
        return SlaTargetPayload(target=SlaTarget.from_model(target))
