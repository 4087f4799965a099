"""`casesBulkAssign` and `casesBulkStateChange`: each named case decided on its
own and answered in order, at a statement count that does not grow with the
number of cases."""

from __future__ import annotations

from typing import Any

import httpx

from csm_graph.accounts import users as accounts
from csm_graph.accounts.models import User
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseState
from csm_graph.notifications.models import OutboxEmail
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import STAFF
from tests.schema.households.test_household_query_count import counting_queries
from tests.ws import open_socket, subscribers, until

RESULTS = """
  results { id changed case { number state version } error { field code message } }
  errors { field code message }
"""
ASSIGN = f"""
mutation($i: CasesBulkAssignInput!) {{ casesBulkAssign(input: $i) {{ {RESULTS} }} }}
"""
STATE = f"""
mutation($i: CasesBulkStateChangeInput!) {{ casesBulkStateChange(input: $i) {{ {RESULTS} }} }}
"""
CANCEL = "mutation($i: CaseCancelInput!) { caseCancel(input: $i) { errors { code } } }"
EVENTS = "subscription { caseEvents { kind case { number } } }"


async def run(world: World, who: str, query: str, values: dict[str, Any]) -> dict[str, Any]:
    data = await world.client(who).data(query, {"i": values})
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


def outcomes(payload: dict[str, Any]) -> list[tuple[bool, str | None]]:
    return [(r["changed"], r["error"] and r["error"]["code"]) for r in payload["results"]]


async def many_cases(world: World, count: int, **values: Any) -> list[Case]:
    """`count` NEW cases of the member, routed to the world's team."""
    await Case.bulk_create(
        [
            Case(
                number=f"CS{5000 + n:07d}",
                short_description=f"Case {n}",
                consumer_id=world.member.id,
                household_id=world.household.id,
                assignment_team_id=world.team.id,
                opened_by_id=world.ids["admin"],
                **values,
            )
            for n in range(count)
        ]
    )
    return await Case.filter(number__startswith="CS0005").order_by("id")


async def test_each_id_gets_its_result_in_order(http: httpx.AsyncClient) -> None:
    # given: two cases of the team; a case of another team the agent cannot see;
    # a cancelled case
    world = await make_world(http)
    first, second = await open_case(world), await open_case(world)
    other_team = await accounts.create_team(STAFF, "Billing", [])
    hidden = await open_case(world, assignment_team_id=other_team.id)
    done = await open_case(world)
    cancel = {"i": {"caseId": gid("Case", done.id)}}
    assert (await world.client("agent").data(CANCEL, cancel))["caseCancel"]["errors"] == []
    ids = [
        gid("Case", first.id),
        "not-an-id",
        gid("Case", hidden.id),
        gid("Case", done.id),
        gid("Case", 999_999),
        gid("Consumer", world.member.id),
        gid("Case", first.id),
        gid("Case", second.id),
    ]

    # when
    payload = await run(world, "agent", STATE, {"ids": ids, "state": "CANCELLED"})

    # then
    assert payload["errors"] == []
    assert [r["id"] for r in payload["results"]] == ids
    assert outcomes(payload) == [
        (True, None),
        (False, "NOT_FOUND"),
        (False, "NOT_FOUND"),
        (False, "INVALID_STATE"),
        (False, "NOT_FOUND"),
        (False, "NOT_FOUND"),
        (False, "CONFLICT"),  # named twice: changed once, at its first position
        (True, None),
    ]
    assert [r["error"]["field"] for r in payload["results"] if r["error"]] == [
        "ids.1",
        "ids.2",
        "ids.3",
        "ids.4",
        "ids.5",
        "ids.6",
    ]
    shown = [r["case"] and r["case"]["number"] for r in payload["results"]]
    # nothing about the hidden case: null, like the bogus ids
    assert shown == [first.number, None, None, done.number, None, None, None, second.number]
    assert payload["results"][0]["case"]["state"] == "CANCELLED"
    assert (await Case.get(id=hidden.id)).state is CaseState.NEW
    entries = await CaseActivity.filter(kind=ActivityKind.STATE_CHANGED).order_by("case_id")
    assert [(e.case_id, e.old_value, e.new_value) for e in entries] == [
        (first.id, "NEW", "CANCELLED"),
        (second.id, "NEW", "CANCELLED"),
        (done.id, "NEW", "CANCELLED"),  # the single cancel of the given
    ]


async def test_more_than_100_ids_are_refused_as_a_whole(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    payload = await run(world, "agent", ASSIGN, {"ids": [gid("Case", case.id)] + ["x"] * 100})

    # then
    assert payload["results"] == []
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("ids", "INVALID")]
    assert (await Case.get(id=case.id)).assigned_to_id is None


async def test_the_statement_count_does_not_grow_with_the_number_of_cases(
    http: httpx.AsyncClient,
) -> None:
    # given: 220 NEW cases of the team
    world = await make_world(http)
    cases = await many_cases(world, 220)
    ids = [gid("Case", c.id) for c in cases]

    # when: assigning 10 and 100 (each also opens), then cancelling 10 and 100 others
    counts: dict[str, int] = {}
    for name, query, values in (
        ("assign 10", ASSIGN, {"ids": ids[:10]}),
        ("assign 100", ASSIGN, {"ids": ids[10:110]}),
        ("cancel 10", STATE, {"ids": ids[110:120], "state": "CANCELLED"}),
        ("cancel 100", STATE, {"ids": ids[120:220], "state": "CANCELLED"}),
    ):
        with counting_queries() as counter:
            payload = await run(world, "agent", query, values)
        assert all(changed for changed, _ in outcomes(payload)), payload
        counts[name] = len(counter.statements)

    # then
    assert counts["assign 10"] == counts["assign 100"], counts
    assert counts["cancel 10"] == counts["cancel 100"], counts
    assert counts["assign 100"] <= 30, counts


