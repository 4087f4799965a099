"""SLA schedules: working hours in a time zone, holidays, and who works by them.

A schedule is attached to SLA levels and to teams. A case counts the working
time of its consumer's level's schedule; when the level has none, its
assignment team's; when neither has one, every minute (24x7). The level's
schedule wins because it is the promise made to the consumer; the team's
hours say when the people working the case are there.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holiday_calendars
from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.accounts.models import Team
from csm_graph.accounts.viewer import Viewer
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.sla.models import SlaHoliday, SlaSchedule, SlaScheduleUse
from csm_graph.sla.workhours import ALWAYS_OPEN, Schedule, WorkingTime, week_of
from csm_graph.transactions import unit_of_work


class Weekday(Enum):
    """Days of the week, in the order of `datetime.date.weekday()`."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


NAME_LIMIT = 100
HOLIDAY_NAME_LIMIT = 100


@dataclass(frozen=True)
class ScheduleDraft:
    """What an administrator gives for a schedule; None leaves a field as it is."""

    name: str | None = None
    time_zone: str | None = None
    hours: Sequence[tuple[int, int, int]] | None = None
    """(weekday 0 Monday to 6 Sunday, opens, closes), minutes after midnight."""
    holiday_country: str | None = None
    holiday_subdivision: str | None = None


def _require_admin(viewer: Viewer | None) -> None:
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may change SLA schedules.")


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str) -> Callable[[dt.date], bool]:
    """A country's (and region's) public holidays, computed per year as asked."""
    calendar = holiday_calendars.country_holidays(country, subdiv=subdivision or None)
    return calendar.__contains__


def _check(draft: ScheduleDraft, current: SlaSchedule | None, errors: ErrorList) -> dict[str, Any]:
    """The columns of a draft, each checked; problems go to `errors`."""
    values: dict[str, Any] = {}
    if draft.name is not None:
        name = draft.name.strip()
        if not name:
            errors.add("name", "A name is required.", ErrorCode.REQUIRED)
        elif len(name) > NAME_LIMIT:
            errors.add("name", f"At most {NAME_LIMIT} characters.")
        values["name"] = name
    if draft.time_zone is not None:
        zone = draft.time_zone.strip()
        if zone not in _zone_names():
            errors.add("time_zone", "Not a known time zone (such as Europe/Berlin).")
        values["time_zone"] = zone
    if draft.hours is not None:
        try:
            week = week_of(draft.hours)
            if not any(week):
                raise ValueError("a schedule is open at least once a week")
        except ValueError as exc:
            errors.add("hours", f"Invalid working hours: {exc}.")
        else:
            values["hours"] = [[d, o, c] for d, day in enumerate(week) for o, c in day]
    country = draft.holiday_country
    subdivision = draft.holiday_subdivision
    if country is not None or subdivision is not None:
        country = country if country is not None else current.holiday_country if current else ""
        subdivision = (
            subdivision
            if subdivision is not None
            else current.holiday_subdivision
            if current
            else ""
        )
        country, subdivision = country.strip().upper(), subdivision.strip().upper()
        if not country and subdivision:
            errors.add("holiday_subdivision", "A region needs its country.")
        elif country:
            supported = holiday_calendars.list_supported_countries()
            if country not in supported:
                errors.add("holiday_country", "Not a country with known holidays.")
            elif subdivision and subdivision not in supported[country]:
                errors.add("holiday_subdivision", f"Not a region of {country}.")
        values.update(holiday_country=country, holiday_subdivision=subdivision)
    return values


async def _name_taken(name: str, schedule_id: int | None) -> bool:
    query = SlaSchedule.filter(name=name)
    if schedule_id is not None:
        query = query.exclude(id=schedule_id)
    return await query.exists()


async def create_schedule(viewer: Viewer | None, draft: ScheduleDraft) -> SlaSchedule:
    """Administrators define a schedule; it applies once attached to a level or team."""
    _require_admin(viewer)
    errors = ErrorList()
    if draft.name is None:
        errors.add("name", "A name is required.", ErrorCode.REQUIRED)
    if draft.time_zone is None:
        errors.add("time_zone", "A time zone is required.", ErrorCode.REQUIRED)
    if draft.hours is None:
        errors.add("hours", "Working hours are required.", ErrorCode.REQUIRED)
    values = _check(draft, None, errors)
    errors.raise_if_any()
    async with unit_of_work():
        if await _name_taken(values["name"], None):
            raise UserErrors.one("name", "A schedule has this name.", ErrorCode.CONFLICT)
        return await SlaSchedule.create(**values)


