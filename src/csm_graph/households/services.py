"""The household rules: households, memberships, primary household, representatives.

Resolvers call these; nothing else writes households. Every check runs
inside the transaction that makes the change, so refused input writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from csm_graph import clock
from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.accounts.viewer import Viewer
from csm_graph.audit.models import AuditKind
from csm_graph.audit.services import iso, record
from csm_graph.consumers.models import Consumer
from csm_graph.consumers.services import lock_live
from csm_graph.core.numbering import next_number
from csm_graph.core.partial import KEEP, AddressParts, Keep
from csm_graph.errors import AccessDenied, ErrorCode, ErrorList, UserErrors
from csm_graph.households.access import (
    current_memberships,
    households_of_user,
)
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.transactions import unit_of_work
from csm_graph.validation import require_text, search_term

NUMBER_PREFIX = "HOLD"

TEXT_LIMITS = {
    "name": 200,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
    "notes": 5000,
}


def _require_internal(viewer: Viewer | None, what: str) -> Viewer:
    if viewer is None or not viewer.is_internal:
        raise AccessDenied(f"Only internal users may {what}.")
    return viewer


def visible_households(viewer: Viewer | None) -> QuerySet[Household]:
    """Every household for internal users; a consumer's current households otherwise."""
    if viewer is None:
        return Household.filter(id=-1)
    if viewer.is_internal:
        return Household.all()
    own = households_of_user(viewer.user_id, clock.today()).values_list("household_id", flat=True)
    return Household.filter(id__in=Subquery(own))


def search(queryset: QuerySet[Household], term: str) -> QuerySet[Household]:
    term = search_term(term)
    if not term:
        return queryset
    return queryset.filter(Q(name__icontains=term) | Q(number__icontains=term))


# --- households ------------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    errors = ErrorList()
    out: dict[str, Any] = {}
    for key, limit in TEXT_LIMITS.items():
        if key not in data and key != "name":
            continue
        try:
            out[key] = require_text(key, data.get(key), max_length=limit, required=key == "name")
        except UserErrors as exc:
            errors.errors.extend(exc.errors)
    if out.get("country"):
        out["country"] = out["country"].upper()
    errors.raise_if_any()
    return out


@dataclass(frozen=True, kw_only=True)
class HouseholdDraft(AddressParts):
    """A new household: what `create_household` accepts (KEEP: not given)."""

    name: str
    notes: str | Keep | None = KEEP


async def create_household(viewer: Viewer | None, draft: HouseholdDraft) -> Household:
    """A new, empty household (internal users)."""
    _require_internal(viewer, "create households")
    values = _clean(draft.given())
    async with unit_of_work():
        return await Household.create(number=await next_number(NUMBER_PREFIX), **values)


# --- memberships -----------------------------------------------------------------


async def _household(household_id: int, field: str = "household_id") -> Household:
    # Locking the household serialises membership changes, which keeps the
    # head rule true under concurrent requests (PostgreSQL; SQLite has one writer).
    household = await Household.filter(id=household_id).select_for_update().first()
    if household is None:
        raise UserErrors.one(field, "No such household.", ErrorCode.NOT_FOUND)
    return household


async def _consumer(consumer_id: int, field: str) -> Consumer:
    # Locking the consumer serialises changes to their memberships, so two
    # households joined at once cannot both become primary (PostgreSQL; SQLite
    # has one writer; the partial unique index holds either way).
    # A merged record (a tombstone) is no longer a consumer to join or represent.
    return await lock_live(consumer_id, field)


