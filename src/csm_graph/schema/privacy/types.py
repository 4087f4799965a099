"""The objects of the privacy domain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry

from csm_graph.consumers.models import Consumer
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


async def consumer_numbers(consumer_ids: Iterable[int]) -> dict[int, str]:
    """The consumers' numbers, in one query (none for no ids)."""
    wanted = sorted(set(consumer_ids))
    if not wanted:
        return {}
    found: list[Any] = await Consumer.filter(id__in=wanted).values_list("id", "number")
    return {int(i): str(n) for i, n in found}


async def erasure_request_object(request: models.ErasureRequest) -> ErasureRequest:
    """The GraphQL object of one request, with its consumer's number."""
    numbers = await consumer_numbers([request.consumer_id])
    return ErasureRequest.from_model(request, numbers.get(request.consumer_id, ""))


async def _erasure_request_node(info: Info, pk: int) -> ErasureRequest | None:
    request = await models.ErasureRequest.get_or_none(id=pk)
    return await erasure_request_object(request) if request else None


register_node("ErasureRequest", _erasure_request_node)
