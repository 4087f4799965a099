"""Merging duplicate consumer records: everything moves to the survivor.

One unit of work locks both records in id order, checks what would make the
merge wrong (a tombstone, a legal hold, two logins without a choice, a
household where the two hold different roles), then moves every row that
points at the merged record to the survivor, takes the chosen field values
from it, and leaves it as a tombstone (`Consumer.merged_into`) with a
`ConsumerMerge` history row. A refusal changes nothing.

Two merges of overlapping pairs queue on the row locks: the second reads
the records as the first left them, so it finds a tombstone and is refused
(PostgreSQL; SQLite has one writer, so they queue anyway).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from typing import Any

from tortoise.expressions import F, Q

from csm_graph import clock
from csm_graph.access.engine import Subject
from csm_graph.access.models import RelatedParty
from csm_graph.accounts import sessions
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit import services as audit
from csm_graph.audit.models import AuditKind
from csm_graph.cases import events
from csm_graph.cases.models import FINAL_STATES, ActivityKind, Case, CaseActivity, CaseComment
from csm_graph.consumers.models import Consumer, ConsumerMerge, DuplicateDismissal
from csm_graph.consumers.services import merged_away, sync_identity
from csm_graph.consumers.validation import IDENTITY_FIELDS, NAME_FIELDS
from csm_graph.core.partial import ADDRESS_FIELDS
from csm_graph.customfields import services as customfields
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.households.access import current_memberships
from csm_graph.households.models import HouseholdMember, Representation
from csm_graph.notifications.services import queue_email
from csm_graph.products.models import SoldProduct
from csm_graph.settings import get_settings
from csm_graph.sla import services as sla
from csm_graph.surveys.models import Survey
from csm_graph.transactions import unit_of_work
from csm_graph.webhooks import services as webhooks


class MergeField(StrEnum):
    """A field, or a group of fields that only make sense together, that the
    caller may take from the merged record instead of the survivor."""

    NAME = "NAME"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    MOBILE_PHONE = "MOBILE_PHONE"
    ADDRESS = "ADDRESS"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    PREFERRED_LANGUAGE = "PREFERRED_LANGUAGE"
    NOTIFICATIONS = "NOTIFICATIONS"
    TWITTER_HANDLE = "TWITTER_HANDLE"
    FACEBOOK_URL = "FACEBOOK_URL"
    LINKEDIN_URL = "LINKEDIN_URL"
    PERSONAL_EMAIL = "PERSONAL_EMAIL"
    SLA_LEVEL = "SLA_LEVEL"


FIELD_GROUPS: dict[MergeField, tuple[str, ...]] = {
    MergeField.NAME: tuple(NAME_FIELDS),
    MergeField.EMAIL: ("email",),
    MergeField.PHONE: ("phone",),
    MergeField.MOBILE_PHONE: ("mobile_phone",),
    MergeField.ADDRESS: ADDRESS_FIELDS,
    MergeField.DATE_OF_BIRTH: ("date_of_birth",),
    MergeField.PREFERRED_LANGUAGE: ("preferred_language",),
    MergeField.NOTIFICATIONS: ("notify_email", "notify_sms"),
    MergeField.TWITTER_HANDLE: ("twitter_handle",),
    MergeField.FACEBOOK_URL: ("facebook_url",),
    MergeField.LINKEDIN_URL: ("linkedin_url",),
    MergeField.PERSONAL_EMAIL: ("personal_email",),
    MergeField.SLA_LEVEL: ("sla_level",),
}
"""The consumer columns each choice covers. Everything else is not chosen:
`last_survey_at` takes the later of the two, the external id and the login
follow their own rules, and the survivor keeps its number and history."""


class KeepLogin(StrEnum):
    """Which record's login survives when both have one."""

    SURVIVOR = "SURVIVOR"
    MERGED = "MERGED"


@dataclasses.dataclass(frozen=True, kw_only=True)
class MergeChoices:
    """What the caller decides: the fields taken from the merged record, and
    which login survives (required, from an administrator, when both have one)."""

    fields: frozenset[MergeField] = frozenset()
    keep_login: KeepLogin | None = None


@dataclasses.dataclass
class _Moved:
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n


LOGIN_CLOSED_TEMPLATE = "consumer_login_closed"