async def add_member(
    viewer: Viewer | None,
    household_id: int,
    consumer_id: int,
    relationship: Relationship,
    *,
    is_head: bool | None = None,
    start_date: dt.date | None = None,
) -> HouseholdMember:
    """Make a consumer a current member of a household (internal users).

    The first member must be a head. The consumer's first current household
    becomes their primary one.
    """
    _require_internal(viewer, "change household members")
    today = clock.today()
    start = start_date or today
    head = relationship is Relationship.HEAD if is_head is None else is_head
    if start > today:
        raise UserErrors.one("start_date", "A membership cannot start in the future.")
    if relationship is Relationship.HEAD and not head:
        raise UserErrors.one("is_head", "A member whose relationship is HEAD is a head.")
    async with unit_of_work():
        household = await _household(household_id)
        consumer = await _consumer(consumer_id, "consumer_id")
        memberships = await HouseholdMember.filter(
            household_id=household.id, consumer_id=consumer.id
        )
        if any(m.end_date is None for m in memberships):
            raise UserErrors.one(
                "consumer_id",
                f"Consumer {consumer.number} is already a current member of {household.number}.",
                ErrorCode.CONFLICT,
            )
        if any(m.end_date is not None and m.end_date > start for m in memberships):
            raise UserErrors.one(
                "start_date", "This overlaps an earlier membership.", ErrorCode.CONFLICT
            )
        has_head = await HouseholdMember.filter(
            current_memberships(today), household_id=household.id, is_head=True
        ).exists()
        if not has_head and not head:
            raise UserErrors.one(
                "is_head",
                "The household has no head: this member must be one.",
                ErrorCode.INVALID_STATE,
            )
        has_primary = await HouseholdMember.filter(
            current_memberships(today), consumer_id=consumer.id, is_primary=True
        ).exists()
        try:
            membership = await HouseholdMember.create(
                household_id=household.id,
                consumer_id=consumer.id,
                relationship=relationship,
                is_head=head,
                is_primary=not has_primary,
                start_date=start,
            )
        except IntegrityError:
            raise UserErrors.one(
                "consumer_id", "The consumer is already a current member.", ErrorCode.CONFLICT
            ) from None
        await record(
            AuditKind.HOUSEHOLD_MEMBER_ADDED,
            viewer,
            consumer_id=consumer.id,
            target=("Household", household.id),
            relationship=relationship.value,
            is_head=head,
            start_date=iso(start),
        )
        return membership


async def end_member(
    viewer: Viewer | None,
    household_id: int,
    consumer_id: int,
    *,
    end_date: dt.date | None = None,
    new_head_consumer_id: int | None = None,
) -> HouseholdMember:
    """End a consumer's current membership; it stays as history (internal users).

    The household keeps at least one current head while it has members:
    ending the last head needs `new_head_consumer_id`, another current
    member who becomes a head. A primary household that ends passes the
    consumer's primary mark to their oldest other current household.
    """
    _require_internal(viewer, "change household members")
    today = clock.today()
    end = end_date or today
    if end > today:
        raise UserErrors.one("end_date", "A membership cannot end in the future.")
    async with unit_of_work():
        household = await _household(household_id)
        current = await HouseholdMember.filter(
            current_memberships(today), household_id=household.id
        ).order_by("start_date", "id")
        by_consumer = {m.consumer_id: m for m in current}
        membership = by_consumer.get(consumer_id)
        if membership is None:
            raise UserErrors.one(
                "consumer_id", "Not a current member of this household.", ErrorCode.NOT_FOUND
            )
        if end < membership.start_date:
            raise UserErrors.one(
                "end_date",
                f"The end date is before the start date ({membership.start_date.isoformat()}).",
            )
        new_head: HouseholdMember | None = None
        if new_head_consumer_id is not None:
            new_head = by_consumer.get(new_head_consumer_id)
            if new_head is None or new_head is membership:
                raise UserErrors.one(
                    "new_head_consumer_id",
                    "The new head must be another current member of this household.",
                    ErrorCode.NOT_FOUND,
                )
        others = [m for m in current if m is not membership]
        if (
            membership.is_head
            and others
            and new_head is None
            and not any(m.is_head for m in others)
        ):
            raise UserErrors.one(
                "new_head_consumer_id",
                "This is the household's last head: name another member as head.",
                ErrorCode.INVALID_STATE,
            )
        promoted = new_head if new_head is not None and not new_head.is_head else None
        if promoted is not None:
            promoted.is_head = True
            await promoted.save(update_fields=["is_head"])
        was_primary = membership.is_primary
        membership.end_date = end
        membership.is_primary = False
        await membership.save(update_fields=["end_date", "is_primary"])
        if was_primary:
            successor = (
                await HouseholdMember.filter(
                    current_memberships(today), consumer_id=membership.consumer_id
                )
                .order_by("start_date", "id")
                .first()
            )
            if successor is not None:
                successor.is_primary = True
                await successor.save(update_fields=["is_primary"])
        await record(
            AuditKind.HOUSEHOLD_MEMBER_ENDED,
            viewer,
            consumer_id=membership.consumer_id,
            target=("Household", household.id),
            end_date=iso(end),
            new_head_id=promoted.consumer_id if promoted is not None else None,
        )
    return membership


