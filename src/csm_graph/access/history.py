"""Access at a past moment: the subject and the case as they were, for
`explainAccess(at:)`, asked of the same grant rules as today.

What was true at a moment comes from three kinds of history:

* dated rows, read on the moment's day: household memberships
  (`start_date`, `end_date`), representations and related parties
  (`valid_from`, `valid_until`; a party row must also have existed by then);
* the audit trail, replayed backwards from today: every event after the
  moment is undone, newest first (roles, teams, manager, activation, the
  link between a login and its consumer record);
* the case's activity stream, undone the same way: its consumer, household,
  assignee and state.

What was never kept is said in `History.notes`, and makes the history
incomplete: the trail's start bounds what it can undo, deleted rows are
gone, and a few changes are not dated at all (see `docs/access-reports.md`).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.access.engine import (
    CaseAction,
    Grant,
    Subject,
    available,
    grants,
    load_subject,
    load_subjects,
    permitted,
)
from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.errors import AccessDenied, BadRequest
from csm_graph.households.access import NO_REACH, Reach, reach_of_consumer
from csm_graph.households.models import Household, HouseholdMember

A = CaseAction


def memberships_on(day: dt.date) -> Q:
    """Memberships that held on `day`: begun by then and not yet ended (a
    membership's `end_date` is its first day as a non-member)."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


@dataclass
class History:
    """What could be rebuilt of a moment, and what could not."""

    notes: list[str] = field(default_factory=list)
    """Sentences for the reader: what was not kept, and facts of the moment that
    explain an empty answer (the case or the login did not exist yet)."""
    complete: bool = True
    """False once some history the answer needs was not kept."""

    def note(self, text: str) -> None:
        """A fact of the moment; the history is still complete."""
        if text not in self.notes:
            self.notes.append(text)

    def missing(self, text: str) -> None:
        """History the answer needs that was not kept: the answer is approximated."""
        self.note(text)
        self.complete = False


def _day(moment: dt.datetime) -> str:
    return moment.date().isoformat()


async def trail_start() -> dt.datetime | None:
    """When the audit trail begins: its first event of any kind (None: empty)."""
    first = await AuditEvent.all().order_by("at", "id").first()
    return first.at if first is not None else None


USER_KINDS = (
    AuditKind.ROLE_GRANTED,
    AuditKind.ROLE_REVOKED,
    AuditKind.TEAM_JOINED,
    AuditKind.TEAM_LEFT,
    AuditKind.USER_DEACTIVATED,
    AuditKind.USER_REACTIVATED,
    AuditKind.CONSUMER_USER_LINKED,
    AuditKind.CONSUMER_USER_UNLINKED,
)


async def subject_at(user_id: int, at: dt.datetime, history: History) -> Subject | None:
    """The user as the access rules saw them at `at`; None when they had no
    active login then (not created yet, or deactivated)."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        return None
    if user.created_at > at:
        history.note("The user did not exist yet at that moment.")
        return None
    start = await trail_start()
    internal = user.user_type is UserType.INTERNAL
    if start is None or at < start:
        since = f"before {_day(start)}" if start is not None else "yet"
        if internal:
            history.missing(
                f"Roles, teams and managers are not recorded {since} (the audit trail "
                "starts then): they are taken as they were when it began."
            )
        else:
            history.missing(
                f"Links between logins and consumer records are not recorded {since} "
                "(the audit trail starts then): it is taken as it was when the trail began."
            )
    role_names: list[Any] = await user.roles.all().values_list("name", flat=True)
    team_ids: list[Any] = await user.teams.all().values_list("id", flat=True)
    roles = {str(r) for r in role_names}
    teams = {int(t) for t in team_ids}
    active = user.is_active
    linked: list[Any] = await Consumer.filter(user_id=user.id).values_list("id", flat=True)
    consumer_id: int | None = int(linked[0]) if linked else None
    events = await AuditEvent.filter(user_id=user.id, kind__in=USER_KINDS, at__gt=at).order_by(
        "-at", "-id"
    )
    for event in events:  # undo, newest first
        role = str(event.data.get("role", ""))
        if event.kind is AuditKind.ROLE_GRANTED:
            roles.discard(role)
        elif event.kind is AuditKind.ROLE_REVOKED:
            roles.add(role)
        elif event.kind is AuditKind.TEAM_JOINED and event.target_id is not None:
            teams.discard(event.target_id)
        elif event.kind is AuditKind.TEAM_LEFT and event.target_id is not None:
            teams.add(event.target_id)
        elif event.kind is AuditKind.USER_DEACTIVATED:
            active = True
        elif event.kind is AuditKind.USER_REACTIVATED:
            active = False
        elif event.kind is AuditKind.CONSUMER_USER_LINKED:
            consumer_id = None
        elif event.kind is AuditKind.CONSUMER_USER_UNLINKED:
            consumer_id = event.consumer_id
    if not active:
        history.note("The user's login was deactivated at that moment.")
        return None
    viewer = Viewer(
        user_id=user.id,
        user_type=user.user_type,
        roles=frozenset(r for r in roles if r),
        team_ids=frozenset(teams),
    )
    day = at.date()
    reach = NO_REACH
    if not internal and consumer_id is not None:
        reach = await reach_of_consumer(consumer_id, day, memberships_on)
        await _note_headships(reach, day, history)
    await _note_removed(at, user.id, reach.consumer_id, history)

    async def reports(manager_ids: list[int]) -> dict[int, frozenset[int]]:
        return {m: await _reports_at(m, at) for m in manager_ids}

    (subject,) = await load_subjects([(viewer, reach)], day, reports=reports, parties_known_at=at)
    return subject


async def _reports_at(manager_id: int, at: dt.datetime) -> frozenset[int]:
    """Whom `manager_id` managed at `at`: today's reports, with every manager
    change since undone (MANAGER_CHANGED: `user_id` and `data.old`)."""
    now: list[Any] = await User.filter(manager_id=manager_id).values_list("id", flat=True)
    managers: dict[int, int | None] = {int(u): manager_id for u in now}
    changes = await AuditEvent.filter(kind=AuditKind.MANAGER_CHANGED, at__gt=at).order_by(
        "-at", "-id"
    )
    for event in changes:
        if event.user_id is None:
            continue
        old = event.data.get("old")
        managers[event.user_id] = int(old) if isinstance(old, int) else None
    return frozenset(u for u, m in managers.items() if m == manager_id)


async def _note_headships(reach: Reach, day: dt.date, history: History) -> None:
    """Headship is a flag, not dated: a member made head when the last head
    left looks like a head from their first day. Say so when that may be it:
    another member of a household the subject heads left after `day`."""
    if not reach.headed_household_ids or reach.consumer_id is None:
        return
    changed = (
        await HouseholdMember.filter(
            household_id__in=sorted(reach.headed_household_ids), end_date__gt=day
        )
        .exclude(consumer_id=reach.consumer_id)
        .exists()
    )
    if changed:
        history.missing(
            "Headship is not dated: a member who became head when another left is "
            "taken as head from the start of their membership."
        )


async def _note_removed(
    at: dt.datetime, user_id: int, consumer_id: int | None, history: History
) -> None:
    """Removed representations and related parties are deleted: the trail says
    one was removed since, not what it granted; changed parties and
    responsibilities are read as they are today."""
    about = Q(user_id=user_id)
    if consumer_id is not None:
        about |= Q(consumer_id=consumer_id)
    kinds: list[Any] = await (
        AuditEvent.filter(
            about,
            at__gt=at,
            kind__in=(
                AuditKind.REPRESENTATIVE_REMOVED,
                AuditKind.RELATED_PARTY_REMOVED,
                AuditKind.RELATED_PARTY_CHANGED,
            ),
        )
        .distinct()
        .values_list("kind", flat=True)
    )
    found = {AuditKind(k) for k in kinds}
    if await AuditEvent.filter(kind=AuditKind.RESPONSIBILITY_CHANGED, at__gt=at).exists():
        found.add(AuditKind.RESPONSIBILITY_CHANGED)
    if AuditKind.REPRESENTATIVE_REMOVED in found:
        history.missing("Representations removed since are not kept: they are missing here.")
    if AuditKind.RELATED_PARTY_REMOVED in found:
        history.missing("Related parties removed since are not kept: they are missing here.")
    if AuditKind.RESPONSIBILITY_CHANGED in found:
        history.missing("Responsibilities changed since are read as they are configured today.")
    if AuditKind.RELATED_PARTY_CHANGED in found:
        history.missing(
            "Related parties changed since are read with today's responsibility and dates."
        )


async def case_at(case: Case, at: dt.datetime, history: History) -> Case | None:
    """The case as it was at `at` (an unsaved copy); None before it existed.

    Its activity entries after `at` are undone, newest first: the consumer
    (FIELD_CHANGED `consumer`, CONSUMER_MERGED), the household, the assignee
    (ASSIGNED) and the state. Its assignment team is not in its activity."""
    if case.created_at > at:
        history.note("The moment is before the case existed.")
        return None
    entries = await CaseActivity.filter(case_id=case.id, created_at__gt=at).order_by(
        "-created_at", "-id"
    )
    if not entries:
        return case
    consumers = {e.old_value for e in entries if e.field == "consumer" and e.old_value}
    households = {e.old_value for e in entries if e.field == "household" and e.old_value}
    consumer_ids: dict[str, int] = dict(
        await Consumer.filter(number__in=sorted(consumers)).values_list("number", "id")
        if consumers
        else []
    )
    household_ids: dict[str, int] = dict(
        await Household.filter(number__in=sorted(households)).values_list("number", "id")
        if households
        else []
    )
    then = copy.copy(case)
    for entry in entries:
        old = entry.old_value
        if entry.kind is ActivityKind.ASSIGNED:
            then.assigned_to_id = int(old) if old.isdigit() else None
            history.missing(
                "The case was assigned since: its assignment team is not in its "
                "history, so today's team is used."
            )
        elif entry.kind is ActivityKind.STATE_CHANGED and old in CaseState.__members__:
            then.state = CaseState(old)
        elif entry.field == "consumer" and entry.kind in (
            ActivityKind.FIELD_CHANGED,
            ActivityKind.CONSUMER_MERGED,
        ):
            if old in consumer_ids:
                then.consumer_id = consumer_ids[old]
            else:
                history.missing("The case's earlier consumer record is gone.")
        elif entry.kind is ActivityKind.FIELD_CHANGED and entry.field == "household":
            then.household_id = household_ids.get(old) if old else None
        elif entry.kind is ActivityKind.FIELD_CHANGED and entry.field == "relatedParties":
            history.missing(
                "The case's related parties were removed when it moved to another "
                "consumer: removed parties are not kept."
            )
    return then


async def explain_access_at(
    viewer: Viewer, case_id: int | None, user_id: int | None, at: dt.datetime
) -> tuple[frozenset[CaseAction], list[Grant], History]:
    """`explain_access` at a past moment: the grants the user (default: the
    viewer) held on the case at `at`, rebuilt from history, and what of that
    history was not kept. Only administrators ask about someone else; others
    ask about themselves, for a case they may read now (any other explains as
    a missing case, so the history of cases out of reach stays unseen)."""
    history = History()
    nothing: tuple[frozenset[CaseAction], list[Grant], History] = (frozenset(), [], history)
    if at > clock.now():
        raise BadRequest("`at` must be a past moment.")
    who = viewer.user_id
    if user_id is not None and user_id != viewer.user_id:
        if not viewer.is_admin:
            raise AccessDenied("Only administrators may explain another user's access.")
        who = user_id
    if case_id is None:
        return nothing
    case = await Case.get_or_none(id=case_id)
    if case is None:
        return nothing
    if not viewer.is_admin and A.READ not in permitted(await load_subject(viewer), case):
        return nothing
    then = await case_at(case, at, history)
    subject = await subject_at(who, at, history)
    if then is None or subject is None:
        return nothing
    await _note_departments(subject, then, history)
    found = grants(subject, then)
    if not any(A.READ in g.actions for g in found):
        return frozenset(), [], history
    return available(subject, then), found, history


async def _note_departments(subject: Subject, case: Case, history: History) -> None:
    """A user's department is a text on their login, not dated: when a department
    is a party of the case or its sold product, it is read as it is today."""
    if not subject.viewer.is_internal or subject.viewer.is_admin:
        return
    on = Q(case_id=case.id)
    if case.sold_product_id is not None:
        on |= Q(sold_product_id=case.sold_product_id)
    if await RelatedParty.filter(on, department_id__isnull=False).exists():
        history.missing(
            "A user's department is not dated: departments related to the case are "
            "matched against the user's department as it is today."
        )
