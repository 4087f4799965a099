from __future__ import annotations

import datetime as dt

from csm_graph import clock
from csm_graph.households.models import HouseholdMember, Relationship
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, join, make_household
from tests.support import GraphQLClient

END = """
mutation End($input: HouseholdMemberEndInput!) {
  householdMemberEnd(input: $input) {
    household {
      current: members { consumer { firstName } isHead }
      all: members(includePast: true) { consumer { firstName } isCurrent endDate }
    }
    member { isCurrent endDate isPrimary }
    errors { field message code }
  }
}
"""


def _input(household_id: int, consumer_id: int, **extra: object) -> dict[str, object]:
    return {
        "input": {
            "householdId": gid("Household", household_id),
            "consumerId": gid("Consumer", consumer_id),
            **extra,
        }
    }


async def test_an_ended_membership_stays_as_history(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann, bob = await make_consumer(first_name="Ann"), await make_consumer(first_name="Bob")
    await join(household, ann)
    await join(household, bob, Relationship.CHILD)

    # when
    payload = (await agent_client.data(END, _input(household.id, bob.id)))["householdMemberEnd"]

    # then
    assert payload["errors"] == []
    today = clock.today().isoformat()
    assert payload["member"] == {"isCurrent": False, "endDate": today, "isPrimary": False}
    assert payload["household"]["current"] == [{"consumer": {"firstName": "Ann"}, "isHead": True}]
    assert payload["household"]["all"] == [
        {"consumer": {"firstName": "Ann"}, "isCurrent": True, "endDate": None},
        {"consumer": {"firstName": "Bob"}, "isCurrent": False, "endDate": today},
    ]


async def test_ending_the_last_head_needs_another_head(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann, bob = await make_consumer(first_name="Ann"), await make_consumer(first_name="Bob")
    await join(household, ann)
    await join(household, bob, Relationship.SPOUSE)

    # when
    refused = (await agent_client.data(END, _input(household.id, ann.id)))["householdMemberEnd"]
    accepted = (
        await agent_client.data(
            END, _input(household.id, ann.id, newHeadConsumerId=gid("Consumer", bob.id))
        )
    )["householdMemberEnd"]

    # then
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [
        ("newHeadConsumerId", "INVALID_STATE")
    ]
    assert accepted["errors"] == []
    assert accepted["household"]["current"] == [{"consumer": {"firstName": "Bob"}, "isHead": True}]


async def test_another_current_head_lets_a_head_leave(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann, bob = await make_consumer(), await make_consumer()
    await join(household, ann)
    await join(household, bob)

    # when
    payload = (await agent_client.data(END, _input(household.id, ann.id)))["householdMemberEnd"]

    # then
    assert payload["errors"] == []


async def test_the_last_member_may_leave(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann = await make_consumer()
    await join(household, ann)

    # when
    payload = (await agent_client.data(END, _input(household.id, ann.id)))["householdMemberEnd"]

    # then
    assert payload["errors"] == []
    assert payload["household"]["current"] == []


async def test_ending_the_primary_household_moves_primary(agent_client: GraphQLClient) -> None:
    # given
    first, second = await make_household("First"), await make_household("Second")
    ann = await make_consumer()
    await join(first, ann)
    await join(second, ann)

    # when
    payload = (await agent_client.data(END, _input(first.id, ann.id)))["householdMemberEnd"]

    # then
    assert payload["errors"] == []
    primary = await HouseholdMember.get(household_id=second.id, consumer_id=ann.id)
    assert primary.is_primary


async def test_an_end_before_the_start_is_refused(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann = await make_consumer()
    await join(household, ann)
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()

    # when
    payload = (await agent_client.data(END, _input(household.id, ann.id, endDate=yesterday)))[
        "householdMemberEnd"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("endDate", "INVALID")]
    assert (await HouseholdMember.get(consumer_id=ann.id)).end_date is None


async def test_a_consumer_who_is_not_a_member_is_not_found(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    stranger = await make_consumer()

    # when
    payload = (await agent_client.data(END, _input(household.id, stranger.id)))[
        "householdMemberEnd"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("consumerId", "NOT_FOUND")]
