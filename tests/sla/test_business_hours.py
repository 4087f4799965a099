"""SLA clocks on business hours, over HTTP: due times across a weekend, a
holiday and clock changes, pauses across closing time, breaches, and the
time left shown to agents, in two time zones."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.engine import load_subject
from csm_graph.accounts.models import UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.services import CaseChanges
from csm_graph.consumers.models import Consumer, SlaLevel
from csm_graph.sla import services as sla
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.sla.test_sla import agent
from tests.support import login

# GOLD, priority 1: 30 minutes to respond, 480 (one office day) to resolve.
RESPONSE = dt.timedelta(minutes=30)
ONE_DAY = dt.timedelta(hours=8)

ZONES = {
    "Europe/Berlin": ("DE", "BE"),
    "America/New_York": ("US", "NY"),
}

CREATE = """
mutation($i: SlaScheduleCreateInput!) {
  slaScheduleCreate(input: $i) { schedule { id name } errors { field code message } }
}
"""
ATTACH = """
mutation($i: SlaScheduleAttachInput!) {
  slaScheduleAttach(input: $i) { schedule { id levels teams { name } } errors { field code } }
}
"""
HOLIDAY_ADD = """
mutation($i: SlaScheduleHolidayAddInput!) {
  slaScheduleHolidayAdd(input: $i) { schedule { holidays { date name } } errors { field } }
}
"""
DUE = """
query($id: ID!) {
  node(id: $id) {
    ... on Case {
      responseDueAt resolutionDueAt slaBreached
      slaClock {
        scheduleName paused openNow responseMinutesLeft resolutionMinutesLeft
      }
    }
  }
}
"""


def local(zone: str, *parts: int) -> dt.datetime:
    """A wall time in `zone` as a UTC instant."""
    return dt.datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)  # type: ignore[misc]


def stamp(instant: dt.datetime) -> str:
    """How the API writes an instant."""
    return instant.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


OFFICE = [
    {"weekday": day, "opensAt": "09:00", "closesAt": "17:00"}
    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
]


async def office_world(http: httpx.AsyncClient, zone: str, at: dt.datetime) -> World:
    """The clock stopped at `at`; a GOLD consumer; GOLD works by office hours in `zone`."""
    clock.freeze(at)
    world = await make_world(http)
    await Consumer.filter(id=world.member.id).update(sla_level=SlaLevel.GOLD)
    country, region = ZONES[zone]
    created = await world.client("admin").data(
        CREATE,
        {
            "i": {
                "name": f"Office {zone}",
                "timeZone": zone,
                "hours": OFFICE,
                "holidayCountry": country,
                "holidaySubdivision": region,
            }
        },
    )
    schedule = created["slaScheduleCreate"]["schedule"]
    assert schedule is not None, created
    world.ids["schedule"] = schedule["id"]  # type: ignore[assignment]
    attached = await world.client("admin").data(
        ATTACH, {"i": {"scheduleId": schedule["id"], "level": "GOLD"}}
    )
    assert attached["slaScheduleAttach"]["schedule"]["levels"] == ["GOLD"]
    return world


async def due(world: World, case_id: int, who: str = "agent") -> dict[str, Any]:
    """The case's SLA fields as `who` reads them, logged in afresh (the clock
    jumps days in these tests, past a token's life)."""
    client = await login(world.client(who).http, f"{who}@example.com")
    data = await client.data(DUE, {"id": gid("Case", case_id)})
    node: dict[str, Any] = data["node"]
    return node


@pytest.mark.parametrize("zone", ZONES)
async def test_due_times_skip_the_weekend(http: httpx.AsyncClient, zone: str) -> None:
    # given: Friday 2026-06-05, 15:00 local
    world = await office_world(http, zone, local(zone, 2026, 6, 5, 15, 0))

    # when
    case = await open_case(world, priority=1)

    # then: the response by 15:30; the resolution after two hours on Friday and six on Monday
    shown = await due(world, case.id)
    assert shown["responseDueAt"] == stamp(local(zone, 2026, 6, 5, 15, 30))
    assert shown["resolutionDueAt"] == stamp(local(zone, 2026, 6, 8, 15, 0))
    assert shown["slaClock"] == {
        "scheduleName": f"Office {zone}",
        "paused": False,
        "openNow": True,
        "responseMinutesLeft": 30,
        "resolutionMinutesLeft": 480,
    }


