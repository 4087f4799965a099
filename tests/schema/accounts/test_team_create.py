from __future__ import annotations

from typing import Any

from csm_graph.accounts.models import Team, UserType
from csm_graph.schema.node import to_global_id
from tests.support import GraphQLClient, make_user

TEAM_CREATE = """
mutation TeamCreate($input: TeamCreateInput!) {
  teamCreate(input: $input) {
    team { id name members { email } }
    errors { field message code }
  }
}
"""


def _input(name: str, *member_ids: int) -> dict[str, Any]:
    return {"input": {"name": name, "memberIds": [to_global_id("User", pk) for pk in member_ids]}}


async def test_admin_creates_a_team_with_members(admin_client: GraphQLClient) -> None:
    # given
    ann = await make_user("ann@example.com", roles=("AGENT",))
    bob = await make_user("bob@example.com", roles=("AGENT",))

    # when
    payload = (await admin_client.data(TEAM_CREATE, _input("  Billing  ", ann.id, bob.id)))[
        "teamCreate"
    ]

    # then
    assert payload["errors"] == []
    team = await Team.get(name="Billing")
    assert payload["team"]["id"] == to_global_id("Team", team.id)
    assert payload["team"]["name"] == "Billing"
    assert sorted(m["email"] for m in payload["team"]["members"]) == [
        "ann@example.com",
        "bob@example.com",
    ]


async def test_a_taken_name_is_a_conflict(admin_client: GraphQLClient) -> None:
    # given
    await admin_client.data(TEAM_CREATE, _input("Support"))

    # when
    payload = (await admin_client.data(TEAM_CREATE, _input("Support")))["teamCreate"]

    # then
    assert payload["team"] is None
    assert payload["errors"] == [
        {"field": "name", "message": "A team with this name exists.", "code": "CONFLICT"}
    ]
    assert await Team.all().count() == 1


async def test_a_blank_name_is_required(admin_client: GraphQLClient) -> None:
    payload = (await admin_client.data(TEAM_CREATE, _input("   ")))["teamCreate"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("name", "REQUIRED")]
    assert await Team.all().count() == 0


async def test_external_members_are_refused_and_nothing_is_written(
    admin_client: GraphQLClient,
) -> None:
    # given
    agent = await make_user("inside@example.com", roles=("AGENT",))
    consumer = await make_user("outside@example.com", user_type=UserType.EXTERNAL)

    # when
    payload = (await admin_client.data(TEAM_CREATE, _input("Mixed", agent.id, consumer.id)))[
        "teamCreate"
    ]

    # then
    assert payload["team"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("memberIds", "NOT_FOUND")]
    assert await Team.all().count() == 0


async def test_a_member_id_of_another_type_is_not_found(admin_client: GraphQLClient) -> None:
    payload = (
        await admin_client.data(
            TEAM_CREATE, {"input": {"name": "Odd", "memberIds": [to_global_id("Team", 1)]}}
        )
    )["teamCreate"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("memberIds", "NOT_FOUND")]
    assert await Team.all().count() == 0


async def test_a_non_admin_is_forbidden(agent_client: GraphQLClient) -> None:
    result = await agent_client.execute(TEAM_CREATE, _input("Rogue"))

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Team.all().count() == 0


async def test_anonymous_is_unauthenticated(anon_client: GraphQLClient) -> None:
    result = await anon_client.execute(TEAM_CREATE, _input("Anon"))

    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Team.all().count() == 0
