"""Queries of the delegations domain."""

from __future__ import annotations

import strawberry

from csm_graph.delegations import services
from csm_graph.delegations.models import Delegation as DelegationModel
from csm_graph.schema.context import Info
from csm_graph.schema.delegations.types import Delegation
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type
class DelegationsQuery:
    @strawberry.field(
        description="The delegations the viewer (a consumer) gave or holds, newest first, "
        "ended and expired ones included (the latest 100); empty for internal users.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def delegations(self, info: Info) -> list[Delegation]:
        subject = await info.context.actor()
        rows = await DelegationModel.filter(services.listed_for(subject)).order_by("-id").limit(100)
        return [Delegation.from_model(d) for d in rows]
