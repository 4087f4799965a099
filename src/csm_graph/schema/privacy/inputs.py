"""Inputs of the privacy mutations."""

from __future__ import annotations

import strawberry


@strawberry.input(description="The consumer to erase, and why.")
class ConsumerEraseInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer to erase.")
    reason: str = strawberry.field(
        default="",
        description="The legal basis or a ticket reference, never the person's own data; "
        "required unless it confirms the consumer's own request.",
    )


@strawberry.input(description="The consumer asking for their own record to be erased.")
class ConsumerErasureRequestInput:
    consumer_id: strawberry.ID = strawberry.field(description="The viewer's own consumer record.")


@strawberry.input(description="A waiting erasure request to refuse, and why.")
class ErasureRequestRejectInput:
    erasure_request_id: strawberry.ID = strawberry.field(description="The request.")
    reason: str = strawberry.field(
        description="Why it is refused (the consumer is told this); never their own data."
    )


@strawberry.input(description="Place or lift a consumer's legal hold.")
class ConsumerLegalHoldSetInput:
    consumer_id: strawberry.ID = strawberry.field(description="The consumer.")
    hold: bool = strawberry.field(
        description="True: the record may be neither erased nor merged away until lifted."
    )
