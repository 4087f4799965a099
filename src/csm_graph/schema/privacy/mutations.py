"""Erasure, erasure requests and legal holds."""

from __future__ import annotations

import strawberry

from csm_graph.privacy import erasure
from csm_graph.schema.consumers.types import Consumer, consumer_object
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAdmin, IsAuthenticated, Visible
from csm_graph.schema.privacy.inputs import (
    ConsumerEraseInput,
    ConsumerErasureRequestInput,
    ConsumerLegalHoldSetInput,
    ErasureRequestRejectInput,
)
from csm_graph.schema.privacy.types import ErasureRequest, erasure_request_object


@strawberry.type(description="The erased consumer and the request marking it, or why not.")
class ConsumerErasePayload:
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="The record as it stays: a pseudonym, no personal data.",
    )
    erasure_request: ErasureRequest | None = strawberry.field(
        extensions=[Visible()], default=None, description="The DONE request recording the erasure."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="An erasure request, or why the change was refused.")
class ErasureRequestPayload:
    erasure_request: ErasureRequest | None = strawberry.field(
        extensions=[Visible()], default=None, description="The request."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The consumer and their legal hold, or why the change was refused.")
class ConsumerLegalHoldSetPayload:
    consumer: Consumer | None = strawberry.field(
        extensions=[Visible()], default=None, description="The consumer."
    )
    legal_hold: bool | None = strawberry.field(
        default=None, description="Whether the record is now under a legal hold."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class PrivacyMutation:
    @mutation(
        "Erase a consumer's personal data: irreversible. The record stays under a "
        "pseudonym with its cases, states, SLA times and survey ratings; personal fields, "
        "the login, files, what they wrote and their grants go. Confirms the consumer's "
        "waiting request; refused under a legal hold; erasing again changes nothing.",
        IsAdmin,
    )
    async def consumer_erase(self, info: Info, input: ConsumerEraseInput) -> ConsumerErasePayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        done = await erasure.erase(info.context.viewer, consumer_id, input.reason)
        return ConsumerErasePayload(
            consumer=await consumer_object(info, done.consumer),
            erasure_request=ErasureRequest.from_model(done.request, done.consumer.number),
        )

    @mutation(
        "Ask for one's own consumer record to be erased: an administrator confirms "
        "(consumerErase) or rejects it. Asking again while it waits returns that request.",
        IsAuthenticated,
    )
    async def consumer_erasure_request(
        self, info: Info, input: ConsumerErasureRequestInput
    ) -> ErasureRequestPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        request = await erasure.request_erasure(await info.context.actor(), consumer_id)
        return ErasureRequestPayload(erasure_request=await erasure_request_object(request))

    @mutation("Reject a waiting erasure request, saying why.", IsAdmin)
    async def erasure_request_reject(
        self, info: Info, input: ErasureRequestRejectInput
    ) -> ErasureRequestPayload:
        request_id = decode_id("erasureRequestId", input.erasure_request_id, "ErasureRequest")
        assert info.context.viewer is not None
        request = await erasure.reject(info.context.viewer, request_id, input.reason)
        return ErasureRequestPayload(erasure_request=await erasure_request_object(request))

    @mutation(
        "Place or lift a consumer's legal hold: a held record is neither erased nor merged.",
        IsAdmin,
    )
    async def consumer_legal_hold_set(
        self, info: Info, input: ConsumerLegalHoldSetInput
    ) -> ConsumerLegalHoldSetPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        assert info.context.viewer is not None
        consumer = await erasure.set_legal_hold(info.context.viewer, consumer_id, input.hold)
        return ConsumerLegalHoldSetPayload(
            consumer=await consumer_object(info, consumer), legal_hold=consumer.legal_hold
        )
