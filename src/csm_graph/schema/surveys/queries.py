"""Queries of the surveys domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from csm_graph.schema.context import Info
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsManager, Visible, restricted_field
from csm_graph.schema.surveys.inputs import SurveyFilter
from csm_graph.schema.surveys.types import Survey
from csm_graph.surveys import models


@strawberry.type
class SurveysQuery:
    @restricted_field(
        "Survey decisions of closed cases, newest first: ratings and skip reasons.",
        IsManager,
        extensions=[Visible()],
    )
    async def surveys(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            SurveyFilter | None, strawberry.argument(description="Which decisions to list.")
        ] = None,
    ) -> Connection[Survey]:
        queryset = models.Survey.all().select_related("case")
        if filter is not None:
            if filter.sent is not None:
                queryset = queryset.filter(skip_reason__isnull=filter.sent)
            if filter.answered is not None:
                queryset = queryset.filter(answered_at__isnull=not filter.answered)
            if filter.skip_reason is not None:
                queryset = queryset.filter(skip_reason=filter.skip_reason)
        return await paginate(
            queryset,
            lambda rows: [Survey.from_model(s) for s in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )
