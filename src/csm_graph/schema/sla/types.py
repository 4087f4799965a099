"""GraphQL types of the SLA domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph import clock
from csm_graph.cases.models import Case as CaseModel
from csm_graph.schema.accounts.loaders import TeamByIdLoader
from csm_graph.schema.accounts.types import Team
from csm_graph.schema.consumers.types import SlaLevel
from csm_graph.schema.context import Info
from csm_graph.schema.node import Node, register_node, to_global_id
from csm_graph.schema.permissions import Visible
from csm_graph.schema.sla.enums import Weekday
from csm_graph.schema.sla.loaders import (
    HolidaysByScheduleIdLoader,
    UsesByScheduleIdLoader,
    WorkingTimeByCaseLoader,
)
from csm_graph.sla import models
from csm_graph.sla.workhours import Schedule, format_clock


@strawberry.type(description="How fast cases of one SLA level and priority must be handled.")
class SlaTarget(Node):
    model: strawberry.Private[models.SlaTarget]
    level: SlaLevel = strawberry.field(description="The consumer's SLA level.")
    priority: int = strawberry.field(description="The case priority, 1 (critical) to 4 (low).")
    response_minutes: int = strawberry.field(
        description="Minutes from opening to the first public reply by an internal user."
    )
    resolution_minutes: int = strawberry.field(
        description="Minutes from opening to a proposed solution, not counting time "
        "awaiting the consumer."
    )
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, t: models.SlaTarget) -> SlaTarget:
        return cls(
            id=to_global_id("SlaTarget", t.id),
            model=t,
            level=t.level,
            priority=t.priority,
            response_minutes=t.response_minutes,
            resolution_minutes=t.resolution_minutes,
            updated_at=t.updated_at,
        )


async def _sla_target_node(info: Info, pk: int) -> SlaTarget | None:
    target = await models.SlaTarget.get_or_none(id=pk)
    return SlaTarget.from_model(target) if target else None


register_node("SlaTarget", _sla_target_node)


@strawberry.type(description="Opening hours on one day of the week, local time.")
class SlaWorkingHours:
    weekday: Weekday = strawberry.field(description="The day.")
    opens_at: str = strawberry.field(description="When work starts, HH:MM.")
    closes_at: str = strawberry.field(description="When work stops, HH:MM (24:00: midnight).")


@strawberry.type(description="A day an administrator closed on a schedule.")
class SlaHoliday:
    date: dt.date = strawberry.field(description="The closed day, local to the schedule.")
    name: str = strawberry.field(description="What it is (a company holiday).")


@strawberry.type(
    description="Working hours in a time zone, with holidays: the time SLA clocks count "
    "for the SLA levels and teams that use it."
)
class SlaSchedule(Node):
    model: strawberry.Private[models.SlaSchedule]
    name: str = strawberry.field(description="Unique name.")
    time_zone: str = strawberry.field(description="IANA time zone of the hours (Europe/Berlin).")
    holiday_country: str | None = strawberry.field(
        description="ISO country code whose public holidays are closed, if any."
    )
    holiday_subdivision: str | None = strawberry.field(
        description="Region of the country whose own holidays are closed too, if any."
    )
    created_at: dt.datetime = strawberry.field(description="When it was created.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, s: models.SlaSchedule) -> SlaSchedule:
        return cls(
            id=to_global_id("SlaSchedule", s.id),
            model=s,
            name=s.name,
            time_zone=s.time_zone,
            holiday_country=s.holiday_country or None,
            holiday_subdivision=s.holiday_subdivision or None,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )

    @strawberry.field(description="Opening hours, Monday first; a day not listed is closed.")
    def hours(self) -> list[SlaWorkingHours]:
        return [
            SlaWorkingHours(
                weekday=Weekday(int(day)),
                opens_at=format_clock(int(opens)),
                closes_at=format_clock(int(closes)),
            )
            for day, opens, closes in sorted(self.model.hours)
        ]

    @strawberry.field(description="Days an administrator closed, by date (besides the country's).")
    async def holidays(self, info: Info) -> list[SlaHoliday]:
        days = await info.context.loaders.get(HolidaysByScheduleIdLoader).load(self.model.id)
        return [SlaHoliday(date=d.day, name=d.name) for d in days]

    @strawberry.field(description="The SLA levels whose cases count this schedule's hours.")
    async def levels(self, info: Info) -> list[SlaLevel]:
        uses = await info.context.loaders.get(UsesByScheduleIdLoader).load(self.model.id)
        return sorted(
            (u.level for u in uses if u.level is not None), key=lambda lv: list(SlaLevel).index(lv)
        )

    @strawberry.field(
        description="The teams whose cases count this schedule's hours when their SLA level "
        "has no schedule.",
        extensions=[Visible()],
    )
    async def teams(self, info: Info) -> list[Team]:
        uses = await info.context.loaders.get(UsesByScheduleIdLoader).load(self.model.id)
        loader = info.context.loaders.get(TeamByIdLoader)
        teams = await loader.load_many([u.team_id for u in uses if u.team_id is not None])
        return sorted((Team.from_model(t) for t in teams if t), key=lambda t: t.name)


@strawberry.type(description="Where a case's SLA clocks stand, in working time.")
class SlaClock:
    schedule_name: str | None = strawberry.field(
        description="The schedule whose hours count (its SLA level's, else its team's); "
        "null: every minute counts (24x7)."
    )
    paused: bool = strawberry.field(
        description="True while the case awaits the consumer: the clocks stand still."
    )
    open_now: bool = strawberry.field(description="Whether the schedule's hours are running now.")
    response_minutes_left: int | None = strawberry.field(
        description="Working minutes to the first response's due time (negative: overdue); "
        "null once answered."
    )
    resolution_minutes_left: int | None = strawberry.field(
        description="Working minutes to the solution's due time (negative: overdue)."
    )


def _minutes(amount: dt.timedelta) -> int:
    return int(amount.total_seconds() // 60)


async def sla_clock(info: Info, case: CaseModel) -> SlaClock:
    """The clock of `case` (the field `Case.slaClock`)."""
    key = (case.consumer_id, case.assignment_team_id)
    schedule, hours = await info.context.loaders.get(WorkingTimeByCaseLoader).load(key)
    now = clock.now()
    at = case.sla_paused_at or now
    response = (
        _minutes(hours.between(at, case.response_due_at))
        if case.response_due_at is not None and case.first_response_at is None
        else None
    )
    resolution = (
        _minutes(hours.between(at, case.resolution_due_at))
        if case.resolution_due_at is not None
        else None
    )
    return SlaClock(
        schedule_name=schedule.name if schedule else None,
        paused=case.sla_paused_at is not None,
        open_now=hours.is_open(now) if isinstance(hours, Schedule) else True,
        response_minutes_left=response,
        resolution_minutes_left=resolution,
    )


async def _sla_schedule_node(info: Info, pk: int) -> SlaSchedule | None:
    schedule = await models.SlaSchedule.get_or_none(id=pk)
    return SlaSchedule.from_model(schedule) if schedule else None


register_node("SlaSchedule", _sla_schedule_node)
