"""Inputs of the webhooks domain."""

from __future__ import annotations

import strawberry

from csm_graph.schema.webhooks.types import WebhookEvent


@strawberry.input(description="A new webhook endpoint.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description="An http:// or https:// URL that takes POSTs.")
    events: list[WebhookEvent] = strawberry.field(description="The events it receives.")
    description: str | None = strawberry.field(
        default=None, description="What it is for (at most 200 characters)."
    )
    internal: bool | None = strawberry.field(
        default=None,
        description="An internal system: it receives work notes too. Default false.",
    )


@strawberry.input(description="Changes to a webhook endpoint; what is left out stays.")
class WebhookEndpointUpdateInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new URL.")
    events: list[WebhookEvent] | None = strawberry.field(
        default=None, description="The events it receives from now on."
    )
    description: str | None = strawberry.field(default=None, description="A new description.")
    internal: bool | None = strawberry.field(
        default=None, description="Whether it receives work notes."
    )
    enabled: bool | None = strawberry.field(
        default=None,
        description="False disables it (its waiting deliveries are cancelled); true "
        "enables it again with its failure count reset.",
    )


@strawberry.input(description="The webhook endpoint to act on.")
class WebhookEndpointIdInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="The webhook delivery to send again.")
class WebhookDeliveryRedeliverInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")
