"""Inputs of inbound email."""

from __future__ import annotations

import strawberry

from csm_graph.schema.mailin.types import InboundEmailState


@strawberry.input(description="Which inbound emails to list; every condition given must hold.")
class InboundEmailFilter:
    states: list[InboundEmailState] | None = strawberry.field(
        default=None, description="Only emails in these states (PARKED: the agents' queue)."
    )
    case_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only emails that opened, joined or answer this case."
    )
    sender: str | None = strawberry.field(
        default=None, description="Only emails from this address (case-insensitive)."
    )


@strawberry.input(description="The inbound email to process again.")
class InboundEmailReprocessInput:
    id: strawberry.ID = strawberry.field(description="A FAILED, PARKED or IGNORED inbound email.")
