"""Service accounts and API tokens: internal users that act only through
long-lived tokens, and the tokens themselves (shown once, stored hashed,
revocable, ending with their owner's sessions), over HTTP and WebSocket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.accounts import tokens
from csm_graph.accounts.models import ApiToken, User
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.schema.node import from_global_id, to_global_id
from tests.mail import Mailbox
from tests.support import LOGIN, PASSWORD, GraphQLClient, login, make_user
from tests.ws import SocketClosed, open_socket

SESSION_ENDED = 4403
SERVICE_ACCOUNT_CREATE = """
mutation($input: ServiceAccountCreateInput!) {
  serviceAccountCreate(input: $input) {
    user { id userType isServiceAccount email roles teams { id } }
    errors { field code }
  }
}
"""
API_TOKEN_CREATE = """
mutation($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) {
    token
    apiToken { id ownerId name prefix createdAt expiresAt lastUsedAt revokedAt }
    errors { field code }
  }
}
"""
API_TOKEN_REVOKE = """
mutation($input: ApiTokenRevokeInput!) {
  apiTokenRevoke(input: $input) {
    token
    apiToken { id revokedAt }
    errors { field code }
  }
}
"""
API_TOKENS = """
query($userId: ID) {
  apiTokens(userId: $userId) { edges { node { id ownerId name prefix lastUsedAt } } }
}
"""
TEAM_CREATE = """
mutation($input: TeamCreateInput!) { teamCreate(input: $input) { team { id } errors { code } } }
"""
USER_UPDATE = """
mutation($input: UserUpdateInput!) { userUpdate(input: $input) { errors { field code } } }
"""
CONSUMER_CREATE = """
mutation($input: ConsumerCreateInput!) {
  consumerCreate(input: $input) { consumer { id fullName } errors { field code } }
}
"""
USER_CREATE = """
mutation($input: UserCreateInput!) { userCreate(input: $input) { user { id } errors { code } } }
"""
ME = "{ viewer { id email userType apiTokensAllowed } }"
USERS = "{ users(first: 5) { edges { node { id } } } }"
RESET_REQUEST = """
mutation($input: PasswordResetRequestInput!) {
  passwordResetRequest(input: $input) { errors { field code } }
}
"""


async def _service_account(
    admin_client: GraphQLClient, roles: tuple[str, ...] = ("AGENT",), **extra: Any
) -> dict[str, Any]:
    payload = (
        await admin_client.data(
            SERVICE_ACCOUNT_CREATE,
            {
                "input": {
                    "name": "CRM sync",
                    "email": "crm-sync@example.com",
                    "roles": list(roles),
                    **extra,
                }
            },
        )
    )["serviceAccountCreate"]
    assert payload["errors"] == [], payload
    user: dict[str, Any] = payload["user"]
    return user


async def _issue(client: GraphQLClient, user_id: str | None = None, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "nightly export", **extra}
    if user_id is not None:
        values["userId"] = user_id
    payload: dict[str, Any] = (await client.data(API_TOKEN_CREATE, {"input": values}))[
        "apiTokenCreate"
    ]
    return payload


def _pk(issued: dict[str, Any]) -> int:
    return from_global_id(issued["apiToken"]["id"])[1]


def _as(http: httpx.AsyncClient, token: str) -> GraphQLClient:
    return GraphQLClient(http, token=token)


async def _works(client: GraphQLClient) -> bool:
    """Whether the client's token is accepted (401 UNAUTHENTICATED once not)."""
    response = await client.post(ME)
    if response.status_code == 401:
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return False
    assert response.status_code == 200, response.text
    return response.json()["data"]["viewer"] is not None


def _codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


