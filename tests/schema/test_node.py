from __future__ import annotations

import base64

import pytest

from csm_graph.accounts import users
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.schema.node import to_global_id
from tests.support import GraphQLClient, make_user

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on User { email }
    ... on Team { name }
  }
}
"""

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


async def _node(client: GraphQLClient, global_id: str) -> dict[str, object] | None:
    node: dict[str, object] | None = (await client.data(NODE, {"id": global_id}))["node"]
    return node


async def test_admin_fetches_users_and_teams(admin_client: GraphQLClient) -> None:
    # given
    consumer = await make_user("consumer@example.com", user_type=UserType.EXTERNAL)
    team = await users.create_team(ADMIN, "Care", [])
    user_id = to_global_id("User", consumer.id)
    team_id = to_global_id("Team", team.id)

    # when
    user = await _node(admin_client, user_id)
    found_team = await _node(admin_client, team_id)

    # then
    assert user == {"__typename": "User", "id": user_id, "email": "consumer@example.com"}
    assert found_team == {"__typename": "Team", "id": team_id, "name": "Care"}


async def test_an_agent_sees_internal_users_and_teams_but_not_consumers(
    agent_client: GraphQLClient,
) -> None:
    # given
    colleague = await make_user("colleague@example.com", roles=("AGENT",))
    consumer = await make_user("consumer@example.com", user_type=UserType.EXTERNAL)
    team = await users.create_team(ADMIN, "Care", [])

    # when / then
    assert await _node(agent_client, to_global_id("User", colleague.id)) is not None
    assert await _node(agent_client, to_global_id("Team", team.id)) is not None
    assert await _node(agent_client, to_global_id("User", consumer.id)) is None


async def test_an_external_user_sees_only_themselves(external_client: GraphQLClient) -> None:
    # given
    assert external_client.user is not None
    agent = await make_user("someone@example.com", roles=("AGENT",))
    other = await make_user("other@example.com", user_type=UserType.EXTERNAL)
    team = await users.create_team(ADMIN, "Care", [agent.id])

    # when / then
    me = await _node(external_client, to_global_id("User", external_client.user.id))
    assert me is not None
    assert me["email"] == "ext@example.com"
    for hidden in (
        to_global_id("User", agent.id),
        to_global_id("User", other.id),
        to_global_id("Team", team.id),
    ):
        assert await _node(external_client, hidden) is None, hidden


async def test_anonymous_sees_nothing(anon_client: GraphQLClient) -> None:
    user = await make_user("agent@example.com", roles=("AGENT",))

    assert await _node(anon_client, to_global_id("User", user.id)) is None


async def test_an_invisible_object_looks_like_a_missing_one(agent_client: GraphQLClient) -> None:
    consumer = await make_user("consumer@example.com", user_type=UserType.EXTERNAL)

    hidden = await agent_client.execute(NODE, {"id": to_global_id("User", consumer.id)})
    missing = await agent_client.execute(NODE, {"id": to_global_id("User", consumer.id + 999)})

    assert hidden == missing == {"data": {"node": None}}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not base64 !!",
        _b64("User"),
        _b64("User:"),
        _b64("User:abc"),
        _b64("User:0"),
        _b64("User:-1"),
        _b64(f"User:{2**70}"),
        _b64("Nope:1"),
        _b64(":1"),
        base64.b64encode(b"\xff\xfe:1").decode(),
    ],
)
async def test_garbage_ids_give_null(admin_client: GraphQLClient, garbage: str) -> None:
    result = await admin_client.execute(NODE, {"id": garbage})

    assert result == {"data": {"node": None}}