async def _schedule(schedule_id: int, *, lock: bool = False) -> SlaSchedule:
    """The schedule; with `lock`, locked for this transaction, so that a deletion
    and an attachment to it happen one after the other, never both."""
    found = SlaSchedule.filter(id=schedule_id)
    schedule = await (found.select_for_update() if lock else found).first()
    if schedule is None:
        raise UserErrors.one("schedule_id", "No such schedule.", ErrorCode.NOT_FOUND)
    return schedule


async def update_schedule(
    viewer: Viewer | None, schedule_id: int, draft: ScheduleDraft
) -> SlaSchedule:
    """Change a schedule. Running cases keep their due times until they are
    computed again (a pause ends, the priority or consumer changes)."""
    _require_admin(viewer)
    async with unit_of_work():
        schedule = await _schedule(schedule_id)
        errors = ErrorList()
        values = _check(draft, schedule, errors)
        errors.raise_if_any()
        if "name" in values and await _name_taken(values["name"], schedule.id):
            raise UserErrors.one("name", "A schedule has this name.", ErrorCode.CONFLICT)
        if values:
            await SlaSchedule.filter(id=schedule.id).update(**values, updated_at=clock.now())
        return await SlaSchedule.get(id=schedule.id)


async def add_holiday(
    viewer: Viewer | None, schedule_id: int, day: dt.date, name: str
) -> SlaSchedule:
    """Close a schedule on `day` (a company holiday); adding a day twice renames it."""
    _require_admin(viewer)
    name = name.strip()
    if not name:
        raise UserErrors.one("name", "A name is required.", ErrorCode.REQUIRED)
    if len(name) > HOLIDAY_NAME_LIMIT:
        raise UserErrors.one("name", f"At most {HOLIDAY_NAME_LIMIT} characters.")
    async with unit_of_work():
        schedule = await _schedule(schedule_id)
        updated = await SlaHoliday.filter(schedule_id=schedule.id, day=day).update(name=name)
        if not updated:
            await SlaHoliday.create(schedule_id=schedule.id, day=day, name=name)
    return schedule


async def remove_holiday(viewer: Viewer | None, schedule_id: int, day: dt.date) -> SlaSchedule:
    """Open a day an administrator had closed (a country's holidays stay)."""
    _require_admin(viewer)
    async with unit_of_work():
        schedule = await _schedule(schedule_id)
        if not await SlaHoliday.filter(schedule_id=schedule.id, day=day).delete():
            raise UserErrors.one("date", "No holiday on this day.", ErrorCode.NOT_FOUND)
    return schedule


async def attach(
    viewer: Viewer | None,
    schedule_id: int | None,
    *,
    team_id: int | None = None,
    level: SlaLevel | None = None,
) -> SlaSchedule | None:
    """Make a level or a team work by a schedule, or by none (24x7) with no
    schedule. New due times use it; running cases keep theirs until computed again."""
    _require_admin(viewer)
    if (team_id is None) == (level is None):
        raise UserErrors.one("team_id", "Give a team or an SLA level, not both.", ErrorCode.INVALID)
    async with unit_of_work():
        schedule = await _schedule(schedule_id, lock=True) if schedule_id is not None else None
        if team_id is not None and not await Team.filter(id=team_id).exists():
            raise UserErrors.one("team_id", "No such team.", ErrorCode.NOT_FOUND)
        key: dict[str, Any] = {"team_id": team_id} if team_id is not None else {"level": level}
        await SlaScheduleUse.filter(**key).delete()
        if schedule is not None:
            await SlaScheduleUse.create(schedule_id=schedule.id, **key)
    return schedule


async def delete_schedule(viewer: Viewer | None, schedule_id: int) -> SlaSchedule:
    """Delete a schedule no SLA level or team works by (attach them to another
    schedule, or to none, first); its holidays go with it. Returns it as it was.
    Running cases keep their due times, as when a schedule is detached."""
    _require_admin(viewer)
    async with unit_of_work():
        schedule = await _schedule(schedule_id, lock=True)
        if await SlaScheduleUse.filter(schedule_id=schedule.id).exists():
            raise UserErrors.one(
                "schedule_id",
                "An SLA level or a team works by this schedule: attach them to another "
                "schedule, or to none, first.",
                ErrorCode.INVALID_STATE,
            )
        await SlaSchedule.filter(id=schedule.id).delete()
    return schedule


