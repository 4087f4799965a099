"""Mutations of the webhooks domain (administrators)."""

from __future__ import annotations

import strawberry

from csm_graph.core.partial import KEEP
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAdmin, Visible
from csm_graph.schema.webhooks.inputs import (
    WebhookDeliveryRedeliverInput,
    WebhookEndpointCreateInput,
    WebhookEndpointIdInput,
    WebhookEndpointUpdateInput,
)
from csm_graph.schema.webhooks.types import WebhookDelivery, WebhookEndpoint
from csm_graph.webhooks import services
from csm_graph.webhooks.services import EndpointChanges, EndpointDraft


@strawberry.type(description="A webhook endpoint, its new secret, or why the change was refused.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(
        extensions=[Visible()], default=None, description="The endpoint as saved."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (`whsec_…`), given only by `webhookEndpointCreate` "
        "and `webhookEndpointSecretRotate`: keep it now, it cannot be read again.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="The delivery queued again, or why not.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        extensions=[Visible()], default=None, description="The delivery, waiting to be sent."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


def _endpoint_id(value: str) -> int:
    return decode_id("id", value, "WebhookEndpoint")


def _given(value: object) -> object:
    return KEEP if value is None else value


@strawberry.type
class WebhooksMutation:
    @mutation(
        "Register a webhook endpoint: its URL and events. The payload holds its signing "
        "secret, shown this once.",
        IsAdmin,
    )
    async def webhook_endpoint_create(
        self, info: Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointPayload:
        endpoint, secret = await services.create_endpoint(
            info.context.viewer,
            EndpointDraft(
                url=input.url,
                events=input.events,
                description=input.description if input.description is not None else KEEP,
                internal=input.internal if input.internal is not None else KEEP,
            ),
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint), secret=secret)

    @mutation(
        "Change a webhook endpoint: URL, events, description, internal, or disable and enable it.",
        IsAdmin,
    )
    async def webhook_endpoint_update(
        self, info: Info, input: WebhookEndpointUpdateInput
    ) -> WebhookEndpointPayload:
        endpoint = await services.update_endpoint(
            info.context.viewer,
            _endpoint_id(input.id),
            EndpointChanges(
                url=input.url if input.url is not None else KEEP,
                events=input.events if input.events is not None else KEEP,
                description=input.description if input.description is not None else KEEP,
                internal=input.internal if input.internal is not None else KEEP,
                enabled=input.enabled if input.enabled is not None else KEEP,
            ),
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint))

    @mutation(
        "Give a webhook endpoint a new signing secret, shown this once. For a day, "
        "deliveries carry a signature with the old secret too.",
        IsAdmin,
    )
    async def webhook_endpoint_secret_rotate(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        endpoint, secret = await services.rotate_secret(info.context.viewer, _endpoint_id(input.id))
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint), secret=secret)

    @mutation(
        "Delete a webhook endpoint and its deliveries. The payload shows it as it was.",
        IsAdmin,
    )
    async def webhook_endpoint_delete(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        endpoint = await services.delete_endpoint(info.context.viewer, _endpoint_id(input.id))
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_model(endpoint))

    @mutation(
        "Send a webhook delivery again, with the same webhook-id, as a new round of attempts.",
        IsAdmin,
    )
    async def webhook_delivery_redeliver(
        self, info: Info, input: WebhookDeliveryRedeliverInput
    ) -> WebhookDeliveryPayload:
        delivery_id = decode_id("id", input.id, "WebhookDelivery")
        delivery = await services.redeliver(info.context.viewer, delivery_id)
        return WebhookDeliveryPayload(delivery=WebhookDelivery.from_model(delivery))