async def merge(
    subject: Subject, survivor_id: int, merged_id: int, choices: MergeChoices
) -> Consumer:
    """Merge record `merged_id` into `survivor_id` (internal users; administrators
    when both records have a login). Returns the survivor."""
    viewer = subject.viewer
    if not viewer.is_internal:
        raise AccessDenied("Only internal users may merge consumers.")
    if survivor_id == merged_id:
        raise UserErrors.one("merged_id", "A record cannot be merged into itself.")
    async with unit_of_work():
        # Locked in id order: merges of overlapping pairs queue instead of deadlocking.
        locked: dict[int, Consumer | None] = {}
        for consumer_id in sorted((survivor_id, merged_id)):
            locked[consumer_id] = await Consumer.filter(id=consumer_id).select_for_update().first()
        survivor = _check_record(locked[survivor_id], "survivor_id")
        merged = _check_record(locked[merged_id], "merged_id")
        await _check_conflicts(subject, survivor, merged, choices)
        moved = _Moved()
        now = clock.now()
        open_cases = await Case.filter(consumer_id=merged.id).exclude(state__in=FINAL_STATES)
        await _move_cases(subject, survivor, merged, moved, now)
        await _move_memberships(survivor, merged, moved)
        await _move_representations(survivor, merged, moved)
        moved.add(
            "related_parties",
            await RelatedParty.filter(consumer_id=merged.id).update(consumer_id=survivor.id),
        )
        moved.add(
            "sold_products",
            await SoldProduct.filter(owner_id=merged.id).update(owner_id=survivor.id),
        )
        moved.add(
            "surveys", await Survey.filter(consumer_id=merged.id).update(consumer_id=survivor.id)
        )
        await _move_dismissals(survivor, merged)
        moved.add(
            "custom_field_values",
            await customfields.move_values(CustomFieldEntity.CONSUMER, merged.id, survivor.id),
        )
        # Earlier tombstones of the merged record now name the survivor: one hop, always.
        moved.add(
            "tombstones",
            await Consumer.filter(merged_into_id=merged.id).update(merged_into_id=survivor.id),
        )
        merged_login, survivor_login = merged.user_id, survivor.user_id
        closed = await _settle_logins(survivor, merged, choices)
        taken = _take_fields(survivor, merged, choices.fields, now)
        login_moved = merged_login is not None and survivor.user_id == merged_login
        if login_moved:
            # As when a login is linked: the record, with the values chosen, wins the sync.
            survivor.identity_changed_at = now
        moved_external = not survivor.external_id and bool(merged.external_id)
        external_id = merged.external_id
        if survivor.last_survey_at is None or (
            merged.last_survey_at is not None and merged.last_survey_at > survivor.last_survey_at
        ):
            survivor.last_survey_at = merged.last_survey_at
        # The tombstone first: it gives up its login and external id before the
        # survivor takes them (both unique).
        merged.is_active = False
        merged.merged_into_id = survivor.id
        merged.merged_at = now
        merged.user_id = None
        if moved_external:
            merged.external_id = None
        await merged.save()
        if moved_external:
            survivor.external_id = external_id
        await survivor.save()
        await _retime(open_cases, survivor.id)
        record = await ConsumerMerge.create(
            survivor_id=survivor.id,
            merged_id=merged.id,
            merged_by_id=viewer.login_id,
            closed_user_id=closed.id if closed else None,
            fields_taken=sorted(f.value for f in choices.fields),
            moved=moved.counts,
        )
        if closed is not None:
            await _close_login(closed, survivor, record)
        await _audit(viewer, survivor, merged, record, (survivor_login, merged_login), closed)
        await webhooks.consumer_merged(survivor, merged)
        if survivor.user_id is not None and (taken & set(IDENTITY_FIELDS) or login_moved):
            # The record and its login agree again (a new address waits for its owner).
            await sync_identity.later(survivor.id)
    return survivor


async def _retime(cases: list[Case], survivor_id: int) -> None:
    """The due times of the open cases that moved follow the survivor's SLA level
    (the one it has after the merge), as when a case's consumer changes (and
    in the same states: closed and cancelled cases keep theirs, so reports
    stay as they were)."""
    for case in cases:
        timing = await sla.recomputed(case, priority=case.priority, consumer_id=survivor_id)
        await Case.filter(id=case.id).update(**timing)


async def _audit(
    viewer: Viewer,
    survivor: Consumer,
    merged: Consumer,
    done: ConsumerMerge,
    logins: tuple[int | None, int | None],
    closed: User | None,
) -> None:
    """The merge in the audit trail: the merge itself, the logins it moved or
    unlinked, and the one it closed."""
    survivor_login, merged_login = logins
    await audit.record(
        AuditKind.CONSUMERS_MERGED,
        viewer,
        consumer_id=survivor.id,
        target=("Consumer", merged.id),
        merged_id=merged.id,
        fields=done.fields_taken,
        moved=done.moved,
    )
    if merged_login is not None:
        await audit.record(
            AuditKind.CONSUMER_USER_UNLINKED, viewer, user_id=merged_login, consumer_id=merged.id
        )
    if survivor.user_id != survivor_login:
        if survivor_login is not None:
            await audit.record(
                AuditKind.CONSUMER_USER_UNLINKED,
                viewer,
                user_id=survivor_login,
                consumer_id=survivor.id,
            )
        await audit.record(
            AuditKind.CONSUMER_USER_LINKED,
            viewer,
            user_id=survivor.user_id,
            consumer_id=survivor.id,
        )
    if closed is not None:
        await audit.record(AuditKind.USER_DEACTIVATED, viewer, user_id=closed.id, reason="merged")


