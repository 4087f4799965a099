"""Mutations of the SLA domain."""

from __future__ import annotations

import strawberry

from csm_graph.errors import UserErrors
from csm_graph.schema.context import Info
from csm_graph.schema.errors import UserError
from csm_graph.schema.mutations import mutation
from csm_graph.schema.node import decode_id, decode_optional_id
from csm_graph.schema.permissions import IsAdmin, Visible
from csm_graph.schema.sla.inputs import (
    SlaScheduleAttachInput,
    SlaScheduleCreateInput,
    SlaScheduleDeleteInput,
    SlaScheduleHolidayAddInput,
    SlaScheduleHolidayRemoveInput,
    SlaScheduleUpdateInput,
    SlaTargetSetInput,
    SlaWorkingHoursInput,
)
from csm_graph.schema.sla.types import SlaSchedule, SlaTarget
from csm_graph.sla import schedules, services
from csm_graph.sla.models import SlaSchedule as SlaScheduleModel
from csm_graph.sla.workhours import parse_clock


@strawberry.type(description="An SLA target, or why the change was refused.")
class SlaTargetPayload:
    target: SlaTarget | None = strawberry.field(
        extensions=[Visible()], default=None, description="The target as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


@strawberry.type(description="An SLA schedule, or why the change was refused.")
class SlaSchedulePayload:
    schedule: SlaSchedule | None = strawberry.field(
        extensions=[Visible()], default=None, description="The schedule as saved."
    )
    errors: list[UserError] = strawberry.field(default_factory=list, description="Refusals.")


def _hours(rows: list[SlaWorkingHoursInput] | None) -> list[tuple[int, int, int]] | None:
    """The rows of working hours, each time read; a bad time is an error on `hours`."""
    if rows is None:
        return None
    try:
        return [(r.weekday.value, parse_clock(r.opens_at), parse_clock(r.closes_at)) for r in rows]
    except ValueError:
        raise UserErrors.one("hours", "Times are HH:MM, from 00:00 to 24:00.") from None


def _schedule_id(value: strawberry.ID) -> int:
    return decode_id("scheduleId", value, "SlaSchedule")


def _payload(schedule: SlaScheduleModel | None) -> SlaSchedulePayload:
    return SlaSchedulePayload(schedule=SlaSchedule.from_model(schedule) if schedule else None)


@strawberry.type
class SlaMutation:
    @mutation(
        "Set the response and resolution targets of one SLA level and priority. "
        "New cases use it; a running case when its priority changes.",
        IsAdmin,
    )
    async def sla_target_set(self, info: Info, input: SlaTargetSetInput) -> SlaTargetPayload:
        target = await services.set_target(
            info.context.viewer,
            input.level,
            input.priority,
            input.response_minutes,
            input.resolution_minutes,
        )
        return SlaTargetPayload(target=SlaTarget.from_model(target))

    @mutation(
        "Create an SLA schedule: weekly working hours in a time zone, closed on a "
        "country's public holidays. It applies once attached to an SLA level or a team.",
        IsAdmin,
    )
    async def sla_schedule_create(
        self, info: Info, input: SlaScheduleCreateInput
    ) -> SlaSchedulePayload:
        draft = schedules.ScheduleDraft(
            name=input.name,
            time_zone=input.time_zone,
            hours=_hours(input.hours),
            holiday_country=input.holiday_country,
            holiday_subdivision=input.holiday_subdivision,
        )
        return _payload(await schedules.create_schedule(info.context.viewer, draft))

    @mutation(
        "Change an SLA schedule. Running cases keep their due times until they are "
        "computed again (a pause ends, the priority or consumer changes).",
        IsAdmin,
    )
    async def sla_schedule_update(
        self, info: Info, input: SlaScheduleUpdateInput
    ) -> SlaSchedulePayload:
        draft = schedules.ScheduleDraft(
            name=input.name,
            time_zone=input.time_zone,
            hours=_hours(input.hours),
            holiday_country=input.holiday_country,
            holiday_subdivision=input.holiday_subdivision,
        )
        schedule_id = _schedule_id(input.schedule_id)
        return _payload(await schedules.update_schedule(info.context.viewer, schedule_id, draft))

    @mutation("Close an SLA schedule on a day (a company holiday).", IsAdmin)
    async def sla_schedule_holiday_add(
        self, info: Info, input: SlaScheduleHolidayAddInput
    ) -> SlaSchedulePayload:
        schedule = await schedules.add_holiday(
            info.context.viewer, _schedule_id(input.schedule_id), input.date, input.name
        )
        return _payload(schedule)

    @mutation("Open again a day an administrator closed on an SLA schedule.", IsAdmin)
    async def sla_schedule_holiday_remove(
        self, info: Info, input: SlaScheduleHolidayRemoveInput
    ) -> SlaSchedulePayload:
        schedule = await schedules.remove_holiday(
            info.context.viewer, _schedule_id(input.schedule_id), input.date
        )
        return _payload(schedule)

    @mutation(
        "Delete an SLA schedule that no SLA level or team works by (attach them to "
        "another schedule, or to none, first), with its holidays. Returns it as it was; "
        "running cases keep their due times.",
        IsAdmin,
    )
    async def sla_schedule_delete(
        self, info: Info, input: SlaScheduleDeleteInput
    ) -> SlaSchedulePayload:
        schedule = await schedules.delete_schedule(
            info.context.viewer, _schedule_id(input.schedule_id)
        )
        return _payload(schedule)

    @mutation(
        "Make an SLA level or a team work by a schedule, or by none (every minute "
        "counts) when no schedule is given. A case counts its level's schedule, else "
        "its team's. New due times use it.",
        IsAdmin,
    )
    async def sla_schedule_attach(
        self, info: Info, input: SlaScheduleAttachInput
    ) -> SlaSchedulePayload:
        schedule_id = _schedule_id(input.schedule_id) if input.schedule_id is not None else None
        team_id = decode_optional_id("teamId", input.team_id, "Team")
        schedule = await schedules.attach(
            info.context.viewer, schedule_id, team_id=team_id, level=input.level
        )
        return _payload(schedule)
