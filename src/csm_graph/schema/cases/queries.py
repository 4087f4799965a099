"""Queries of the cases domain."""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q

from csm_graph.cases import services
from csm_graph.cases.models import Case as CaseModel
from csm_graph.schema.cases.inputs import CaseFilter, CaseScope
from csm_graph.schema.cases.types import Case
from csm_graph.schema.context import Info
from csm_graph.schema.node import decode_filter_id
from csm_graph.schema.pagination import After, Before, Connection, First, Last, paginate
from csm_graph.schema.permissions import IsAuthenticated, Visible
from csm_graph.validation import fits


@strawberry.type
class CasesQuery:
    @strawberry.field(
        description="Cases the viewer may read, newest first.",
        permission_classes=[IsAuthenticated],
        extensions=[Visible()],
    )
    async def cases(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            CaseFilter | None, strawberry.argument(description="Which cases to list.")
        ] = None,
    ) -> Connection[Case]:
        subject = await info.context.subject()
        assert subject is not None
        queryset = services.visible_cases(subject)
        if filter is not None:
            if filter.scope is CaseScope.MINE:
                if subject.viewer.is_internal:
                    queryset = queryset.filter(assigned_to_id=subject.viewer.user_id)
                else:
                    mine = Q(opened_by_id=subject.viewer.user_id)
                    if subject.consumer_id is not None:
                        mine |= Q(consumer_id=subject.consumer_id)
                    queryset = queryset.filter(mine)
            if filter.state:
                queryset = queryset.filter(state__in=[s.value for s in filter.state])
            if filter.consumer_id:
                queryset = queryset.filter(
                    consumer_id=decode_filter_id(filter.consumer_id, "Consumer")
                )
            if filter.household_id:
                queryset = queryset.filter(
                    household_id=decode_filter_id(filter.household_id, "Household")
                )
            if filter.search:
                queryset = services.search(queryset, filter.search)
        return await paginate(
            queryset,
            lambda rows: [Case.from_model(c) for c in rows],
            first=first,
            after=after,
            last=last,
            before=before,
            descending=True,
        )

    @strawberry.field(
        description="A case by its number; null when not visible.",
        extensions=[Visible(report=False)],
    )
    async def case_by_number(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="Such as CS0001001.")],
    ) -> Case | None:
        number = number.strip().upper()
        if not fits(CaseModel, "number", number):
            return None
        record = await CaseModel.get_or_none(number=number)
        return Case.from_model(record) if record else None
