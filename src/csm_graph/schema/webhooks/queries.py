"""Queries of the webhooks domain (administrators)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_filter_id
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, Visible, restricted_field
from csm_graph.schema.webhooks.types import WebhookDelivery, WebhookEndpoint
from csm_graph.webhooks import models


@strawberry.type
class WebhooksQuery:
    @restricted_field("Every webhook endpoint, oldest first.", IsAdmin, extensions=[Visible()])
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        rows = await models.WebhookEndpoint.all().order_by("id")
        return [WebhookEndpoint.from_model(row) for row in rows]

    @restricted_field(
        "Webhook deliveries, newest first, with their attempts.", IsAdmin, extensions=[Visible()]
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        endpoint_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the deliveries of this endpoint."),
        ] = None,
    ) -> Connection[WebhookDelivery]:
        queryset = models.WebhookDelivery.all()
        if endpoint_id is not None:
            pk = decode_filter_id(endpoint_id, "WebhookEndpoint")
            queryset = queryset.filter(endpoint_id=pk)
        return await paginate(
            queryset,
            lambda rows: [WebhookDelivery.from_model(r) for r in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