async def schedules() -> list[SlaSchedule]:
    return await SlaSchedule.all().order_by("name", "id")


async def uses_by_schedule(ids: Sequence[int]) -> dict[int, list[SlaScheduleUse]]:
    out: dict[int, list[SlaScheduleUse]] = {i: [] for i in ids}
    for use in await SlaScheduleUse.filter(schedule_id__in=list(ids)).order_by("id"):
        out[use.schedule_id].append(use)
    return out


async def holidays_by_schedule(ids: Sequence[int]) -> dict[int, list[SlaHoliday]]:
    out: dict[int, list[SlaHoliday]] = {i: [] for i in ids}
    for day in await SlaHoliday.filter(schedule_id__in=list(ids)).order_by("day"):
        out[day.schedule_id].append(day)
    return out


# --- the working time of a case -------------------------------------------------------


def working_time(schedule: SlaSchedule, closed_days: Sequence[dt.date]) -> Schedule:
    """The arithmetic of a stored schedule."""
    days = frozenset(closed_days)
    public = (
        _public_holidays(schedule.holiday_country, schedule.holiday_subdivision)
        if schedule.holiday_country
        else None
    )

    def closed(day: dt.date) -> bool:
        return day in days or (public is not None and public(day))

    try:
        zone = ZoneInfo(schedule.time_zone)
    except ZoneInfoNotFoundError:  # a zone the system lost since: UTC, not a crash
        zone = ZoneInfo("UTC")
    week = week_of([(int(d), int(o), int(c)) for d, o, c in schedule.hours])
    return Schedule(zone, week, closed=closed)


async def schedule_of(level: SlaLevel, team_id: int | None) -> SlaSchedule | None:
    """The schedule of a level, else of a team, else none."""
    use = await SlaScheduleUse.get_or_none(level=level)
    if use is None and team_id is not None:
        use = await SlaScheduleUse.get_or_none(team_id=team_id)
    if use is None:
        return None
    return await SlaSchedule.get_or_none(id=use.schedule_id)


async def level_of(consumer_id: int) -> SlaLevel:
    rows: list[Any] = await Consumer.filter(id=consumer_id).values_list("sla_level", flat=True)
    return SlaLevel(rows[0]) if rows else SlaLevel.BRONZE


async def working_time_for(consumer_id: int, team_id: int | None) -> WorkingTime:
    """What a case of this consumer, assigned to this team, counts."""
    schedule = await schedule_of(await level_of(consumer_id), team_id)
    if schedule is None:
        return ALWAYS_OPEN
    days = await SlaHoliday.filter(schedule_id=schedule.id)
    return working_time(schedule, [d.day for d in days])


async def working_times(
    keys: Sequence[tuple[int, int | None]],
) -> list[tuple[SlaSchedule | None, WorkingTime]]:
    """`working_time_for` of many (consumer id, team id) at once, in a few queries."""
    consumer_ids = {c for c, _ in keys}
    levels: dict[int, SlaLevel] = {
        int(i): SlaLevel(level)
        for i, level in await Consumer.filter(id__in=list(consumer_ids)).values_list(
            "id", "sla_level"
        )
    }
    team_ids = {t for _, t in keys if t is not None}
    uses = await SlaScheduleUse.filter(
        Q(level__in=list(set(levels.values()))) | Q(team_id__in=list(team_ids))
    )
    by_level = {u.level: u.schedule_id for u in uses if u.level is not None}
    by_team = {u.team_id: u.schedule_id for u in uses if u.team_id is not None}
    wanted = set(by_level.values()) | set(by_team.values())
    rows = {s.id: s for s in await SlaSchedule.filter(id__in=list(wanted))}
    closed = await holidays_by_schedule(list(rows))
    built = {i: working_time(s, [h.day for h in closed[i]]) for i, s in rows.items()}
    out: list[tuple[SlaSchedule | None, WorkingTime]] = []
    for consumer_id, team_id in keys:
        level = levels.get(consumer_id, SlaLevel.BRONZE)
        chosen = by_level.get(level) or (by_team.get(team_id) if team_id is not None else None)
        if chosen is None or chosen not in rows:
            out.append((None, ALWAYS_OPEN))
        else:
            out.append((rows[chosen], built[chosen]))
    return out
