"""Mutations of the data exports domain."""

from __future__ import annotations

import strawberry

from csm_graph.exports import services
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.exports.inputs import ConsumerDataExportInput
from csm_graph.schema.exports.types import DataExport
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id
from csm_graph.schema.permissions import IsAuthenticated, Visible


@strawberry.type(description="The export that was queued, or why not.")
class ConsumerDataExportPayload:
    data_export: DataExport | None = strawberry.field(
        extensions=[Visible()],
        default=None,
        description="Follow its progress with node(id:); the link goes to the consumer by email.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type
class ExportsMutation:
    @mutation(
        "Queue a copy of everything held about a consumer: administrators, and a "
        "consumer for themselves. The consumer is emailed a download link that works once.",
        IsAuthenticated,
    )
    async def consumer_data_export(
        self, info: Info, input: ConsumerDataExportInput
    ) -> ConsumerDataExportPayload:
        consumer_id = decode_id("consumerId", input.consumer_id, "Consumer")
        export = await services.request_export(await info.context.actor(), consumer_id)
        return ConsumerDataExportPayload(data_export=DataExport.from_model(export))