async def test_a_service_accounts_token_reads_and_writes_within_its_role_over_http(
    http: httpx.AsyncClient, admin_client: GraphQLClient
) -> None:
    # given: an agent service account in a team, and a token for it
    team = (await admin_client.data(TEAM_CREATE, {"input": {"name": "Integrations"}}))[
        "teamCreate"
    ]["team"]
    account = await _service_account(admin_client, teamIds=[team["id"]])
    issued = await _issue(admin_client, account["id"])
    robot = _as(http, issued["token"])

    # when
    me = await robot.data(ME)
    created = (await robot.data(CONSUMER_CREATE, {"input": {"fullName": "Ann Lee"}}))[
        "consumerCreate"
    ]
    users = await robot.execute(USERS)
    user_create = await robot.execute(
        USER_CREATE, {"input": {"email": "new@example.com", "lastName": "New"}}
    )
    own_token = await _issue(robot)

    # then: an internal user with exactly its role and team
    assert account["userType"] == "INTERNAL"
    assert account["isServiceAccount"] is True
    assert account["roles"] == ["AGENT"]
    assert account["teams"] == [{"id": team["id"]}]
    assert me["viewer"] == {
        "id": account["id"],
        "email": "crm-sync@example.com",
        "userType": "INTERNAL",
        "apiTokensAllowed": False,
    }
    assert created["errors"] == []
    assert created["consumer"]["fullName"] == "Ann Lee"
    assert users["data"]["users"] is None
    assert _codes(users) == ["FORBIDDEN"]
    assert user_create["data"] is None
    assert _codes(user_create) == ["FORBIDDEN"]
    assert not await User.filter(email="new@example.com").exists()
    assert own_token["errors"] == [{"field": None, "code": "FORBIDDEN"}]


async def test_a_service_accounts_token_works_over_a_websocket_within_its_role(
    server_url: str, admin_client: GraphQLClient
) -> None:
    # given
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])

    # when
    async with open_socket(server_url, issued["token"]) as socket:
        me = await socket.execute(ME)
        created = await socket.execute(CONSUMER_CREATE, {"input": {"fullName": "Bo Chen"}})
        users = await socket.execute(USERS)

    # then
    assert me["data"]["viewer"]["id"] == account["id"]
    assert created["data"]["consumerCreate"]["errors"] == []
    assert users["data"]["users"] is None
    assert _codes(users) == ["FORBIDDEN"]


async def test_a_service_account_cannot_log_in_or_get_a_password(
    anon_client: GraphQLClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: a service account (its creation sends no set-password email)
    account = await _service_account(admin_client)
    row = await User.get(email="crm-sync@example.com")

    # when
    login_attempt = (
        await anon_client.data(
            LOGIN, {"input": {"email": "crm-sync@example.com", "password": "anything at all"}}
        )
    )["login"]
    await anon_client.data(RESET_REQUEST, {"input": {"email": "crm-sync@example.com"}})
    set_password = await admin_client.data(
        USER_UPDATE, {"input": {"id": account["id"], "password": "a long new passphrase"}}
    )
    made_external = await admin_client.data(
        USER_UPDATE, {"input": {"id": account["id"], "userType": "EXTERNAL", "roles": []}}
    )

    # then
    assert row.is_service_account
    assert row.password_hash is None
    assert login_attempt["accessToken"] is None
    assert login_attempt["errors"] == [
        {"field": None, "message": "Invalid email or password.", "code": "INVALID_CREDENTIALS"}
    ]
    assert await mailbox.settle() == []
    assert set_password["userUpdate"]["errors"] == [{"field": "password", "code": "INVALID"}]
    assert made_external["userUpdate"]["errors"] == [{"field": "userType", "code": "INVALID"}]
    after = await User.get(id=row.id)
    assert after.password_hash is None
    assert after.user_type == "INTERNAL"


async def test_a_revoked_token_fails_on_the_next_request_and_its_socket_closes(
    http: httpx.AsyncClient, server_url: str, admin_client: GraphQLClient
) -> None:
    # given: a token in use over HTTP and on an open socket, and a second token
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])
    other = await _issue(admin_client, account["id"], name="the other one")
    robot = _as(http, issued["token"])
    assert await _works(robot)

    async with (
        open_socket(server_url, issued["token"]) as socket,
        open_socket(server_url, other["token"]) as other_socket,
    ):
        # when
        revoked = (
            await admin_client.data(API_TOKEN_REVOKE, {"input": {"id": issued["apiToken"]["id"]}})
        )["apiTokenRevoke"]

        # then: its socket is closed at once, the next request refused; the
        # socket of the account's other token goes on
        assert await socket.closed() == (SESSION_ENDED, "The session ended.")
        assert (await other_socket.data(ME))["viewer"]["id"] == account["id"]
    assert revoked["errors"] == []
    assert revoked["token"] is None
    assert revoked["apiToken"]["revokedAt"] is not None
    assert await _works(robot) is False
    assert await _works(_as(http, other["token"])) is True


