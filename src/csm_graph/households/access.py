"""What households and representations let a consumer reach.

A consumer acts for the consumers they currently represent and for the
current members of the households they currently head. The consumers and
API layers both ask here, so they cannot disagree about who that is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet, ValuesListQuery

from csm_graph import clock
from csm_graph.accounts.services import Viewer
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import HouseholdMember, Representation


def current_memberships(today: dt.date) -> Q:
    return Q(end_date__isnull=True, start_date__lte=today)


def current_representations(today: dt.date) -> Q:
    return Q(valid_from__lte=today) & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def _own_consumer_ids(user_id: int) -> ValuesListQuery[Any]:
    return Consumer.filter(user_id=user_id).values_list("id", flat=True)


def households_of_user(user_id: int, today: dt.date) -> QuerySet[HouseholdMember]:
    """The current memberships of the consumer linked to `user_id`."""
    return HouseholdMember.filter(
        current_memberships(today), consumer_id__in=Subquery(_own_consumer_ids(user_id))
    )


def acted_for_condition(user_id: int, today: dt.date) -> Q:
    """A filter on Consumer: those the consumer linked to `user_id` acts for."""
    headed = (
        households_of_user(user_id, today)
        .filter(is_head=True)
        .values_list("household_id", flat=True)
    )
    members = HouseholdMember.filter(
        current_memberships(today), household_id__in=Subquery(headed)
    ).values_list("consumer_id", flat=True)
    represented = Representation.filter(
        current_representations(today),
        representative_id__in=Subquery(_own_consumer_ids(user_id)),
    ).values_list("consumer_id", flat=True)
    return Q(id__in=Subquery(members)) | Q(id__in=Subquery(represented))


@dataclass(frozen=True)
class Reach:
    """Everything the read rules need to know about a consumer viewer, loaded once."""

    consumer_id: int | None = None
    household_ids: frozenset[int] = field(default_factory=frozenset)
    """Households the viewer is a current member of."""
    headed_household_ids: frozenset[int] = field(default_factory=frozenset)
    acts_for: frozenset[int] = field(default_factory=frozenset)
    """Consumers the viewer currently represents or whose household they head."""
    represented: dict[int, dt.date | None] = field(default_factory=dict)
    """Consumers the viewer currently represents, with the last valid day (None: open)."""


NO_REACH = Reach()


async def reach_of(viewer: Viewer | None) -> Reach:
    """The viewer's reach today, in at most four queries (none for internal users)."""
    if viewer is None or viewer.is_internal:
        return NO_REACH
    own: list[Any] = await Consumer.filter(user_id=viewer.user_id).values_list("id", flat=True)
    if not own:
        return NO_REACH
    consumer_id = int(own[0])
    today = clock.today()
    memberships: list[Any] = await HouseholdMember.filter(
        current_memberships(today), consumer_id=consumer_id
    ).values_list("household_id", "is_head")
    headed = frozenset(int(h) for h, is_head in memberships if is_head)
    members: list[Any] = []
    if headed:
        members = await HouseholdMember.filter(
            current_memberships(today), household_id__in=list(headed)
        ).values_list("consumer_id", flat=True)
    representations: list[Any] = await Representation.filter(
        current_representations(today), representative_id=consumer_id
    ).values_list("consumer_id", "valid_until")
    represented: dict[int, dt.date | None] = {}
    for represented_id, valid_until in representations:
        # Overlapping periods are refused, but keep the latest end if there are two.
        previous = represented.get(int(represented_id), dt.date.min)
        represented[int(represented_id)] = (
            None if valid_until is None or previous is None else max(previous, valid_until)
        )
    acts_for = frozenset(int(c) for c in [*members, *represented]) - {consumer_id}
    return Reach(
        consumer_id=consumer_id,
        household_ids=frozenset(int(h) for h, _ in memberships),
        headed_household_ids=headed,
        acts_for=acts_for,
        represented=represented,
    )
