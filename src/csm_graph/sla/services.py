"""The SLA rules: due times from the targets, the pause while awaiting the
consumer, the first response, and breaches.

Due times are absolute (`response_due_at`, `resolution_due_at` on the case).
A pause adds its length to both when it ends, and a new target moves them
by the difference between the targets, so no running total is needed and
the periodic breach scan is one indexed query. Every length is working time
of the case's schedule (`schedules.py`; 24x7 without one), so a due time is
always an instant in working hours and the scan needs no calendar.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.accounts.models import Team
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases.models import FINAL_STATES, ActivityKind, Case, CaseActivity, CaseState
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList
from csm_graph.jobs import job
from csm_graph.notifications.services import queue_email
from csm_graph.settings import get_settings
from csm_graph.sla.defaults import DEFAULT_TARGETS
from csm_graph.sla.models import SlaTarget
from csm_graph.sla.schedules import working_time_for
from csm_graph.transactions import unit_of_work

log = logging.getLogger(__name__)

PRIORITIES = (1, 2, 3, 4)
BREACH_BATCH = 500


async def target_minutes(level: SlaLevel, priority: int) -> tuple[int, int]:
    """(response, resolution) minutes for `level` and `priority`."""
    row = await SlaTarget.get_or_none(level=level, priority=priority)
    if row is None:  # a deleted row falls back to the shipped default
        return DEFAULT_TARGETS[level.value][priority]
    return row.response_minutes, row.resolution_minutes


async def _level_of(consumer_id: int) -> SlaLevel:
    rows: list[Any] = await Consumer.filter(id=consumer_id).values_list("sla_level", flat=True)
    return SlaLevel(rows[0]) if rows else SlaLevel.BRONZE


async def due_times(
    consumer_id: int, priority: int, opened_at: dt.datetime, team_id: int | None = None
) -> dict[str, Any]:
    """The due times of a case opened at `opened_at` for a team (its create values)."""
    response, resolution = await target_minutes(await _level_of(consumer_id), priority)
    hours = await working_time_for(consumer_id, team_id)
    return {
        "response_due_at": hours.add(opened_at, dt.timedelta(minutes=response)),
        "resolution_due_at": hours.add(opened_at, dt.timedelta(minutes=resolution)),
    }


async def recomputed(case: Case, *, priority: int, consumer_id: int) -> dict[str, Any]:
    """New due times when the case's priority or consumer changes.

    Each due time moves by the difference between the new and the old
    target, so time already paused stays added. A case no longer overdue
    loses its breach (a later breach is notified again).
    """
    old = await target_minutes(await _level_of(case.consumer_id), case.priority)
    new = await target_minutes(await _level_of(consumer_id), priority)
    hours = await working_time_for(consumer_id, case.assignment_team_id)
    base = case.created_at
    response_due = hours.add(
        case.response_due_at or hours.add(base, dt.timedelta(minutes=old[0])),
        dt.timedelta(minutes=new[0] - old[0]),
    )
    resolution_due = hours.add(
        case.resolution_due_at or hours.add(base, dt.timedelta(minutes=old[1])),
        dt.timedelta(minutes=new[1] - old[1]),
    )
    changes: dict[str, Any] = {
        "response_due_at": response_due,
        "resolution_due_at": resolution_due,
    }
    probe = _Clocks(case.first_response_at, response_due, resolution_due)
    if case.sla_breached and not probe.overdue(clock.now()):
        changes.update(sla_breached=False, sla_breach_notified_at=None)
    return changes


class _Clocks:
    def __init__(
        self,
        first_response_at: dt.datetime | None,
        response_due_at: dt.datetime | None,
        resolution_due_at: dt.datetime | None,
    ) -> None:
        self.first_response_at = first_response_at
        self.response_due_at = response_due_at
        self.resolution_due_at = resolution_due_at

    def overdue(self, now: dt.datetime) -> bool:
        late_response = (
            self.first_response_at is None
            and self.response_due_at is not None
            and self.response_due_at <= now
        )
        late_resolution = self.resolution_due_at is not None and self.resolution_due_at <= now
        return late_response or late_resolution


async def on_state_change(case: Case, state: CaseState) -> dict[str, Any]:
    """Pause the clocks on entering AWAITING_INFO; on leaving it, add the pause back.

    What is added is the working time the pause took (closed hours, holidays
    and clock changes inside it count as they do for the due times), so the
    working time left when the pause began is left when it ends.
    """
    now = clock.now()
    if state is CaseState.AWAITING_INFO and case.sla_paused_at is None:
        return {"sla_paused_at": now}
    if state is not CaseState.AWAITING_INFO and case.sla_paused_at is not None:
        hours = await working_time_for(case.consumer_id, case.assignment_team_id)
        paused = hours.between(case.sla_paused_at, now)
        changes: dict[str, Any] = {"sla_paused_at": None}
        if case.response_due_at is not None:
            changes["response_due_at"] = hours.add(case.response_due_at, paused)
        if case.resolution_due_at is not None:
            changes["resolution_due_at"] = hours.add(case.resolution_due_at, paused)
        return changes
    return {}


def on_public_reply(case: Case, viewer: Viewer) -> dict[str, Any]:
    """The first public reply by an internal user stops the response clock."""
    if viewer.is_internal and case.first_response_at is None:
        return {"first_response_at": clock.now()}
    return {}


def _breach_candidates(now: dt.datetime) -> Q:
    """Running cases (not final, resolved or paused) past a due time, not yet marked."""
    late = Q(resolution_due_at__lte=now) | Q(
        first_response_at__isnull=True, response_due_at__lte=now
    )
    running = Q(
        sla_breached=False,
        sla_paused_at__isnull=True,
        state__in=[CaseState.NEW, CaseState.OPEN],
    )
    return running & late


@job(name="mark_sla_breaches", timeout=120, max_tries=1)
async def mark_breaches() -> int:
    """Mark every newly breached case and email its team's members, once per breach.

    The mark is a conditional UPDATE (`sla_breached = false` in the WHERE),
    so two scans at once notify once.
    """
    now = clock.now()
    ids: list[Any] = await (
        Case.filter(_breach_candidates(now))
        .order_by("id")
        .limit(BREACH_BATCH)
        .values_list("id", flat=True)
    )
    marked = 0
    for case_id in ids:
        async with unit_of_work():
            claimed = await Case.filter(_breach_candidates(now), id=case_id).update(
                sla_breached=True, sla_breach_notified_at=now
            )
            if not claimed:
                continue
            marked += 1
            case = await Case.get(id=case_id)
            which = (
                "first response"
                if case.first_response_at is None
                and case.response_due_at is not None
                and case.response_due_at <= now
                else "resolution"
            )
            await CaseActivity.create(
                case_id=case.id,
                kind=ActivityKind.FIELD_CHANGED,
                internal=True,
                field="slaBreached",
                old_value="false",
                new_value=which,
            )
            await _notify_team(case, which)
    return marked


async def _notify_team(case: Case, which: str) -> None:
    if case.assignment_team_id is None:
        return
    team = await Team.get_or_none(id=case.assignment_team_id).prefetch_related("members")
    if team is None:
        return
    settings = get_settings()
    breach_at = case.sla_breach_notified_at
    stamp = breach_at.strftime("%Y%m%dT%H%M%S") if breach_at else "0"
    for member in team.members:
        if not member.is_active or not member.email:
            continue
        await queue_email(
            template="sla_breach",
            to=member.email,
            context={
                "name": member.first_name or member.email,
                "number": case.number,
                "short_description": case.short_description,
                "which": which,
                "team": team.name,
                "priority": case.priority,
                "link": f"{settings.portal_url}/cases/{case.number}",
            },
            key=f"sla-breach:{case.id}:{stamp}:{member.id}",
        )


async def set_target(
    viewer: Viewer | None,
    level: SlaLevel,
    priority: int,
    response_minutes: int,
    resolution_minutes: int,
) -> SlaTarget:
    """Administrators set the target for a level and priority (new cases use it;
    running cases keep their due times until their priority changes)."""
    if viewer is None or not viewer.is_admin:
        raise AccessDenied("Only administrators may change SLA targets.")
    errors = ErrorList()
    if priority not in PRIORITIES:
        errors.add("priority", "Priority is 1 (critical) to 4 (low).")
    if response_minutes < 1:
        errors.add("response_minutes", "At least one minute.")
    if resolution_minutes < 1:
        errors.add("resolution_minutes", "At least one minute.")
    if 0 < resolution_minutes < response_minutes:
        errors.add(
            "resolution_minutes",
            "The resolution target cannot be shorter than the response target.",
            ErrorCode.INVALID,
        )
    errors.raise_if_any()
    async with unit_of_work():
        row = await SlaTarget.get_or_none(level=level, priority=priority)
        if row is None:
            row = await SlaTarget.create(
                level=level,
                priority=priority,
                response_minutes=response_minutes,
                resolution_minutes=resolution_minutes,
            )
        else:
            row.response_minutes = response_minutes
            row.resolution_minutes = resolution_minutes
            await row.save()
    return row


async def targets() -> list[SlaTarget]:
    return await SlaTarget.all().order_by("level", "priority")


RUNNING_STATES = frozenset(set(CaseState) - FINAL_STATES)
