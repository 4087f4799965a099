from __future__ import annotations

import base64
import datetime as dt
import json

import httpx

from csm_graph import clock
from tests.support import GraphQLClient, login, make_user

VIEWER = "{ viewer { id email } }"


async def test_anonymous_viewer_is_null(http: httpx.AsyncClient) -> None:
    # when
    response = await http.post("/graphql", json={"query": "{ viewer { id } }"})

    # then
    assert response.status_code == 200
    assert response.content == b'{"data":{"viewer":null}}'


async def test_viewer_is_the_logged_in_user(agent_client: GraphQLClient) -> None:
    assert agent_client.user is not None

    viewer = (await agent_client.data(VIEWER))["viewer"]

    assert viewer["email"] == "agent@example.com"


async def test_an_access_token_works_until_it_expires(http: httpx.AsyncClient) -> None:
    # given
    await make_user("short@example.com")
    client = await login(http, "short@example.com")

    # when
    clock.travel(dt.timedelta(minutes=14, seconds=50))

    # then
    assert (await client.data(VIEWER))["viewer"]["email"] == "short@example.com"


async def test_an_expired_access_token_is_refused(http: httpx.AsyncClient) -> None:
    # given
    await make_user("expired@example.com")
    client = await login(http, "expired@example.com")
    clock.travel(dt.timedelta(minutes=15, seconds=1))

    # when
    response = await client.post(VIEWER)

    # then
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_tampered_access_token_is_refused(http: httpx.AsyncClient) -> None:
    # given: the payload of a real token swapped for another user's id
    victim = await make_user("victim@example.com")
    await make_user("attacker@example.com")
    client = await login(http, "attacker@example.com")
    assert client.token is not None
    header, payload, signature = client.token.split(".")
    forged = _with_subject(payload, str(victim.id))
    client.token = f"{header}.{forged}.{signature}"

    # when
    response = await client.post(VIEWER)

    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "victim@example.com" not in response.text


async def test_a_malformed_authorization_header_is_refused(http: httpx.AsyncClient) -> None:
    for value in ("Bearer not.a.token", "Basic dXNlcjpwYXNz", "Bearer"):
        response = await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": value}
        )

        assert response.status_code == 401, value
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_deactivated_users_token_is_refused(http: httpx.AsyncClient) -> None:
    user = await make_user("suspended@example.com")
    client = await login(http, "suspended@example.com")
    user.is_active = False
    await user.save(update_fields=["is_active"])

    response = await client.post(VIEWER)

    assert response.status_code == 401


def _with_subject(segment: str, subject: str) -> str:
    padded = segment + "=" * (-len(segment) % 4)
    claims = json.loads(base64.urlsafe_b64decode(padded))
    claims["sub"] = subject
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
