"""The case rules: creation for oneself or others, the lifecycle, comments.

Every change is one transaction: check access (the engine), check the
state, write with a conditional UPDATE on the case's version (so two
concurrent changes cannot both apply), record activity, and with each
activity entry its live event (`events`), published after the commit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from csm_graph import clock
from csm_graph.access import policy
from csm_graph.access.engine import CaseAction, Subject, case_filter, permitted
from csm_graph.access.models import RelatedParty
from csm_graph.access.services import record_party
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditKind
from csm_graph.cases import events, notify
from csm_graph.cases.models import (
    FINAL_STATES,
    ActivityKind,
    Case,
    CaseActivity,
    CaseAttachment,
    CaseCategory,
    CaseChannel,
    CaseComment,
    CaseState,
)
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import lock_live
from csm_graph.core.numbering import next_number
from csm_graph.core.partial import KEEP, Keep, Partial
from csm_graph.customfields import services as customfields
from csm_graph.delegations.marks import mark_activity
from csm_graph.errors import ErrorCode, ErrorList, FieldError, UserErrors
from csm_graph.households.access import current_memberships
from csm_graph.households.models import Household, HouseholdMember
from csm_graph.jobs import job
from csm_graph.products.services import product_for_case
from csm_graph.settings import get_settings
from csm_graph.sla import services as sla
from csm_graph.surveys import services as surveys
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text, search_term
from csm_graph.webhooks import services as webhooks

NUMBER_PREFIX = "CS"
AUTO_CLOSE_BATCH = 500
A = CaseAction

ACTION_WORDS = {
    A.COMMENT: "comment on",
    A.ATTACH: "attach files to",
    A.ACCEPT_SOLUTION: "accept the solution of",
    A.REJECT_SOLUTION: "reject the solution of",
    A.CLOSE: "close",
    A.WORK: "work on",
}


def visible_cases(subject: Subject) -> QuerySet[Case]:
    """The cases `subject` may read, filtered in SQL."""
    return Case.filter(case_filter(subject))


@dataclass(frozen=True)
class CaseCriteria:
    """Which of the cases a viewer may read a list shows (a `CaseFilter`, its ids
    decoded). Hashable, so lists asking the same can be counted together."""

    mine: bool = False
    """Internal users: assigned to them; consumers: opened by or about them."""
    states: frozenset[CaseState] = frozenset()
    """Only these states; empty: any."""
    consumer_id: int | None = None
    household_id: int | None = None
    search: str = ""
    custom_fields: tuple[customfields.Condition, ...] = ()
    """Custom field conditions, every one met."""


def listed_cases(subject: Subject, criteria: CaseCriteria) -> QuerySet[Case]:
    """The cases `subject` may read that meet `criteria`, filtered in SQL: what
    `cases` lists, and a consumer's or household's `cases` within it."""
    queryset = visible_cases(subject)
    if criteria.mine:
        if subject.viewer.is_internal:
            queryset = queryset.filter(assigned_to_id=subject.viewer.user_id)
        else:
            mine = Q(opened_by_id=subject.viewer.user_id)
            if subject.consumer_id is not None:
                mine |= Q(consumer_id=subject.consumer_id)
            queryset = queryset.filter(mine)
    if criteria.states:
        queryset = queryset.filter(state__in=sorted(s.value for s in criteria.states))
    if criteria.consumer_id is not None:
        queryset = queryset.filter(consumer_id=criteria.consumer_id)
    if criteria.household_id is not None:
        queryset = queryset.filter(household_id=criteria.household_id)
    if criteria.search:
        queryset = search(queryset, criteria.search)
    if criteria.custom_fields:
        queryset = customfields.restrict(queryset, criteria.custom_fields)
    return queryset


async def case_for(
    subject: Subject, case_id: int, action: CaseAction, field: str = "id"
) -> tuple[Subject, Case]:
    """The case, when the subject may `action` it (and the subject, for the caller).

    A case the viewer may not read is NOT_FOUND, exactly like a missing one;
    one they read but may not act on is FORBIDDEN.
    """
    # Locked for the rest of the unit of work: changes to one case queue up
    # instead of failing on each other's version (PostgreSQL; SQLite has one
    # writer). Only a client's stale `version` is a CONFLICT.
    case = await Case.filter(id=case_id).select_for_update().first()
    refusal = access_refusal(subject, case, action, field)
    if refusal is not None:
        raise UserErrors(refusal)
    assert case is not None
    return subject, case


def access_refusal(
    subject: Subject, case: Case | None, action: CaseAction, field: str
) -> FieldError | None:
    """Why `subject` may not `action` the case (None: they may): NOT_FOUND for a
    case they may not read or that does not exist, FORBIDDEN for one they read.
    What `case_for` raises, and what a bulk change answers per case."""
    allowed = permitted(subject, case) if case is not None else frozenset()
    if case is None or A.READ not in allowed:
        return FieldError(field, "No such case.", ErrorCode.NOT_FOUND)
    if action not in allowed:
        return FieldError(
            field,
            f"You may not {ACTION_WORDS.get(action, 'change')} this case.",
            ErrorCode.FORBIDDEN,
        )
    return None


RUNNING_STATES = frozenset(set(CaseState) - FINAL_STATES)
"""The states a case may still change from (work, comments, assignment, a move)."""
SOLUTION_SOURCES = frozenset({CaseState.OPEN, CaseState.AWAITING_INFO})
"""The states a solution may be proposed from."""
REOPEN_SOURCES = frozenset({CaseState.NEW, CaseState.AWAITING_INFO, CaseState.RESOLVED})
"""The states an agent may set back to OPEN (start work, stop waiting, reopen a solution)."""


def state_refusal(
    case: Case, allowed: Iterable[CaseState], doing: str, field: str = "id"
) -> FieldError | None:
    """Why the case's state refuses `doing` (None: it allows it)."""
    if case.state in set(allowed):
        return None
    return FieldError(
        field, f"Cannot {doing} a case that is {case.state.value}.", ErrorCode.INVALID_STATE
    )


