"""DataLoaders for cases: one query per relation for a whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from csm_graph.cases.models import Case, CaseAttachment, CaseComment
from csm_graph.db import fetch, in_list

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class LastPublicCommentByCaseIdLoader(DataLoader[int, CaseComment | None]):
    """The newest public comment of each case."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, case_ids: Sequence[int]) -> list[CaseComment | None]:
        # Placeholders only: the values travel as parameters.
        sql = (
            "SELECT MAX(id) FROM case_comment "  # noqa: S608
            f"WHERE work_note = ? AND case_id IN ({in_list(case_ids)}) GROUP BY case_id"
        )
        rows: list[tuple[Any, ...]] = await fetch(sql, [False, *case_ids])
        ids = [int(r[0]) for r in rows]
        comments = {c.case_id: c for c in await CaseComment.filter(id__in=ids)} if ids else {}
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


class CaseByIdLoader(DataLoader[int, Case | None]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[Case | None]:
        found = {c.id: c for c in await Case.filter(id__in=list(ids))}
        return [found.get(i) for i in ids]