def _check_record(consumer: Consumer | None, field: str) -> Consumer:
    """Internal users see every live record; a tombstone is not one any more."""
    if consumer is None:
        raise UserErrors.one(field, "No such consumer.", ErrorCode.NOT_FOUND)
    if consumer.merged_into_id is not None:
        raise merged_away(consumer, field)
    return consumer


def _role(membership: HouseholdMember) -> tuple[str, bool]:
    return (membership.relationship.value, membership.is_head)


async def _check_conflicts(
    subject: Subject, survivor: Consumer, merged: Consumer, choices: MergeChoices
) -> None:
    """Every reason to refuse, reported together; nothing has changed yet."""
    errors = ErrorList()
    for consumer, field in ((survivor, "survivor_id"), (merged, "merged_id")):
        if consumer.legal_hold:
            errors.add(
                field,
                f"Consumer {consumer.number} is under a legal hold: it cannot be merged.",
                ErrorCode.INVALID_STATE,
            )
    if survivor.user_id is not None and merged.user_id is not None:
        if not subject.viewer.is_admin:
            errors.add(
                "keep_login",
                "Both records have a login: only administrators merge them.",
                ErrorCode.FORBIDDEN,
            )
        elif choices.keep_login is None:
            errors.add(
                "keep_login",
                "Both records have a login: choose which one survives (the other is closed).",
                ErrorCode.REQUIRED,
            )
    elif choices.keep_login is not None:
        owner = survivor if choices.keep_login is KeepLogin.SURVIVOR else merged
        if owner.user_id is None:
            errors.add(
                "keep_login",
                f"Consumer {owner.number} has no login to keep.",
                ErrorCode.INVALID,
            )
    today = clock.today()
    current = await HouseholdMember.filter(
        current_memberships(today), consumer_id__in=[survivor.id, merged.id]
    ).prefetch_related("household")
    roles: dict[int, dict[int, HouseholdMember]] = {}
    for m in current:
        roles.setdefault(m.household_id, {})[m.consumer_id] = m
    for both in roles.values():
        if len(both) == 2 and _role(both[survivor.id]) != _role(both[merged.id]):
            s, m = both[survivor.id], both[merged.id]
            errors.add(
                "merged_id",
                f"In household {s.household.number}, {survivor.number} is "
                f"{_describe(s)} and {merged.number} is {_describe(m)}: "
                "end or change one membership first.",
                ErrorCode.CONFLICT,
            )
    errors.raise_if_any()


def _describe(membership: HouseholdMember) -> str:
    relationship = membership.relationship.value
    return f"{relationship} (head)" if membership.is_head else relationship


async def _move_cases(
    subject: Subject, survivor: Consumer, merged: Consumer, moved: _Moved, now: dt.datetime
) -> None:
    """Cases, and who comments and activity were on behalf of. Each moved case
    gets a new version and an internal activity entry saying so."""
    case_ids: list[Any] = await Case.filter(consumer_id=merged.id).values_list("id", flat=True)
    if case_ids:
        await Case.filter(id__in=case_ids).update(
            consumer_id=survivor.id, version=F("version") + 1, updated_at=now
        )
    for case_id in sorted(int(i) for i in case_ids):
        entry = await CaseActivity.create(
            case_id=case_id,
            kind=ActivityKind.CONSUMER_MERGED,
            internal=True,
            actor_id=subject.viewer.login_id,
            field="consumer",
            old_value=merged.number,
            new_value=survivor.number,
        )
        await events.case_changed(entry)
    moved.add("cases", len(case_ids))
    moved.add(
        "comments",
        await CaseComment.filter(on_behalf_of_id=merged.id).update(on_behalf_of_id=survivor.id),
    )
    moved.add(
        "activity",
        await CaseActivity.filter(on_behalf_of_id=merged.id).update(on_behalf_of_id=survivor.id),
    )