def _require_state(case: Case, allowed: Iterable[CaseState], doing: str) -> None:
    refusal = state_refusal(case, allowed, doing)
    if refusal is not None:
        raise UserErrors(refusal)


def _check_version(case: Case, version: int | None) -> None:
    if version is not None and version != case.version:
        raise UserErrors.one(
            "version",
            f"The case changed since version {version} (now {case.version}); reload it.",
            ErrorCode.CONFLICT,
        )


async def _write(case: Case, **changes: Any) -> None:
    """Apply `changes` if nobody changed the case since it was read."""
    changes["updated_at"] = clock.now()
    written = await Case.filter(id=case.id, version=case.version).update(
        version=F("version") + 1, **changes
    )
    if not written:
        raise UserErrors.one(
            "version", "The case changed meanwhile; reload it.", ErrorCode.CONFLICT
        )
    for key, value in changes.items():
        setattr(case, key, value)
    case.version += 1


async def record_custom_fields(
    subject: Subject, case: Case, changes: Iterable[tuple[str, str, str, bool]]
) -> None:
    """Custom fields of the case changed (`customfields`): a new version, and an
    activity entry per (field, old, new, internal) change."""
    changes = list(changes)
    if not changes:
        return
    await _write(case)
    for field, old, new, internal in changes:
        await _record(
            case,
            subject,
            ActivityKind.FIELD_CHANGED,
            field=field,
            old=old,
            new=new,
            internal=internal,
        )


def _on_behalf_of(subject: Subject, case: Case) -> int | None:
    """The consumer an external viewer acts for, when it is not themselves; for a
    consumer record without a login (an email), the record itself, which names
    who wrote."""
    if subject.viewer.is_internal:
        return None
    if subject.viewer.login_id is None:
        return subject.consumer_id
    if subject.consumer_id == case.consumer_id:
        return None
    return case.consumer_id


async def _record(
    case: Case,
    subject: Subject | None,
    kind: ActivityKind,
    *,
    field: str = "",
    old: str = "",
    new: str = "",
    internal: bool = False,
    comment_id: int | None = None,
) -> CaseActivity:
    """An activity entry, and its live event: one event per entry, never one
    without the other (the event's id is made from the entry's)."""
    entry = await CaseActivity.create(
        case_id=case.id,
        kind=kind,
        internal=internal,
        actor_id=subject.viewer.login_id if subject else None,
        on_behalf_of_id=_on_behalf_of(subject, case) if subject else None,
        field=field,
        old_value=old,
        new_value=new,
    )
    if entry.on_behalf_of_id is not None and subject is not None:
        await mark_activity(entry.id, subject.consumer_id, entry.on_behalf_of_id)
    await events.case_changed(entry, comment_id)
    await webhooks.case_activity(entry, case, comment_id)
    return entry


