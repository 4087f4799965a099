"""Bulk case work: assign, or change the state of, up to 100 cases at once.

The rules are the single mutations' (`services.assign`, `cancel`,
`propose_solution`, reopening): each case is decided on its own by the
access engine and its state, and answered in the order it was named, as
changed or refused with a code, so one case the viewer may not touch does
not hold up the others.

The cost does not grow with the number of cases: they are read in one
locked query, decided in Python, and written with one UPDATE per distinct
set of new values (usually one; a case leaving a paused SLA clock carries
due times of its own), one INSERT of all the activity entries, and one
query to read those entries back for their live events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q

from csm_graph import clock
from csm_graph.access.engine import CaseAction, Subject, any_of
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.cases import events, notify
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseState
from csm_graph.cases.services import (
    REOPEN_SOURCES,
    RUNNING_STATES,
    SOLUTION_SOURCES,
    access_refusal,
    check_solution,
    solution_values,
    state_refusal,
    state_values,
)
from csm_graph.errors import ErrorCode, FieldError, UserErrors
from csm_graph.transactions import unit_of_work
from csm_graph.webhooks import services as webhooks

MAX_IDS = 100
"""The most cases one bulk change names."""

BULK_TARGETS: dict[CaseState, tuple[frozenset[CaseState], str]] = {
    CaseState.OPEN: (REOPEN_SOURCES, "open"),
    CaseState.RESOLVED: (SOLUTION_SOURCES, "propose a solution for"),
    CaseState.CANCELLED: (RUNNING_STATES, "cancel"),
}
"""The states a bulk change sets, with the states each may come from and the
words of its refusal: OPEN (start work on a NEW case, stop waiting for the
consumer, or reopen a proposed solution), RESOLVED (propose a solution, with
a code and notes) and CANCELLED (cancel a running case). AWAITING_INFO needs
a question and CLOSED is the consumer side's, so neither is offered in bulk."""


@dataclass
class BulkResult:
    """The answer for one named case, at its position in the request."""

    case_id: int | None
    """The case's id; None when the id named no case at all (malformed)."""
    case: Case | None = None
    """The case as it now stands; None when it is not found (or listed twice)."""
    changed: bool = False
    error: FieldError | None = None
    """Why it was not changed; None when it was, or when it already stood as asked."""


@dataclass
class _Change:
    """One case to write: its new values and the activity entries they make."""

    case: Case
    values: dict[str, Any]
    entries: list[CaseActivity]


def _positions(case_ids: Sequence[int | None]) -> None:
    if len(case_ids) > MAX_IDS:
        raise UserErrors.one(
            "ids", f"At most {MAX_IDS} cases at once ({len(case_ids)} named).", ErrorCode.INVALID
        )
    if not case_ids:
        raise UserErrors.one("ids", "Name at least one case.", ErrorCode.REQUIRED)


async def _load(
    subject: Subject, case_ids: Sequence[int | None], action: CaseAction
) -> tuple[list[BulkResult], list[Case]]:
    """One result per position, the cases `subject` may `action` loaded (locked,
    in id order, so two bulk changes cannot deadlock) and not yet refused."""
    wanted = sorted({i for i in case_ids if i is not None})
    found = (
        {c.id: c for c in await Case.filter(id__in=wanted).order_by("id").select_for_update()}
        if wanted
        else {}
    )
    results: list[BulkResult] = []
    first: dict[int, int] = {}
    for position, case_id in enumerate(case_ids):
        field = f"ids.{position}"
        if case_id is not None and case_id in first:
            results.append(
                BulkResult(
                    case_id,
                    error=FieldError(
                        field,
                        f"The same case as ids.{first[case_id]}, answered there.",
                        ErrorCode.CONFLICT,
                    ),
                )
            )
            continue
        case = found.get(case_id) if case_id is not None else None
        if case_id is not None:
            first[case_id] = position
        refusal = access_refusal(subject, case, action, field)
        if refusal is not None:
            shown = case if refusal.code is not ErrorCode.NOT_FOUND else None
            results.append(BulkResult(case_id, case=shown, error=refusal))
        else:
            results.append(BulkResult(case_id, case=case))
    return results, [r.case for r in results if r.case is not None and r.error is None]


def _entry(
    subject: Subject, case: Case, kind: ActivityKind, field: str, old: str, new: str
) -> CaseActivity:
    """An activity entry as `services._record` writes it (agents act for nobody)."""
    return CaseActivity(
        case_id=case.id,
        kind=kind,
        internal=False,
        actor_id=subject.viewer.user_id,
        on_behalf_of_id=None,
        field=field,
        old_value=old,
        new_value=new,
    )


