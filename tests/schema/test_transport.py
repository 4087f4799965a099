"""GraphQL over HTTP (GET and POST), GraphiQL, and GraphQL over WebSocket."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from csm_graph.accounts.models import RefreshToken, User
from tests.support import PASSWORD, GraphQLClient, make_user

VIEWER = "query Viewer { viewer { email } }"
LOGIN = f"""
mutation Login {{
  login(input: {{email: "get@example.com", password: "{PASSWORD}"}}) {{ accessToken }}
}}
"""
SUBPROTOCOL = "graphql-transport-ws"


async def test_get_runs_a_query(agent_client: GraphQLClient) -> None:
    # when
    response = await agent_client.http.get(
        "/graphql", params={"query": VIEWER}, headers=agent_client.headers()
    )

    # then
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"email": "agent@example.com"}}}


async def test_get_with_variables(admin_client: GraphQLClient) -> None:
    assert admin_client.user is not None
    query = "query Email($first: Int) { users(first: $first) { edges { node { email } } } }"

    response = await admin_client.http.get(
        "/graphql",
        params={"query": query, "variables": json.dumps({"first": 1})},
        headers=admin_client.headers(),
    )

    assert response.json()["data"]["users"]["edges"] == [{"node": {"email": "admin@example.com"}}]


async def test_get_refuses_a_mutation_and_changes_nothing(http: httpx.AsyncClient) -> None:
    # given
    user = await make_user("get@example.com")

    # when
    response = await http.get("/graphql", params={"query": LOGIN})

    # then
    assert response.status_code == 405
    assert "accessToken" not in response.text
    assert await RefreshToken.all().count() == 0
    await user.refresh_from_db()
    assert user.last_login_at is None


async def test_post_runs_the_same_mutation(http: httpx.AsyncClient) -> None:
    await make_user("get@example.com")

    response = await http.post("/graphql", json={"query": LOGIN})

    assert response.json()["data"]["login"]["accessToken"]
    assert await RefreshToken.all().count() == 1


async def test_graphql_response_media_type_is_honoured(http: httpx.AsyncClient) -> None:
    # when
    ok = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Accept": "application/graphql-response+json"},
    )
    broken = await http.post(
        "/graphql",
        json={"query": "{ viewer { "},
        headers={"Accept": "application/graphql-response+json"},
    )

    # then
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["message"].startswith("Syntax Error")


async def test_a_browser_gets_graphiql_built_from_local_assets(http: httpx.AsyncClient) -> None:
    # when
    page = await http.get("/graphql", headers={"Accept": "text/html,application/xhtml+xml"})

    # then
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, page.text
    assert all(asset.startswith("/static/") for asset in assets), assets
    assert not re.search(r"https?://", page.text)
    for asset in assets:
        served = await http.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 0, asset


async def test_unknown_static_files_are_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/static/vendor/nope.js")

    assert response.status_code == 404


def _ws_url(server_url: str) -> str:
    return server_url.replace("http://", "ws://") + "/graphql"


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await ws.recv(decode=True))
    return message


async def test_a_query_over_websocket_sees_the_viewer(
    server_url: str, agent_client: GraphQLClient
) -> None:
    async with connect(_ws_url(server_url), subprotocols=[SUBPROTOCOL]) as ws:  # type: ignore[list-item]
        # given
        assert ws.subprotocol == SUBPROTOCOL
        init = {
            "type": "connection_init",
            "payload": {"authorization": f"Bearer {agent_client.token}"},
        }
        await ws.send(json.dumps(init))
        assert (await _receive(ws))["type"] == "connection_ack"

        # when
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))

        # then
        assert await _receive(ws) == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"viewer": {"email": "agent@example.com"}}},
        }
        assert await _receive(ws) == {"id": "1", "type": "complete"}


async def test_an_anonymous_websocket_has_no_viewer(server_url: str) -> None:
    async with connect(_ws_url(server_url), subprotocols=[SUBPROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await _receive(ws))["type"] == "connection_ack"

        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": VIEWER}}))

        assert (await _receive(ws))["payload"] == {"data": {"viewer": None}}


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic abc", 42])
async def test_a_bad_token_rejects_the_websocket(server_url: str, authorization: Any) -> None:
    async with connect(_ws_url(server_url), subprotocols=[SUBPROTOCOL]) as ws:  # type: ignore[list-item]
        # when
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": authorization}})
        )

        # then
        with pytest.raises(ConnectionClosed):
            await _receive(ws)
        assert ws.close_code == 4403
    assert await User.all().count() == 0
