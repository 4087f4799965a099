from __future__ import annotations

import httpx

from csm_graph.accounts.models import User
from tests.mail import Mailbox
from tests.schema.consumers.helpers import link_token, make_consumer
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import PASSWORD, GraphQLClient, login, make_user

CREATE_USER = """
mutation ConsumerUserCreate($input: ConsumerUserCreateInput!) {
  consumerUserCreate(input: $input) {
    consumer { id user { id email userType emailVerified firstName lastName phone } }
    errors { field message code }
  }
}
"""
RESET = """
mutation Reset($input: PasswordResetInput!) {
  passwordReset(input: $input) { user { id } errors { field code } }
}
"""


async def test_user_made_from_a_consumer_carries_its_identity(
    admin_client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    consumer = await make_consumer(
        first_name="Cleo", last_name="Made", email="cleo@example.com", phone="+14155550123"
    )

    payload = (
        await admin_client.data(
            CREATE_USER,
            {"input": {"consumerId": gid("Consumer", consumer.id), "password": PASSWORD}},
        )
    )["consumerUserCreate"]

    user = payload["consumer"]["user"]
    assert payload["errors"] == []
    assert user["email"] == "cleo@example.com"
    assert (user["firstName"], user["lastName"], user["phone"]) == ("Cleo", "Made", "+14155550123")
    assert (user["userType"], user["emailVerified"]) == ("EXTERNAL", True)
    client = await login(http, "cleo@example.com")
    me = await client.data("{ viewer { consumer { number } } }")
    assert me["viewer"]["consumer"]["number"] == consumer.number


async def test_without_a_password_the_user_is_emailed_a_link(
    admin_client: GraphQLClient,
    anon_client: GraphQLClient,
    http: httpx.AsyncClient,
    mailbox: Mailbox,
) -> None:
    consumer = await make_consumer(email="nopass@example.com")
    await admin_client.data(CREATE_USER, {"input": {"consumerId": gid("Consumer", consumer.id)}})

    (message,) = await mailbox.settle()
    reset = (
        await anon_client.data(
            RESET, {"input": {"token": link_token(message), "password": PASSWORD}}
        )
    )["passwordReset"]

    assert reset["errors"] == []
    assert (await login(http, "nopass@example.com")).token


async def test_a_consumer_without_email_cannot_get_a_login(admin_client: GraphQLClient) -> None:
    consumer = await make_consumer()

    payload = (
        await admin_client.data(
            CREATE_USER, {"input": {"consumerId": gid("Consumer", consumer.id)}}
        )
    )["consumerUserCreate"]

    assert payload["errors"][0]["code"] == "REQUIRED"
    assert await User.all().count() == 1  # the admin only


async def test_an_email_taken_by_another_login_is_a_conflict(admin_client: GraphQLClient) -> None:
    consumer = await make_consumer(email="busy@example.com")
    await make_user("busy@example.com")

    payload = (
        await admin_client.data(
            CREATE_USER, {"input": {"consumerId": gid("Consumer", consumer.id)}}
        )
    )["consumerUserCreate"]

    assert payload["errors"][0]["code"] == "CONFLICT"
    assert "busy@example.com" in payload["errors"][0]["message"]
