"""DataLoaders for households, memberships and representations.

Each loads a whole batch of keys in one query, so a page of consumers with
their households, members and representatives costs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from csm_graph import clock
from csm_graph.households.access import current_memberships, current_representations
from csm_graph.households.models import Household, HouseholdMember, Representation
from csm_graph.schema.loaders import ById

if TYPE_CHECKING:
    from csm_graph.schema.context import Context


class HouseholdByIdLoader(ById[Household]):
    model = Household


class MembersByHouseholdIdLoader(DataLoader[int, list[HouseholdMember]]):
    """Every membership of each household, past ones included, oldest first."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, household_ids: Sequence[int]) -> list[list[HouseholdMember]]:
        by_household: dict[int, list[HouseholdMember]] = defaultdict(list)
        rows = HouseholdMember.filter(household_id__in=list(household_ids))
        for m in await rows.order_by("start_date", "id"):
            by_household[m.household_id].append(m)
        return [by_household[i] for i in household_ids]


class CurrentMembershipsByConsumerIdLoader(DataLoader[int, list[HouseholdMember]]):
    """Each consumer's current memberships, oldest first."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, consumer_ids: Sequence[int]) -> list[list[HouseholdMember]]:
        by_consumer: dict[int, list[HouseholdMember]] = defaultdict(list)
        rows = HouseholdMember.filter(
            current_memberships(clock.today()), consumer_id__in=list(consumer_ids)
        )
        for m in await rows.order_by("start_date", "id"):
            by_consumer[m.consumer_id].append(m)
        return [by_consumer[i] for i in consumer_ids]


class CurrentRepresentationsByConsumerIdLoader(DataLoader[int, list[Representation]]):
    """Who currently represents each consumer."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, consumer_ids: Sequence[int]) -> list[list[Representation]]:
        by_consumer: dict[int, list[Representation]] = defaultdict(list)
        rows = Representation.filter(
            current_representations(clock.today()), consumer_id__in=list(consumer_ids)
        )
        for r in await rows.order_by("valid_from", "id"):
            by_consumer[r.consumer_id].append(r)
        return [by_consumer[i] for i in consumer_ids]


class CurrentRepresentationsByRepresentativeIdLoader(DataLoader[int, list[Representation]]):
    """Whom each consumer currently represents."""

    def __init__(self, context: Context) -> None:
        super().__init__(load_fn=self._load)

    async def _load(self, representative_ids: Sequence[int]) -> list[list[Representation]]:
        by_representative: dict[int, list[Representation]] = defaultdict(list)
        rows = Representation.filter(
            current_representations(clock.today()),
            representative_id__in=list(representative_ids),
        )
        for r in await rows.order_by("valid_from", "id"):
            by_representative[r.representative_id].append(r)
        return [by_representative[i] for i in representative_ids]
