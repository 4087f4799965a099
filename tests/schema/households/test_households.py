"""The `households` query and the portal's view of households."""

from __future__ import annotations

import httpx

from csm_graph.households.models import Relationship
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_update import consumer_client
from tests.schema.households.helpers import gid, join, make_household
from tests.support import GraphQLClient

HOUSEHOLDS = """
query {
  households(first: 10) {
    totalCount
    edges { node { name members { consumer { firstName } } } }
  }
}
"""

PORTAL = """
query {
  viewer { consumer { primaryHousehold { name } households { name } } }
}
"""


async def test_a_consumer_in_two_households_sees_both_and_their_primary(
    http: httpx.AsyncClient,
) -> None:
    # given
    client, me = await consumer_client(http, "me@example.com")
    first, second = await make_household("First"), await make_household("Second")
    await make_household("Someone else's")
    await join(first, me)
    head = await make_consumer(first_name="Hal")
    await join(second, head)
    await join(second, me, Relationship.CHILD)

    # when
    portal = await client.data(PORTAL)
    listed = await client.data(HOUSEHOLDS)

    # then
    assert portal["viewer"]["consumer"] == {
        "primaryHousehold": {"name": "First"},
        "households": [{"name": "First"}, {"name": "Second"}],
    }
    assert listed["households"]["totalCount"] == 2
    assert {e["node"]["name"] for e in listed["households"]["edges"]} == {"First", "Second"}


async def test_a_non_head_member_cannot_read_the_member_list(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "kid@example.com")
    household = await make_household()
    await join(household, await make_consumer(first_name="Hal"))
    await join(household, me, Relationship.CHILD)

    # when
    result = await client.execute(HOUSEHOLDS)

    # then
    assert result["data"]["households"]["edges"] == [{"node": {"name": "The Lees", "members": []}}]
    assert result["extensions"]["redactedFields"] == [["households", "edges", 0, "node", "members"]]


async def test_a_head_reads_the_members_and_their_contact_data(http: httpx.AsyncClient) -> None:
    # given
    client, me = await consumer_client(http, "head@example.com")
    household = await make_household()
    await join(household, me)
    kid = await make_consumer(first_name="Kim", email="kim@example.com")
    await join(household, kid, Relationship.CHILD)
    query = """
    query { households { edges { node { members {
      relationship consumer { firstName email preferredLanguage }
    } } } } }
    """

    # when
    result = await client.execute(query)

    # then
    members = result["data"]["households"]["edges"][0]["node"]["members"]
    assert members == [
        {
            "relationship": "HEAD",
            "consumer": {
                "firstName": "Pat",
                "email": "head@example.com",
                "preferredLanguage": "en",
            },
        },
        {
            "relationship": "CHILD",
            "consumer": {"firstName": "Kim", "email": "kim@example.com", "preferredLanguage": "en"},
        },
    ]
    assert "extensions" not in result or not result["extensions"].get("redactedFields")


async def test_an_agent_lists_every_household(agent_client: GraphQLClient) -> None:
    # given
    for name in ("A", "B", "C"):
        await make_household(name)

    # when
    data = await agent_client.data(HOUSEHOLDS)

    # then
    assert data["households"]["totalCount"] == 3
    assert [e["node"]["name"] for e in data["households"]["edges"]] == ["C", "B", "A"]


async def test_a_household_node_is_invisible_to_outsiders(http: httpx.AsyncClient) -> None:
    # given
    client, _ = await consumer_client(http, "out@example.com")
    household = await make_household()
    query = "query($id: ID!) { node(id: $id) { ... on Household { name } } }"

    # when
    result = await client.execute(query, {"id": gid("Household", household.id)})

    # then
    assert result == {"data": {"node": None}}


async def test_anonymous_cannot_list_households(anon_client: GraphQLClient) -> None:
    # when
    result = await anon_client.execute(HOUSEHOLDS)

    # then
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
