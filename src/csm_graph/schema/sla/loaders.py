"""DataLoaders of the SLA domain: one batched query per relation per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph.sla import schedules
from csm_graph.sla.models import SlaHoliday, SlaSchedule, SlaScheduleUse
from csm_graph.sla.workhours import WorkingTime

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class HolidaysByScheduleIdLoader(DataLoader[int, list[SlaHoliday]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[SlaHoliday]]:
        found = await schedules.holidays_by_schedule(ids)
        return [found[i] for i in ids]


class UsesByScheduleIdLoader(DataLoader[int, list[SlaScheduleUse]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, ids: Sequence[int]) -> list[list[SlaScheduleUse]]:
        found = await schedules.uses_by_schedule(ids)
        return [found[i] for i in ids]


CaseKey = tuple[int, int | None]
"""(consumer id, assignment team id): what decides a case's schedule."""


class WorkingTimeByCaseLoader(DataLoader[CaseKey, tuple[SlaSchedule | None, WorkingTime]]):
    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, keys: Sequence[CaseKey]) -> list[tuple[SlaSchedule | None, WorkingTime]]:
        return await schedules.working_times(keys)
