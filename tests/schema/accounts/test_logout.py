from __future__ import annotations

import httpx

from csm_graph.accounts.models import RefreshToken
from tests.support import GraphQLClient, login, make_user

LOGOUT = """
mutation Logout($input: LogoutInput!) {
  logout(input: $input) { revoked errors { field message code } }
}
"""

TOKEN_REFRESH = """
mutation TokenRefresh($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) { refreshToken errors { code } }
}
"""


async def test_logout_ends_the_session(http: httpx.AsyncClient) -> None:
    # given
    await make_user("bye@example.com")
    session = await login(http, "bye@example.com")
    anon = GraphQLClient(http)

    # when
    payload = (await anon.data(LOGOUT, {"input": {"refreshToken": session.refresh_token}}))[
        "logout"
    ]

    # then
    assert payload == {"revoked": True, "errors": []}
    refreshed = (
        await anon.data(TOKEN_REFRESH, {"input": {"refreshToken": session.refresh_token}})
    )["tokenRefresh"]
    assert refreshed == {"refreshToken": None, "errors": [{"code": "INVALID_CREDENTIALS"}]}


async def test_logout_with_a_rotated_token_ends_the_whole_login(http: httpx.AsyncClient) -> None:
    # given: a login whose token was rotated
    await make_user("rotated@example.com")
    session = await login(http, "rotated@example.com")
    anon = GraphQLClient(http)
    rotated = (await anon.data(TOKEN_REFRESH, {"input": {"refreshToken": session.refresh_token}}))[
        "tokenRefresh"
    ]["refreshToken"]

    # when
    await anon.data(LOGOUT, {"input": {"refreshToken": rotated}})

    # then
    assert await RefreshToken.filter(revoked_at=None).count() == 0
    again = (await anon.data(TOKEN_REFRESH, {"input": {"refreshToken": rotated}}))["tokenRefresh"]
    assert again["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_logout_leaves_the_users_other_sessions_alone(http: httpx.AsyncClient) -> None:
    # given
    await make_user("multi@example.com")
    phone = await login(http, "multi@example.com")
    laptop = await login(http, "multi@example.com")
    anon = GraphQLClient(http)

    # when
    await anon.data(LOGOUT, {"input": {"refreshToken": phone.refresh_token}})

    # then
    other = (await anon.data(TOKEN_REFRESH, {"input": {"refreshToken": laptop.refresh_token}}))[
        "tokenRefresh"
    ]
    assert other["errors"] == []


async def test_logout_twice_or_with_an_unknown_token_revokes_nothing(
    http: httpx.AsyncClient,
) -> None:
    # given
    await make_user("twice@example.com")
    session = await login(http, "twice@example.com")
    anon = GraphQLClient(http)
    await anon.data(LOGOUT, {"input": {"refreshToken": session.refresh_token}})

    # when
    again = (await anon.data(LOGOUT, {"input": {"refreshToken": session.refresh_token}}))["logout"]
    unknown = (await anon.data(LOGOUT, {"input": {"refreshToken": "no-such-token"}}))["logout"]

    # then
    assert again == {"revoked": False, "errors": []}
    assert unknown == {"revoked": False, "errors": []}
