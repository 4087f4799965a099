"""Queries of the audit trail. There are no mutations: the trail is append-only."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.audit.models import AuditEvent as AuditEventModel
from csm_graph.schema.audit.inputs import AuditEventFilter
from csm_graph.schema.audit.types import AuditEvent
from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_filter_id
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAdmin, Visible, restricted_field


@strawberry.type
class AuditQuery:
    @restricted_field("The audit trail, newest first, filtered.", IsAdmin, extensions=[Visible()])
    async def audit_events(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            AuditEventFilter | None, strawberry.argument(description="Which events to list.")
        ] = None,
    ) -> Connection[AuditEvent]:
        queryset = AuditEventModel.all()
        if filter is not None:
            if filter.kinds:
                queryset = queryset.filter(kind__in=list(filter.kinds))
            if filter.user_id is not None:
                queryset = queryset.filter(user_id=decode_filter_id(filter.user_id, "User"))
            if filter.consumer_id is not None:
                consumer_id = decode_filter_id(filter.consumer_id, "Consumer")
                queryset = queryset.filter(consumer_id=consumer_id)
            if filter.actor_id is not None:
                queryset = queryset.filter(actor_id=decode_filter_id(filter.actor_id, "User"))
            if filter.since is not None:
                queryset = queryset.filter(at__gte=filter.since)
            if filter.until is not None:
                queryset = queryset.filter(at__lt=filter.until)
        return await paginate(
            queryset,
            lambda rows: [AuditEvent.from_model(e) for e in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
