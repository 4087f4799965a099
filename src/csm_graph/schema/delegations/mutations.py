"""Mutations of the delegations domain."""

from __future__ import annotations

import strawberry

from csm_graph.delegations import services
from csm_graph.schema.context import Info
from csm_graph.schema.delegations.inputs import (
    DelegationAcceptInput,
    DelegationEndInput,
    DelegationInviteInput,
)
from csm_graph.schema.delegations.types import Delegation
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type(description="A delegation, or why the change was refused.")
class DelegationPayload:
    delegation: Delegation | None = strawberry.field(
        extensions=[Visible()], default=None, description="The delegation."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class DelegationsMutation:
    @mutation(
        "Invite someone by email to act for the viewer until a day (consumers); "
        "the invitation's link goes to that address.",
        IsAuthenticated,
    )
    async def delegation_invite(
        self, info: Info, input: DelegationInviteInput
    ) -> DelegationPayload:
        delegation = await services.invite(
            await info.context.actor(), input.email, input.scope, input.ends_on
        )
        return DelegationPayload(delegation=Delegation.from_model(delegation))

    @mutation(
        "Accept an invitation to act for a consumer, with the token from its link, "
        "logged in with the address it was sent to.",
        IsAuthenticated,
    )
    async def delegation_accept(
        self, info: Info, input: DelegationAcceptInput
    ) -> DelegationPayload:
        delegation = await services.accept(await info.context.actor(), input.token)
        return DelegationPayload(delegation=Delegation.from_model(delegation))

    @mutation("End a delegation (its consumer or its delegate).", IsAuthenticated)
    async def delegation_end(self, info: Info, input: DelegationEndInput) -> DelegationPayload:
        delegation = await services.end(
            await info.context.actor(), decode_id("id", input.id, "Delegation")
        )
        return DelegationPayload(delegation=Delegation.from_model(delegation))
