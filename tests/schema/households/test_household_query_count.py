"""A page of consumers with their households, members and representatives costs
the same number of SQL queries whatever its size: every relation goes through
a DataLoader."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from csm_graph import clock
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Household, HouseholdMember, Relationship, Representation
from csm_graph.observability import request_id_var
from tests.support import GraphQLClient

PAGE = """
query($first: Int!) {
  consumers(first: $first) {
    edges { node {
      fullName email
      primaryHousehold { name }
      households { number members(includePast: true) { relationship consumer { fullName email } } }
      representatives { validFrom validUntil }
      represents { validFrom isCurrent }
    } }
  }
}
"""


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Only statements made for an HTTP request: the worker running in the
        # test process (its cron jobs, its health checks) has no request id.
        if request_id_var.get() == "-":
            return
        message = record.getMessage()
        if message.lstrip().split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            self.statements.append(message)


@contextmanager
def counting_queries() -> Iterator[_Counter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def _world(size: int) -> None:
    """`size` consumers in pairs: each pair a household (head and spouse), a past
    member in each, and each spouse represented by its head."""
    consumers = [
        Consumer(number=f"CON{n:07d}", first_name="C", last_name=str(n), email=f"c{n}@example.com")
        for n in range(1, size + 2)
    ]
    await Consumer.bulk_create(consumers)
    rows = await Consumer.all().order_by("id")
    past = rows[-1]
    households = [Household(number=f"HOLD{n:07d}", name=f"H{n}") for n in range(size // 2)]
    await Household.bulk_create(households)
    homes = await Household.all().order_by("id")
    today = clock.today()
    members, representations = [], []
    for i, home in enumerate(homes):
        head, spouse = rows[2 * i], rows[2 * i + 1]
        for consumer, relationship in ((head, Relationship.HEAD), (spouse, Relationship.SPOUSE)):
            members.append(
                HouseholdMember(
                    household_id=home.id,
                    consumer_id=consumer.id,
                    relationship=relationship,
                    is_head=relationship is Relationship.HEAD,
                    is_primary=True,
                    start_date=today,
                )
            )
        members.append(
            HouseholdMember(
                household_id=home.id,
                consumer_id=past.id,
                relationship=Relationship.OTHER,
                start_date=today,
                end_date=today,
            )
        )
        representations.append(
            Representation(representative_id=head.id, consumer_id=spouse.id, valid_from=today)
        )
    await HouseholdMember.bulk_create(members)
    await Representation.bulk_create(representations)


async def _count(client: GraphQLClient, first: int) -> int:
    with counting_queries() as counter:
        data = await client.data(PAGE, {"first": first})
    edges = data["consumers"]["edges"]
    assert len(edges) == first
    assert all(e["node"]["households"] for e in edges[1:])
    return len(counter.statements)


async def test_a_page_of_100_costs_as_many_queries_as_a_page_of_10(
    admin_client: GraphQLClient,
) -> None:
    # given
    await _world(100)

    # when
    small = await _count(admin_client, 10)
    large = await _count(admin_client, 100)

    # then: exact equality needs the consumers to be loaded at one depth only
    # (members' consumers here); a second path to ConsumerByIdLoader may be
    # dispatched as one batch or two depending on timing.
    assert small == large
    assert 5 <= large <= 12, large
