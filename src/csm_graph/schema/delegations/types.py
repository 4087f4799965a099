"""GraphQL types of the delegations domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph import clock
from csm_graph.delegations import models
from csm_graph.schema.consumers.types import Consumer, consumer_by_id
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible

register_enum(
    models.DelegationScope,
    name="DelegationScope",
    description="What a delegate may do with the consumer's cases.",
    values={
        models.DelegationScope.READ: "Read them.",
        models.DelegationScope.READ_AND_ACT: "Read them and act on them as the consumer "
        "would, and open cases for the consumer.",
    },
)


register_enum(
    models.DelegationStatus,
    name="DelegationStatus",
    description="Where a delegation stands today.",
    values={
        models.DelegationStatus.INVITED: "Waiting for the invitee to accept.",
        models.DelegationStatus.ACTIVE: "Accepted, and not past its last day.",
        models.DelegationStatus.ENDED: "Ended by the consumer or the delegate.",
        models.DelegationStatus.EXPIRED: "Past its last day, or the invitation's link ran out.",
    },
)


DelegationScope = models.DelegationScope
DelegationStatus = models.DelegationStatus


@strawberry.type(description="A consumer's delegation to another person, started by the consumer.")
class Delegation(Node):
    model: strawberry.Private[models.Delegation]
    consumer_id: strawberry.Private[int]
    delegate_id: strawberry.Private[int | None]
    email: str = strawberry.field(description="The invited address.")
    scope: DelegationScope = strawberry.field(description="What the delegate may do.")
    ends_on: dt.date = strawberry.field(description="The last day it holds.")
    status: DelegationStatus = strawberry.field(description="Where it stands today.")
    created_at: dt.datetime = strawberry.field(description="When the invitation was sent.")
    accepted_at: dt.datetime | None = strawberry.field(description="When it was accepted.")
    ended_at: dt.datetime | None = strawberry.field(description="When either side ended it.")

    @classmethod
    def from_model(cls, d: models.Delegation) -> Delegation:
        return cls(
            id=to_global_id("Delegation", d.id),
            model=d,
            consumer_id=d.consumer_id,
            delegate_id=d.delegate_id,
            email=d.email,
            scope=d.scope,
            ends_on=d.ends_on,
            status=d.status(clock.now()),
            created_at=d.created_at,
            accepted_at=d.accepted_at,
            ended_at=d.ended_at,
        )

    @strawberry.field(description="The consumer acted for.", extensions=[Visible()])
    async def consumer(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.consumer_id)

    @strawberry.field(
        description="The consumer who acts; null until the invitation is accepted.",
        extensions=[Visible()],
    )
    async def delegate(self, info: Info) -> Consumer | None:
        return await consumer_by_id(info, self.delegate_id)


async def _delegation_node(info: Info, pk: int) -> Delegation | None:
    delegation = await models.Delegation.get_or_none(id=pk)
    return Delegation.from_model(delegation) if delegation else None


register_node("Delegation", _delegation_node)