@pytest.mark.parametrize("zone", ZONES)
async def test_due_times_skip_a_public_holiday(http: httpx.AsyncClient, zone: str) -> None:
    # given: Thursday 2026-12-24, 15:00 local; Christmas Day (Friday) is a public
    # holiday in both countries
    world = await office_world(http, zone, local(zone, 2026, 12, 24, 15, 0))

    # when
    case = await open_case(world, priority=1)

    # then: two hours on Thursday, six on Monday the 28th
    shown = await due(world, case.id)
    assert shown["resolutionDueAt"] == stamp(local(zone, 2026, 12, 28, 15, 0))


@pytest.mark.parametrize("zone", ZONES)
async def test_due_times_skip_a_day_an_administrator_closed(
    http: httpx.AsyncClient, zone: str
) -> None:
    # given: Friday 2026-06-05, 15:00; the company closes on Monday the 8th
    world = await office_world(http, zone, local(zone, 2026, 6, 5, 15, 0))
    added = await world.client("admin").data(
        HOLIDAY_ADD,
        {"i": {"scheduleId": world.ids["schedule"], "date": "2026-06-08", "name": "Retreat"}},
    )

    # when
    case = await open_case(world, priority=1)

    # then: Tuesday 15:00
    assert added["slaScheduleHolidayAdd"]["schedule"]["holidays"] == [
        {"date": "2026-06-08", "name": "Retreat"}
    ]
    shown = await due(world, case.id)
    assert shown["resolutionDueAt"] == stamp(local(zone, 2026, 6, 9, 15, 0))


@pytest.mark.parametrize(
    ("zone", "friday", "monday"),
    [
        ("Europe/Berlin", (2026, 3, 27), (2026, 3, 30)),  # clocks jump forward on the 29th
        ("Europe/Berlin", (2026, 10, 23), (2026, 10, 26)),  # and fall back on the 25th
        ("America/New_York", (2026, 3, 6), (2026, 3, 9)),  # forward on the 8th
        ("America/New_York", (2026, 10, 30), (2026, 11, 2)),  # back on the 1st
    ],
    ids=["berlin-forward", "berlin-back", "new-york-forward", "new-york-back"],
)
async def test_due_times_keep_office_hours_across_a_clock_change(
    http: httpx.AsyncClient,
    zone: str,
    friday: tuple[int, int, int],
    monday: tuple[int, int, int],
) -> None:
    # given: Friday 15:00 local, before a weekend whose clocks change
    world = await office_world(http, zone, local(zone, *friday, 15, 0))

    # when
    case = await open_case(world, priority=1)

    # then: Monday 15:00 local, whatever the offset became
    opened = clock.now()
    expected = local(zone, *monday, 15, 0)
    shown = await due(world, case.id)
    assert shown["resolutionDueAt"] == stamp(expected)
    assert expected - opened != dt.timedelta(hours=72)  # the weekend was not 72 hours