async def state_values(case: Case, state: CaseState, **extra: Any) -> dict[str, Any]:
    """The columns a change of the case to `state` writes: the state, the SLA
    clocks' answer to it (a pause starts or ends), and `extra`."""
    return {"state": state, **await sla.on_state_change(case, state), **extra}


def solution_values(case: Case, viewer: Viewer, code: str, notes: str) -> dict[str, Any]:
    """The columns a proposed solution writes besides the state (its first
    public reply may stop the response clock)."""
    return {
        "resolution_code": code.strip(),
        "resolution_notes": notes.strip(),
        "resolved_at": clock.now(),
        **sla.on_public_reply(case, viewer),
    }


def check_solution(code: str, notes: str) -> None:
    """A resolution code (at most 40 characters) and notes, both required."""
    errors = ErrorList()
    for name, value, limit in (("resolution_code", code, 40), ("resolution_notes", notes, 20000)):
        try:
            require_text(name, value, max_length=limit)
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
    errors.raise_if_any()


async def _change_state(
    case: Case, subject: Subject | None, state: CaseState, **extra: Any
) -> None:
    old = case.state
    await _write(case, **await state_values(case, state, **extra))
    await _record(
        case, subject, ActivityKind.STATE_CHANGED, field="state", old=old.value, new=state.value
    )


# --- creation -------------------------------------------------------------------


