"""Live updates: `caseEvents` over graphql-transport-ws, checked for access on
every event, and carried between API processes by Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from csm_graph import clock
from csm_graph.households.models import HouseholdMember
from tests.conftest import BACKEND
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.support import GraphQLClient

SUBSCRIBE = (
    "subscription($id: ID) "
    "{ caseEvents(caseId: $id) { kind case { number state } actor { fullName email } } }"
)
COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"


@asynccontextmanager
async def subscribed(
    base_url: str, client: GraphQLClient, case_id: str | None
) -> AsyncIterator[ClientConnection]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {client.token}"}}
            )
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": case_id}},
                }
            )
        )
        await asyncio.sleep(0.3)  # let the server subscribe before events are made
        yield ws


async def next_event(ws: ClientConnection, wait: float = 5) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), wait))
    assert message["type"] == "next", message
    event: dict[str, Any] = message["payload"]["data"]["caseEvents"]
    return event


async def no_event(ws: ClientConnection, wait: float = 1.0) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), wait)


async def comment(world: World, who: str, case_id: int, body: str) -> None:
    data = await world.client(who).data(
        COMMENT, {"i": {"caseId": gid("Case", case_id), "body": body}}
    )
    assert data["caseCommentAdd"]["errors"] == []


async def test_a_subscriber_sees_events_made_by_another_client(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    async with subscribed(server_url, world.client("member"), gid("Case", case.id)) as ws:
        # when
        await comment(world, "agent", case.id, "On it")

        # then
        event = await next_event(ws)
        assert event["kind"] == "COMMENTED"
        assert event["case"]["number"] == case.number
        # the agent's name, but not their email: the field policy holds here too
        assert event["actor"] == {"fullName": "Test Agent", "email": None}


async def test_strangers_and_work_notes_produce_nothing(
    http: httpx.AsyncClient, server_url: str
) -> None:
    world = await make_world(http)
    case = await open_case(world)

    async with (
        subscribed(server_url, world.client("stranger"), None) as stranger,
        subscribed(server_url, world.client("member"), None) as member,
    ):
        await world.client("agent").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "internal", "workNote": True}}
        )
        await comment(world, "agent", case.id, "public")

        assert (await next_event(member))["kind"] == "COMMENTED"
        await no_event(stranger)


async def test_losing_access_stops_the_events(http: httpx.AsyncClient, server_url: str) -> None:
    # given: a household member (read access) subscribed to every case
    world = await make_world(http)
    case = await open_case(world)
    async with subscribed(server_url, world.client("other"), None) as ws:
        await comment(world, "agent", case.id, "first")
        assert (await next_event(ws))["kind"] == "COMMENTED"

        # when: their membership ends
        await HouseholdMember.filter(consumer_id=world.other.id).update(end_date=clock.today())
        await comment(world, "agent", case.id, "second")

        # then
        await no_event(ws)


@pytest.mark.skipif(BACKEND != "postgres", reason="crossing processes needs Redis")
async def test_an_event_made_on_one_process_reaches_a_subscriber_on_another(
    http: httpx.AsyncClient, second_server_url: str
) -> None:
    world = await make_world(http)
    case = await open_case(world)

    async with subscribed(second_server_url, world.client("member"), gid("Case", case.id)) as ws:
        await comment(world, "agent", case.id, "Made on the first process")

        event = await next_event(ws, wait=10)
        assert (event["kind"], event["case"]["number"]) == ("COMMENTED", case.number)
