from __future__ import annotations

from typing import Any

import httpx

from csm_graph.accounts import passwords, users
from csm_graph.accounts.models import RefreshToken, User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.schema.node import to_global_id
from tests.support import LOGIN, PASSWORD, GraphQLClient, login, make_user

USER_UPDATE = """
mutation UserUpdate($input: UserUpdateInput!) {
  userUpdate(input: $input) {
    user { id email firstName lastName phone roles isActive title department teams { name } }
    errors { field message code }
  }
}
"""

TOKEN_REFRESH = """
mutation TokenRefresh($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { errors { code } }
}
"""

NEW_PASSWORD = "a brand new passphrase"
ADMIN = Viewer(user_id=0, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


def _update(user: User, **fields: Any) -> dict[str, Any]:
    return {"input": {"id": to_global_id("User", user.id), **fields}}


async def test_admin_changes_any_field(admin_client: GraphQLClient) -> None:
    # given
    user = await make_user("worker@example.com", roles=("AGENT",))
    team = await users.create_team(ADMIN, "Escalations", [])

    # when
    payload = (
        await admin_client.data(
            USER_UPDATE,
            _update(
                user,
                email="Worker.Renamed@Example.com",
                firstName="Wanda",
                roles=["MANAGER"],
                teamIds=[to_global_id("Team", team.id)],
                title="Team lead",
                department="Care",
                phone="+44 20 7946 0958",
            ),
        )
    )["userUpdate"]

    # then
    assert payload["errors"] == []
    assert payload["user"] == {
        "id": to_global_id("User", user.id),
        "email": "worker.renamed@example.com",
        "firstName": "Wanda",
        "lastName": "Worker",
        "phone": "+442079460958",
        "roles": ["MANAGER"],
        "isActive": True,
        "title": "Team lead",
        "department": "Care",
        "teams": [{"name": "Escalations"}],
    }
    await user.refresh_from_db()
    assert (user.email, user.title) == ("worker.renamed@example.com", "Team lead")


async def test_admin_cannot_take_an_email_in_use(admin_client: GraphQLClient) -> None:
    # given
    await make_user("first@example.com")
    second = await make_user("second@example.com")

    # when
    payload = (await admin_client.data(USER_UPDATE, _update(second, email="FIRST@example.com")))[
        "userUpdate"
    ]

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("email", "CONFLICT")]
    await second.refresh_from_db()
    assert second.email == "second@example.com"


async def test_a_user_changes_their_own_name_and_phone(http: httpx.AsyncClient) -> None:
    # given
    me = await make_user("me@example.com", user_type=UserType.EXTERNAL)
    client = await login(http, "me@example.com")

    # when
    payload = (
        await client.data(
            USER_UPDATE, _update(me, firstName="Maya", lastName="Ortiz", phone="415-555-0199")
        )
    )["userUpdate"]

    # then
    assert payload["errors"] == []
    assert payload["user"]["firstName"] == "Maya"
    assert payload["user"]["phone"] == "+14155550199"
    await me.refresh_from_db()
    assert (me.first_name, me.last_name, me.phone) == ("Maya", "Ortiz", "+14155550199")


async def test_a_user_changes_their_password_with_the_current_one(
    http: httpx.AsyncClient,
) -> None:
    # given
    me = await make_user("pw@example.com", roles=("AGENT",))
    client = await login(http, "pw@example.com")

    # when
    payload = (
        await client.data(USER_UPDATE, _update(me, password=NEW_PASSWORD, currentPassword=PASSWORD))
    )["userUpdate"]

    # then
    assert payload["errors"] == []
    await login(http, "pw@example.com", NEW_PASSWORD)
    old = (
        await GraphQLClient(http).data(
            LOGIN, {"input": {"email": "pw@example.com", "password": PASSWORD}}
        )
    )["login"]
    assert old["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_a_wrong_or_missing_current_password_changes_nothing(
    http: httpx.AsyncClient,
) -> None:
    # given
    me = await make_user("careful@example.com")
    client = await login(http, "careful@example.com")

    # when
    wrong = (
        await client.data(
            USER_UPDATE,
            _update(me, password=NEW_PASSWORD, currentPassword="not my password", firstName="X"),
        )
    )["userUpdate"]
    missing = (await client.data(USER_UPDATE, _update(me, password=NEW_PASSWORD)))["userUpdate"]

    # then
    for payload in (wrong, missing):
        assert payload["user"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("currentPassword", "INVALID")
        ]
    await me.refresh_from_db()
    assert me.first_name == "Test"
    assert me.password_hash is not None
    assert await passwords.verify_password(me.password_hash, PASSWORD)


async def test_a_user_changing_their_own_roles_is_forbidden(http: httpx.AsyncClient) -> None:
    # given
    me = await make_user("climber@example.com", roles=("AGENT",))
    client = await login(http, "climber@example.com")

    # when
    payload = (await client.data(USER_UPDATE, _update(me, roles=["ADMIN"], firstName="Ivy")))[
        "userUpdate"
    ]

    # then
    assert payload["user"] is None
    assert payload["errors"] == [
        {"field": "roles", "message": "You may not change this field.", "code": "FORBIDDEN"}
    ]
    assert await User.filter(id=me.id, roles__name="ADMIN").count() == 0
    await me.refresh_from_db()
    assert me.first_name == "Test"


