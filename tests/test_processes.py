"""Two API processes behind one database and Redis act as one service."""

from __future__ import annotations

import httpx

from tests.support import GraphQLClient, login, make_user

VIEWER = "query { viewer { email } }"


async def test_an_access_token_from_one_process_works_on_another(
    agent_client: GraphQLClient, second_server_url: str
) -> None:
    # given: agent_client logged in on the main test server
    async with httpx.AsyncClient(base_url=second_server_url, timeout=30) as http:
        other = GraphQLClient(http, token=agent_client.token)

        # when
        data = await other.data(VIEWER)

    # then
    assert data == {"viewer": {"email": "agent@example.com"}}


async def test_a_user_created_after_start_is_seen_by_the_other_process(
    second_server_url: str,
) -> None:
    # given: the other process is already running
    await make_user("late@example.com")

    # when
    async with httpx.AsyncClient(base_url=second_server_url, timeout=30) as http:
        client = await login(http, "late@example.com")

    # then
    assert client.token
