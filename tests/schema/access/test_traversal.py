"""Traversal shows no more than `node(id:)`: every object reached through a
case (its consumer's products and households, its household, its team, its
parties) is shown only to viewers the object's own rule lets see it."""

from __future__ import annotations

from typing import Any

import httpx

from csm_graph.households.models import Relationship
from tests.schema.access.helpers import PRODUCT_CREATE, add_party
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.households.helpers import join, make_household

AROUND_THE_CASE = """
query($id: ID!) {
  node(id: $id) {
    ... on Case {
      household { name address { line1 } }
      assignmentTeam { name members { email } }
      consumer {
        number
        soldProducts { id serialNumber }
        households { name address { line1 } }
      }
      relatedParties { displayName consumer { number } relationshipType { name } }
    }
  }
}
"""

BY_ID = "query($id: ID!) { node(id: $id) { id } }"


async def _product(world: World, serial: str, household: bool) -> str:
    data = await world.client("agent").data(
        PRODUCT_CREATE,
        {
            "input": {
                "name": serial,
                "serialNumber": serial,
                "ownerId": gid("Consumer", world.member.id),
                "householdId": gid("Household", world.household.id) if household else None,
            }
        },
    )
    product_id: str = data["soldProductCreate"]["soldProduct"]["id"]
    return product_id


async def _scene(http: httpx.AsyncClient) -> tuple[World, str, dict[str, str]]:
    """The member's case, a guarantor on it, and two products and two households
    of the member: one of each shared with the household, one not."""
    world = await make_world(http)
    await join(await make_household("Elsewhere"), world.member, Relationship.HEAD)
    products = {
        "shared": await _product(world, "LN-001", household=True),
        "private": await _product(world, "CAR-9", household=False),
    }
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    payload = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="guarantor",
    )
    assert payload["errors"] == []
    return world, case_gid, products


async def _around(world: World, who: str, case_gid: str) -> tuple[dict[str, Any], list[Any]]:
    result = await world.client(who).execute(AROUND_THE_CASE, {"id": case_gid})
    assert "errors" not in result, result
    return result["data"]["node"], result.get("extensions", {}).get("redactedFields", [])


async def _node_ids(world: World, who: str, ids: list[str]) -> set[str]:
    found = set()
    for object_id in ids:
        data = await world.client(who).data(BY_ID, {"id": object_id})
        if data["node"] is not None:
            found.add(data["node"]["id"])
    return found


async def test_a_plain_member_reaches_only_what_she_could_fetch(http: httpx.AsyncClient) -> None:
    # given: "other" is a non-head member reading the member's case
    world, case_gid, products = await _scene(http)

    # when
    seen, redacted = await _around(world, "other", case_gid)

    # then: the household's product only, and only the household she is in
    consumer = seen["consumer"]
    assert consumer["number"] == world.member.number
    assert [p["serialNumber"] for p in consumer["soldProducts"]] == ["LN-001"]
    assert consumer["households"] == [{"name": "The Does", "address": {"line1": ""}}]
    assert {p["id"] for p in consumer["soldProducts"]} == await _node_ids(
        world, "other", list(products.values())
    )
    # staff and the other parties are not hers to see
    assert seen["assignmentTeam"] is None
    assert seen["relatedParties"] == []
    assert ["node", "assignmentTeam"] in redacted


async def test_a_guarantor_reaches_the_case_but_nothing_around_it(
    http: httpx.AsyncClient,
) -> None:
    # given: the stranger is the case's guarantor
    world, case_gid, products = await _scene(http)

    # when
    seen, redacted = await _around(world, "stranger", case_gid)

    # then: whose case it is, and their own party row, nothing more
    assert seen["consumer"]["number"] == world.member.number
    assert seen["consumer"]["soldProducts"] == []
    assert seen["consumer"]["households"] == []
    assert await _node_ids(world, "stranger", list(products.values())) == set()
    assert seen["household"] is None
    assert seen["assignmentTeam"] is None
    assert seen["relatedParties"] == [
        {
            "displayName": "Stranger Doe",
            "consumer": {"number": world.stranger.number},
            "relationshipType": {"name": "guarantor"},
        }
    ]
    assert ["node", "household"] in redacted
    assert ["node", "assignmentTeam"] in redacted


async def test_the_case_consumer_sees_who_is_related_but_not_their_record(
    http: httpx.AsyncClient,
) -> None:
    # given
    world, case_gid, _ = await _scene(http)

    # when
    seen, redacted = await _around(world, "member", case_gid)

    # then: the guarantor's name and role, not their consumer record
    assert seen["relatedParties"] == [
        {
            "displayName": "Stranger Doe",
            "consumer": None,
            "relationshipType": {"name": "guarantor"},
        }
    ]
    assert ["node", "relatedParties", 0, "consumer"] in redacted
    assert {p["serialNumber"] for p in seen["consumer"]["soldProducts"]} == {"LN-001", "CAR-9"}
    assert {h["name"] for h in seen["consumer"]["households"]} == {"The Does", "Elsewhere"}


async def test_an_agent_of_the_team_sees_it_all(http: httpx.AsyncClient) -> None:
    # given
    world, case_gid, _ = await _scene(http)

    # when
    seen, redacted = await _around(world, "agent", case_gid)

    # then
    assert seen["assignmentTeam"] == {"name": "Care", "members": [{"email": "agent@example.com"}]}
    assert seen["household"]["name"] == "The Does"
    assert seen["relatedParties"][0]["consumer"] == {"number": world.stranger.number}
    assert redacted == []