async def set_primary_household(subject: Subject, consumer_id: int, household_id: int) -> Consumer:
    """Choose which of a consumer's current households is primary
    (internal users, or the consumer themselves)."""
    viewer = subject.viewer
    today = clock.today()
    async with unit_of_work():
        consumer = await policy.require_visible(
            subject,
            await Consumer.get_or_none(id=consumer_id),
            "consumer_id",
            "consumer",
        )
        if not (viewer.is_internal or consumer.user_id == viewer.user_id):
            raise UserErrors.one(
                "consumer_id",
                "Only the consumer chooses their primary household.",
                ErrorCode.FORBIDDEN,
            )
        memberships = await HouseholdMember.filter(
            current_memberships(today), consumer_id=consumer.id
        )
        chosen = next((m for m in memberships if m.household_id == household_id), None)
        if chosen is None:
            raise UserErrors.one(
                "household_id",
                "The primary household must be one of the consumer's current households.",
                ErrorCode.INVALID,
            )
        # The old mark goes before the new one: one primary at any moment.
        for m in sorted(memberships, key=lambda m: m is chosen):
            if m.is_primary != (m is chosen):
                m.is_primary = m is chosen
                await m.save(update_fields=["is_primary"])
    return consumer


# --- representatives -------------------------------------------------------------


async def add_representative(
    viewer: Viewer | None,
    representative_id: int,
    consumer_id: int,
    *,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Representation:
    """Let one consumer act for another over a period (internal users)."""
    staff = _require_internal(viewer, "manage representatives")
    start = valid_from or clock.today()
    if representative_id == consumer_id:
        raise UserErrors.one("representative_id", "A consumer cannot represent themselves.")
    if valid_until is not None and valid_until < start:
        raise UserErrors.one("valid_until", "The end is before the start.")
    async with unit_of_work():
        # Locked in id order, like a merge of the two: opposite orders could deadlock.
        if representative_id < consumer_id:
            representative = await _consumer(representative_id, "representative_id")
            consumer = await _consumer(consumer_id, "consumer_id")
        else:
            consumer = await _consumer(consumer_id, "consumer_id")
            representative = await _consumer(representative_id, "representative_id")
        overlap = Q(representative_id=representative.id, consumer_id=consumer.id) & (
            Q(valid_until__isnull=True) | Q(valid_until__gte=start)
        )
        if valid_until is not None:
            overlap &= Q(valid_from__lte=valid_until)
        if await Representation.filter(overlap).exists():
            raise UserErrors.one(
                "representative_id",
                f"{representative.number} already represents {consumer.number} in this period.",
                ErrorCode.CONFLICT,
            )
        representation = await Representation.create(
            representative_id=representative.id,
            consumer_id=consumer.id,
            valid_from=start,
            valid_until=valid_until,
            created_by_id=staff.login_id,
        )
        await _record_representation(AuditKind.REPRESENTATIVE_ADDED, staff, representation)
        return representation


async def remove_representative(viewer: Viewer | None, representation_id: int) -> Representation:
    """Delete a representation (internal users); the returned object is the removed one."""
    staff = _require_internal(viewer, "manage representatives")
    async with unit_of_work():
        representation = await Representation.get_or_none(id=representation_id)
        if representation is None:
            raise UserErrors.one("id", "No such representation.", ErrorCode.NOT_FOUND)
        await representation.delete()
        await _record_representation(AuditKind.REPRESENTATIVE_REMOVED, staff, representation)
    return representation


async def _record_representation(
    kind: AuditKind, staff: Viewer, representation: Representation
) -> None:
    await record(
        kind,
        staff,
        consumer_id=representation.consumer_id,
        target=("Representation", representation.id),
        representative_id=representation.representative_id,
        valid_from=iso(representation.valid_from),
        valid_until=iso(representation.valid_until),
    )


def is_current(representation: Representation) -> bool:
    return representation.is_current(clock.today())
