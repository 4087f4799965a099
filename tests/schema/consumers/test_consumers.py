from __future__ import annotations

import httpx

from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_update import consumer_client
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import GraphQLClient, make_user

CONSUMERS = """
query Consumers($filter: ConsumerFilter, $first: Int) {
  consumers(first: $first, filter: $filter) {
    totalCount edges { node { number fullName email } }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { ... on Consumer { number email slaLevel lastSurveyAt user { email } } }
}
"""


async def test_search_finds_by_name_email_phone_and_number(agent_client: GraphQLClient) -> None:
    ann = await make_consumer(
        first_name="Ann", last_name="Lee", email="ann@example.com", phone="+14155550101"
    )
    await make_consumer(first_name="Bob", last_name="Ray", email="bob@example.com")

    async def search(term: str) -> list[str]:
        data = await agent_client.data(CONSUMERS, {"filter": {"search": term}})
        return [e["node"]["number"] for e in data["consumers"]["edges"]]

    assert await search("ann lee") == [ann.number]
    assert await search("ANN@EXAMPLE") == [ann.number]
    assert await search("555-0101") == [ann.number]
    assert await search(ann.number) == [ann.number]
    assert len(await search("example.com")) == 2


async def test_filters_by_sla_level_and_link(agent_client: GraphQLClient) -> None:
    gold = await make_consumer(sla_level="GOLD")
    linked = await make_consumer(email="l@example.com")
    linked.user_id = (await make_user("l@example.com")).id
    await linked.save()

    golds = await agent_client.data(CONSUMERS, {"filter": {"slaLevel": "GOLD"}})
    with_user = await agent_client.data(CONSUMERS, {"filter": {"linked": True}})

    assert [e["node"]["number"] for e in golds["consumers"]["edges"]] == [gold.number]
    assert [e["node"]["number"] for e in with_user["consumers"]["edges"]] == [linked.number]


async def test_external_users_may_not_list_consumers(external_client: GraphQLClient) -> None:
    result = await external_client.execute(CONSUMERS)

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert result["data"] == {"consumers": None}


async def test_an_agent_reading_a_linked_user_gets_null_and_a_redaction(
    agent_client: GraphQLClient, admin_client: GraphQLClient
) -> None:
    consumer = await make_consumer(email="linked@example.com")
    consumer.user_id = (await make_user("linked@example.com")).id
    await consumer.save()

    as_agent = await agent_client.execute(NODE, {"id": gid("Consumer", consumer.id)})
    as_admin = await admin_client.execute(NODE, {"id": gid("Consumer", consumer.id)})

    assert as_agent["data"]["node"]["user"] is None
    assert as_agent["extensions"]["redactedFields"] == [["node", "user"]]
    assert as_admin["data"]["node"]["user"] == {"email": "linked@example.com"}
    assert "extensions" not in as_admin


async def test_a_consumer_sees_their_record_but_not_internal_fields(
    http: httpx.AsyncClient,
) -> None:
    client, consumer = await consumer_client(http, "own@example.com")
    stranger = await make_consumer()

    own = await client.execute(NODE, {"id": gid("Consumer", consumer.id)})
    other = await client.execute(NODE, {"id": gid("Consumer", stranger.id)})

    assert own["data"]["node"]["email"] == "own@example.com"
    assert own["data"]["node"]["slaLevel"] == "BRONZE"
    assert own["data"]["node"]["lastSurveyAt"] is None
    assert own["extensions"]["redactedFields"] == [["node", "lastSurveyAt"]]
    assert other["data"]["node"] is None
