from __future__ import annotations

from csm_graph.consumers.models import Consumer
from tests.schema.consumers.helpers import make_consumer
from tests.support import GraphQLClient, make_user

ASSOCIATE = """
mutation Associate($input: ConsumerUserAssociateInput!) {
  consumerUserAssociate(input: $input) {
    consumer { id user { id email } }
    errors { field message code }
  }
}
"""
DISSOCIATE = """
mutation Dissociate($input: ConsumerUserDissociateInput!) {
  consumerUserDissociate(input: $input) { consumer { id user { id } } errors { field code } }
}
"""


def gid(type_name: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def test_admin_links_a_user_and_the_consumer_record_wins(admin_client: GraphQLClient) -> None:
    # given
    consumer = await make_consumer(first_name="Rita", last_name="Record", email="rita@example.com")
    user = await make_user(
        "rita@example.com", first_name="R", last_name="Login", phone="+14155550111"
    )

    # when
    payload = (
        await admin_client.data(
            ASSOCIATE,
            {"input": {"consumerId": gid("Consumer", consumer.id), "userId": gid("User", user.id)}},
        )
    )["consumerUserAssociate"]

    # then
    assert payload["errors"] == []
    assert payload["consumer"]["user"]["email"] == "rita@example.com"
    await consumer.refresh_from_db()
    await user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Rita", "Record")
    assert consumer.phone == user.phone == "+14155550111"


async def test_a_consumer_with_a_user_refuses_a_second_one(admin_client: GraphQLClient) -> None:
    consumer = await make_consumer(email="one@example.com")
    first = await make_user("one@example.com")
    second = await make_user("two@example.com")
    await admin_client.data(
        ASSOCIATE,
        {"input": {"consumerId": gid("Consumer", consumer.id), "userId": gid("User", first.id)}},
    )

    payload = (
        await admin_client.data(
            ASSOCIATE,
            {
                "input": {
                    "consumerId": gid("Consumer", consumer.id),
                    "userId": gid("User", second.id),
                }
            },
        )
    )["consumerUserAssociate"]

    assert payload["consumer"] is None
    (error,) = payload["errors"]
    assert (error["field"], error["code"]) == ("consumerId", "CONFLICT")
    assert "one@example.com" in error["message"]


async def test_a_user_linked_elsewhere_is_refused(admin_client: GraphQLClient) -> None:
    taken = await make_consumer(email="u@example.com")
    other = await make_consumer(email="other@example.com")
    user = await make_user("u@example.com")
    await admin_client.data(
        ASSOCIATE,
        {"input": {"consumerId": gid("Consumer", taken.id), "userId": gid("User", user.id)}},
    )

    payload = (
        await admin_client.data(
            ASSOCIATE,
            {"input": {"consumerId": gid("Consumer", other.id), "userId": gid("User", user.id)}},
        )
    )["consumerUserAssociate"]

    (error,) = payload["errors"]
    assert (error["field"], error["code"]) == ("userId", "CONFLICT")
    assert taken.number in error["message"]
    await other.refresh_from_db()
    assert other.user_id is None


async def test_the_database_holds_one_user_per_consumer() -> None:
    import pytest
    from tortoise.exceptions import IntegrityError

    user = await make_user("db@example.com")
    first = await make_consumer()
    second = await make_consumer()
    first.user_id = user.id
    await first.save()

    second.user_id = user.id
    with pytest.raises(IntegrityError):
        await second.save()


async def test_agents_may_not_associate(agent_client: GraphQLClient) -> None:
    consumer = await make_consumer()
    user = await make_user("x@example.com")

    result = await agent_client.execute(
        ASSOCIATE,
        {"input": {"consumerId": gid("Consumer", consumer.id), "userId": gid("User", user.id)}},
    )

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await Consumer.get(id=consumer.id)).user_id is None


async def test_dissociate_unlinks(admin_client: GraphQLClient) -> None:
    consumer = await make_consumer(email="d@example.com")
    user = await make_user("d@example.com")
    await admin_client.data(
        ASSOCIATE,
        {"input": {"consumerId": gid("Consumer", consumer.id), "userId": gid("User", user.id)}},
    )

    payload = (
        await admin_client.data(DISSOCIATE, {"input": {"consumerId": gid("Consumer", consumer.id)}})
    )["consumerUserDissociate"]
    again = (
        await admin_client.data(DISSOCIATE, {"input": {"consumerId": gid("Consumer", consumer.id)}})
    )["consumerUserDissociate"]

    assert payload["consumer"]["user"] is None
    assert again["errors"] == [{"field": "consumerId", "code": "INVALID_STATE"}]
