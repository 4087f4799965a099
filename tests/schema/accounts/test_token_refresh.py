from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.schema.node import to_global_id
from tests.support import GraphQLClient, login, make_user

TOKEN_REFRESH = """
mutation TokenRefresh($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) {
    accessToken refreshToken accessTokenExpiresAt
    user { id email }
    errors { field message code }
  }
}
"""

VIEWER = "{ viewer { email } }"

INVALID = [
    {
        "field": "refreshToken",
        "message": "The refresh token is invalid or expired.",
        "code": "INVALID_CREDENTIALS",
    }
]


async def _refresh(client: GraphQLClient, token: str) -> dict[str, object]:
    result = await client.data(TOKEN_REFRESH, {"input": {"refreshToken": token}})
    payload: dict[str, object] = result["tokenRefresh"]
    return payload


async def test_refresh_rotates_the_tokens(http: httpx.AsyncClient) -> None:
    # given
    await make_user("rota@example.com")
    session = await login(http, "rota@example.com")
    assert session.refresh_token is not None

    # when
    payload = await _refresh(GraphQLClient(http), session.refresh_token)

    # then
    assert payload["errors"] == []
    assert session.user is not None
    assert payload["user"] == {
        "id": to_global_id("User", session.user.id),
        "email": "rota@example.com",
    }
    assert payload["refreshToken"] not in (None, session.refresh_token)
    renewed = GraphQLClient(http, token=str(payload["accessToken"]))
    assert (await renewed.data(VIEWER))["viewer"] == {"email": "rota@example.com"}
    follow_up = await _refresh(GraphQLClient(http), str(payload["refreshToken"]))
    assert follow_up["errors"] == []


async def test_a_spent_refresh_token_is_refused_and_revokes_its_family(
    http: httpx.AsyncClient,
) -> None:
    # given: a token rotated once, so a newer one exists
    await make_user("leak@example.com")
    session = await login(http, "leak@example.com")
    assert session.refresh_token is not None
    anon = GraphQLClient(http)
    newer = await _refresh(anon, session.refresh_token)
    assert newer["errors"] == []

    # when: the spent token is presented again (it was copied)
    replay = await _refresh(anon, session.refresh_token)

    # then: refused, and the newer token of the same login dies with it
    assert replay["accessToken"] is None
    assert replay["errors"] == INVALID
    after_replay = await _refresh(anon, str(newer["refreshToken"]))
    assert after_replay["accessToken"] is None
    assert after_replay["errors"] == INVALID


async def test_reuse_in_one_session_leaves_other_sessions_alone(http: httpx.AsyncClient) -> None:
    # given: two logins of one user
    await make_user("two@example.com")
    phone = await login(http, "two@example.com")
    laptop = await login(http, "two@example.com")
    assert phone.refresh_token is not None
    assert laptop.refresh_token is not None
    anon = GraphQLClient(http)
    await _refresh(anon, phone.refresh_token)

    # when
    await _refresh(anon, phone.refresh_token)

    # then
    assert (await _refresh(anon, laptop.refresh_token))["errors"] == []


async def test_an_expired_refresh_token_is_refused(http: httpx.AsyncClient) -> None:
    # given
    await make_user("late@example.com")
    session = await login(http, "late@example.com")
    assert session.refresh_token is not None

    # when
    clock.travel(dt.timedelta(days=30, seconds=1))
    payload = await _refresh(GraphQLClient(http), session.refresh_token)

    # then
    assert payload["accessToken"] is None
    assert payload["errors"] == INVALID


async def test_a_refresh_token_works_until_it_expires(http: httpx.AsyncClient) -> None:
    # given
    await make_user("ontime@example.com")
    session = await login(http, "ontime@example.com")
    assert session.refresh_token is not None

    # when
    clock.travel(dt.timedelta(days=29, hours=23))
    payload = await _refresh(GraphQLClient(http), session.refresh_token)

    # then
    assert payload["errors"] == []


async def test_an_unknown_refresh_token_is_refused(anon_client: GraphQLClient) -> None:
    payload = await _refresh(anon_client, "not-a-token")

    assert payload["accessToken"] is None
    assert payload["errors"] == INVALID


async def test_a_deactivated_user_cannot_refresh(http: httpx.AsyncClient) -> None:
    # given
    user = await make_user("leaver@example.com")
    session = await login(http, "leaver@example.com")
    assert session.refresh_token is not None
    user.is_active = False
    await user.save(update_fields=["is_active"])

    # when
    payload = await _refresh(GraphQLClient(http), session.refresh_token)

    # then
    assert payload["accessToken"] is None
    assert payload["errors"] == INVALID
