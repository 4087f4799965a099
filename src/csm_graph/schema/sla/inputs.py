"""Inputs of the SLA domain."""

from __future__ import annotations

import datetime as dt

import strawberry

from csm_graph.schema.consumers.types import SlaLevel
from csm_graph.schema.sla.enums import Weekday


@strawberry.input(description="A new SLA target for one level and priority.")
class SlaTargetSetInput:
    level: SlaLevel = strawberry.field(description="The SLA level.")
    priority: int = strawberry.field(description="The case priority, 1 (critical) to 4 (low).")
    response_minutes: int = strawberry.field(description="Minutes to the first response.")
    resolution_minutes: int = strawberry.field(description="Minutes to a proposed solution.")


@strawberry.input(description="Opening hours on one day of the week, local time.")
class SlaWorkingHoursInput:
    weekday: Weekday = strawberry.field(description="The day.")
    opens_at: str = strawberry.field(description="When work starts, HH:MM.")
    closes_at: str = strawberry.field(
        description="When work stops, HH:MM, after it starts (24:00: midnight)."
    )


@strawberry.input(description="A new SLA schedule.")
class SlaScheduleCreateInput:
    name: str = strawberry.field(description="Unique name.")
    time_zone: str = strawberry.field(description="IANA time zone of the hours (Europe/Berlin).")
    hours: list[SlaWorkingHoursInput] = strawberry.field(
        description="Opening hours; a day may have several, a day not listed is closed."
    )
    holiday_country: str | None = strawberry.field(
        default=None, description="ISO country code whose public holidays are closed (DE, US)."
    )
    holiday_subdivision: str | None = strawberry.field(
        default=None, description="Region whose own holidays are closed too (BY, NY)."
    )


@strawberry.input(description="Changes to an SLA schedule; a field left out stays as it is.")
class SlaScheduleUpdateInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    name: str | None = strawberry.field(default=None, description="Unique name.")
    time_zone: str | None = strawberry.field(default=None, description="IANA time zone.")
    hours: list[SlaWorkingHoursInput] | None = strawberry.field(
        default=None, description="Opening hours, replacing the old ones."
    )
    holiday_country: str | None = strawberry.field(
        default=None, description="ISO country code of the public holidays; empty: none."
    )
    holiday_subdivision: str | None = strawberry.field(
        default=None, description="Region of the country; empty: none."
    )


@strawberry.input(description="A day to close on a schedule.")
class SlaScheduleHolidayAddInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    date: dt.date = strawberry.field(description="The day, local to the schedule.")
    name: str = strawberry.field(description="What it is (a company holiday).")


@strawberry.input(description="A closed day to open again.")
class SlaScheduleHolidayRemoveInput:
    schedule_id: strawberry.ID = strawberry.field(description="The schedule.")
    date: dt.date = strawberry.field(description="The day an administrator closed.")


@strawberry.input(
    description="Which schedule an SLA level or a team works by: give one of the two."
)
class SlaScheduleAttachInput:
    schedule_id: strawberry.ID | None = strawberry.field(
        default=None, description="The schedule; null: none (every minute counts)."
    )
    team_id: strawberry.ID | None = strawberry.field(default=None, description="The team.")
    level: SlaLevel | None = strawberry.field(default=None, description="The SLA level.")


@strawberry.input(description="The SLA schedule to delete.")
class SlaScheduleDeleteInput:
    schedule_id: strawberry.ID = strawberry.field(
        description="The schedule; no SLA level or team may work by it."
    )
