from __future__ import annotations

import datetime as dt

import pytest
from tortoise.exceptions import IntegrityError

from csm_graph import clock
from csm_graph.households.models import HouseholdMember, Relationship
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, join, make_household
from tests.support import GraphQLClient

ADD = """
mutation Add($input: HouseholdMemberAddInput!) {
  householdMemberAdd(input: $input) {
    household { id members { relationship isHead isPrimary isCurrent consumer { id } } }
    member { relationship isHead isPrimary startDate endDate isCurrent }
    errors { field message code }
  }
}
"""


def _input(household_id: int, consumer_id: int, **extra: object) -> dict[str, object]:
    return {
        "input": {
            "householdId": gid("Household", household_id),
            "consumerId": gid("Consumer", consumer_id),
            "relationship": "HEAD",
            **extra,
        }
    }


async def test_the_first_member_heads_the_household_and_it_becomes_primary(
    agent_client: GraphQLClient,
) -> None:
    # given
    household = await make_household()
    ann = await make_consumer(first_name="Ann")

    # when
    payload = (await agent_client.data(ADD, _input(household.id, ann.id)))["householdMemberAdd"]

    # then
    assert payload["errors"] == []
    assert payload["member"] == {
        "relationship": "HEAD",
        "isHead": True,
        "isPrimary": True,
        "startDate": clock.today().isoformat(),
        "endDate": None,
        "isCurrent": True,
    }
    assert payload["household"]["members"][0]["consumer"] == {"id": gid("Consumer", ann.id)}


async def test_a_second_household_is_not_primary(agent_client: GraphQLClient) -> None:
    # given
    first, second = await make_household("First"), await make_household("Second")
    ann = await make_consumer()
    await join(first, ann)

    # when
    payload = (await agent_client.data(ADD, _input(second.id, ann.id)))["householdMemberAdd"]

    # then
    assert payload["errors"] == []
    assert payload["member"]["isPrimary"] is False


async def test_a_current_member_cannot_be_added_again(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    ann = await make_consumer()
    await join(household, ann)

    # when
    payload = (await agent_client.data(ADD, _input(household.id, ann.id)))["householdMemberAdd"]

    # then
    assert payload["household"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("consumerId", "CONFLICT")]
    assert await HouseholdMember.all().count() == 1


async def test_the_first_member_must_be_a_head(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    kid = await make_consumer()

    # when
    payload = (await agent_client.data(ADD, _input(household.id, kid.id, relationship="CHILD")))[
        "householdMemberAdd"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("isHead", "INVALID_STATE")]
    assert await HouseholdMember.all().count() == 0


@pytest.mark.parametrize(
    ("household_ok", "consumer_ok", "extra", "expected"),
    [
        (False, True, {}, ("householdId", "NOT_FOUND")),
        (True, False, {}, ("consumerId", "NOT_FOUND")),
        (True, True, {"isHead": False}, ("isHead", "INVALID")),
        (True, True, {"startDate": "2999-01-01"}, ("startDate", "INVALID")),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    agent_client: GraphQLClient,
    household_ok: bool,
    consumer_ok: bool,
    extra: dict[str, object],
    expected: tuple[str, str],
) -> None:
    # given
    household = await make_household()
    ann = await make_consumer()

    # when
    payload = (
        await agent_client.data(
            ADD,
            _input(household.id if household_ok else 999, ann.id if consumer_ok else 999, **extra),
        )
    )["householdMemberAdd"]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected]
    assert await HouseholdMember.all().count() == 0


async def test_a_past_member_can_rejoin_and_history_stays(agent_client: GraphQLClient) -> None:
    # given
    household = await make_household()
    head, ann = await make_consumer(), await make_consumer()
    await join(household, head)
    await join(household, ann, Relationship.CHILD, start_date=clock.today() - dt.timedelta(days=9))
    await HouseholdMember.filter(consumer_id=ann.id).update(end_date=clock.today())

    # when
    payload = (await agent_client.data(ADD, _input(household.id, ann.id, relationship="SPOUSE")))[
        "householdMemberAdd"
    ]

    # then
    assert payload["errors"] == []
    assert await HouseholdMember.filter(consumer_id=ann.id).count() == 2


async def test_the_database_holds_one_open_membership_per_consumer_and_household() -> None:
    # given: a membership, then a second one written past the service layer
    household = await make_household()
    ann = await make_consumer()
    await join(household, ann)

    # when / then
    with pytest.raises(IntegrityError):
        await HouseholdMember.create(
            household_id=household.id,
            consumer_id=ann.id,
            relationship=Relationship.OTHER,
            start_date=clock.today(),
        )
    await HouseholdMember.create(
        household_id=household.id,
        consumer_id=ann.id,
        relationship=Relationship.OTHER,
        start_date=clock.today() - dt.timedelta(days=30),
        end_date=clock.today() - dt.timedelta(days=20),
    )
    assert await HouseholdMember.filter(consumer_id=ann.id).count() == 2
