"""Sessions that stay honest: a token proves who sent a request only while its
session holds. Logout, logging out everywhere, a password change, a reset,
deactivation and a role change each end what they should, on the next request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from csm_graph.accounts import email_tokens
from csm_graph.accounts.models import TokenPurpose, User
from tests.schema.accounts.test_logout import LOGOUT, TOKEN_REFRESH
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import PASSWORD, GraphQLClient, login, make_user

ME = "{ viewer { email } }"
USER_UPDATE = """
mutation($input: UserUpdateInput!) { userUpdate(input: $input) { errors { field code } } }
"""
NEW_PASSWORD = "a different long passphrase"


async def _works(client: GraphQLClient) -> bool:
    """Whether the client's access token is still accepted (HTTP 401 once not)."""
    response = await client.post(ME)
    if response.status_code == 401:
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return False
    assert response.status_code == 200, response.text
    return bool(response.json()["data"]["viewer"])


async def _refreshes(http: httpx.AsyncClient, client: GraphQLClient) -> bool:
    payload = (
        await GraphQLClient(http).data(
            TOKEN_REFRESH, {"input": {"refreshToken": client.refresh_token}}
        )
    )["tokenRefresh"]
    if payload["errors"]:
        return False
    client.refresh_token = payload["refreshToken"]
    return True


async def _two_sessions(http: httpx.AsyncClient) -> tuple[User, GraphQLClient, GraphQLClient]:
    user = await make_user("two@example.com", roles=("AGENT",))
    return user, await login(http, "two@example.com"), await login(http, "two@example.com")


async def test_logout_ends_the_sessions_access_token_too(http: httpx.AsyncClient) -> None:
    # given
    _, this, other = await _two_sessions(http)

    # when
    await GraphQLClient(http).data(LOGOUT, {"input": {"refreshToken": this.refresh_token}})

    # then: this session is over at once; the other goes on
    assert await _works(this) is False
    assert await _works(other) is True
    assert await _refreshes(http, other) is True


async def test_logout_everywhere_ends_every_session(http: httpx.AsyncClient) -> None:
    # given
    _, this, other = await _two_sessions(http)

    # when
    payload = await GraphQLClient(http).data(
        LOGOUT, {"input": {"refreshToken": this.refresh_token, "everywhere": True}}
    )

    # then
    assert payload["logout"]["revoked"] is True
    for client in (this, other):
        assert await _works(client) is False
        assert await _refreshes(http, client) is False


async def test_a_password_change_ends_the_users_other_sessions(http: httpx.AsyncClient) -> None:
    # given
    user, this, other = await _two_sessions(http)

    # when: the user changes their password in one session
    changed = await this.data(
        USER_UPDATE,
        {
            "input": {
                "id": gid("User", user.id),
                "password": NEW_PASSWORD,
                "currentPassword": PASSWORD,
            }
        },
    )

    # then: that session goes on; the other one's tokens stop working
    assert changed["userUpdate"]["errors"] == []
    assert await _works(this) is True
    assert await _refreshes(http, this) is True
    assert await _works(other) is False
    assert await _refreshes(http, other) is False


Change = dict[str, Any]


@pytest.mark.parametrize(
    ("change", "refresh_survives"),
    [
        ({"isActive": False}, False),
        ({"password": NEW_PASSWORD}, False),
        ({"roles": ["MANAGER"]}, True),
    ],
    ids=["deactivation", "password set by an administrator", "role change"],
)
async def test_an_administrators_change_ends_every_access_token(
    http: httpx.AsyncClient, admin_client: GraphQLClient, change: Change, refresh_survives: bool
) -> None:
    # given
    user, this, other = await _two_sessions(http)

    # when
    changed = await admin_client.data(
        USER_UPDATE, {"input": {"id": gid("User", user.id), **change}}
    )

    # then: every access token issued before fails on its next request
    assert changed["userUpdate"]["errors"] == []
    for client in (this, other):
        assert await _works(client) is False
        assert await _refreshes(http, client) is refresh_survives
    if refresh_survives:
        # a fresh token speaks with the new role
        fresh = await GraphQLClient(http).data(
            TOKEN_REFRESH, {"input": {"refreshToken": this.refresh_token}}
        )
        assert fresh["tokenRefresh"]["errors"] == []


async def test_a_password_reset_ends_every_session(http: httpx.AsyncClient) -> None:
    # given
    user, this, other = await _two_sessions(http)
    token = await email_tokens.issue_email_token(
        user, TokenPurpose.PASSWORD_RESET, dt.timedelta(hours=1)
    )

    # when
    reset = await GraphQLClient(http).data(
        "mutation($i: PasswordResetInput!) { passwordReset(input: $i) { errors { code } } }",
        {"i": {"token": token, "password": NEW_PASSWORD}},
    )

    # then
    assert reset["passwordReset"]["errors"] == []
    for client in (this, other):
        assert await _works(client) is False
        assert await _refreshes(http, client) is False