async def _move_memberships(survivor: Consumer, merged: Consumer, moved: _Moved) -> None:
    """Memberships, ended ones too. Where both are current members of a household
    (in the same role, checked before), the survivor's membership stays, from
    the earlier start, and the merged one's is dropped. The survivor keeps
    exactly one primary household among its current ones."""
    today = clock.today()
    survivor_current = {
        m.household_id: m
        for m in await HouseholdMember.filter(current_memberships(today), consumer_id=survivor.id)
    }
    merged_primary: int | None = None
    for m in await HouseholdMember.filter(consumer_id=merged.id).order_by("start_date", "id"):
        if m.is_current(today) and m.is_primary:
            merged_primary = m.household_id
        kept = survivor_current.get(m.household_id) if m.is_current(today) else None
        if kept is not None:
            await m.delete()
            if m.start_date < kept.start_date:
                kept.start_date = m.start_date
                await kept.save(update_fields=["start_date"])
            moved.add("memberships_folded")
            continue
        m.consumer_id = survivor.id
        m.is_primary = False
        await m.save(update_fields=["consumer_id", "is_primary"])
        moved.add("memberships")
    current = await HouseholdMember.filter(
        current_memberships(today), consumer_id=survivor.id
    ).order_by("start_date", "id")
    if current and not any(m.is_primary for m in current):
        chosen = next((m for m in current if m.household_id == merged_primary), current[0])
        chosen.is_primary = True
        await chosen.save(update_fields=["is_primary"])


async def _move_representations(survivor: Consumer, merged: Consumer, moved: _Moved) -> None:
    """Both directions. One between the two records would have the survivor
    represent themselves, and one the survivor already has (same people, same
    period) would be a copy: both are dropped."""
    rows = await Representation.filter(
        Q(representative_id=merged.id) | Q(consumer_id=merged.id)
    ).order_by("id")
    for r in rows:
        representative = survivor.id if r.representative_id == merged.id else r.representative_id
        consumer = survivor.id if r.consumer_id == merged.id else r.consumer_id
        duplicate = await Representation.filter(
            representative_id=representative,
            consumer_id=consumer,
            valid_from=r.valid_from,
            valid_until=r.valid_until,
        ).exists()
        if representative == consumer or duplicate:
            await r.delete()
            moved.add("representations_dropped")
            continue
        r.representative_id = representative
        r.consumer_id = consumer
        await r.save(update_fields=["representative_id", "consumer_id"])
        moved.add("representations")


async def _move_dismissals(survivor: Consumer, merged: Consumer) -> None:
    """ "Not the same person as X" said of the merged record holds for the
    survivor; the pair of the two records itself stays as it was."""
    rows = await DuplicateDismissal.filter(Q(lower_id=merged.id) | Q(higher_id=merged.id))
    for d in rows:
        other = d.higher_id if d.lower_id == merged.id else d.lower_id
        if other == survivor.id:
            continue
        lower, higher = sorted((survivor.id, other))
        if await DuplicateDismissal.filter(lower_id=lower, higher_id=higher).exists():
            await d.delete()
        else:
            d.lower_id, d.higher_id = lower, higher
            await d.save(update_fields=["lower_id", "higher_id"])


async def _settle_logins(
    survivor: Consumer, merged: Consumer, choices: MergeChoices
) -> User | None:
    """The survivor ends with the login to keep; returns the login to close, if any."""
    if merged.user_id is None:
        return None
    closed: User | None = None
    if survivor.user_id is not None:
        if choices.keep_login is KeepLogin.SURVIVOR:
            closed = await User.get(id=merged.user_id)
            return closed
        closed = await User.get(id=survivor.user_id)
    # The merged record's login moves: unlinked from the tombstone first (unique).
    user_id = merged.user_id
    await Consumer.filter(id=merged.id).update(user_id=None)
    merged.user_id = None
    survivor.user_id = user_id
    return closed


def _take_fields(
    survivor: Consumer, merged: Consumer, chosen: frozenset[MergeField], now: dt.datetime
) -> set[str]:
    """Copy the chosen values from the merged record; returns the columns that changed."""
    changed = set()
    for group in sorted(chosen):
        for column in FIELD_GROUPS[group]:
            value = getattr(merged, column)
            if getattr(survivor, column) != value:
                setattr(survivor, column, value)
                changed.add(column)
    if changed & set(IDENTITY_FIELDS):
        survivor.identity_changed_at = now
    return changed


def _hint(email: str) -> str:
    """An address shown only in part: `a…@example.com`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else ""


async def _close_login(user: User, survivor: Consumer, record: ConsumerMerge) -> None:
    """Deactivate the login, end its sessions, and tell its owner (sent after commit)."""
    await User.filter(id=user.id).update(is_active=False)
    await sessions.end_sessions(user.id)
    kept = await User.get_or_none(id=survivor.user_id) if survivor.user_id else None
    kept_email = kept.email if kept else ""
    await queue_email(
        template=LOGIN_CLOSED_TEMPLATE,
        to=user.email,
        context={
            "name": user.first_name or user.full_name or user.email,
            "email": user.email,
            "kept_hint": _hint(kept_email),
            "link": f"{get_settings().portal_url.rstrip('/')}/login",
        },
        key=f"consumer-login-closed:{user.id}:{record.id}",
    )
