"""DataLoaders for webhooks: one batched query per relation per request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.schema.loaders import ById
from csm_graph.webhooks.models import WebhookAttempt, WebhookEndpoint

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class WebhookEndpointByIdLoader(ById[WebhookEndpoint]):
    model = WebhookEndpoint


class AttemptsByDeliveryIdLoader(DataLoader[int, list[WebhookAttempt]]):
    """Each delivery's attempts, oldest first."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[WebhookAttempt]]:
        rows = await WebhookAttempt.filter(delivery_id__in=list(ids)).order_by("id")
        by_delivery: dict[int, list[WebhookAttempt]] = defaultdict(list)
        for row in rows:
            by_delivery[row.delivery_id].append(row)
        return [by_delivery[i] for i in ids]