def _clean_fields(data: dict[str, Any], errors: ErrorList, *, creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "short_description" in data:
        try:
            out["short_description"] = require_text(
                "short_description", data.get("short_description"), max_length=160
            )
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
    if "description" in data and data["description"] is not None:
        try:
            out["description"] = require_text(
                "description", data["description"], max_length=20000, required=False
            )
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
    if data.get("priority") is not None:
        if data["priority"] not in (1, 2, 3, 4):
            errors.add("priority", "Priority is 1 (critical) to 4 (low).")
        out["priority"] = data["priority"]
    if data.get("category") is not None:
        out["category"] = CaseCategory(data["category"])
    if data.get("channel") is not None:
        out["channel"] = CaseChannel(data["channel"])
    return out


async def _current_households(consumer_id: int, today: Any) -> list[int]:
    rows: list[Any] = await HouseholdMember.filter(
        current_memberships(today), consumer_id=consumer_id
    ).values_list("household_id", flat=True)
    return sorted(int(r) for r in rows)


def household_of_case(households: list[int], household_id: int | None) -> int | None:
    """The household a case of a consumer belongs to, among the consumer's current
    `households`: the one named, which must be one of them; else their only one;
    None when they belong to none. Several, and none named, is REQUIRED. The
    rule of opening a case and of moving one to another consumer."""
    if household_id is not None:
        if household_id not in households:
            raise UserErrors.one(
                "household_id",
                "The consumer is not a current member of this household.",
                ErrorCode.INVALID,
            )
        return household_id
    if len(households) > 1:
        raise UserErrors.one(
            "household_id",
            "The consumer belongs to several households: choose one.",
            ErrorCode.REQUIRED,
        )
    return households[0] if households else None


@dataclass(frozen=True, kw_only=True)
class CaseChanges(Partial):
    """Changes to a case's fields: what `update_case` accepts (KEEP: leave as is)."""

    short_description: str | Keep | None = KEEP
    description: str | Keep | None = KEEP
    category: CaseCategory | Keep | None = KEEP
    priority: int | Keep | None = KEEP
    channel: CaseChannel | Keep | None = KEEP


@dataclass(frozen=True, kw_only=True)
class CaseDraft(CaseChanges):
    """A new case: what `create_case` accepts (ids decoded, KEEP: not given): the
    fields a change may set, a short description required, and whom it is for."""

    short_description: str = dataclasses.field()  # required: the base has a default
    consumer_id: int | Keep | None = KEEP
    household_id: int | Keep | None = KEEP
    assignment_team_id: int | Keep | None = KEEP
    sold_product_id: int | Keep | None = KEEP


async def create_case(
    subject: Subject, draft: CaseDraft, *, channel: CaseChannel | None = None
) -> Case:
    """Open a case. Internal users open one for any consumer; a consumer for
    themselves, a head of household for a current member of that household,
    a representative for the consumer they represent. `channel` is the
    intake's (email); a consumer's cases otherwise come by WEB."""
    data = draft.given()
    viewer = subject.viewer
    errors = ErrorList()
    values = _clean_fields(data, errors, creating=True)
    if not viewer.is_internal:
        values["channel"] = CaseChannel.WEB
        if data.get("assignment_team_id") is not None:
            errors.add("assignment_team_id", "Only internal users set this.", ErrorCode.FORBIDDEN)
    elif "channel" not in values:
        values["channel"] = CaseChannel.PHONE
    if channel is not None:
        values["channel"] = channel
    errors.raise_if_any()

    consumer_id = data.get("consumer_id") or subject.consumer_id
    if consumer_id is None:
        raise UserErrors.one(
            "consumer_id", "Name the consumer the case is for.", ErrorCode.REQUIRED
        )
    # Ids the viewer may not see are refused as missing ones, before anything
    # that could tell who belongs where.
    consumer = await policy.require_visible(
        subject, await Consumer.get_or_none(id=consumer_id), "consumer_id", "consumer"
    )
    household_id = data.get("household_id")
    if household_id is not None:
        await policy.require_visible(
            subject, await Household.get_or_none(id=household_id), "household_id", "household"
        )
    households = await _current_households(consumer.id, subject.today)
    if not viewer.is_internal and consumer.id != subject.consumer_id:
        reach = subject.reach
        if consumer.id not in reach.acts_for or (
            consumer.id in reach.reads_only and not (set(households) & reach.headed_household_ids)
        ):
            raise UserErrors.one(
                "consumer_id",
                "You may open cases for yourself, members of households you head and "
                "consumers you represent.",
                ErrorCode.FORBIDDEN,
            )
        heads_it = household_id is not None and reach.heads_household_of(household_id, consumer.id)
        if household_id is None:
            # A head acting through headship: the household they head is the case's.
            shared = sorted(set(households) & reach.headed_household_ids)
            if len(shared) == 1 and consumer.id not in reach.represented:
                household_id, heads_it = shared[0], True
        if not heads_it and consumer.id not in reach.represented:
            raise UserErrors.one(
                "household_id",
                "Open it in a household you head, where the consumer is a member.",
                ErrorCode.FORBIDDEN,
            )
    household_id = household_of_case(households, household_id)

    team_id = data.get("assignment_team_id")
    if team_id is not None and not await Team.filter(id=team_id).exists():
        raise UserErrors.one("assignment_team_id", "No such team.", ErrorCode.NOT_FOUND)
    sold_product_id = data.get("sold_product_id")
    if sold_product_id is not None:
        await product_for_case(subject, sold_product_id, consumer.id, household_id)

    async with unit_of_work():
        await lock_live(consumer.id, "consumer_id")
        case = await Case.create(
            number=await next_number(NUMBER_PREFIX),
            consumer_id=consumer.id,
            household_id=household_id,
            opened_by_id=viewer.login_id,
            assignment_team_id=team_id,
            sold_product_id=sold_product_id,
            **values,
            **await sla.due_times(
                consumer.id, values.get("priority", 4), clock.now(), team_id=team_id
            ),
        )
        await _record(case, subject, ActivityKind.CREATED)
        await notify.case_created(case)
    return case


# --- lifecycle --------------------------------------------------------------------


async def update_case(subject: Subject, case_id: int, version: int, changes: CaseChanges) -> Case:
    """Change the case's fields (internal users), at the version the client last read."""
    data = changes.given()
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK)
        _require_state(case, set(CaseState) - FINAL_STATES, "change")
        _check_version(case, version)
        errors = ErrorList()
        values = _clean_fields(data, errors, creating=False)
        errors.raise_if_any()
        changed = {k: v for k, v in values.items() if getattr(case, k) != v}
        if not changed:
            return case
        old = {k: getattr(case, k) for k in changed}
        timing: dict[str, Any] = {}
        if "priority" in changed:
            timing = await sla.recomputed(
                case, priority=changed["priority"], consumer_id=case.consumer_id
            )
        await _write(case, **changed, **timing)
        for key, value in changed.items():
            await _record(
                case,
                subject,
                ActivityKind.FIELD_CHANGED,
                field=key,
                old=str(getattr(old[key], "value", old[key])),
                new=str(getattr(value, "value", value)),
            )
    return case


