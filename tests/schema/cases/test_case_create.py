from __future__ import annotations

import httpx

from csm_graph.cases.models import Case, CaseActivity
from tests.schema.cases.helpers import CASE_FIELDS, gid, make_world
from tests.schema.households.helpers import join, make_household

CASE_CREATE = f"""
mutation Create($input: CaseCreateInput!) {{
  caseCreate(input: $input) {{
    case {{ {CASE_FIELDS} openedBy {{ email }} }}
    errors {{ field message code }}
  }}
}}
"""


async def test_a_consumer_opens_a_case_for_themselves_in_their_only_household(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)

    # when
    payload = (
        await world.client("member").data(
            CASE_CREATE, {"input": {"shortDescription": "No internet", "channel": "PHONE"}}
        )
    )["caseCreate"]

    # then
    assert payload["errors"] == []
    case = payload["case"]
    assert case["number"] == "CS0001001"
    assert case["state"] == "NEW"
    assert case["consumer"]["number"] == world.member.number
    assert case["household"]["number"] == world.household.number
    assert case["channel"] == "WEB"  # the portal's channel, whatever was asked
    assert case["viewerCan"]["comment"] is True
    assert case["viewerCan"]["work"] is False


async def test_a_head_opens_a_case_for_a_member(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    payload = (
        await world.client("head").data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": "Bill too high",
                    "consumerId": gid("Consumer", world.member.id),
                }
            },
        )
    )["caseCreate"]

    assert payload["errors"] == []
    assert payload["case"]["consumer"]["number"] == world.member.number
    activity = await CaseActivity.get(case_id=(await Case.get(number=payload["case"]["number"])).id)
    assert activity.on_behalf_of_id == world.member.id


async def test_a_representative_opens_a_case_for_the_represented(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    payload = (
        await world.client("rep").data(
            CASE_CREATE,
            {"input": {"shortDescription": "Help", "consumerId": gid("Consumer", world.member.id)}},
        )
    )["caseCreate"]

    assert payload["errors"] == []
    assert payload["case"]["consumer"]["number"] == world.member.number


async def test_a_plain_member_may_not_open_a_case_for_another(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    payload = (
        await world.client("other").data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": "Sneaky",
                    "consumerId": gid("Consumer", world.member.id),
                }
            },
        )
    )["caseCreate"]

    # a fellow member she reads no case of is nobody she can see
    assert payload["errors"] == [
        {"field": "consumerId", "message": "No such consumer.", "code": "NOT_FOUND"}
    ]
    assert await Case.all().count() == 0


async def test_several_households_require_a_choice_among_them(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    second = await make_household("Second home")
    await join(second, world.member)
    elsewhere = await make_household("Not theirs")
    client = world.client("member")

    missing = (await client.data(CASE_CREATE, {"input": {"shortDescription": "Which?"}}))[
        "caseCreate"
    ]
    wrong = (
        await client.data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": "Which?",
                    "householdId": gid("Household", elsewhere.id),
                }
            },
        )
    )["caseCreate"]
    right = (
        await client.data(
            CASE_CREATE,
            {"input": {"shortDescription": "Which?", "householdId": gid("Household", second.id)}},
        )
    )["caseCreate"]

    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("householdId", "REQUIRED")]
    # a household she is not in is one she cannot see: as if it did not exist
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("householdId", "NOT_FOUND")]
    assert right["case"]["household"]["number"] == second.number


async def test_an_agent_opens_a_case_for_any_consumer_with_a_channel(
    http: httpx.AsyncClient,
) -> None:
    world = await make_world(http)

    payload = (
        await world.client("agent").data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": "Called in",
                    "consumerId": gid("Consumer", world.stranger.id),
                    "channel": "PHONE",
                    "priority": 2,
                    "assignmentTeamId": gid("Team", world.team.id),
                }
            },
        )
    )["caseCreate"]

    assert payload["errors"] == []
    assert (payload["case"]["channel"], payload["case"]["priority"]) == ("PHONE", 2)
    assert payload["case"]["openedBy"]["email"] == "agent@example.com"


async def test_bad_input_is_refused_field_by_field(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    payload = (
        await world.client("agent").data(
            CASE_CREATE,
            {
                "input": {
                    "shortDescription": " ",
                    "priority": 9,
                    "consumerId": gid("Consumer", world.member.id),
                }
            },
        )
    )["caseCreate"]

    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == [
        ("priority", "INVALID"),
        ("shortDescription", "REQUIRED"),
    ]
    assert await Case.all().count() == 0


async def test_consumers_may_not_route_cases(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    payload = (
        await world.client("member").data(
            CASE_CREATE,
            {"input": {"shortDescription": "x", "assignmentTeamId": gid("Team", world.team.id)}},
        )
    )["caseCreate"]

    assert payload["errors"][0]["field"] == "assignmentTeamId"
    assert payload["errors"][0]["code"] == "FORBIDDEN"


async def test_numbers_stay_unique_under_concurrent_creation(http: httpx.AsyncClient) -> None:
    import asyncio

    world = await make_world(http)
    client = world.client("agent")

    results = await asyncio.gather(
        *[
            client.data(
                CASE_CREATE,
                {
                    "input": {
                        "shortDescription": f"c{n}",
                        "consumerId": gid("Consumer", world.stranger.id),
                    }
                },
            )
            for n in range(12)
        ]
    )

    numbers = [r["caseCreate"]["case"]["number"] for r in results]
    assert len(set(numbers)) == 12
    assert sorted(numbers) == [f"CS{1001 + n:07d}" for n in range(12)]
