"""Helpers for household tests."""

from __future__ import annotations

import datetime as dt

from csm_graph.consumers.models import Consumer
from csm_graph.households import services
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.households.services import HouseholdDraft
from csm_graph.schema.node import to_global_id
from tests.schema.consumers.helpers import STAFF


def gid(type_name: str, pk: int) -> str:
    return str(to_global_id(type_name, pk))


async def make_household(name: str = "The Lees") -> Household:
    return await services.create_household(STAFF, HouseholdDraft(name=name, city="Oakland"))


async def join(
    household: Household,
    consumer: Consumer,
    relationship: Relationship = Relationship.HEAD,
    *,
    start_date: dt.date | None = None,
) -> HouseholdMember:
    return await services.add_member(
        STAFF, household.id, consumer.id, relationship, start_date=start_date
    )


async def represent(
    representative: Consumer,
    consumer: Consumer,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
) -> Representation:
    return await services.add_representative(
        STAFF, representative.id, consumer.id, valid_from=valid_from, valid_until=valid_until
    )