async def change_consumer(
    subject: Subject, case_id: int, version: int, consumer_id: int, household_id: int | None
) -> Case:
    """Move a case to another consumer (internal users who work it), at the
    version the client last read.

    The new consumer and household follow the rules of opening a case: the
    consumer must be one the viewer sees (a merged record is not), the
    household one the consumer currently belongs to (`household_of_case`). A
    sold product on the case must belong to the new consumer or household,
    else the move is refused (a product's parties would read another
    consumer's case). The due times move to the new consumer's SLA level.
    Who reads the case follows at once: access is decided from the case's
    consumer and household on every request and every live event. The
    parties related to the case itself were chosen for the old consumer, so
    they are removed (an internal activity entry names them; agents add back
    the ones that still apply); a product's parties follow the product.
    """
    async with unit_of_work():
        # The consumer before the case, in the order a merge locks them.
        target = await lock_live(consumer_id, "consumer_id")
        subject, case = await case_for(subject, case_id, A.WORK)
        _require_state(case, RUNNING_STATES, "move")
        _check_version(case, version)
        consumer = await policy.require_visible(subject, target, "consumer_id", "consumer")
        if household_id is not None:
            await policy.require_visible(
                subject, await Household.get_or_none(id=household_id), "household_id", "household"
            )
        households = await _current_households(consumer.id, subject.today)
        household_id = household_of_case(households, household_id)
        if consumer.id == case.consumer_id and household_id == case.household_id:
            return case
        if case.sold_product_id is not None:
            try:
                await product_for_case(subject, case.sold_product_id, consumer.id, household_id)
            except UserErrors:
                raise UserErrors.one(
                    "consumer_id",
                    "The case is about a sold product of neither this consumer nor their "
                    "household.",
                    ErrorCode.INVALID,
                ) from None
        numbers = {
            **await _numbers(Consumer, {case.consumer_id, consumer.id}),
            **await _numbers(Household, {case.household_id, household_id}),
        }
        old_consumer, old_household = case.consumer_id, case.household_id
        timing = await sla.recomputed(case, priority=case.priority, consumer_id=consumer.id)
        await _write(case, consumer_id=consumer.id, household_id=household_id, **timing)
        if consumer.id != old_consumer:
            await _drop_case_parties(case, subject)
        # Internal entries: the new consumer side must not learn whose case it was.
        if consumer.id != old_consumer:
            await _record(
                case,
                subject,
                ActivityKind.FIELD_CHANGED,
                field="consumer",
                old=numbers.get(("Consumer", old_consumer), ""),
                new=numbers.get(("Consumer", consumer.id), ""),
                internal=True,
            )
        if household_id != old_household:
            await _record(
                case,
                subject,
                ActivityKind.FIELD_CHANGED,
                field="household",
                old=numbers.get(("Household", old_household), ""),
                new=numbers.get(("Household", household_id), ""),
                internal=True,
            )
    return case


async def _drop_case_parties(case: Case, subject: Subject) -> None:
    """Remove the case's own related parties (see `change_consumer`)."""
    parties = (
        await RelatedParty.filter(case_id=case.id)
        .select_related("relationship_type")
        .order_by("id")
    )
    if not parties:
        return
    for party in parties:
        await record_party(AuditKind.RELATED_PARTY_REMOVED, subject.viewer, party)
    await RelatedParty.filter(id__in=[p.id for p in parties]).delete()
    await _record(
        case,
        subject,
        ActivityKind.FIELD_CHANGED,
        field="relatedParties",
        old=", ".join(f"{p.relationship_type.name} #{p.id}" for p in parties),
        new="",
        internal=True,
    )


