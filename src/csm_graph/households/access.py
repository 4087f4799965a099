"""What households and representations let a consumer reach.

A consumer acts for the consumers they currently represent and for the
current members of the households they currently head. The consumers and
API layers both ask here, so they cannot disagree about who that is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet, ValuesListQuery

from csm_graph import clock
from csm_graph.accounts.viewer import Viewer
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


@dataclass(frozen=True)
class Reach:
    """Everything the read rules need to know about a consumer viewer, loaded once."""

    consumer_id: int | None = None
    household_ids: frozenset[int] = field(default_factory=frozenset)
    """Households the viewer is a current member of."""
    headed_household_ids: frozenset[int] = field(default_factory=frozenset)
    members: dict[int, frozenset[int]] = field(default_factory=dict)
    """The current members of each of the viewer's current households (the viewer too)."""
    represented: dict[int, dt.date | None] = field(default_factory=dict)
    """Consumers the viewer currently represents, with the last valid day (None: open)."""
    represented_household_ids: frozenset[int] = field(default_factory=frozenset)
    """Current households of the consumers the viewer represents."""
    representatives: frozenset[int] = field(default_factory=frozenset)
    """Consumers who currently represent the viewer."""
    reads_only: frozenset[int] = field(default_factory=frozenset)
    """Consumers in `represented` whose every current representation is read-only."""

    @cached_property
    def acts_for(self) -> frozenset[int]:
        """Consumers the viewer currently represents or whose household they head."""
        headed = (self.members.get(h, frozenset()) for h in self.headed_household_ids)
        return frozenset().union(*headed, self.represented) - {self.consumer_id}

    def heads_household_of(self, household_id: int | None, consumer_id: int) -> bool:
        """Whether the viewer heads `household_id` while `consumer_id` is a current member:
        a case follows its consumer, so a member who leaves takes their cases along."""
        return household_id in self.headed_household_ids and consumer_id in self.members.get(
            household_id, frozenset()
        )

    def shares_household(self, household_id: int | None, consumer_id: int) -> bool:
        """Whether the viewer and `consumer_id` are both current members of `household_id`."""
        return household_id is not None and consumer_id in self.members.get(
            household_id, frozenset()
        )


NO_REACH = Reach()


async def reach_of(viewer: Viewer | None) -> Reach:
    """The viewer's reach today, in at most four queries (none for internal users).
    A request reads it with the viewer's subject instead (`access.engine.load_subject`)."""
    if viewer is None or viewer.is_internal:
        return NO_REACH
    own: list[Any] = await Consumer.filter(user_id=viewer.user_id).values_list("id", flat=True)
    if not own:
        return NO_REACH
    return await reach_of_consumer(int(own[0]), clock.today())


async def reach_of_consumer(
    consumer_id: int, today: dt.date, memberships_on: Callable[[dt.date], Q] = current_memberships
) -> Reach:
    """The reach of the consumer `consumer_id` on `today`, in three queries.
    `memberships_on` says which membership rows count on a day (by default the
    current ones; a past day reads the dated rows, see `access.history`)."""
    memberships: list[Any] = await HouseholdMember.filter(
        memberships_on(today), consumer_id=consumer_id
    ).values_list("household_id", "is_head")
    representations: list[Any] = await Representation.filter(
        current_representations(today),
        Q(representative_id=consumer_id) | Q(consumer_id=consumer_id),
    ).values_list("representative_id", "consumer_id", "valid_until", "read_only")
    household_ids = sorted({int(h) for h, _ in memberships})
    represented = sorted({int(c) for r, c, _, _ in representations if r == consumer_id})
    rows: list[Any] = []
    if household_ids or represented:
        rows = await HouseholdMember.filter(
            memberships_on(today),
            Q(household_id__in=household_ids) | Q(consumer_id__in=represented),
        ).values_list("household_id", "consumer_id")
    return reach_from(consumer_id, memberships, representations, rows)


def reach_from(
    consumer_id: int,
    memberships: Iterable[tuple[int, bool]],
    representations: Iterable[tuple[int, int, dt.date | None, bool]],
    members: Iterable[tuple[int, int]],
) -> Reach:
    """The reach of `consumer_id` from the rows that count on a day: their
    memberships (household, is head), the representations they hold or are
    the subject of (representative, consumer, valid until, read only), and the
    memberships (household, consumer) of their households and of the
    consumers they represent. `reach_of_consumer` reads these rows with the
    ORM, `access.engine.load_subject` with one statement."""
    memberships = list(memberships)
    representations = list(representations)
    household_ids = frozenset(int(h) for h, _ in memberships)
    represented: dict[int, dt.date | None] = {}
    representatives = frozenset(int(r) for r, c, _, _ in representations if c == consumer_id)
    acting: set[int] = set()
    for representative_id, represented_id, valid_until, read_only in representations:
        if representative_id != consumer_id:
            continue
        if not read_only:
            acting.add(int(represented_id))
        # Overlapping periods are refused, but keep the latest end if there are two.
        previous = represented.get(int(represented_id), dt.date.min)
        represented[int(represented_id)] = (
            None if valid_until is None or previous is None else max(previous, valid_until)
        )
    by_household: dict[int, set[int]] = {h: set() for h in household_ids}
    represented_households: set[int] = set()
    for household_id, member_id in members:
        if int(household_id) in by_household:
            by_household[int(household_id)].add(int(member_id))
        if int(member_id) in represented:
            represented_households.add(int(household_id))
    return Reach(
        consumer_id=consumer_id,
        household_ids=household_ids,
        headed_household_ids=frozenset(int(h) for h, is_head in memberships if is_head),
        members={h: frozenset(m) for h, m in by_household.items()},
        represented=represented,
        represented_household_ids=frozenset(represented_households),
        representatives=representatives,
        reads_only=frozenset(represented) - acting,
    )