@pytest.mark.parametrize("zone", ZONES)
async def test_a_pause_across_closing_time_counts_working_time_only(
    http: httpx.AsyncClient, zone: str
) -> None:
    # given: a case opened Monday 2026-06-08 10:00, due Tuesday 10:00
    world = await office_world(http, zone, local(zone, 2026, 6, 8, 10, 0))
    case = await open_case(world, priority=1)
    await cases.assign(await agent(world), case.id, None, None)

    # when: at 16:00 the agent asks the consumer, who answers Tuesday 10:00
    clock.freeze(local(zone, 2026, 6, 8, 16, 0))
    await cases.request_info(await agent(world), case.id, "Which router model?")
    clock.freeze(local(zone, 2026, 6, 8, 20, 0))
    paused = await due(world, case.id)
    clock.freeze(local(zone, 2026, 6, 9, 10, 0))
    assert world.member.user_id is not None
    member = await load_subject(Viewer(user_id=world.member.user_id, user_type=UserType.EXTERNAL))
    await cases.add_comment(member, case.id, "The X200.", work_note=False)

    # then: the pause took two working hours (16-17 and 9-10), so the
    # solution is due Tuesday 12:00; while paused the clock stood still
    assert paused["slaClock"]["paused"] is True
    assert paused["slaClock"]["openNow"] is False
    assert paused["slaClock"]["resolutionMinutesLeft"] == 120
    assert paused["slaClock"]["responseMinutesLeft"] is None  # the request answered
    resumed = await due(world, case.id)
    assert resumed["resolutionDueAt"] == stamp(local(zone, 2026, 6, 9, 12, 0))
    assert resumed["slaClock"]["paused"] is False
    assert resumed["slaClock"]["resolutionMinutesLeft"] == 120


@pytest.mark.parametrize("zone", ZONES)
async def test_a_holiday_inside_a_pause_does_not_count(http: httpx.AsyncClient, zone: str) -> None:
    # given: a case opened Friday 2026-06-05 10:00 (due Monday 10:00); Monday is closed
    world = await office_world(http, zone, local(zone, 2026, 6, 5, 10, 0))
    await world.client("admin").data(
        HOLIDAY_ADD,
        {"i": {"scheduleId": world.ids["schedule"], "date": "2026-06-08", "name": "Retreat"}},
    )
    case = await open_case(world, priority=1)
    await cases.assign(await agent(world), case.id, None, None)
    assert (await due(world, case.id))["resolutionDueAt"] == stamp(local(zone, 2026, 6, 9, 10, 0))

    # when: paused Friday 16:00 to Tuesday 10:00
    clock.freeze(local(zone, 2026, 6, 5, 16, 0))
    await cases.request_info(await agent(world), case.id, "Which router model?")
    clock.freeze(local(zone, 2026, 6, 9, 10, 0))
    assert world.member.user_id is not None
    member = await load_subject(Viewer(user_id=world.member.user_id, user_type=UserType.EXTERNAL))
    await cases.add_comment(member, case.id, "The X200.", work_note=False)

    # then: the pause was two working hours (Friday 16-17, Tuesday 9-10)
    shown = await due(world, case.id)
    assert shown["resolutionDueAt"] == stamp(local(zone, 2026, 6, 9, 12, 0))


@pytest.mark.parametrize("zone", ZONES)
async def test_a_breach_waits_for_working_time(
    http: httpx.AsyncClient, zone: str, settings: Any
) -> None:
    # given: a case opened Friday 2026-06-05 at 16:50, its response due in 30
    # working minutes: Monday 09:20
    world = await office_world(http, zone, local(zone, 2026, 6, 5, 16, 50))
    case = await open_case(world, priority=1)

    # when: the scan runs when calendar minutes would have breached it, on
    # Saturday, and on Monday after 09:20
    clock.freeze(local(zone, 2026, 6, 5, 17, 30))
    friday = await sla.mark_breaches()
    clock.freeze(local(zone, 2026, 6, 6, 12, 0))
    saturday = await sla.mark_breaches()
    clock.freeze(local(zone, 2026, 6, 8, 9, 10))
    before = await due(world, case.id)
    clock.freeze(local(zone, 2026, 6, 8, 9, 21))
    monday = await sla.mark_breaches()

    # then
    assert (friday, saturday, monday) == (0, 0, 1)
    assert before["slaClock"]["responseMinutesLeft"] == 10
    after = await due(world, case.id)
    assert after["slaBreached"] is True
    assert after["slaClock"]["responseMinutesLeft"] == -1