async def _numbers(
    model: type[Consumer] | type[Household], ids: set[int | None]
) -> dict[tuple[str, int | None], str]:
    """The human numbers of `ids` of `model` (consumers or households), keyed by
    (model name, id), in one query."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows: list[Any] = await model.filter(id__in=wanted).values_list("id", "number")
    return {(model.__name__, int(pk)): str(number) for pk, number in rows}


async def assign(
    subject: Subject, case_id: int, assignee_id: int | None, team_id: int | None
) -> Case:
    """Assign the case (to the viewer when no assignee is named); a NEW case opens."""
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK)
        _require_state(case, set(CaseState) - FINAL_STATES, "assign")
        user_id = assignee_id if assignee_id is not None else subject.viewer.user_id
        assignee = await User.get_or_none(id=user_id, user_type=UserType.INTERNAL, is_active=True)
        if assignee is None:
            raise UserErrors.one("assignee_id", "No such internal user.", ErrorCode.NOT_FOUND)
        changes: dict[str, Any] = {"assigned_to_id": assignee.id}
        if team_id is not None:
            if not await Team.filter(id=team_id).exists():
                raise UserErrors.one("team_id", "No such team.", ErrorCode.NOT_FOUND)
            changes["assignment_team_id"] = team_id
        old_assignee = case.assigned_to_id
        await _write(case, **changes)
        await _record(
            case,
            subject,
            ActivityKind.ASSIGNED,
            field="assignedTo",
            old=str(old_assignee or ""),
            new=str(assignee.id),
        )
        if case.state is CaseState.NEW:
            await _change_state(case, subject, CaseState.OPEN)
    return case


async def add_comment(
    subject: Subject, case_id: int, body: str, work_note: bool, field: str = "case_id"
) -> CaseComment:
    """A public comment or a work note. A consumer-side comment on a case
    awaiting information returns it to OPEN."""
    text = require_text("body", body, max_length=20000)
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK if work_note else A.COMMENT, field)
        _require_state(case, set(CaseState) - FINAL_STATES, "comment on")
        comment = await CaseComment.create(
            case_id=case.id,
            body=text,
            work_note=work_note,
            author_id=subject.viewer.login_id,
            on_behalf_of_id=_on_behalf_of(subject, case),
        )
        await _record(
            case,
            subject,
            ActivityKind.WORK_NOTE_ADDED if work_note else ActivityKind.COMMENTED,
            internal=work_note,
            comment_id=comment.id,
        )
        await _write(case, **({} if work_note else sla.on_public_reply(case, subject.viewer)))
        if not work_note:
            await notify.comment_added(
                case,
                comment.id,
                text,
                subject.viewer.login_id,
                by_record=subject.consumer_id if subject.viewer.login_id is None else None,
            )
        if (
            not work_note
            and not subject.viewer.is_internal
            and case.state is CaseState.AWAITING_INFO
        ):
            await _change_state(case, subject, CaseState.OPEN)
    return comment


async def request_info(subject: Subject, case_id: int, body: str) -> Case:
    """Ask the consumer for information: a public comment, and the case awaits them."""
    text = require_text("body", body, max_length=20000)
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK)
        _require_state(case, {CaseState.OPEN}, "request information on")
        comment = await CaseComment.create(
            case_id=case.id, body=text, author_id=subject.viewer.login_id
        )
        await _record(case, subject, ActivityKind.COMMENTED, comment_id=comment.id)
        await _change_state(
            case, subject, CaseState.AWAITING_INFO, **sla.on_public_reply(case, subject.viewer)
        )
        await notify.info_requested(case, comment.id, text)
    return case


async def propose_solution(subject: Subject, case_id: int, code: str, notes: str) -> Case:
    check_solution(code, notes)
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK, "case_id")
        _require_state(case, SOLUTION_SOURCES, "propose a solution for")
        await _change_state(
            case,
            subject,
            CaseState.RESOLVED,
            **solution_values(case, subject.viewer, code, notes),
        )
        await notify.solution_proposed(case)
    return case


async def accept_solution(subject: Subject, case_id: int) -> Case:
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.ACCEPT_SOLUTION, "case_id")
        _require_state(case, {CaseState.RESOLVED}, "accept a solution of")
        await _change_state(case, subject, CaseState.CLOSED, closed_at=clock.now())
        await _closed(case)
    return case


async def reject_solution(subject: Subject, case_id: int, reason: str) -> Case:
    text = require_text("reason", reason, max_length=20000)
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.REJECT_SOLUTION, "case_id")
        _require_state(case, {CaseState.RESOLVED}, "reject a solution of")
        comment = await CaseComment.create(
            case_id=case.id,
            body=f"Solution rejected: {text}",
            author_id=subject.viewer.login_id,
            on_behalf_of_id=_on_behalf_of(subject, case),
        )
        await _record(case, subject, ActivityKind.COMMENTED, comment_id=comment.id)
        await _change_state(case, subject, CaseState.OPEN, resolved_at=None)
    return case


async def close(subject: Subject, case_id: int) -> Case:
    """The consumer side closes a case that is not yet final."""
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.CLOSE, "case_id")
        _require_state(case, set(CaseState) - FINAL_STATES, "close")
        await _change_state(case, subject, CaseState.CLOSED, closed_at=clock.now())
        await _closed(case)
    return case


async def _closed(case: Case) -> None:
    """A case closed (accepted, by the consumer, or automatically): tell the
    consumer side and decide on its survey, in the closing's transaction."""
    await notify.case_closed(case)
    await surveys.on_case_closed(case)


