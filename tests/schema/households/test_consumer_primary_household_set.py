from __future__ import annotations

import httpx

from csm_graph.households.models import HouseholdMember
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_update import consumer_client
from tests.schema.households.helpers import gid, join, make_household
from tests.support import GraphQLClient

SET = """
mutation Set($input: ConsumerPrimaryHouseholdSetInput!) {
  consumerPrimaryHouseholdSet(input: $input) {
    consumer { primaryHousehold { name } households { name } }
    errors { field message code }
  }
}
"""


async def test_a_consumer_chooses_their_primary_household(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "me@example.com")
    first, second = await make_household("First"), await make_household("Second")
    await join(first, me)
    await join(second, me)
    variables = {
        "input": {"consumerId": gid("Consumer", me.id), "householdId": gid("Household", second.id)}
    }

    # when
    payload = (await client.data(SET, variables))["consumerPrimaryHouseholdSet"]

    # then
    assert payload["errors"] == []
    assert payload["consumer"]["primaryHousehold"] == {"name": "Second"}
    assert await HouseholdMember.filter(consumer_id=me.id, is_primary=True).count() == 1


async def test_the_primary_household_must_be_a_current_one(agent_client: GraphQLClient) -> None:
    # given
    ann = await make_consumer()
    mine, other = await make_household("Mine"), await make_household("Other")
    await join(mine, ann)
    variables = {
        "input": {"consumerId": gid("Consumer", ann.id), "householdId": gid("Household", other.id)}
    }

    # when
    payload = (await agent_client.data(SET, variables))["consumerPrimaryHouseholdSet"]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("householdId", "INVALID")]


async def test_a_consumer_cannot_set_someone_elses(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "me@example.com")
    other = await make_consumer()
    household = await make_household()
    await join(household, me)
    await join(household, other)
    variables = {
        "input": {
            "consumerId": gid("Consumer", other.id),
            "householdId": gid("Household", household.id),
        }
    }

    stranger = await make_consumer(first_name="Stranger")
    unseen = {"input": {**variables["input"], "consumerId": gid("Consumer", stranger.id)}}

    # when: for a member of the household they head, and for a stranger
    payload = (await client.data(SET, variables))["consumerPrimaryHouseholdSet"]
    hidden = (await client.data(SET, unseen))["consumerPrimaryHouseholdSet"]

    # then: the one they see is not theirs to choose for; the other does not exist
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("consumerId", "FORBIDDEN")]
    assert [(e["field"], e["code"]) for e in hidden["errors"]] == [("consumerId", "NOT_FOUND")]