async def test_every_changed_case_gets_its_activity_and_events(
    http: httpx.AsyncClient, server_url: str
) -> None:
    # given: the agent listening to every case; three NEW cases
    world = await make_world(http)
    cases = await many_cases(world, 3)
    async with open_socket(server_url, world.client("agent").token) as socket:
        op = await socket.start(EVENTS)
        await until(lambda: subscribers("cases") >= 1)

        # when: assigned to the viewer
        payload = await run(world, "agent", ASSIGN, {"ids": [gid("Case", c.id) for c in cases]})

        # then: each is assigned and opened, with an entry and an event for each
        assert outcomes(payload) == [(True, None)] * 3
        assert [r["case"]["state"] for r in payload["results"]] == ["OPEN"] * 3
        events = [(await socket.result(op))["data"]["caseEvents"] for _ in range(6)]
    assert sorted((e["case"]["number"], e["kind"]) for e in events) == sorted(
        (c.number, kind) for c in cases for kind in ("ASSIGNED", "STATE_CHANGED")
    )
    for case in cases:
        saved = await Case.get(id=case.id)
        assert (saved.assigned_to_id, saved.state, saved.version) == (
            world.ids["agent"],
            CaseState.OPEN,
            case.version + 1,
        )
        entries = await CaseActivity.filter(case_id=case.id).order_by("id")
        assert [(e.kind, e.actor_id) for e in entries] == [
            (ActivityKind.ASSIGNED, world.ids["agent"]),
            (ActivityKind.STATE_CHANGED, world.ids["agent"]),
        ]

    # and assigning them again changes nothing, without an error
    again = await run(world, "agent", ASSIGN, {"ids": [gid("Case", cases[0].id)]})
    assert outcomes(again) == [(False, None)]
    assert await CaseActivity.filter(case_id=cases[0].id).count() == 2


async def test_a_proposed_solution_is_written_and_mailed_for_each_case(
    http: httpx.AsyncClient,
) -> None:
    # given: two OPEN cases and a NEW one
    world = await make_world(http)
    opened = await many_cases(world, 3)
    await Case.filter(id__in=[c.id for c in opened[:2]]).update(state=CaseState.OPEN)
    ids = [gid("Case", c.id) for c in opened]

    # when: without a resolution, then with one
    missing = await run(world, "agent", STATE, {"ids": ids, "state": "RESOLVED"})
    payload = await run(
        world,
        "agent",
        STATE,
        {"ids": ids, "state": "RESOLVED", "resolutionCode": "FIXED", "resolutionNotes": "Done."},
    )

    # then
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [
        ("resolutionCode", "REQUIRED"),
        ("resolutionNotes", "REQUIRED"),
    ]
    assert outcomes(payload) == [(True, None), (True, None), (False, "INVALID_STATE")]
    for case in opened[:2]:
        saved = await Case.get(id=case.id)
        assert (saved.state, saved.resolution_code, saved.resolution_notes) == (
            CaseState.RESOLVED,
            "FIXED",
            "Done.",
        )
        assert saved.resolved_at is not None
        assert saved.first_response_at is not None
        # the consumer side hears of it, as from `caseSolutionPropose`: the member,
        # the head of the household and the member's representative
        mails = await OutboxEmail.filter(key__startswith=f"case:{case.id}:solution:")
        assert sorted(m.recipient for m in mails) == [
            "head@example.com",
            "member@example.com",
            "rep@example.com",
        ]

    # and reopening them clears the solution's time, as a rejection does
    reopened = await run(world, "agent", STATE, {"ids": ids[:2], "state": "OPEN"})
    assert outcomes(reopened) == [(True, None), (True, None)]
    assert {
        (c.state, c.resolved_at) for c in await Case.filter(id__in=[c.id for c in opened[:2]])
    } == {(CaseState.OPEN, None)}


async def test_a_state_not_offered_in_bulk_is_refused(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = await run(world, "agent", STATE, {"ids": [gid("Case", case.id)], "state": "CLOSED"})

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("state", "INVALID")]


async def test_a_case_assigned_out_of_sight_is_answered_without_it(
    http: httpx.AsyncClient,
) -> None:
    # given: a case of the agent's team
    world = await make_world(http)
    case = await open_case(world)
    other_team = await accounts.create_team(STAFF, "Billing", [])
    outsider = await User.get(email="outsider@example.com")

    # when: the agent routes it to another team and agent
    result = await world.client("agent").execute(
        ASSIGN,
        {
            "i": {
                "ids": [gid("Case", case.id)],
                "assigneeId": gid("User", outsider.id),
                "teamId": gid("Team", other_team.id),
            }
        },
    )

    # then: changed, but no longer theirs to see
    payload = result["data"]["casesBulkAssign"]
    assert outcomes(payload) == [(True, None)]
    assert payload["results"][0]["case"] is None
    assert ["casesBulkAssign", "results", 0, "case"] in result["extensions"]["redactedFields"]
    assert (await Case.get(id=case.id)).assignment_team_id == other_team.id


async def test_consumers_may_not_change_cases_in_bulk(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)

    # when
    result = await world.client("head").execute(
        STATE, {"i": {"ids": [gid("Case", case.id)], "state": "CANCELLED"}}
    )

    # then
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    assert (await Case.get(id=case.id)).state is CaseState.NEW
