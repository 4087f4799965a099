"""Whom a viewer may open a case for: the portal's consumer picker (seed 003).

The answer follows `services.create_case`'s rules, so a consumer offered here
is one the case form accepts: a consumer themselves, the current members of
the households they head, and the consumers they represent. With a household
chosen first, the list is restricted to its current members. Internal users
open cases for anyone, so they get the household's current members when one
is named, and otherwise nothing (they search `consumers` instead).
"""

from __future__ import annotations

from typing import Any

from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.consumers.models import Consumer
from csm_graph.households.access import current_memberships
from csm_graph.households.models import Household, HouseholdMember


async def case_subjects(subject: Subject, household_id: int | None) -> list[Consumer]:
    """The consumers the subject may open a case for, themselves first, then by name.

    A household the subject may not see is answered like one that does not
    exist: nobody."""
    reach = subject.reach
    members: set[int] | None = None
    if household_id is not None:
        household = await Household.get_or_none(id=household_id)
        if not await policy.can_see(subject, household):
            return []
        rows: list[Any] = await HouseholdMember.filter(
            current_memberships(subject.today), household_id=household_id
        ).values_list("consumer_id", flat=True)
        members = {int(r) for r in rows}
    if subject.viewer.is_internal:
        allowed = members or set()
    elif reach.consumer_id is None:
        return []
    elif household_id is None:
        allowed = {reach.consumer_id, *(reach.acts_for - reach.reads_only)}
    else:
        assert members is not None
        heads = household_id in reach.headed_household_ids
        acting = set(reach.represented) - reach.reads_only
        allowed = {c for c in members if c == reach.consumer_id or c in acting or heads}
    if not allowed:
        return []
    consumers = await Consumer.filter(id__in=sorted(allowed), merged_into_id__isnull=True)
    own = reach.consumer_id
    return sorted(
        consumers,
        key=lambda c: (c.id != own, c.last_name.casefold(), c.first_name.casefold(), c.id),
    )