async def test_a_user_cannot_change_their_own_email_or_activity(http: httpx.AsyncClient) -> None:
    me = await make_user("fixed@example.com")
    client = await login(http, "fixed@example.com")

    payload = (
        await client.data(USER_UPDATE, _update(me, email="other@example.com", isActive=False))
    )["userUpdate"]

    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("email", "FORBIDDEN"),
        ("isActive", "FORBIDDEN"),
    ]
    await me.refresh_from_db()
    assert (me.email, me.is_active) == ("fixed@example.com", True)


async def test_another_users_id_looks_like_no_user_at_all(agent_client: GraphQLClient) -> None:
    # given
    other = await make_user("colleague@example.com", roles=("AGENT",))
    missing = to_global_id("User", other.id + 1000)

    # when
    theirs = (await agent_client.data(USER_UPDATE, _update(other, firstName="Hacked")))[
        "userUpdate"
    ]
    nobody = (await agent_client.data(USER_UPDATE, {"input": {"id": missing, "firstName": "X"}}))[
        "userUpdate"
    ]

    # then
    assert theirs == nobody
    assert theirs["errors"] == [{"field": "id", "message": "No such user.", "code": "NOT_FOUND"}]
    await other.refresh_from_db()
    assert other.first_name == "Test"


async def test_anonymous_is_unauthenticated(anon_client: GraphQLClient) -> None:
    user = await make_user("target@example.com")

    result = await anon_client.execute(USER_UPDATE, _update(user, firstName="Anon"))

    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await user.refresh_from_db()
    assert user.first_name == "Test"


async def test_deactivation_revokes_the_users_sessions(
    http: httpx.AsyncClient, admin_client: GraphQLClient
) -> None:
    # given
    user = await make_user("leaving@example.com", roles=("AGENT",))
    session = await login(http, "leaving@example.com")

    # when
    payload = (await admin_client.data(USER_UPDATE, _update(user, isActive=False)))["userUpdate"]

    # then
    assert payload["errors"] == []
    assert payload["user"]["isActive"] is False
    assert await RefreshToken.filter(user_id=user.id, revoked_at=None).count() == 0
    refreshed = (
        await GraphQLClient(http).data(
            TOKEN_REFRESH, {"input": {"refreshToken": session.refresh_token}}
        )
    )["tokenRefresh"]
    assert refreshed["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    response = await session.post("{ viewer { id } }")
    assert response.status_code == 401


async def test_an_admin_cannot_deactivate_themselves(admin_client: GraphQLClient) -> None:
    assert admin_client.user is not None

    payload = (await admin_client.data(USER_UPDATE, _update(admin_client.user, isActive=False)))[
        "userUpdate"
    ]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("isActive", "INVALID")]
    await admin_client.user.refresh_from_db()
    assert admin_client.user.is_active is True


async def test_an_internal_user_turned_external_must_shed_roles_teams_and_manager(
    admin_client: GraphQLClient,
) -> None:
    # given
    agent = await make_user("turncoat@example.com", roles=("AGENT",))
    gid = to_global_id("User", agent.id)
    document = (
        "mutation U($input: UserUpdateInput!) "
        "{ userUpdate(input: $input) { user { userType } errors { field code } } }"
    )

    # when
    refused = await admin_client.data(document, {"input": {"id": gid, "userType": "EXTERNAL"}})
    accepted = await admin_client.data(
        document, {"input": {"id": gid, "userType": "EXTERNAL", "roles": [], "teamIds": []}}
    )

    # then
    assert refused["userUpdate"]["errors"] == [{"field": "userType", "code": "INVALID"}]
    assert accepted["userUpdate"]["user"]["userType"] == "EXTERNAL"
    assert (await User.get(id=agent.id)).user_type == UserType.EXTERNAL


async def test_a_null_manager_id_removes_the_manager(
    admin_client: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # given: an agent who reports to a manager (a null was ignored before)
    manager = await make_user("boss@example.com", roles=("MANAGER",))
    agent = await make_user("report@example.com", roles=("AGENT",), manager_id=manager.id)
    document = (
        "mutation U($input: UserUpdateInput!) "
        "{ userUpdate(input: $input) { user { id } errors { field code } } }"
    )

    # when: the agent tries on their own, then an administrator removes it
    self_service = await login(http, "report@example.com")
    refused = await self_service.data(document, _update(agent, managerId=None))
    kept = (await User.get(id=agent.id)).manager_id
    removed = await admin_client.data(document, _update(agent, managerId=None))

    # then
    assert refused["userUpdate"]["errors"] == [{"field": "managerId", "code": "FORBIDDEN"}]
    assert kept == manager.id
    assert removed["userUpdate"]["errors"] == []
    assert (await User.get(id=agent.id)).manager_id is None