async def test_a_revoked_tokens_socket_on_another_process_closes(
    http: httpx.AsyncClient, second_server_url: str, admin_client: GraphQLClient
) -> None:
    # given: a socket opened with the token on the second API process
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])
    async with open_socket(second_server_url, issued["token"]) as socket:
        assert (await socket.data(ME))["viewer"]["id"] == account["id"]

        # when: it is revoked through this one
        await admin_client.data(API_TOKEN_REVOKE, {"input": {"id": issued["apiToken"]["id"]}})

        # then
        assert (await socket.closed())[0] == SESSION_ENDED


async def test_an_expired_token_fails_and_cannot_open_a_socket(
    http: httpx.AsyncClient, server_url: str, admin_client: GraphQLClient
) -> None:
    # given: a token that expires in an hour
    account = await _service_account(admin_client)
    expires = clock.now() + dt.timedelta(hours=1)
    issued = await _issue(admin_client, account["id"], expiresAt=expires.isoformat())
    robot = _as(http, issued["token"])
    assert await _works(robot)

    # when
    clock.travel(dt.timedelta(hours=1, seconds=1))

    # then
    assert await _works(robot) is False
    with pytest.raises(SocketClosed) as refused:
        async with open_socket(server_url, issued["token"]):
            pass
    assert refused.value.code == SESSION_ENDED


async def test_a_past_expiry_is_refused(admin_client: GraphQLClient) -> None:
    account = await _service_account(admin_client)

    payload = await _issue(
        admin_client, account["id"], expiresAt=(clock.now() - dt.timedelta(minutes=1)).isoformat()
    )

    assert payload["token"] is None
    assert payload["apiToken"] is None
    assert payload["errors"] == [{"field": "expiresAt", "code": "INVALID"}]
    assert await ApiToken.all().count() == 0


async def test_the_token_is_shown_once_and_only_its_hash_is_stored(
    http: httpx.AsyncClient, admin_client: GraphQLClient
) -> None:
    # given
    account = await _service_account(admin_client)

    # when
    issued = await _issue(admin_client, account["id"])
    listed = await admin_client.post(API_TOKENS, {"userId": account["id"]})
    revoked = await admin_client.post(API_TOKEN_REVOKE, {"input": {"id": issued["apiToken"]["id"]}})

    # then: a recognisable secret, in the create payload only
    secret = issued["token"]
    assert secret.startswith("csm_")
    assert len(secret) >= 40
    assert issued["apiToken"]["prefix"] == secret[:12]
    assert issued["apiToken"]["ownerId"] == account["id"]
    assert secret not in listed.text
    assert secret not in revoked.text
    assert issued["apiToken"]["prefix"] in listed.text
    row = await ApiToken.get(id=_pk(issued))
    assert row.token_hash == tokens.digest(secret)
    stored = {str(v) for v in (await ApiToken.filter(id=row.id).values())[0].values()}
    assert secret not in stored
    assert not any(secret[12:] in v for v in stored)


async def test_a_person_needs_an_administrators_leave_for_personal_tokens(
    http: httpx.AsyncClient, admin_client: GraphQLClient, agent_client: GraphQLClient
) -> None:
    # given
    assert agent_client.user is not None
    agent_id = to_global_id("User", agent_client.user.id)

    # when: asked before and after an administrator allows it
    refused = await _issue(agent_client)
    allowed = (
        await admin_client.data(USER_UPDATE, {"input": {"id": agent_id, "apiTokensAllowed": True}})
    )["userUpdate"]
    issued = await _issue(agent_client)
    own = await agent_client.data(API_TOKENS)

    # then
    assert refused["token"] is None
    assert refused["errors"] == [{"field": None, "code": "FORBIDDEN"}]
    assert allowed["errors"] == []
    assert (await agent_client.data(ME))["viewer"]["apiTokensAllowed"] is True
    assert issued["errors"] == []
    assert issued["apiToken"]["ownerId"] == agent_id
    assert (await _as(http, issued["token"]).data(ME))["viewer"]["id"] == agent_id
    assert [e["node"]["id"] for e in own["apiTokens"]["edges"]] == [issued["apiToken"]["id"]]

    # when: the leave is withdrawn, the personal token stops working
    await admin_client.data(USER_UPDATE, {"input": {"id": agent_id, "apiTokensAllowed": False}})

    # then
    assert await _works(_as(http, issued["token"])) is False


