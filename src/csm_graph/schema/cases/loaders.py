"""DataLoaders for cases: one query per relation for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from strawberry.dataloader import DataLoader
from tortoise.functions import Count

from csm_graph.cases.models import Case, CaseActivity, CaseAttachment, CaseComment
from csm_graph.cases.services import CaseCriteria, listed_cases
from csm_graph.db import fetch, fetch_firsts, fetch_models, fetch_queryset, in_list
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class LastPublicCommentByCaseIdLoader(DataLoader[int, CaseComment | None]):
    """The newest public comment of each case."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, case_ids: Sequence[int]) -> list[CaseComment | None]:
        # Placeholders only: the values travel as parameters.
        newest = await fetch_models(
            CaseComment,
            "id IN (SELECT MAX(id) FROM case_comment "  # noqa: S608
            f"WHERE work_note = ? AND case_id IN ({in_list(case_ids)}) GROUP BY case_id)",
            [False, *case_ids],
        )
        comments = {c.case_id: c for c in newest}
        return [comments.get(i) for i in case_ids]


class AttachmentsByCaseIdLoader(DataLoader[int, list[CaseAttachment]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, case_ids: Sequence[int]) -> list[list[CaseAttachment]]:
        by_case: dict[int, list[CaseAttachment]] = defaultdict(list)
        for a in await CaseAttachment.filter(case_id__in=list(case_ids)).order_by("id"):
            by_case[a.case_id].append(a)
        return [by_case[i] for i in case_ids]


class AttachmentCountByCaseIdLoader(DataLoader[int, int]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, case_ids: Sequence[int]) -> list[int]:
        sql = (
            "SELECT case_id, COUNT(*) FROM case_attachment "  # noqa: S608
            f"WHERE case_id IN ({in_list(case_ids)}) GROUP BY case_id"
        )
        rows = await fetch(sql, list(case_ids))
        counts = {int(r[0]): int(r[1]) for r in rows}
        return [counts.get(i, 0) for i in case_ids]


class CaseByIdLoader(ById[Case]):
    model = Case


class CommentByIdLoader(ById[CaseComment]):
    model = CaseComment


class ActivityByIdLoader(ById[CaseActivity]):
    model = CaseActivity


ParentColumn = Literal["consumer_id", "household_id"]
"""The column a consumer's or a household's `cases` is restricted by."""

CaseListKey = tuple[CaseCriteria, ParentColumn, int]
"""A parent's case list: its criteria, the parent's column, and the parent's id."""


class CaseCountByParentLoader(DataLoader[CaseListKey, int]):
    """`totalCount` of consumers' or households' `cases`: what the viewer may read
    of each parent's cases, meeting the list's criteria. One grouped COUNT per
    criteria for a whole page of parents, not one COUNT per parent."""

    def __init__(self, context: Context) -> None:
        self.context = context
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[CaseListKey]) -> list[int]:
        subject = await self.context.subject()
        if subject is None:
            return [0 for _ in keys]
        parents: dict[tuple[CaseCriteria, ParentColumn], set[int]] = defaultdict(set)
        for criteria, column, parent_id in keys:
            parents[(criteria, column)].add(parent_id)
        counts: dict[CaseListKey, int] = {}
        for (criteria, column), ids in parents.items():
            rows: list[Any] = await (
                listed_cases(subject, criteria)
                .filter(**{f"{column}__in": sorted(ids)})
                .annotate(n=Count("id"))
                .group_by(column)
                .values_list(column, "n")
            )
            counts.update({(criteria, column, int(parent)): int(n) for parent, n in rows})
        return [counts.get(key, 0) for key in keys]


CasePageKey = tuple[CaseCriteria, ParentColumn, int, int]
"""A parent's first page of cases: the list's criteria, the parent's column, how
many rows to read, and the parent's id."""


class CaseFirstPageByParentLoader(DataLoader[CasePageKey, list[Case]]):
    """The first page of consumers' or households' `cases` (no cursor): what the
    viewer may read of each parent's cases, newest first, `size` rows at most.
    One statement per criteria and size for a whole page of parents
    (`db.fetch_firsts`), not one page query per parent."""

    def __init__(self, context: Context) -> None:
        self.context = context
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[CasePageKey]) -> list[list[Case]]:
        subject = await self.context.subject()
        if subject is None:
            return [[] for _ in keys]
        parents: dict[tuple[CaseCriteria, ParentColumn, int], set[int]] = defaultdict(set)
        for criteria, column, size, parent_id in keys:
            parents[(criteria, column, size)].add(parent_id)
        pages: dict[CasePageKey, list[Case]] = defaultdict(list)
        for (criteria, column, size), ids in parents.items():
            listed = listed_cases(subject, criteria)
            rows = await fetch_firsts(listed.filter(**{f"{column}__in": sorted(ids)}), column, size)
            if rows is None:
                # A list the window cannot wrap: its page per parent, as before.
                for parent_id in sorted(ids):
                    one = listed.filter(**{column: parent_id}).order_by("-id").limit(size)
                    pages[(criteria, column, size, parent_id)] = await fetch_queryset(one)
                continue
            for row in rows:
                pages[(criteria, column, size, getattr(row, column))].append(row)
        return [pages.get(key, []) for key in keys]
