"""Sold products: creation, cases about them, and their related parties'
access to every case of the product."""

from __future__ import annotations

from typing import Any

import httpx

from csm_graph.schema.node import from_global_id
from tests.schema.access.helpers import PRODUCT_CREATE, add_party, doors, explain
from tests.schema.cases.helpers import World, gid, make_world, open_case

CASE_CREATE = """
mutation($input: CaseCreateInput!) {
  caseCreate(input: $input) {
    case { id number soldProduct { name } }
    errors { field code }
  }
}
"""

CONSUMER_PRODUCTS = """
query($id: ID!) { node(id: $id) { ... on Consumer { soldProducts { name serialNumber } } } }
"""


async def _product(world: World, **values: Any) -> dict[str, Any]:
    data = await world.client("agent").data(
        PRODUCT_CREATE,
        {
            "input": {
                "name": "Home loan",
                "serialNumber": "LN-001",
                "ownerId": gid("Consumer", world.member.id),
                "householdId": gid("Household", world.household.id),
                **values,
            }
        },
    )
    payload: dict[str, Any] = data["soldProductCreate"]
    return payload


async def test_an_agent_records_a_sold_product(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)

    # when
    payload = await _product(world)
    listed = await world.client("member").data(
        CONSUMER_PRODUCTS, {"id": gid("Consumer", world.member.id)}
    )
    refused = await world.client("member").execute(
        PRODUCT_CREATE,
        {"input": {"name": "X", "ownerId": gid("Consumer", world.member.id)}},
    )
    blank = await _product(world, name="  ")

    # then
    assert payload["errors"] == []
    assert payload["soldProduct"]["owner"] == {"number": world.member.number}
    assert listed["node"]["soldProducts"] == [{"name": "Home loan", "serialNumber": "LN-001"}]
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert [(e["field"], e["code"]) for e in blank["errors"]] == [("name", "REQUIRED")]


async def test_a_case_names_only_the_consumers_products(http: httpx.AsyncClient) -> None:
    # given: a product of the stranger, outside the household
    world = await make_world(http)
    theirs = await _product(
        world, ownerId=gid("Consumer", world.stranger.id), householdId=None, name="Car"
    )
    ours = await _product(world)

    # when
    refused = await world.client("agent").data(
        CASE_CREATE,
        {
            "input": {
                "shortDescription": "Payment",
                "consumerId": gid("Consumer", world.head.id),
                "soldProductId": theirs["soldProduct"]["id"],
            }
        },
    )
    household = await world.client("agent").data(
        CASE_CREATE,
        {
            "input": {
                "shortDescription": "Payment",
                "consumerId": gid("Consumer", world.head.id),
                "soldProductId": ours["soldProduct"]["id"],
            }
        },
    )

    # then
    assert refused["caseCreate"]["errors"] == [{"field": "soldProductId", "code": "INVALID"}]
    assert household["caseCreate"]["case"]["soldProduct"] == {"name": "Home loan"}


async def test_a_finance_contact_reads_every_case_of_the_product(
    http: httpx.AsyncClient,
) -> None:
    # given: a case about the product, then the stranger as its finance contact
    world = await make_world(http)
    product = (await _product(world))["soldProduct"]
    _, product_pk = from_global_id(product["id"])
    first = await open_case(world, sold_product_id=product_pk)
    unrelated = await open_case(world)
    payload = await add_party(
        world.client("agent"),
        soldProductId=product["id"],
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="finance contact",
    )

    # when: a second case about the product is opened afterwards
    second = await open_case(world, sold_product_id=product_pk)
    listed, node = await doors(world.client("stranger"), gid("Case", second.id))
    _, unrelated_node = await doors(world.client("stranger"), gid("Case", unrelated.id))
    explained = await explain(world.client("stranger"), gid("Case", first.id))

    # then
    assert payload["errors"] == []
    assert payload["relatedParty"]["responsibility"] == {"name": "case viewer"}
    assert sorted(listed) == sorted([first.number, second.number])
    assert node is not None
    assert node["viewerCan"] == {
        "read": True,
        "comment": False,
        "close": False,
        "manageRelatedParties": False,
    }
    assert unrelated_node is None
    assert explained == {
        "allowed": ["READ"],
        "grants": [
            {
                "kind": "SOLD_PRODUCT_PARTY",
                "description": f"finance contact on sold product Home loan of case "
                f"{first.number} via responsibility case viewer",
                "actions": ["READ"],
                "validUntil": None,
            }
        ],
    }
