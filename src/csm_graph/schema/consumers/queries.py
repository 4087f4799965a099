"""Queries of the consumers domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.consumers import models, services
from csm_graph.customfields.services import restrict
from csm_graph.schema.consumers.inputs import ConsumerFilter
from csm_graph.schema.consumers.types import Consumer, ImportJob
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.inputs import CustomFieldSort
from csm_graph.schema.customfields.lists import conditions, order, paginate_sorted
from csm_graph.schema.customfields.types import CustomFieldEntity
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, IsInternal, Visible, restricted_field

IMPORT_LISTED = tuple(name for name in models.ImportJob._meta.db_fields if name != "source")
"""An import's columns but the uploaded file, which a list never shows."""


@strawberry.type(name="ConsumerImportConnection", description="A page of consumer imports.")
class ConsumerImportConnection(Connection[ImportJob]):
    pass


@strawberry.type
class ConsumersQuery:
    @restricted_field(
        "Consumers, newest first, filtered.",
        IsInternal,
        extensions=[Visible()],
    )
    async def consumers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            ConsumerFilter | None, strawberry.argument(description="Which consumers to list.")
        ] = None,
        sort: Annotated[
            CustomFieldSort | None,
            strawberry.argument(description="Sort by a custom field instead of newest first."),
        ] = None,
    ) -> Connection[Consumer]:
        queryset = services.visible_consumers(info.context.viewer)
        entity = CustomFieldEntity.CONSUMER
        if filter is not None and filter.custom_fields:
            queryset = restrict(queryset, await conditions(info, entity, filter.custom_fields))
        if filter is not None:
            if filter.search:
                queryset = services.search(queryset, filter.search)
            if filter.sla_level is not None:
                queryset = queryset.filter(sla_level=filter.sla_level)
            if filter.linked is not None:
                queryset = queryset.filter(user_id__isnull=not filter.linked)
        if (order_by := await order(info, entity, sort)) is not None:
            return await paginate_sorted(
                queryset,
                order_by,
                lambda rows: [Consumer.from_model(c) for c in rows],
                first=first,
                after=after,
                last=last,
                before=before,
            )
        return await paginate(
            queryset,
            lambda rows: [Consumer.from_model(c) for c in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )

    @restricted_field(
        "Consumer imports, newest first, with their progress.",
        IsAdmin,
        extensions=[Visible()],
    )
    async def consumer_imports(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ConsumerImportConnection:
        page = await paginate(
            models.ImportJob.all().only(*IMPORT_LISTED),
            lambda rows: [ImportJob.from_model(job) for job in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
        return ConsumerImportConnection(
            edges=page.edges, page_info=page.page_info, count=page.count
        )
