"""DataLoaders for consumers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.consumers.models import Consumer, ImportRowError
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class ConsumerByIdLoader(ById[Consumer]):
    model = Consumer


class ConsumerByUserIdLoader(DataLoader[int, Consumer | None]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, user_ids: Sequence[int]) -> list[Consumer | None]:
        rows = {c.user_id: c for c in await Consumer.filter(user_id__in=list(user_ids))}
        return [rows.get(i) for i in user_ids]


class ImportErrorsByJobIdLoader(DataLoader[int, list[ImportRowError]]):
    """The first errors of each import (an import can have very many)."""

    LIMIT = 1000

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, job_ids: Sequence[int]) -> list[list[ImportRowError]]:
        by_job: dict[int, list[ImportRowError]] = defaultdict(list)
        for job_id in job_ids:
            rows = await ImportRowError.filter(job_id=job_id).order_by("row").limit(self.LIMIT)
            by_job[job_id] = list(rows)
        return [by_job[i] for i in job_ids]
