"""SLA: due times from the targets, the pause while awaiting the consumer,
the first response, and a breach notified once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.engine import Subject, load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case
from csm_graph.cases.services import CaseChanges
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.sla import services as sla
from csm_graph.sla.defaults import DEFAULT_TARGETS
from csm_graph.sla.models import SlaTarget
from tests.mail import Mailbox
from tests.schema.cases.helpers import World, gid, make_world, open_case

LEVEL_PRIORITIES = [(level, priority) for level in SlaLevel for priority in (1, 2, 3, 4)]


async def agent(world: World) -> Subject:
    return await load_subject(
        Viewer(
            user_id=world.ids["agent"],
            user_type=UserType.INTERNAL,
            team_ids=frozenset({world.team.id}),
        )
    )


@pytest.fixture
async def restore_targets() -> AsyncIterator[None]:
    """SLA targets are reference data kept between tests: put the defaults back."""
    yield
    for level, by_priority in DEFAULT_TARGETS.items():
        for priority, (response, resolution) in by_priority.items():
            await SlaTarget.filter(level=level, priority=priority).update(
                response_minutes=response, resolution_minutes=resolution
            )


def test_every_level_and_priority_has_a_shipped_target() -> None:
    assert {(SlaLevel(lv), p) for lv, by in DEFAULT_TARGETS.items() for p in by} == set(
        LEVEL_PRIORITIES
    )


async def test_the_migration_seeds_every_target() -> None:
    rows = await SlaTarget.all()
    assert {(r.level, r.priority): (r.response_minutes, r.resolution_minutes) for r in rows} == {
        (SlaLevel(lv), p): t for lv, by in DEFAULT_TARGETS.items() for p, t in by.items()
    }


@pytest.mark.parametrize(("level", "priority"), LEVEL_PRIORITIES, ids=str)
async def test_due_times_follow_the_level_and_priority(
    http: httpx.AsyncClient, frozen_clock: None, level: SlaLevel, priority: int
) -> None:
    # given
    world = await make_world(http)
    await Consumer.filter(id=world.member.id).update(sla_level=level)

    # when
    case = await open_case(world, priority=priority)

    # then
    response, resolution = DEFAULT_TARGETS[level.value][priority]
    now = clock.now()
    assert case.response_due_at == now + dt.timedelta(minutes=response)
    assert case.resolution_due_at == now + dt.timedelta(minutes=resolution)


async def test_a_priority_change_recomputes_the_due_times(
    http: httpx.AsyncClient, frozen_clock: None
) -> None:
    # given: a BRONZE case at priority 4
    world = await make_world(http)
    case = await open_case(world)
    opened = clock.now()

    # when
    case = await cases.update_case(
        await agent(world), case.id, case.version, CaseChanges(priority=1)
    )

    # then
    response, resolution = DEFAULT_TARGETS["BRONZE"][1]
    stored = await Case.get(id=case.id)
    assert stored.response_due_at == opened + dt.timedelta(minutes=response)
    assert stored.resolution_due_at == opened + dt.timedelta(minutes=resolution)


async def test_awaiting_the_consumer_pauses_the_clocks(
    http: httpx.AsyncClient, frozen_clock: None
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    await cases.assign(await agent(world), case.id, None, None)
    due = (case.response_due_at, case.resolution_due_at)
    assert due[0] is not None
    assert due[1] is not None

    # when: the case awaits the consumer for three hours, then they answer
    await cases.request_info(await agent(world), case.id, "Which router model?")
    paused = await Case.get(id=case.id)
    clock.travel(dt.timedelta(hours=3))
    assert world.member.user_id is not None
    member = await load_subject(Viewer(user_id=world.member.user_id, user_type=UserType.EXTERNAL))
    await cases.add_comment(member, case.id, "The X200.", work_note=False)

    # then
    assert paused.sla_paused_at is not None
    resumed = await Case.get(id=case.id)
    assert resumed.sla_paused_at is None
    assert resumed.response_due_at == due[0] + dt.timedelta(hours=3)
    assert resumed.resolution_due_at == due[1] + dt.timedelta(hours=3)
    # the request for information was the first public reply by an internal user
    assert resumed.first_response_at == paused.first_response_at is not None


async def test_a_breach_is_marked_and_notified_once(
    http: httpx.AsyncClient, mailbox: Mailbox, frozen_clock: None, settings: Any
) -> None:
    # given: a PLATINUM priority-1 case nobody answers
    world = await make_world(http)
    await Consumer.filter(id=world.member.id).update(sla_level=SlaLevel.PLATINUM)
    case = await open_case(world, priority=1)
    await mailbox.settle()
    mailbox.clear()

    # when: the scan runs before, after, and again after the response target
    assert await sla.mark_breaches() == 0
    clock.travel(dt.timedelta(minutes=16))
    first = await sla.mark_breaches()
    again = await sla.mark_breaches()

    # then
    assert (first, again) == (1, 0)
    stored = await Case.get(id=case.id)
    assert stored.sla_breached
    assert stored.sla_breach_notified_at == clock.now()
    messages = await mailbox.settle()
    assert [m["To"] for m in messages] == ["agent@example.com"]
    assert messages[0]["Subject"] == f"[{case.number}] SLA breached: first response"


async def test_a_paused_case_does_not_breach(
    http: httpx.AsyncClient, frozen_clock: None, settings: Any
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world, priority=1)
    await cases.assign(await agent(world), case.id, None, None)
    await cases.request_info(await agent(world), case.id, "Which router model?")

    # when
    clock.travel(dt.timedelta(days=30))

    # then
    assert await sla.mark_breaches() == 0


SLA_FIELDS = """
query($id: ID!) { node(id: $id) { ... on Case { responseDueAt resolutionDueAt slaBreached } } }
"""


async def test_sla_fields_are_for_internal_users(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    variables = {"id": gid("Case", case.id)}

    # when
    internal = await world.client("agent").data(SLA_FIELDS, variables)
    consumer = await world.client("member").execute(SLA_FIELDS, variables)

    # then
    assert internal["node"]["responseDueAt"] is not None
    assert internal["node"]["slaBreached"] is False
    assert consumer["data"]["node"] == {
        "responseDueAt": None,
        "resolutionDueAt": None,
        "slaBreached": None,
    }
    assert sorted(consumer["extensions"]["redactedFields"]) == [
        ["node", "resolutionDueAt"],
        ["node", "responseDueAt"],
        ["node", "slaBreached"],
    ]


SLA_TARGET_SET = """
mutation($i: SlaTargetSetInput!) {
  slaTargetSet(input: $i) {
    target { level priority responseMinutes resolutionMinutes }
    errors { field code }
  }
}
"""


async def test_admins_set_targets_and_new_cases_use_them(
    http: httpx.AsyncClient, restore_targets: None, frozen_clock: None
) -> None:
    # given
    world = await make_world(http)
    target = {"level": "GOLD", "priority": 2, "responseMinutes": 45, "resolutionMinutes": 600}

    # when
    refused = await world.client("agent").execute(SLA_TARGET_SET, {"i": target})
    bad = await world.client("admin").data(
        SLA_TARGET_SET, {"i": {**target, "resolutionMinutes": 10}}
    )
    saved = await world.client("admin").data(SLA_TARGET_SET, {"i": target})
    await Consumer.filter(id=world.member.id).update(sla_level=SlaLevel.GOLD)
    case = await open_case(world, priority=2)

    # then
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert bad["slaTargetSet"]["errors"] == [{"field": "resolutionMinutes", "code": "INVALID"}]
    assert saved["slaTargetSet"] == {"target": target, "errors": []}
    assert case.response_due_at == clock.now() + dt.timedelta(minutes=45)
