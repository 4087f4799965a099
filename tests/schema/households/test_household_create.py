from __future__ import annotations

from csm_graph.households.models import Household
from tests.support import GraphQLClient

CREATE = """
mutation Create($input: HouseholdCreateInput!) {
  householdCreate(input: $input) {
    household { id number name notes address { city country } members { id } }
    errors { field message code }
  }
}
"""


async def test_an_agent_creates_a_numbered_household(agent_client: GraphQLClient) -> None:
    # given
    variables = {
        "input": {
            "name": " The Lees ",
            "address": {"city": "Oakland", "country": "us"},
            "notes": "Gate code 12",
        }
    }

    # when
    payload = (await agent_client.data(CREATE, variables))["householdCreate"]

    # then
    assert payload["errors"] == []
    household = payload["household"]
    assert household["number"] == "HOLD0001001"
    assert household["name"] == "The Lees"
    assert household["notes"] == "Gate code 12"
    assert household["address"] == {"city": "Oakland", "country": "US"}
    assert household["members"] == []


async def test_a_blank_name_is_refused_and_nothing_is_written(
    agent_client: GraphQLClient,
) -> None:
    # when
    payload = (await agent_client.data(CREATE, {"input": {"name": "  "}}))["householdCreate"]

    # then
    assert payload["household"] is None
    assert payload["errors"] == [
        {"field": "name", "message": "This field is required.", "code": "REQUIRED"}
    ]
    assert await Household.all().count() == 0


async def test_a_consumer_may_not_create_households(external_client: GraphQLClient) -> None:
    # when
    result = await external_client.execute(CREATE, {"input": {"name": "Mine"}})

    # then
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
