from __future__ import annotations

from typing import Any

from csm_graph.accounts import users
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.schema.node import to_global_id
from tests.support import GraphQLClient, make_user

TEAM_MEMBER_ADD = """
mutation TeamMemberAdd($input: TeamMemberAddInput!) {
  teamMemberAdd(input: $input) {
    team { id name members { email } }
    errors { field message code }
  }
}
"""

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


def _input(team: Team, user: User) -> dict[str, Any]:
    return {
        "input": {"teamId": to_global_id("Team", team.id), "userId": to_global_id("User", user.id)}
    }


async def _members(team: Team) -> list[str]:
    return sorted(await team.members.all().values_list("email", flat=True))  # type: ignore[arg-type]


async def test_admin_adds_an_internal_user(admin_client: GraphQLClient) -> None:
    # given
    old = await make_user("old@example.com", roles=("AGENT",))
    new = await make_user("new@example.com", roles=("AGENT",))
    team = await users.create_team(ADMIN, "Returns", [old.id])

    # when
    payload = (await admin_client.data(TEAM_MEMBER_ADD, _input(team, new)))["teamMemberAdd"]

    # then
    assert payload["errors"] == []
    assert payload["team"]["id"] == to_global_id("Team", team.id)
    assert sorted(m["email"] for m in payload["team"]["members"]) == [
        "new@example.com",
        "old@example.com",
    ]
    assert await _members(team) == ["new@example.com", "old@example.com"]


async def test_adding_a_member_twice_is_a_conflict(admin_client: GraphQLClient) -> None:
    # given
    member = await make_user("member@example.com", roles=("AGENT",))
    team = await users.create_team(ADMIN, "Repeat", [member.id])

    # when
    payload = (await admin_client.data(TEAM_MEMBER_ADD, _input(team, member)))["teamMemberAdd"]

    # then
    assert payload["team"] is None
    assert payload["errors"] == [
        {"field": "userId", "message": "Already a member of this team.", "code": "CONFLICT"}
    ]
    assert await _members(team) == ["member@example.com"]


async def test_an_external_user_cannot_join(admin_client: GraphQLClient) -> None:
    # given
    consumer = await make_user("consumer@example.com", user_type=UserType.EXTERNAL)
    team = await users.create_team(ADMIN, "Internal only", [])

    # when
    payload = (await admin_client.data(TEAM_MEMBER_ADD, _input(team, consumer)))["teamMemberAdd"]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("userId", "NOT_FOUND")]
    assert await _members(team) == []


async def test_an_unknown_team_is_not_found(admin_client: GraphQLClient) -> None:
    # given
    agent = await make_user("lonely@example.com", roles=("AGENT",))
    team = await users.create_team(ADMIN, "Dissolved", [])
    await team.delete()

    # when
    payload = (await admin_client.data(TEAM_MEMBER_ADD, _input(team, agent)))["teamMemberAdd"]

    # then
    assert payload["errors"] == [
        {"field": "teamId", "message": "No such team.", "code": "NOT_FOUND"}
    ]


async def test_a_non_admin_is_forbidden(agent_client: GraphQLClient) -> None:
    # given
    assert agent_client.user is not None
    team = await users.create_team(ADMIN, "Closed", [])

    # when
    result = await agent_client.execute(TEAM_MEMBER_ADD, _input(team, agent_client.user))

    # then
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _members(team) == []
