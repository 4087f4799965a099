"""GraphQL types of the webhooks domain: endpoints and deliveries, for administrators."""

from __future__ import annotations

import datetime as dt
import json

import strawberry

from csm_graph.schema.accounts.loaders import UserByIdLoader
from csm_graph.schema.accounts.types import User
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible
from csm_graph.schema.webhooks.loaders import (
    AttemptsByDeliveryIdLoader,
    WebhookEndpointByIdLoader,
)
from csm_graph.webhooks import models

register_enum(
    models.WebhookEvent,
    name="WebhookEvent",
    description="What a webhook tells; its `type` on the wire is the lower-case dotted "
    "name (`case.created`).",
    values={
        models.WebhookEvent.CASE_CREATED: "A case was opened (`case.created`).",
        models.WebhookEvent.CASE_STATE_CHANGED: "A case changed state, with the previous "
        "state (`case.state_changed`).",
        models.WebhookEvent.CASE_ASSIGNED: "A case was assigned, with the previous assignee "
        "(`case.assigned`).",
        models.WebhookEvent.CASE_COMMENT_ADDED: "A comment was added to a case "
        "(`case.comment_added`); work notes only to internal endpoints.",
        models.WebhookEvent.CONSUMER_CREATED: "A consumer record was created (`consumer.created`).",
        models.WebhookEvent.CONSUMER_UPDATED: "A consumer record was changed (`consumer.updated`).",
        models.WebhookEvent.CONSUMER_MERGED: "A duplicate record was merged into another "
        "(`consumer.merged`).",
        models.WebhookEvent.CONSUMER_ERASED: "A consumer's personal data was erased "
        "(`consumer.erased`; ids only).",
        models.WebhookEvent.SURVEY_ANSWERED: "A satisfaction survey was answered "
        "(`survey.answered`).",
    },
)
WebhookEvent = models.WebhookEvent

register_enum(
    models.DeliveryState,
    name="WebhookDeliveryState",
    description="Where a webhook delivery stands.",
    values={
        models.DeliveryState.PENDING: "Waiting to be sent (first try, or a retry after a "
        "failure at `nextAttemptAt`).",
        models.DeliveryState.SENDING: "Being sent.",
        models.DeliveryState.DELIVERED: "The endpoint answered with a 2xx status.",
        models.DeliveryState.FAILED: "Given up after the most attempts allowed.",
        models.DeliveryState.CANCELLED: "Not sent: its endpoint was disabled first, or its "
        "consumer was erased.",
    },
)
WebhookDeliveryState = models.DeliveryState


@strawberry.type(
    description="A URL that receives signed webhooks (Standard Webhooks) for the events "
    "it subscribes to. Its secret is shown once, when created or rotated."
)
class WebhookEndpoint(Node):
    model: strawberry.Private[models.WebhookEndpoint]
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str = strawberry.field(description="What the endpoint is for.")
    events: list[WebhookEvent] = strawberry.field(description="The events it receives.")
    internal: bool = strawberry.field(
        description="Whether it is an internal system: only internal endpoints receive "
        "work notes (`CASE_COMMENT_ADDED`)."
    )
    enabled: bool = strawberry.field(
        description="Whether it receives deliveries; disabled by hand or after failing "
        "too often in a row."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed attempts since its last successful delivery."
    )
    disabled_at: dt.datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str = strawberry.field(description="Why it was disabled; empty if enabled.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, endpoint: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=to_global_id("WebhookEndpoint", endpoint.id),
            model=endpoint,
            url=endpoint.url,
            description=endpoint.description,
            events=[WebhookEvent(e) for e in endpoint.events],
            internal=endpoint.internal,
            enabled=endpoint.enabled,
            consecutive_failures=endpoint.consecutive_failures,
            disabled_at=endpoint.disabled_at,
            disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )

    @strawberry.field(
        description="The administrator who registered it, who is emailed when it is "
        "disabled for failing; null once that user is deleted.",
        extensions=[Visible()],
    )
    async def created_by(self, info: Info) -> User | None:
        user_id = self.model.created_by_id
        if user_id is None:
            return None
        user = await info.context.loaders.get(UserByIdLoader).load(user_id)
        return User.from_model(user) if user else None


@strawberry.type(description="One HTTP request of a delivery, and the endpoint's answer.")
class WebhookAttempt:
    at: dt.datetime = strawberry.field(description="When the request was sent.")
    status_code: int | None = strawberry.field(
        description="The HTTP status of the answer; null when none came (see `error`)."
    )
    response_excerpt: str = strawberry.field(
        description="The start of the answer's body (WEBHOOK_RESPONSE_EXCERPT_BYTES)."
    )
    error: str = strawberry.field(
        description="Why no answer came (connection refused, timeout); empty otherwise."
    )
    duration_ms: int = strawberry.field(description="How long the request took, in ms.")

    @classmethod
    def from_model(cls, attempt: models.WebhookAttempt) -> WebhookAttempt:
        return cls(
            at=attempt.at,
            status_code=attempt.status_code,
            response_excerpt=attempt.response_excerpt,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )


@strawberry.type(
    description="One event for one endpoint: what was (or will be) sent, and every attempt."
)
class WebhookDelivery(Node):
    model: strawberry.Private[models.WebhookDelivery]
    event: WebhookEvent = strawberry.field(description="What it tells.")
    webhook_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every attempt and redelivery, "
        "so a receiver can drop a repeat."
    )
    payload: str = strawberry.field(
        description="The JSON body (`type`, `timestamp`, `data`); `{}` once the consumer "
        "it was about was erased."
    )
    state: WebhookDeliveryState = strawberry.field(description="Where it stands.")
    attempt_count: int = strawberry.field(
        description="Attempts in the current round (a redelivery starts a new round)."
    )
    next_attempt_at: dt.datetime | None = strawberry.field(
        description="When it is next tried; null once delivered, failed or cancelled."
    )
    created_at: dt.datetime = strawberry.field(description="When the event happened.")
    delivered_at: dt.datetime | None = strawberry.field(
        description="When the endpoint accepted it."
    )

    @classmethod
    def from_model(cls, delivery: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", delivery.id),
            model=delivery,
            event=delivery.event,
            webhook_id=delivery.message_id,
            payload=json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False),
            state=delivery.state,
            attempt_count=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
        )

    @strawberry.field(description="The endpoint it goes to.", extensions=[Visible()])
    async def endpoint(self, info: Info) -> WebhookEndpoint | None:
        found = await info.context.loaders.get(WebhookEndpointByIdLoader).load(
            self.model.endpoint_id
        )
        return WebhookEndpoint.from_model(found) if found else None

    @strawberry.field(description="Every request made for it, oldest first.")
    async def attempts(self, info: Info) -> list[WebhookAttempt]:
        rows = await info.context.loaders.get(AttemptsByDeliveryIdLoader).load(self.model.id)
        return [WebhookAttempt.from_model(row) for row in rows]


async def _endpoint_node(info: Info, pk: int) -> WebhookEndpoint | None:
    endpoint = await models.WebhookEndpoint.get_or_none(id=pk)
    return WebhookEndpoint.from_model(endpoint) if endpoint else None


async def _delivery_node(info: Info, pk: int) -> WebhookDelivery | None:
    delivery = await models.WebhookDelivery.get_or_none(id=pk)
    return WebhookDelivery.from_model(delivery) if delivery else None


register_node("WebhookEndpoint", _endpoint_node)
register_node("WebhookDelivery", _delivery_node)
