from __future__ import annotations

import httpx

from csm_graph.cases.models import Case
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.households.helpers import make_household

CASES = """
query($filter: CaseFilter) {
  cases(first: 50, filter: $filter) { totalCount edges { node { number } } }
}
"""


def numbers(data: dict[str, object]) -> set[str]:
    return {e["node"]["number"] for e in data["cases"]["edges"]}  # type: ignore[index]


async def test_consumer_scopes_all_and_mine(http: httpx.AsyncClient) -> None:
    # given: a case about the member, one the head opened about themselves,
    # and one about a stranger
    world = await make_world(http)
    about_member = await open_case(world)
    about_head = await open_case(world, consumer_id=world.head.id)
    await open_case(world, consumer_id=world.stranger.id, household_id=None)

    # when
    member_all = await world.client("member").data(CASES, {"filter": {"scope": "ALL"}})
    member_mine = await world.client("member").data(CASES, {"filter": {"scope": "MINE"}})
    head_all = await world.client("head").data(CASES, {})

    # then
    assert numbers(member_all) == {about_member.number, about_head.number}  # household's cases
    assert numbers(member_mine) == {about_member.number}
    assert numbers(head_all) == {about_member.number, about_head.number}


async def test_agent_scope_mine_is_their_assignments(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    first, second = await open_case(world), await open_case(world)
    await Case.filter(id=first.id).update(assigned_to_id=world.ids["agent"])

    all_cases = await world.client("agent").data(CASES, {"filter": {"scope": "ALL"}})
    mine = await world.client("agent").data(CASES, {"filter": {"scope": "MINE"}})

    assert numbers(all_cases) == {first.number, second.number}
    assert numbers(mine) == {first.number}


async def test_filters_by_state_consumer_household_and_search(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    router = await open_case(world, short_description="Router down")
    bill = await open_case(world, short_description="Bill wrong", consumer_id=world.head.id)
    await Case.filter(id=bill.id).update(state="OPEN")
    other_home = await make_household("Elsewhere")
    admin = world.client("admin")

    by_state = await admin.data(CASES, {"filter": {"state": ["OPEN"]}})
    by_consumer = await admin.data(
        CASES, {"filter": {"consumerId": gid("Consumer", world.member.id)}}
    )
    by_household = await admin.data(
        CASES, {"filter": {"householdId": gid("Household", other_home.id)}}
    )
    by_search = await admin.data(CASES, {"filter": {"search": "router"}})

    assert numbers(by_state) == {bill.number}
    assert numbers(by_consumer) == {router.number}
    assert numbers(by_household) == set()
    assert numbers(by_search) == {router.number}


async def test_a_malformed_filter_id_is_a_bad_request(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    result = await world.client("admin").execute(CASES, {"filter": {"consumerId": "nonsense"}})

    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
