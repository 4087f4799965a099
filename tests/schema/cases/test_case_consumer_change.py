"""`caseConsumerChange`: moving a case to another consumer, by the rules of
opening one; who reads it follows the move, live events included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from csm_graph.access.models import RelatedParty, RelationshipType, Responsibility
from csm_graph.accounts.models import UserType
from csm_graph.cases.models import Case, CaseActivity, CaseState
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.products.models import SoldProduct
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import join, make_household
from tests.support import login, make_user
from tests.ws import open_socket, subscribers, until

MOVE = """
mutation($i: CaseConsumerChangeInput!) {
  caseConsumerChange(input: $i) {
    case {
      number version responseDueAt resolutionDueAt
      consumer { number } household { number }
    }
    errors { field message code }
  }
}
"""
READ = "query($id: ID!) { node(id: $id) { ... on Case { number } } }"
CANCEL = "mutation($i: CaseCancelInput!) { caseCancel(input: $i) { errors { code } } }"
COMMENT = "mutation($i: CaseCommentAddInput!) { caseCommentAdd(input: $i) { errors { code } } }"
EVENTS = "subscription { caseEvents { kind case { number } } }"


def move_input(case: Case, consumer_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "i": {
            "id": gid("Case", case.id),
            "version": case.version,
            "consumerId": gid("Consumer", consumer_id),
            **extra,
        }
    }


async def move(world: World, who: str, variables: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = (await world.client(who).data(MOVE, variables))["caseConsumerChange"]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def reads(world: World, who: str, case: Case) -> bool:
    data = await world.client(who).data(READ, {"id": gid("Case", case.id)})
    return data["node"] is not None


async def test_a_move_changes_the_consumer_the_readers_and_the_due_times(
    http: httpx.AsyncClient,
) -> None:
    # given: a case of the member (BRONZE), and the stranger at GOLD, in no household
    world = await make_world(http)
    case = await open_case(world)
    await Consumer.filter(id=world.stranger.id).update(sla_level=SlaLevel.GOLD)
    assert await reads(world, "head", case)
    assert not await reads(world, "stranger", case)

    # when
    payload = await move(world, "agent", move_input(case, world.stranger.id))

    # then: the stranger's now, in no household
    assert payload["errors"] == []
    moved = payload["case"]
    assert moved["consumer"] == {"number": world.stranger.number}
    assert moved["household"] is None
    assert moved["version"] == case.version + 1
    # the due times follow GOLD's targets for priority 4 (240 and 4320 minutes, not
    # BRONZE's 1440 and 10080)
    saved = await Case.get(id=case.id)
    assert case.response_due_at is not None
    assert case.resolution_due_at is not None
    assert saved.response_due_at == case.response_due_at - dt.timedelta(minutes=1440 - 240)
    assert saved.resolution_due_at == case.resolution_due_at - dt.timedelta(minutes=10080 - 4320)
    # the old consumer's side no longer reads it; the new consumer does
    for who in ("head", "member", "other", "rep"):
        assert not await reads(world, who, case), who
    assert await reads(world, "stranger", case)
    # one internal entry per field that changed
    entries = await CaseActivity.filter(case_id=case.id, kind="FIELD_CHANGED").order_by("id")
    assert [(e.field, e.old_value, e.new_value, e.internal) for e in entries] == [
        ("consumer", world.member.number, world.stranger.number, True),
        ("household", world.household.number, "", True),
    ]


async def test_a_move_within_the_household_keeps_it_and_its_readers(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when: to the other member, the household found by itself
    payload = await move(world, "agent", move_input(case, world.other.id))

    # then
    assert payload["errors"] == []
    assert payload["case"]["household"] == {"number": world.household.number}
    assert await reads(world, "head", case)
    assert not await reads(world, "rep", case)  # represents the member, not the other
    entries = await CaseActivity.filter(case_id=case.id, kind="FIELD_CHANGED")
    assert [e.field for e in entries] == ["consumer"]


async def test_the_old_side_stops_hearing_of_the_case_and_the_new_side_starts(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the head of the old household and the stranger, listening to every case;
    # a second case of the household, which stays
    world = await make_world(http)
    case = await open_case(world)
    stays = await open_case(world, short_description="Stays")
    async with (
        open_socket(server_url, world.client("head").token) as head,
        open_socket(server_url, world.client("stranger").token) as stranger,
    ):
        head_op = await head.start(EVENTS)
        stranger_op = await stranger.start(EVENTS)
        await until(lambda: subscribers("cases") >= 2)

        # when: the case moves to the stranger; the agent comments on it, then on the other
        assert (await move(world, "agent", move_input(case, world.stranger.id)))["errors"] == []
        for commented in (case, stays):
            comment = {"i": {"caseId": gid("Case", commented.id), "body": "Update"}}
            assert (await world.client("agent").data(COMMENT, comment))["caseCommentAdd"] == {
                "errors": []
            }

        # then: the stranger hears of the moved case's comment; the head, whose events
        # come in order, hears first of the case that stayed (the move's own entry is
        # internal, and the moved case's comment is on a case they no longer read)
        event = (await stranger.result(stranger_op))["data"]["caseEvents"]
        assert event == {"kind": "COMMENTED", "case": {"number": case.number}}
        event = (await head.result(head_op))["data"]["caseEvents"]
        assert event == {"kind": "COMMENTED", "case": {"number": stays.number}}


async def test_refusals(http: httpx.AsyncClient) -> None:
    # given: the stranger in two households; a merged consumer record
    world = await make_world(http)
    case = await open_case(world)
    first, second = await make_household("First"), await make_household("Second")
    await join(first, world.stranger)
    await join(second, world.stranger)
    merged = world.other
    await Consumer.filter(id=merged.id).update(merged_into_id=world.head.id)

    # when / then
    cases = [
        (move_input(case, 999_999), [("consumerId", "NOT_FOUND")]),
        (move_input(case, merged.id), [("consumerId", "NOT_FOUND")]),
        (
            move_input(case, world.head.id, householdId=gid("Household", first.id)),
            [("householdId", "INVALID")],
        ),
        (move_input(case, world.stranger.id), [("householdId", "REQUIRED")]),
        ({"i": {**move_input(case, world.head.id)["i"], "version": 0}}, [("version", "CONFLICT")]),
    ]
    for variables, expected in cases:
        assert codes(await move(world, "agent", variables)) == expected, variables
    # an agent who does not work the case does not see it
    assert codes(await move(world, "outsider", move_input(case, world.head.id))) == [
        ("id", "NOT_FOUND")
    ]
    assert (await Case.get(id=case.id)).consumer_id == world.member.id

    # and with a household named, the stranger's case moves
    payload = await move(
        world, "agent", move_input(case, world.stranger.id, householdId=gid("Household", second.id))
    )
    assert payload["errors"] == []
    assert payload["case"]["household"] == {"number": second.number}


async def test_the_consumer_side_may_not_move_a_case(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    result = await world.client("head").execute(MOVE, move_input(case, world.head.id))

    # then
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await Case.get(id=case.id)).consumer_id == world.member.id


async def test_a_final_case_stays_where_it_is(http: httpx.AsyncClient) -> None:
    # given: a cancelled case
    world = await make_world(http)
    case = await open_case(world)
    cancel = {"i": {"caseId": gid("Case", case.id)}}
    assert (await world.client("agent").data(CANCEL, cancel))["caseCancel"]["errors"] == []
    case = await Case.get(id=case.id)
    assert case.state is CaseState.CANCELLED

    # when
    payload = await move(world, "agent", move_input(case, world.head.id))

    # then
    assert codes(payload) == [("id", "INVALID_STATE")]


async def test_a_product_the_new_consumer_does_not_own_refuses_the_move(
    http: httpx.AsyncClient,
) -> None:
    # given: a case about the member's own product, and one about the household's
    world = await make_world(http)
    own = await SoldProduct.create(name="Phone", owner_id=world.member.id)
    shared = await SoldProduct.create(
        name="Router", owner_id=world.head.id, household_id=world.household.id
    )
    about_own = await open_case(world, sold_product_id=own.id)
    about_shared = await open_case(world, sold_product_id=shared.id)

    # when / then: the stranger owns neither; the other member shares the router
    refused = await move(world, "agent", move_input(about_own, world.stranger.id))
    assert codes(refused) == [("consumerId", "INVALID")]
    assert (await move(world, "agent", move_input(about_shared, world.other.id)))["errors"] == []
    assert (await Case.get(id=about_own.id)).consumer_id == world.member.id


async def test_the_cases_own_related_parties_do_not_follow_it_to_the_new_consumer(
    http: httpx.AsyncClient,
) -> None:
    # given: the member's guarantor, related to nobody else, reads the member's case
    world = await make_world(http)
    case = await open_case(world)
    user = await make_user("guarantor@example.com", user_type=UserType.EXTERNAL)
    friend = await make_consumer(first_name="Gus", last_name="Rantor", email=user.email)
    await Consumer.filter(id=friend.id).update(user_id=user.id)
    world.clients["guarantor"] = await login(http, "guarantor@example.com")
    await RelatedParty.create(
        case_id=case.id,
        consumer_id=friend.id,
        relationship_type_id=(await RelationshipType.get(name="guarantor")).id,
        responsibility_id=(await Responsibility.get(name="case viewer")).id,
    )
    assert await reads(world, "guarantor", case)

    # when: the case was the stranger's all along
    payload = await move(world, "agent", move_input(case, world.stranger.id))

    # then: the member's guarantor neither reads it nor is listed on it
    assert payload["errors"] == []
    assert not await reads(world, "guarantor", case)
    assert not await RelatedParty.filter(case_id=case.id).exists()
    entry = await CaseActivity.get(case_id=case.id, field="relatedParties")
    assert entry.internal
    assert "guarantor" in entry.old_value
