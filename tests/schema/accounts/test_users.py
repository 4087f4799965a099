from __future__ import annotations

from typing import Any

import pytest

from csm_graph.accounts.models import User, UserType
from tests.support import GraphQLClient, make_user

USERS = """
query Users($first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount
    edges { cursor node { email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def _emails(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["email"] for edge in connection["edges"]]


async def _users(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await client.data(USERS, variables))["users"]
    return connection


async def test_admin_lists_every_user(admin_client: GraphQLClient) -> None:
    # given
    await make_user("agent1@example.com", roles=("AGENT",))
    await make_user("consumer1@example.com", user_type=UserType.EXTERNAL)

    # when
    connection = await _users(admin_client)

    # then
    assert connection["totalCount"] == 3
    assert _emails(connection) == [
        "admin@example.com",
        "agent1@example.com",
        "consumer1@example.com",
    ]
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is False


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"search": "LEE"}, ["ann.lee@example.com", "bo@example.com"]),
        ({"search": "ann"}, ["ann.lee@example.com"]),
        ({"userType": "EXTERNAL"}, ["ext.one@example.com"]),
        ({"role": "AGENT"}, ["ann.lee@example.com", "bo@example.com"]),
        ({"role": "MANAGER"}, ["bo@example.com"]),
        ({"isActive": False}, ["off@example.com"]),
        ({"role": "AGENT", "isActive": True, "search": "bo"}, ["bo@example.com"]),
    ],
)
async def test_filters(
    admin_client: GraphQLClient, filter_: dict[str, Any], expected: list[str]
) -> None:
    # given
    await make_user("ann.lee@example.com", roles=("AGENT",), first_name="Ann")
    await make_user("bo@example.com", roles=("AGENT", "MANAGER"), first_name="Bo", last_name="Lee")
    await make_user("ext.one@example.com", user_type=UserType.EXTERNAL)
    off = await make_user("off@example.com")
    off.is_active = False
    await off.save(update_fields=["is_active"])

    # when
    connection = await _users(admin_client, filter=filter_)

    # then
    assert _emails(connection) == expected
    assert connection["totalCount"] == len(expected)


async def test_pages_forwards_and_backwards_with_cursors(admin_client: GraphQLClient) -> None:
    # given: the admin and five more, seven users in all
    for n in range(1, 7):
        await make_user(f"user{n}@example.com")
    everyone = ["admin@example.com"] + [f"user{n}@example.com" for n in range(1, 7)]

    # when: forwards, three at a time
    first = await _users(admin_client, first=3)
    second = await _users(admin_client, first=3, after=first["pageInfo"]["endCursor"])
    third = await _users(admin_client, first=3, after=second["pageInfo"]["endCursor"])

    # then
    assert _emails(first) + _emails(second) + _emails(third) == everyone
    assert [p["pageInfo"]["hasNextPage"] for p in (first, second, third)] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in (first, second, third)] == [
        False,
        True,
        True,
    ]
    assert first["totalCount"] == third["totalCount"] == 7
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]

    # when: backwards from the end, three at a time
    last = await _users(admin_client, last=3)
    before = await _users(admin_client, last=3, before=last["pageInfo"]["startCursor"])
    rest = await _users(admin_client, last=3, before=before["pageInfo"]["startCursor"])

    # then
    assert _emails(last) == everyone[4:]
    assert _emails(before) == everyone[1:4]
    assert _emails(rest) == everyone[:1]
    assert [p["pageInfo"]["hasPreviousPage"] for p in (last, before, rest)] == [True, True, False]
    assert before["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "variables",
    [{"first": 101}, {"last": 101}, {"first": -1}, {"first": 2, "last": 2}, {"after": "junk"}],
)
async def test_bad_page_arguments_are_bad_user_input(
    admin_client: GraphQLClient, variables: dict[str, Any]
) -> None:
    result = await admin_client.execute(USERS, variables)

    assert result["data"] == {"users": None}
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["users"], "BAD_USER_INPUT")
    ]


async def test_a_page_of_100_is_allowed(admin_client: GraphQLClient) -> None:
    connection = await _users(admin_client, first=100)

    assert _emails(connection) == ["admin@example.com"]


async def test_users_is_for_admins_only(
    agent_client: GraphQLClient, external_client: GraphQLClient
) -> None:
    for client in (agent_client, external_client):
        # when
        result = await client.execute(USERS)

        # then: `users` alone is null (it is nullable), with the error at its path
        assert result["data"] == {"users": None}
        assert result["errors"][0]["path"] == ["users"]
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert result["errors"][0]["message"] == "Only administrators may do this."


async def test_anonymous_is_unauthenticated(anon_client: GraphQLClient) -> None:
    await make_user("someone@example.com")

    result = await anon_client.execute(USERS)

    assert result["data"] == {"users": None}
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await User.all().count() == 1