@job(name="auto_close_cases", timeout=300, max_tries=1)
async def auto_close_resolved() -> int:
    """Close the RESOLVED cases whose solution has waited AUTO_CLOSE_DAYS for an
    answer; each in its own transaction, like a consumer accepting it."""
    cutoff = clock.now() - dt.timedelta(days=get_settings().auto_close_days)
    ids: list[Any] = await (
        Case.filter(state=CaseState.RESOLVED, resolved_at__lte=cutoff)
        .order_by("id")
        .limit(AUTO_CLOSE_BATCH)
        .values_list("id", flat=True)
    )
    closed = 0
    for case_id in ids:
        try:
            async with unit_of_work():
                case = await Case.get(id=case_id)
                if case.state is not CaseState.RESOLVED:
                    continue
                await _change_state(case, None, CaseState.CLOSED, closed_at=clock.now())
                await _closed(case)
                closed += 1
        except UserErrors:
            continue  # changed meanwhile (a consumer answered): the next run decides again
    return closed


async def cancel(subject: Subject, case_id: int) -> Case:
    """An agent cancels a case that is not yet final."""
    async with unit_of_work():
        subject, case = await case_for(subject, case_id, A.WORK, "case_id")
        _require_state(case, RUNNING_STATES, "cancel")
        await _change_state(case, subject, CaseState.CANCELLED, closed_at=clock.now())
    return case


def search(queryset: QuerySet[Case], term: str) -> QuerySet[Case]:
    term = search_term(term)
    if not term:
        return queryset
    return queryset.filter(Q(number__icontains=term) | Q(short_description__icontains=term))


async def add_attachment(
    subject: Subject, case_id: int, file_name: str, data: bytes
) -> CaseAttachment:
    """Store an uploaded file on the case; its type is read from its bytes."""
    from csm_graph import storage

    name = require_text("file", file_name or "attachment", max_length=255)
    subject, case = await case_for(subject, case_id, A.ATTACH, "case_id")
    _require_state(case, set(CaseState) - FINAL_STATES, "attach files to")
    stored = await storage.save(data, name)
    try:
        async with unit_of_work():
            # Re-read inside the transaction: the case may have closed meanwhile.
            subject, case = await case_for(subject, case_id, A.ATTACH, "case_id")
            _require_state(case, set(CaseState) - FINAL_STATES, "attach files to")
            attachment = await CaseAttachment.create(
                case_id=case.id,
                file_name=name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
                uploaded_by_id=subject.viewer.login_id,
            )
            await _record(case, subject, ActivityKind.ATTACHMENT_ADDED, new=name)
            await _write(case)
    except BaseException:
        await storage.delete(stored.key)
        raise
    return attachment


async def attachment_for(subject: Subject, attachment_id: int) -> CaseAttachment | None:
    """The attachment when the subject may read its case (checked on every download)."""
    attachment = await CaseAttachment.get_or_none(id=attachment_id)
    if attachment is None:
        return None
    case = await Case.get_or_none(id=attachment.case_id)
    if case is None or A.READ not in permitted(subject, case):
        return None
    return attachment