async def _apply(changes: list[_Change]) -> list[CaseActivity]:
    """Write every change: one conditional UPDATE per distinct set of values (a
    case changed since it was read fails the whole request as a CONFLICT), one
    INSERT of the entries, one read of them back; then their live events,
    published after the commit like every other case event."""
    if not changes:
        return []
    now = clock.now()
    groups: dict[tuple[tuple[str, Any], ...], list[_Change]] = {}
    for change in changes:
        change.values["updated_at"] = now
        groups.setdefault(tuple(sorted(change.values.items())), []).append(change)
    for group in groups.values():
        versions = any_of(Q(id=c.case.id, version=c.case.version) for c in group)
        assert versions is not None
        written = await Case.filter(versions).update(version=F("version") + 1, **group[0].values)
        if written != len(group):
            raise UserErrors.one(
                "ids", "Some of the cases changed meanwhile; try again.", ErrorCode.CONFLICT
            )
        for change in group:
            for key, value in change.values.items():
                setattr(change.case, key, value)
            change.case.version += 1
    # The cases are locked: the only entries of theirs written from here on are these.
    floor: list[Any] = (
        await CaseActivity.all().order_by("-id").limit(1).values_list("id", flat=True)
    )
    await CaseActivity.bulk_create([e for c in changes for e in c.entries])
    entries = await CaseActivity.filter(
        case_id__in=[c.case.id for c in changes], id__gt=int(floor[0]) if floor else 0
    ).order_by("id")
    for entry in entries:
        await events.case_changed(entry)
    await webhooks.case_activities(entries, {c.case.id: c.case for c in changes})
    return entries


async def assign_cases(
    subject: Subject,
    case_ids: Sequence[int | None],
    assignee_id: int | None,
    team_id: int | None,
) -> list[BulkResult]:
    """Assign each case (to the viewer when no assignee is named; to a team too
    when one is named), as `services.assign` does one: the viewer must work the
    case, it must not be final, and a NEW case opens. A case already assigned
    so is answered unchanged, without an error."""
    _positions(case_ids)
    user_id = assignee_id if assignee_id is not None else subject.viewer.user_id
    assignee = await User.get_or_none(id=user_id, user_type=UserType.INTERNAL, is_active=True)
    if assignee is None:
        raise UserErrors.one("assignee_id", "No such internal user.", ErrorCode.NOT_FOUND)
    if team_id is not None and not await Team.filter(id=team_id).exists():
        raise UserErrors.one("team_id", "No such team.", ErrorCode.NOT_FOUND)
    async with unit_of_work():
        results, cases = await _load(subject, case_ids, CaseAction.WORK)
        refused = _refuse_states(results, RUNNING_STATES, "assign")
        changes = []
        for case in cases:
            if case.id in refused:
                continue
            values: dict[str, Any] = {"assigned_to_id": assignee.id}
            if team_id is not None:
                values["assignment_team_id"] = team_id
            opens = case.state is CaseState.NEW
            if not opens and all(getattr(case, k) == v for k, v in values.items()):
                continue  # already so: nothing to write
            entries = [
                _entry(
                    subject,
                    case,
                    ActivityKind.ASSIGNED,
                    "assignedTo",
                    str(case.assigned_to_id or ""),
                    str(assignee.id),
                )
            ]
            if opens:
                values = {**values, **await state_values(case, CaseState.OPEN)}
                entries.append(_state_entry(subject, case, CaseState.OPEN))
            changes.append(_Change(case, values, entries))
        await _apply(changes)
    return _changed(results, changes)


async def change_states(
    subject: Subject,
    case_ids: Sequence[int | None],
    state: CaseState,
    resolution_code: str | None = None,
    resolution_notes: str | None = None,
) -> list[BulkResult]:
    """Move each case to `state` (one of `BULK_TARGETS`) by the rules of the
    single change: the viewer must work the case, and its state must allow it.
    RESOLVED needs a resolution code and notes (the same for every case) and
    emails each case's consumer side, as `caseSolutionPropose` does."""
    _positions(case_ids)
    if state not in BULK_TARGETS:
        raise UserErrors.one(
            "state",
            "In bulk, a case may be set OPEN, RESOLVED or CANCELLED.",
            ErrorCode.INVALID,
        )
    sources, doing = BULK_TARGETS[state]
    code, notes = resolution_code or "", resolution_notes or ""
    if state is CaseState.RESOLVED:
        check_solution(code, notes)
    async with unit_of_work():
        results, cases = await _load(subject, case_ids, CaseAction.WORK)
        refused = _refuse_states(results, sources, doing)
        now = clock.now()
        changes = []
        for case in cases:
            if case.id in refused:
                continue
            extra: dict[str, Any] = {}
            if state is CaseState.CANCELLED:
                extra = {"closed_at": now}
            elif state is CaseState.RESOLVED:
                extra = solution_values(case, subject.viewer, code, notes)
            elif case.state is CaseState.RESOLVED:
                extra = {"resolved_at": None}  # a reopened solution, as a rejection does
            changes.append(
                _Change(
                    case,
                    await state_values(case, state, **extra),
                    [_state_entry(subject, case, state)],
                )
            )
        await _apply(changes)
        if state is CaseState.RESOLVED:
            await notify.solutions_proposed([c.case for c in changes])
    return _changed(results, changes)


def _state_entry(subject: Subject, case: Case, state: CaseState) -> CaseActivity:
    return _entry(subject, case, ActivityKind.STATE_CHANGED, "state", case.state.value, state.value)


def _refuse_states(
    results: list[BulkResult], allowed: frozenset[CaseState], doing: str
) -> set[int]:
    """Refuse, in place, the results whose case's state does not allow `doing`;
    the ids refused."""
    refused = set()
    for position, result in enumerate(results):
        if result.case is None or result.error is not None:
            continue
        refusal = state_refusal(result.case, allowed, doing, f"ids.{position}")
        if refusal is not None:
            result.error = refusal
            refused.add(result.case.id)
    return refused


def _changed(results: list[BulkResult], changes: list[_Change]) -> list[BulkResult]:
    written = {c.case.id for c in changes}
    for result in results:
        if result.error is None and result.case is not None:
            result.changed = result.case.id in written
    return results