async def test_a_person_cannot_give_themselves_leave_for_tokens(
    agent_client: GraphQLClient,
) -> None:
    assert agent_client.user is not None
    agent_id = to_global_id("User", agent_client.user.id)

    payload = await agent_client.data(
        USER_UPDATE, {"input": {"id": agent_id, "apiTokensAllowed": True}}
    )

    assert payload["userUpdate"]["errors"] == [{"field": "apiTokensAllowed", "code": "FORBIDDEN"}]
    assert (await User.get(id=agent_client.user.id)).api_tokens_allowed is False


async def test_administrators_issue_tokens_for_service_accounts_only(
    admin_client: GraphQLClient, agent_client: GraphQLClient
) -> None:
    assert agent_client.user is not None

    payload = await _issue(admin_client, to_global_id("User", agent_client.user.id))

    assert payload["token"] is None
    assert payload["errors"] == [{"field": "userId", "code": "INVALID"}]


async def test_only_administrators_create_service_accounts(
    anon_client: GraphQLClient, agent_client: GraphQLClient, admin_client: GraphQLClient
) -> None:
    # given
    values = {"input": {"name": "Bot", "email": "bot@example.com", "roles": ["ADMIN"]}}

    # when
    by_agent = await agent_client.execute(SERVICE_ACCOUNT_CREATE, values)
    by_anonymous = await anon_client.post(SERVICE_ACCOUNT_CREATE, values)

    # then
    assert by_agent["data"] is None
    assert _codes(by_agent) == ["FORBIDDEN"]
    assert _codes(by_anonymous.json()) == ["UNAUTHENTICATED"]
    assert not await User.filter(email="bot@example.com").exists()


async def test_nobody_else_issues_a_token_for_a_service_account(
    admin_client: GraphQLClient, agent_client: GraphQLClient
) -> None:
    account = await _service_account(admin_client)

    payload = await _issue(agent_client, account["id"])

    assert payload["token"] is None
    assert payload["errors"] == [{"field": "userId", "code": "NOT_FOUND"}]
    assert await ApiToken.all().count() == 0


async def test_tokens_are_listed_to_administrators_and_their_owner_only(
    http: httpx.AsyncClient,
    anon_client: GraphQLClient,
    admin_client: GraphQLClient,
    agent_client: GraphQLClient,
) -> None:
    # given: a service account's token
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])
    token_id = issued["apiToken"]["id"]
    node = "query($id: ID!) { node(id: $id) { id } }"

    # when
    by_admin = await admin_client.data(API_TOKENS)
    by_owner = await _as(http, issued["token"]).data(API_TOKENS)
    by_agent = await agent_client.data(API_TOKENS, {"userId": account["id"]})
    by_anonymous = await anon_client.execute(API_TOKENS)
    agent_node = await agent_client.data(node, {"id": token_id})
    agent_revoke = (await agent_client.data(API_TOKEN_REVOKE, {"input": {"id": token_id}}))[
        "apiTokenRevoke"
    ]

    # then
    assert [e["node"]["id"] for e in by_admin["apiTokens"]["edges"]] == [token_id]
    assert [e["node"]["id"] for e in by_owner["apiTokens"]["edges"]] == [token_id]
    assert by_agent["apiTokens"]["edges"] == []
    assert by_anonymous["data"]["apiTokens"] is None
    assert _codes(by_anonymous) == ["UNAUTHENTICATED"]
    assert agent_node["node"] is None
    assert agent_revoke["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    assert await _works(_as(http, issued["token"]))


async def test_ending_the_owners_sessions_ends_their_tokens(
    http: httpx.AsyncClient, admin_client: GraphQLClient
) -> None:
    # given: a person with a personal token, and a service account with one
    person = await make_user("keen@example.com", roles=("AGENT",))
    person.api_tokens_allowed = True
    await person.save(update_fields=["api_tokens_allowed"])
    keen = await login(http, "keen@example.com")
    personal = await _issue(keen)
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])

    # when: the person logs out everywhere; the service account is deactivated
    await keen.data(
        "mutation($t: String!) { logout(input: {refreshToken: $t, everywhere: true}) { revoked } }",
        {"t": keen.refresh_token},
    )
    await admin_client.data(USER_UPDATE, {"input": {"id": account["id"], "isActive": False}})

    # then
    assert await _works(_as(http, personal["token"])) is False
    assert await _works(_as(http, issued["token"])) is False
    assert await ApiToken.filter(revoked_at=None).count() == 0


