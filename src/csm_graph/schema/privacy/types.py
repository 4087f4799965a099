"""The objects of the privacy domain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from csm_graph.privacy import models
from csm_graph.privacy.models import ErasureState
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id

register_enum(
    ErasureState,
    name="ErasureRequestState",
    description="Where an erasure request stands.",
    values={
        ErasureState.REQUESTED: "Asked for by the consumer; waiting for an administrator.",
        ErasureState.DONE: "The consumer's personal data was erased.",
        ErasureState.REJECTED: "An administrator refused it (see `decisionReason`).",
    },
)
ErasureRequestState = ErasureState


@strawberry.type(
    description="A request to erase a consumer's personal data, and what was decided. "
    "A DONE request is the record that the consumer was erased."
)
class ErasureRequest(Node):
    model: strawberry.Private[models.ErasureRequest]
    consumer_id: strawberry.ID = strawberry.field(
        description="The consumer's id (their record stays, under a pseudonym, once erased)."
    )
    consumer_number: str = strawberry.field(description="The consumer's number (CON0001234).")
    state: ErasureRequestState = strawberry.field(description="REQUESTED, DONE or REJECTED.")
    reason: str = strawberry.field(
        description="Why it was asked for: a legal basis or a ticket reference, or that the "
        "consumer asked."
    )
    decision_reason: str = strawberry.field(
        description="Why an administrator confirmed or rejected it (empty while it waits)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was asked for.")
    decided_at: dt.datetime | None = strawberry.field(
        description="When it was confirmed or rejected."
    )

    @classmethod
    def from_model(cls, request: models.ErasureRequest, consumer_number: str) -> ErasureRequest:
        return cls(
            model=request,
            id=to_global_id("ErasureRequest", request.id),
            consumer_id=to_global_id("Consumer", request.consumer_id),
            consumer_number=consumer_number,
            state=request.state,
            reason=request.reason,
            decision_reason=request.decision_reason,
            created_at=request.created_at,
            decided_at=request.decided_at,
        )


async def _erasure_request_node(info: Info, pk: int) -> ErasureRequest | None:
    from csm_graph.consumers.models import Consumer

    request = await models.ErasureRequest.get_or_none(id=pk)
    if request is None:
        return None
    numbers: list[Any] = await Consumer.filter(id=request.consumer_id).values_list(
        "number", flat=True
    )
    return ErasureRequest.from_model(request, str(numbers[0]) if numbers else "")


register_node("ErasureRequest", _erasure_request_node)
