"""GraphQL types of inbound email."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from csm_graph.mailin import models, services
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible

if TYPE_CHECKING:
    from csm_graph.schema.cases.types import Case

register_enum(
    models.InboundState,
    name="InboundEmailState",
    description="What processing made of an inbound email.",
    values={
        models.InboundState.RECEIVED: "Stored; processing has not finished yet.",
        models.InboundState.ATTACHED: "Added to its case as a public comment.",
        models.InboundState.OPENED: "Opened a new case.",
        models.InboundState.PARKED: "Kept for an agent (see `reason`): the sender may not "
        "comment on the case it answers, the case is closed, or unknown senders are refused.",
        models.InboundState.IGNORED: "Sent by a machine (an auto-reply, a bounce, a list), "
        "a mail loop, or over the sender's rate limit: nothing was done or sent.",
        models.InboundState.FAILED: "Processing failed (see `reason`); it is tried again.",
    },
)
InboundEmailState = models.InboundState

register_enum(
    models.Intake,
    name="InboundEmailIntake",
    description="How an inbound email arrived.",
    values={
        models.Intake.SMTP: "Delivered to the SMTP server (`csm-graph mail-in`).",
        models.Intake.IMAP: "Fetched from a mailbox (`csm-graph mail-poll`).",
    },
)
InboundEmailIntake = models.Intake


@strawberry.type(
    description="An email taken in by SMTP or IMAP, kept as it arrived, and what "
    "processing made of it: a comment, a case, or a reason it was parked or ignored."
)
class InboundEmail(Node):
    model: strawberry.Private[models.InboundEmail]
    intake: InboundEmailIntake = strawberry.field(description="SMTP or IMAP.")
    state: InboundEmailState = strawberry.field(description="What processing made of it.")
    sender: str = strawberry.field(description="The `From` address, lower-cased.")
    envelope_from: str = strawberry.field(
        description="The SMTP `MAIL FROM` (empty for a bounce and for IMAP)."
    )
    envelope_to: list[str] = strawberry.field(
        description="The recipients it was accepted for (the mailbox's login for IMAP)."
    )
    message_id: str = strawberry.field(description="Its `Message-ID` header.")
    subject: str = strawberry.field(description="Its `Subject` header.")
    size: int = strawberry.field(description="Its size in bytes, as received.")
    received_at: dt.datetime = strawberry.field(description="When it was received.")
    processed_at: dt.datetime | None = strawberry.field(
        description="When processing last ran; null before it has."
    )
    attempts: int = strawberry.field(description="Processing runs so far.")
    reason: str = strawberry.field(
        description="Why it was parked or ignored, the error it failed with, or how its "
        "case was found; empty otherwise."
    )

    @classmethod
    def from_model(cls, row: models.InboundEmail) -> InboundEmail:
        return cls(
            id=to_global_id("InboundEmail", row.id),
            model=row,
            intake=row.intake,
            state=row.state,
            sender=row.sender,
            envelope_from=row.envelope_from,
            envelope_to=list(row.envelope_to),
            message_id=row.message_id,
            subject=row.subject,
            size=row.size,
            received_at=row.received_at,
            processed_at=row.processed_at,
            attempts=row.attempts,
            reason=row.reason,
        )

    @strawberry.field(
        description="Its text as processing reads it: the plain part (or the HTML part "
        "made text), quoted history and signature trimmed."
    )
    async def text(self) -> str:
        return await services.text_of(self.model)

    @strawberry.field(
        description="The case it opened or joined (or would have joined, when parked); "
        "null when none, or when the viewer may not read it.",
        extensions=[Visible()],
    )
    async def case(
        self, info: Info
    ) -> Annotated[Case, strawberry.lazy("csm_graph.schema.cases.types")] | None:
        from csm_graph.schema.cases.types import case_by_id

        return await case_by_id(info, self.model.case_id)


async def _inbound_email_node(info: Info, pk: int) -> InboundEmail | None:
    row = await models.InboundEmail.get_or_none(id=pk)
    return InboundEmail.from_model(row) if row else None


register_node("InboundEmail", _inbound_email_node)