async def test_a_password_change_ends_the_persons_tokens(http: httpx.AsyncClient) -> None:
    # given: a person with a personal token
    person = await make_user("keen@example.com", roles=("AGENT",))
    person.api_tokens_allowed = True
    await person.save(update_fields=["api_tokens_allowed"])
    keen = await login(http, "keen@example.com")
    personal = await _issue(keen)
    assert await _works(_as(http, personal["token"]))

    # when: they change their password
    changed = await keen.data(
        USER_UPDATE,
        {
            "input": {
                "id": to_global_id("User", person.id),
                "password": "another long passphrase",
                "currentPassword": PASSWORD,
            }
        },
    )

    # then: the session they changed it from goes on; the token does not
    assert changed["userUpdate"]["errors"] == []
    assert await _works(keen) is True
    assert await _works(_as(http, personal["token"])) is False


async def test_a_role_change_keeps_the_token_and_applies_at_once(
    http: httpx.AsyncClient, admin_client: GraphQLClient
) -> None:
    # given
    account = await _service_account(admin_client)
    robot = _as(http, (await _issue(admin_client, account["id"]))["token"])
    assert (await robot.execute(USERS))["data"]["users"] is None

    # when
    await admin_client.data(USER_UPDATE, {"input": {"id": account["id"], "roles": ["ADMIN"]}})

    # then
    assert (await robot.data(USERS))["users"]["edges"]


async def test_last_use_is_written_at_most_once_a_minute(
    http: httpx.AsyncClient, admin_client: GraphQLClient, frozen_clock: None
) -> None:
    # given
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])
    robot = _as(http, issued["token"])
    assert issued["apiToken"]["lastUsedAt"] is None

    # when: two requests within the minute, then one after it
    await robot.data(ME)
    first = (await ApiToken.get(id=_pk(issued))).last_used_at
    clock.travel(dt.timedelta(seconds=30))
    await robot.data(ME)
    within = (await ApiToken.get(id=_pk(issued))).last_used_at
    clock.travel(dt.timedelta(seconds=31))
    await robot.data(ME)
    after = (await ApiToken.get(id=_pk(issued))).last_used_at

    # then
    assert first is not None
    assert within == first
    assert after is not None
    assert after - first == dt.timedelta(seconds=61)


async def test_creations_and_revocations_are_audited(admin_client: GraphQLClient) -> None:
    # given
    assert admin_client.user is not None
    account = await _service_account(admin_client)
    issued = await _issue(admin_client, account["id"])

    # when
    await admin_client.data(API_TOKEN_REVOKE, {"input": {"id": issued["apiToken"]["id"]}})

    # then
    owner = (await User.get(email="crm-sync@example.com")).id
    events = await AuditEvent.filter(
        kind__in=[
            AuditKind.SERVICE_ACCOUNT_CREATED,
            AuditKind.API_TOKEN_CREATED,
            AuditKind.API_TOKEN_REVOKED,
        ]
    ).order_by("id")
    assert [(e.kind, e.actor_id, e.user_id) for e in events] == [
        (AuditKind.SERVICE_ACCOUNT_CREATED, admin_client.user.id, owner),
        (AuditKind.API_TOKEN_CREATED, admin_client.user.id, owner),
        (AuditKind.API_TOKEN_REVOKED, admin_client.user.id, owner),
    ]
    assert events[1].target_id == _pk(issued)
    assert events[1].data["prefix"] == issued["token"][:12]
    assert issued["token"] not in str([e.data for e in events])
