from __future__ import annotations

import httpx

from csm_graph.accounts.models import UserType
from csm_graph.consumers.models import Consumer
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import GraphQLClient, login, make_user

UPDATE = """
mutation Update($input: ConsumerUpdateInput!) {
  consumerUpdate(input: $input) {
    consumer { id firstName phone slaLevel address { city } preferredLanguage }
    errors { field message code }
  }
}
"""


async def consumer_client(http: httpx.AsyncClient, email: str) -> tuple[GraphQLClient, Consumer]:
    user = await make_user(email, user_type=UserType.EXTERNAL)
    consumer = await make_consumer(email=email)
    consumer.user_id = user.id
    await consumer.save()
    return await login(http, email), consumer


async def test_a_consumer_changes_their_own_allowed_fields(http: httpx.AsyncClient) -> None:
    client, consumer = await consumer_client(http, "me@example.com")

    payload = (
        await client.data(
            UPDATE,
            {
                "input": {
                    "id": gid("Consumer", consumer.id),
                    "phone": "+1 415 555 0145",
                    "address": {"city": "Oakland"},
                    "preferredLanguage": "pt-BR",
                }
            },
        )
    )["consumerUpdate"]

    assert payload["errors"] == []
    assert payload["consumer"]["phone"] == "+14155550145"
    assert payload["consumer"]["address"]["city"] == "Oakland"
    assert payload["consumer"]["preferredLanguage"] == "pt-BR"


async def test_a_consumer_may_not_change_their_sla_level_or_email(http: httpx.AsyncClient) -> None:
    client, consumer = await consumer_client(http, "greedy@example.com")

    payload = (
        await client.data(
            UPDATE,
            {
                "input": {
                    "id": gid("Consumer", consumer.id),
                    "slaLevel": "PLATINUM",
                    "email": "x@example.com",
                }
            },
        )
    )["consumerUpdate"]

    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("email", "FORBIDDEN"),
        ("slaLevel", "FORBIDDEN"),
    ]
    await consumer.refresh_from_db()
    assert (consumer.sla_level, consumer.email) == ("BRONZE", "greedy@example.com")


async def test_another_consumer_is_not_found(http: httpx.AsyncClient) -> None:
    client, _ = await consumer_client(http, "nosy@example.com")
    stranger = await make_consumer(first_name="Stranger")

    payload = (
        await client.data(UPDATE, {"input": {"id": gid("Consumer", stranger.id), "firstName": "X"}})
    )["consumerUpdate"]

    assert payload["errors"] == [
        {"field": "id", "message": "No such consumer.", "code": "NOT_FOUND"}
    ]
    await stranger.refresh_from_db()
    assert stranger.first_name == "Stranger"


async def test_agents_change_any_field(agent_client: GraphQLClient) -> None:
    consumer = await make_consumer()

    payload = (
        await agent_client.data(
            UPDATE, {"input": {"id": gid("Consumer", consumer.id), "slaLevel": "GOLD"}}
        )
    )["consumerUpdate"]

    assert payload["consumer"]["slaLevel"] == "GOLD"


async def test_a_malformed_id_is_not_found(agent_client: GraphQLClient) -> None:
    payload = (await agent_client.data(UPDATE, {"input": {"id": "garbage", "firstName": "X"}}))[
        "consumerUpdate"
    ]

    assert payload["errors"][0]["code"] == "NOT_FOUND"
