"""Mutations of inbound email."""

from __future__ import annotations

import strawberry

from csm_graph.mailin import services
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mailin.inputs import InboundEmailReprocessInput
from csm_graph.schema.mailin.types import InboundEmail
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsInternal, Visible


@strawberry.type(description="The inbound email queued for processing, or why not.")
class InboundEmailReprocessPayload:
    inbound_email: InboundEmail | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="The email, RECEIVED again; follow it with node(id:) or inboundEmails.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class MailinMutation:
    @mutation(
        "Process a FAILED, PARKED or IGNORED inbound email again (after fixing what failed, "
        "or giving its sender access to the case): internal users who see it.",
        IsInternal,
    )
    async def inbound_email_reprocess(
        self, info: Info, input: InboundEmailReprocessInput
    ) -> InboundEmailReprocessPayload:
        pk = decode_id("id", input.id, "InboundEmail")
        row = await services.reprocess(await info.context.actor(), pk)
        return InboundEmailReprocessPayload(inbound_email=InboundEmail.from_model(row))