async def test_the_level_schedule_wins_over_the_team_schedule(http: httpx.AsyncClient) -> None:
    # given: GOLD works by Berlin hours, the team by New York hours; Friday
    # 2026-06-05 15:00 in Berlin is 09:00 in New York
    world = await office_world(http, "Europe/Berlin", local("Europe/Berlin", 2026, 6, 5, 15, 0))
    created = await world.client("admin").data(
        CREATE,
        {"i": {"name": "New York", "timeZone": "America/New_York", "hours": OFFICE}},
    )
    new_york = created["slaScheduleCreate"]["schedule"]["id"]
    attached = await world.client("admin").data(
        ATTACH, {"i": {"scheduleId": new_york, "teamId": gid("Team", world.team.id)}}
    )

    # when: a GOLD case, then (GOLD detached) another
    gold = await open_case(world, priority=1)
    detached = await world.client("admin").data(ATTACH, {"i": {"level": "GOLD"}})
    team = await open_case(world, priority=1)

    # then: Berlin hours first (Monday 15:00 Berlin), the team's after (Friday 17:00 New York)
    assert attached["slaScheduleAttach"]["schedule"]["teams"] == [{"name": "Care"}]
    assert detached["slaScheduleAttach"] == {"schedule": None, "errors": []}
    assert (await due(world, gold.id))["resolutionDueAt"] == stamp(
        local("Europe/Berlin", 2026, 6, 8, 15, 0)
    )
    shown = await due(world, team.id)
    assert shown["resolutionDueAt"] == stamp(local("America/New_York", 2026, 6, 5, 17, 0))
    assert shown["slaClock"]["scheduleName"] == "New York"


async def test_without_a_schedule_every_minute_counts(
    http: httpx.AsyncClient, frozen_clock: None
) -> None:
    # given: no schedule anywhere
    world = await make_world(http)
    await Consumer.filter(id=world.member.id).update(sla_level=SlaLevel.GOLD)

    # when
    case = await open_case(world, priority=1)

    # then: calendar minutes, and the clock says so
    shown = await due(world, case.id)
    assert shown["resolutionDueAt"] == stamp(clock.now() + ONE_DAY)
    assert shown["slaClock"] == {
        "scheduleName": None,
        "paused": False,
        "openNow": True,
        "responseMinutesLeft": 30,
        "resolutionMinutesLeft": 480,
    }


async def test_the_clock_is_for_internal_users(http: httpx.AsyncClient) -> None:
    # given
    world = await office_world(http, "Europe/Berlin", local("Europe/Berlin", 2026, 6, 5, 15, 0))
    case = await open_case(world, priority=1)

    # when
    result = await world.client("member").execute(DUE, {"id": gid("Case", case.id)})

    # then
    assert result["data"]["node"]["slaClock"] is None
    assert ["node", "slaClock"] in result["extensions"]["redactedFields"]


@pytest.mark.parametrize("zone", ZONES)
async def test_a_priority_change_moves_the_due_times_in_working_time(
    http: httpx.AsyncClient, zone: str
) -> None:
    # given: a priority-1 case opened Friday 2026-06-05 15:00, resolution due Monday 15:00
    world = await office_world(http, zone, local(zone, 2026, 6, 5, 15, 0))
    case = await open_case(world, priority=1)

    # when: priority 2 (60 and 960 minutes), then back to 1
    lowered = await cases.update_case(
        await agent(world), case.id, case.version, CaseChanges(priority=2)
    )
    at_two = await due(world, case.id)
    await cases.update_case(await agent(world), case.id, lowered.version, CaseChanges(priority=1))
    at_one = await due(world, case.id)

    # then: sixteen working hours from Friday 15:00 is Tuesday 15:00; back at
    # eight, Monday 15:00 again
    assert at_two["responseDueAt"] == stamp(local(zone, 2026, 6, 5, 16, 0))
    assert at_two["resolutionDueAt"] == stamp(local(zone, 2026, 6, 9, 15, 0))
    assert at_one["responseDueAt"] == stamp(local(zone, 2026, 6, 5, 15, 30))
    assert at_one["resolutionDueAt"] == stamp(local(zone, 2026, 6, 8, 15, 0))
