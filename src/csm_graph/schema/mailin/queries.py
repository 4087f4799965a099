"""Queries of inbound email."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.mailin import services
from csm_graph.schema.context import Info
from csm_graph.schema.mailin.inputs import InboundEmailFilter
from csm_graph.schema.mailin.types import InboundEmail
from csm_graph.schema.node import decode_filter_id
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsInternal, Visible, restricted_field


@strawberry.type
class MailinQuery:
    @restricted_field(
        "Inbound emails, newest first: all of them for administrators; for other internal "
        "users those of cases they read and those that belong to no case.",
        IsInternal,
        extensions=[Visible()],
    )
    async def inbound_emails(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            InboundEmailFilter | None, strawberry.argument(description="Which emails to list.")
        ] = None,
    ) -> Connection[InboundEmail]:
        queryset = services.visible_inbound_emails(await info.context.subject())
        if filter is not None:
            if filter.states:
                queryset = queryset.filter(state__in=[s.value for s in filter.states])
            if filter.case_id is not None:
                queryset = queryset.filter(case_id=decode_filter_id(filter.case_id, "Case"))
            if filter.sender:
                queryset = queryset.filter(sender=filter.sender.strip().lower())
        return await paginate(
            queryset,
            lambda rows: [InboundEmail.from_model(r) for r in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
