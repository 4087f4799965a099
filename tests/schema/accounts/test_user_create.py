from __future__ import annotations

from typing import Any

import pytest

from csm_graph.accounts import users
from csm_graph.accounts.models import Team, User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.schema.node import to_global_id
from tests.support import PASSWORD, GraphQLClient, login, make_user

USER_CREATE = """
mutation UserCreate($input: UserCreateInput!) {
  userCreate(input: $input) {
    user {
      id email firstName lastName fullName userType roles phone title department
      teams { name }
      manager { email }
    }
    errors { field message code }
  }
}
"""

ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "email": "new.agent@example.com",
            "firstName": "Nia",
            "lastName": "Agent",
            "userType": "INTERNAL",
            "password": PASSWORD,
            **overrides,
        }
    }


async def test_admin_creates_an_internal_user_with_roles_teams_and_manager(
    admin_client: GraphQLClient,
) -> None:
    # given
    team = await users.create_team(ADMIN, "Billing", [])
    boss = await make_user("boss@example.com", roles=("MANAGER",))

    # when
    payload = (
        await admin_client.data(
            USER_CREATE,
            _input(
                email="Nia.Agent@Example.com",
                roles=["AGENT", "MANAGER"],
                teamIds=[to_global_id("Team", team.id)],
                managerId=to_global_id("User", boss.id),
                phone="(415) 555-0123",
                title="Senior agent",
                department="Support",
            ),
        )
    )["userCreate"]

    # then
    assert payload["errors"] == []
    user = await User.get(email="nia.agent@example.com")
    assert payload["user"] == {
        "id": to_global_id("User", user.id),
        "email": "nia.agent@example.com",
        "firstName": "Nia",
        "lastName": "Agent",
        "fullName": "Nia Agent",
        "userType": "INTERNAL",
        "roles": ["AGENT", "MANAGER"],
        "phone": "+14155550123",
        "title": "Senior agent",
        "department": "Support",
        "teams": [{"name": "Billing"}],
        "manager": {"email": "boss@example.com"},
    }
    assert user.manager_id == boss.id
    assert user.email_verified is True


async def test_the_created_user_can_log_in(admin_client: GraphQLClient) -> None:
    # given
    await admin_client.data(USER_CREATE, _input())

    # when
    session = await login(admin_client.http, "new.agent@example.com")

    # then
    assert session.user is not None
    assert session.user.email == "new.agent@example.com"


async def test_an_email_taken_in_another_case_is_a_conflict(admin_client: GraphQLClient) -> None:
    # given
    await make_user("taken@example.com")
    before = await User.all().count()

    # when
    payload = (await admin_client.data(USER_CREATE, _input(email="TAKEN@Example.COM")))[
        "userCreate"
    ]

    # then
    assert payload["user"] is None
    assert payload["errors"] == [
        {"field": "email", "message": "A user with this email exists.", "code": "CONFLICT"}
    ]
    assert await User.all().count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.com"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"phone": "call me maybe"}, "phone"),
        ({"password": "short"}, "password"),
    ],
)
async def test_bad_input_is_invalid_and_names_the_field(
    admin_client: GraphQLClient, overrides: dict[str, str], field: str
) -> None:
    # given
    before = await User.all().count()

    # when
    payload = (await admin_client.data(USER_CREATE, _input(**overrides)))["userCreate"]

    # then
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "INVALID")]
    assert await User.all().count() == before


async def test_a_nameless_user_is_refused(admin_client: GraphQLClient) -> None:
    payload = (await admin_client.data(USER_CREATE, _input(firstName="", lastName=" ")))[
        "userCreate"
    ]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("lastName", "REQUIRED")]
    assert await User.filter(email="new.agent@example.com").count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"roles": ["AGENT"]}, "roles"), ({"teamIds": ["TEAM"]}, "teamIds")],
)
async def test_external_users_cannot_have_roles_or_teams(
    admin_client: GraphQLClient, overrides: dict[str, Any], field: str
) -> None:
    # given
    if field == "teamIds":
        team = await users.create_team(ADMIN, "Sales", [])
        overrides = {"teamIds": [to_global_id("Team", team.id)]}

    # when
    payload = (
        await admin_client.data(
            USER_CREATE, _input(email="consumer@example.com", userType="EXTERNAL", **overrides)
        )
    )["userCreate"]

    # then
    assert payload["user"] is None
    assert payload["errors"] == [
        {
            "field": field,
            "message": "Only internal users have roles, teams and managers.",
            "code": "INVALID",
        }
    ]
    assert await User.filter(email="consumer@example.com").count() == 0


async def test_an_unknown_team_writes_nothing(admin_client: GraphQLClient) -> None:
    # given
    team = await users.create_team(ADMIN, "Gone", [])
    gone = to_global_id("Team", team.id)
    await Team.filter(id=team.id).delete()

    # when
    payload = (await admin_client.data(USER_CREATE, _input(roles=["AGENT"], teamIds=[gone])))[
        "userCreate"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("teamIds", "NOT_FOUND")]
    assert await User.filter(email="new.agent@example.com").count() == 0


async def test_a_non_admin_is_forbidden(agent_client: GraphQLClient) -> None:
    # given
    before = await User.all().count()

    # when
    result = await agent_client.execute(USER_CREATE, _input())

    # then
    assert result["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["userCreate"], "FORBIDDEN")
    ]
    assert await User.all().count() == before


async def test_an_external_user_is_forbidden(external_client: GraphQLClient) -> None:
    result = await external_client.execute(USER_CREATE, _input())

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await User.filter(email="new.agent@example.com").count() == 0


async def test_anonymous_is_unauthenticated(anon_client: GraphQLClient) -> None:
    # when
    result = await anon_client.execute(USER_CREATE, _input())

    # then
    assert result["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in result["errors"]] == [
        (["userCreate"], "UNAUTHENTICATED")
    ]
    assert await User.all().count() == 0
