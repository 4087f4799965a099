from __future__ import annotations

import httpx

from csm_graph.accounts.models import User, UserType
from tests.support import LOGIN, PASSWORD, GraphQLClient, make_user

VIEWER = "{ viewer { id email fullName roles } }"


async def test_login_opens_a_session_that_identifies_the_user(anon_client: GraphQLClient) -> None:
    # given
    user = await make_user(
        "Ann.Lee@Example.com", roles=("AGENT",), first_name="Ann", last_name="Lee"
    )

    # when
    payload = (
        await anon_client.data(
            LOGIN, {"input": {"email": "ANN.LEE@example.com", "password": PASSWORD}}
        )
    )["login"]

    # then
    assert payload["errors"] == []
    assert payload["user"]["email"] == "ann.lee@example.com"
    anon_client.token = payload["accessToken"]
    viewer = (await anon_client.data(VIEWER))["viewer"]
    assert viewer["fullName"] == "Ann Lee"
    assert viewer["roles"] == ["AGENT"]
    await user.refresh_from_db()
    assert user.last_login_at is not None


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    anon_client: GraphQLClient,
) -> None:
    # given
    await make_user("known@example.com")

    # when
    wrong = await anon_client.data(
        LOGIN, {"input": {"email": "known@example.com", "password": "nope-nope-nope"}}
    )
    unknown = await anon_client.data(
        LOGIN, {"input": {"email": "nobody@example.com", "password": "nope-nope-nope"}}
    )

    # then
    assert wrong == unknown
    assert wrong["login"]["accessToken"] is None
    assert wrong["login"]["errors"] == [
        {"field": None, "message": "Invalid email or password.", "code": "INVALID_CREDENTIALS"}
    ]


async def test_inactive_user_cannot_log_in(anon_client: GraphQLClient) -> None:
    user = await make_user("gone@example.com")
    user.is_active = False
    await user.save()

    payload = (
        await anon_client.data(
            LOGIN, {"input": {"email": "gone@example.com", "password": PASSWORD}}
        )
    )["login"]

    assert payload["accessToken"] is None
    assert payload["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_unverified_external_user_cannot_log_in(anon_client: GraphQLClient) -> None:
    await make_user("new@example.com", user_type=UserType.EXTERNAL, verified=False)

    payload = (
        await anon_client.data(LOGIN, {"input": {"email": "new@example.com", "password": PASSWORD}})
    )["login"]

    assert payload["accessToken"] is None
    assert payload["errors"] == [
        {
            "field": "email",
            "message": "Verify your email address before logging in.",
            "code": "INVALID_STATE",
        }
    ]


async def test_repeated_failures_are_throttled_per_account(anon_client: GraphQLClient) -> None:
    # given: five failures against one account
    await make_user("target@example.com")
    for _ in range(5):
        await anon_client.data(
            LOGIN, {"input": {"email": "target@example.com", "password": "wrong-password"}}
        )

    # when: even the right password
    payload = (
        await anon_client.data(
            LOGIN, {"input": {"email": "target@example.com", "password": PASSWORD}}
        )
    )["login"]

    # then
    assert payload["accessToken"] is None
    assert payload["errors"][0]["code"] == "THROTTLED"


async def test_repeated_failures_are_throttled_per_client_address(
    anon_client: GraphQLClient,
) -> None:
    # given: twenty failures from one address, spread over many accounts
    await make_user("victim@example.com")
    for n in range(20):
        await anon_client.data(
            LOGIN, {"input": {"email": f"guess{n}@example.com", "password": "wrong-password"}}
        )

    # when
    payload = (
        await anon_client.data(
            LOGIN, {"input": {"email": "victim@example.com", "password": PASSWORD}}
        )
    )["login"]

    # then
    assert payload["errors"][0]["code"] == "THROTTLED"


async def test_a_successful_login_resets_the_account_counter(anon_client: GraphQLClient) -> None:
    await make_user("forgetful@example.com")
    for _ in range(4):
        await anon_client.data(
            LOGIN, {"input": {"email": "forgetful@example.com", "password": "wrong-password"}}
        )
    ok = (
        await anon_client.data(
            LOGIN, {"input": {"email": "forgetful@example.com", "password": PASSWORD}}
        )
    )["login"]
    assert ok["errors"] == []

    for _ in range(4):
        await anon_client.data(
            LOGIN, {"input": {"email": "forgetful@example.com", "password": "wrong-password"}}
        )
    again = (
        await anon_client.data(
            LOGIN, {"input": {"email": "forgetful@example.com", "password": PASSWORD}}
        )
    )["login"]

    assert again["errors"] == []


async def test_password_hash_is_not_in_the_schema(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": "{ viewer { passwordHash } }"})

    body = response.json()
    assert body["errors"][0]["message"].startswith("Cannot query field 'passwordHash'")
    assert await User.all().count() == 0
