from __future__ import annotations

from csm_graph.consumers.models import Consumer
from tests.schema.consumers.helpers import CONSUMER_FIELDS
from tests.support import GraphQLClient

CONSUMER_CREATE = f"""
mutation ConsumerCreate($input: ConsumerCreateInput!) {{
  consumerCreate(input: $input) {{
    consumer {{ {CONSUMER_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""


async def test_full_name_is_parsed_and_contacts_normalised(agent_client: GraphQLClient) -> None:
    # given
    values = {
        "fullName": "Ms. Ann B. Lee Jr.",
        "email": "Ann.Lee@Example.COM",
        "phone": "(415) 555-0132",
        "address": {"line1": "1 Main St", "city": "Springfield", "country": "us"},
        "dateOfBirth": "1980-02-29",
        "twitterHandle": "@annlee",
        "slaLevel": "GOLD",
    }

    # when
    payload = (await agent_client.data(CONSUMER_CREATE, {"input": values}))["consumerCreate"]

    # then
    assert payload["errors"] == []
    consumer = payload["consumer"]
    assert (consumer["prefix"], consumer["firstName"], consumer["middleName"]) == (
        "Ms.",
        "Ann",
        "B.",
    )
    assert (consumer["lastName"], consumer["suffix"]) == ("Lee", "Jr.")
    assert consumer["fullName"] == "Ms. Ann B. Lee Jr."
    assert consumer["email"] == "ann.lee@example.com"
    assert consumer["phone"] == "+14155550132"
    assert consumer["address"]["country"] == "US"
    assert consumer["twitterHandle"] == "annlee"
    assert consumer["number"] == "CON0001001"


async def test_numbers_follow_each_other(agent_client: GraphQLClient) -> None:
    first = await agent_client.data(CONSUMER_CREATE, {"input": {"fullName": "A One"}})
    second = await agent_client.data(CONSUMER_CREATE, {"input": {"fullName": "B Two"}})

    numbers = [
        first["consumerCreate"]["consumer"]["number"],
        second["consumerCreate"]["consumer"]["number"],
    ]
    assert numbers == ["CON0001001", "CON0001002"]


async def test_bad_input_names_each_field_and_writes_nothing(agent_client: GraphQLClient) -> None:
    # when
    payload = (
        await agent_client.data(
            CONSUMER_CREATE,
            {
                "input": {
                    "firstName": "Ann",
                    "email": "not-an-email",
                    "phone": "12",
                    "facebookUrl": "https://evil.example/ann",
                    "preferredLanguage": "english",
                    "address": {"country": "XX"},
                }
            },
        )
    )["consumerCreate"]

    # then
    assert payload["consumer"] is None
    fields = sorted(e["field"] for e in payload["errors"])
    assert fields == ["address.country", "email", "facebookUrl", "phone", "preferredLanguage"]
    assert await Consumer.all().count() == 0


async def test_a_name_is_required(agent_client: GraphQLClient) -> None:
    payload = (await agent_client.data(CONSUMER_CREATE, {"input": {"email": "x@example.com"}}))[
        "consumerCreate"
    ]

    assert payload["errors"] == [
        {"field": "lastName", "message": "A name is required.", "code": "REQUIRED"}
    ]


async def test_external_users_may_not_create_consumers(external_client: GraphQLClient) -> None:
    result = await external_client.execute(CONSUMER_CREATE, {"input": {"fullName": "Eve Bad"}})

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Consumer.all().count() == 0


async def test_anonymous_callers_are_asked_to_authenticate(anon_client: GraphQLClient) -> None:
    result = await anon_client.execute(CONSUMER_CREATE, {"input": {"fullName": "Eve Bad"}})

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
