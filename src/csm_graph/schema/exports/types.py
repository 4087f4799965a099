"""GraphQL types of the data exports domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.exports import models
from csm_graph.schema.context import Info
from csm_graph.schema.enums import register_enum
from csm_graph.schema.node import Node, register_node, to_global_id

register_enum(
    models.ExportState,
    name="DataExportState",
    description="Where a data export stands.",
    values={
        models.ExportState.QUEUED: "Waiting for a worker.",
        models.ExportState.RUNNING: "The archive is being written.",
        models.ExportState.READY: "Written; the consumer was emailed a link that works once.",
        models.ExportState.DOWNLOADED: "Downloaded once; the archive is deleted.",
        models.ExportState.EXPIRED: "Not downloaded in time; the archive is deleted.",
        models.ExportState.FAILED: "The archive could not be written (see `message`).",
    },
)
DataExportState = models.ExportState


@strawberry.type(
    description="A copy of everything held about a consumer (right of access), and its progress."
)
class DataExport(Node):
    model: strawberry.Private[models.DataExport]
    db_id: strawberry.Private[int]
    state: DataExportState = strawberry.field(
        description="QUEUED, RUNNING, READY, DOWNLOADED, EXPIRED or FAILED."
    )
    size: int = strawberry.field(description="The archive's size in bytes (known once READY).")
    message: str = strawberry.field(
        description="Why it failed, or why the link could not be emailed; empty otherwise."
    )
    created_at: dt.datetime = strawberry.field(description="When it was asked for.")
    finished_at: dt.datetime | None = strawberry.field(
        description="When the archive was written (or the export failed)."
    )
    expires_at: dt.datetime | None = strawberry.field(
        description="Until when the emailed link works, if it is not used before."
    )
    downloaded_at: dt.datetime | None = strawberry.field(
        description="When the archive was downloaded (it works once)."
    )

    @classmethod
    def from_model(cls, export: models.DataExport) -> DataExport:
        return cls(
            id=to_global_id("DataExport", export.id),
            model=export,
            db_id=export.id,
            state=export.state,
            size=export.size,
            message=export.message,
            created_at=export.created_at,
            finished_at=export.finished_at,
            expires_at=export.expires_at,
            downloaded_at=export.downloaded_at,
        )


async def _data_export_node(info: Info, pk: int) -> DataExport | None:
    export = await models.DataExport.get_or_none(id=pk)
    return DataExport.from_model(export) if export else None


register_node("DataExport", _data_export_node)
