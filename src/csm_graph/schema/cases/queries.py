"""Queries of the cases domain, and the case lists of consumers and households."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry

from csm_graph.cases import services
from csm_graph.cases.models import Case as CaseModel
from csm_graph.cases.services import CaseCriteria
from csm_graph.schema.cases.inputs import CaseFilter, CaseScope
from csm_graph.schema.cases.loaders import (
    CaseCountByParentLoader,
    CaseFirstPageByParentLoader,
    ParentColumn,
)
from csm_graph.schema.cases.types import Case
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.inputs import CustomFieldSort
from csm_graph.schema.customfields.lists import conditions, order, paginate_sorted
from csm_graph.schema.customfields.types import CustomFieldEntity
from csm_graph.schema.node import decode_filter_id
from csm_graph.schema.pagination import (
    DEFAULT_PAGE_SIZE,
    After,
    Before,
    Connection,
    First,
    Last,
    asks_for_total_count,
    check_page_arguments,
    paginate,
)
from csm_graph.schema.permissions import IsAuthenticated, Visible
from csm_graph.validation import fits


def criteria_of(filter: CaseFilter | None) -> CaseCriteria:
    """The service's criteria for a `CaseFilter` (a malformed id is a bad request)."""
    if filter is None:
        return CaseCriteria()
    return CaseCriteria(
        mine=filter.scope is CaseScope.MINE,
        states=frozenset(filter.state or ()),
        consumer_id=(
            decode_filter_id(filter.consumer_id, "Consumer") if filter.consumer_id else None
        ),
        household_id=(
            decode_filter_id(filter.household_id, "Household") if filter.household_id else None
        ),
        search=filter.search or "",
    )


async def criteria_in(info: Info, filter: CaseFilter | None) -> CaseCriteria:
    """`criteria_of`, with the filter's custom field conditions (each field looked up)."""
    criteria = criteria_of(filter)
    if filter is None or not filter.custom_fields:
        return criteria
    found = await conditions(info, CustomFieldEntity.CASE, filter.custom_fields)
    return dataclasses.replace(criteria, custom_fields=found)


def _cases(rows: Sequence[CaseModel]) -> list[Case]:
    return [Case.from_model(c) for c in rows]


async def cases_of(
    info: Info,
    column: ParentColumn,
    parent_id: int,
    filter: CaseFilter | None,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Case]:
    """`Consumer.cases` and `Household.cases`: what `cases(filter:)` lists for the
    viewer, of that one consumer or household, newest first. The first pages
    (no cursor, no `last`) of a whole page of parents are one statement, and
    their `totalCount`s one grouped COUNT; a page after a cursor is one query."""
    check_page_arguments(first, last)
    criteria = await criteria_in(info, filter)
    counts = info.context.loaders.get(CaseCountByParentLoader)
    key = (criteria, column, parent_id)
    # Asked before the first await, so the parents of a page share one batch,
    # not one per page query that happens to finish first.
    counted = counts.load(key) if asks_for_total_count(info) else None
    firsts = info.context.loaders.get(CaseFirstPageByParentLoader)
    wanted = (first if first is not None else DEFAULT_PAGE_SIZE) + 1
    page = (
        firsts.load((criteria, column, wanted, parent_id))
        if after is None and before is None and last is None
        else None
    )
    subject = await info.context.subject()
    queryset = (
        services.listed_cases(subject, criteria) if subject else CaseModel.filter(id__in=[])
    ).filter(**{column: parent_id})

    async def count() -> int:
        return await (counted or counts.load(key))

    async def first_rows(n: int) -> list[CaseModel]:
        assert page is not None
        assert n == wanted
        return await page

    return await paginate(
        queryset,
        _cases,
        first=first,
        after=after,
        last=last,
        before=before,
        descending=True,
        count=count,
        first_rows=first_rows if page is not None else None,
    )


def cases_under(column: ParentColumn, description: str) -> Any:
    """The `cases` field of a parent type (`Consumer`, `Household`), whose
    `db_id` stands in `column`: declared once, for both."""

    async def resolve(
        root: Any,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            CaseFilter | None, strawberry.argument(description="Which of them to list.")
        ] = None,
    ) -> Connection[Case]:
        return await cases_of(
            info, column, root.db_id, filter, first=first, after=after, last=last, before=before
        )

    return strawberry.field(resolver=resolve, description=description, extensions=[Visible()])


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
        sort: Annotated[
            CustomFieldSort | None,
            strawberry.argument(description="Sort by a custom field instead of newest first."),
        ] = None,
    ) -> Connection[Case]:
        subject = await info.context.subject()
        assert subject is not None
        queryset = services.listed_cases(subject, await criteria_in(info, filter))
        if (order_by := await order(info, CustomFieldEntity.CASE, sort)) is not None:
            return await paginate_sorted(
                queryset, order_by, _cases, first=first, after=after, last=last, before=before
            )
        return await paginate(
            queryset,
            _cases,
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
