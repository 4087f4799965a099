"""`caseEvents` through the `graphql-ws` client in Node (`e2e/subscribe.mjs`):
a household member sees an agent's comment as it is made, and nothing more
once their membership has ended."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.support import GraphQLClient

E2E = Path(__file__).resolve().parents[2] / "e2e"

COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"
END_MEMBERSHIP = """
mutation($i: HouseholdMemberEndInput!) {
  householdMemberEnd(input: $i) { errors { field message code } }
}
"""


@pytest.fixture
def node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed for the graphql-ws check"
    assert (E2E / "node_modules" / "graphql-ws").is_dir(), "run `make e2e-deps` first"
    return node


class Subscriber:
    """A running `subscribe.mjs`, read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, wait: float) -> dict[str, Any]:
        assert self.process.stdout
        raw = await asyncio.wait_for(self.process.stdout.readline(), wait)
        if not raw:
            assert self.process.stderr
            stderr = await self.process.stderr.read()
            pytest.fail(f"subscribe.mjs ended ({self.process.returncode}): {stderr.decode()}")
        message: dict[str, Any] = json.loads(raw)
        return message

    async def event(self, wait: float = 5) -> dict[str, Any]:
        event: dict[str, Any] = (await self.line(wait))["event"]
        return event

    async def no_event(self, wait: float = 2) -> None:
        with pytest.raises(TimeoutError):
            await self.line(wait)


@asynccontextmanager
async def subscribe(node: str, server_url: str, client: GraphQLClient) -> AsyncIterator[Subscriber]:
    assert client.token
    process = await asyncio.create_subprocess_exec(
        node,
        str(E2E / "subscribe.mjs"),
        f"{server_url}/graphql",
        cwd=E2E,
        env={**os.environ, "CSM_TOKEN": client.token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    subscriber = Subscriber(process)
    try:
        assert await subscriber.line(wait=10) == {"connected": True}
        await asyncio.sleep(0.5)  # the subscription follows the acknowledgement
        yield subscriber
        assert process.returncode is None, "subscribe.mjs ended early"
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def comment(world: World, case_id: int, body: str) -> None:
    data = await world.client("agent").data(
        COMMENT, {"i": {"caseId": gid("Case", case_id), "body": body}}
    )
    assert data["caseCommentAdd"]["errors"] == []


async def test_a_member_hears_of_comments_until_their_membership_ends(
    http: httpx.AsyncClient, server_url: str, node: str
) -> None:
    # given: a household member (not the case's consumer) subscribed to every case
    world = await make_world(http)
    case = await open_case(world)
    async with subscribe(node, server_url, world.client("other")) as subscriber:
        # when: an agent comments
        await comment(world, case.id, "We are looking into it")

        # then
        event = await subscriber.event()
        assert event["kind"] == "COMMENTED"
        assert event["case"] == {"id": gid("Case", case.id), "number": case.number, "state": "NEW"}
        assert event["actor"] == {"fullName": "Test Agent", "email": None}

        # when: their membership ends, and the agent comments again
        ended = await world.client("agent").data(
            END_MEMBERSHIP,
            {
                "i": {
                    "householdId": gid("Household", world.household.id),
                    "consumerId": gid("Consumer", world.other.id),
                }
            },
        )
        assert ended["householdMemberEnd"]["errors"] == [], ended
        await comment(world, case.id, "Found it")

        # then: nothing more arrives, and the client is still connected
        await subscriber.no_event()
