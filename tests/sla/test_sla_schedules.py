"""SLA schedules over HTTP: administrators create, change, close days and
attach; internal users read; bad input names its field and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from csm_graph.sla.models import SlaHoliday, SlaSchedule, SlaScheduleUse
from tests.schema.cases.helpers import World, gid, make_world

CREATE = """
mutation($i: SlaScheduleCreateInput!) {
  slaScheduleCreate(input: $i) {
    schedule {
      id name timeZone holidayCountry holidaySubdivision
      hours { weekday opensAt closesAt }
      holidays { date name }
      levels
      teams { id }
    }
    errors { field code }
  }
}
"""
UPDATE = """
mutation($i: SlaScheduleUpdateInput!) {
  slaScheduleUpdate(input: $i) {
    schedule { name timeZone holidayCountry holidaySubdivision hours { weekday opensAt closesAt } }
    errors { field code }
  }
}
"""
HOLIDAY_ADD = """
mutation($i: SlaScheduleHolidayAddInput!) {
  slaScheduleHolidayAdd(input: $i) { schedule { holidays { date name } } errors { field code } }
}
"""
HOLIDAY_REMOVE = """
mutation($i: SlaScheduleHolidayRemoveInput!) {
  slaScheduleHolidayRemove(input: $i) { schedule { holidays { date } } errors { field code } }
}
"""
ATTACH = """
mutation($i: SlaScheduleAttachInput!) {
  slaScheduleAttach(input: $i) { schedule { levels teams { id } } errors { field code } }
}
"""
DELETE = """
mutation($i: SlaScheduleDeleteInput!) {
  slaScheduleDelete(input: $i) { schedule { id name } errors { field code } }
}
"""
LIST = "{ slaSchedules { id name teams { id } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on SlaSchedule { id name } } }"

BERLIN_OFFICE = {
    "name": "Berlin office",
    "timeZone": "Europe/Berlin",
    "hours": [
        {"weekday": "MONDAY", "opensAt": "09:00", "closesAt": "12:00"},
        {"weekday": "MONDAY", "opensAt": "13:00", "closesAt": "17:30"},
        {"weekday": "SATURDAY", "opensAt": "10:00", "closesAt": "24:00"},
    ],
    "holidayCountry": "de",
    "holidaySubdivision": "by",
}


async def create(world: World, **changes: Any) -> dict[str, Any]:
    data = await world.client("admin").data(CREATE, {"i": {**BERLIN_OFFICE, **changes}})
    payload: dict[str, Any] = data["slaScheduleCreate"]
    return payload


async def test_an_administrator_creates_a_schedule(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)

    # when
    payload = await create(world)

    # then
    assert payload["errors"] == []
    schedule = payload["schedule"]
    assert schedule["name"] == "Berlin office"
    assert schedule["timeZone"] == "Europe/Berlin"
    assert (schedule["holidayCountry"], schedule["holidaySubdivision"]) == ("DE", "BY")
    assert schedule["hours"] == [
        {"weekday": "MONDAY", "opensAt": "09:00", "closesAt": "12:00"},
        {"weekday": "MONDAY", "opensAt": "13:00", "closesAt": "17:30"},
        {"weekday": "SATURDAY", "opensAt": "10:00", "closesAt": "24:00"},
    ]
    assert (schedule["holidays"], schedule["levels"], schedule["teams"]) == ([], [], [])
    stored = await SlaSchedule.get(name="Berlin office")
    assert stored.hours == [[0, 540, 720], [0, 780, 1050], [5, 600, 1440]]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": " "}, "name", "REQUIRED"),
        ({"timeZone": "Europe/Atlantis"}, "timeZone", "INVALID"),
        ({"hours": []}, "hours", "INVALID"),
        (
            {"hours": [{"weekday": "MONDAY", "opensAt": "17:00", "closesAt": "09:00"}]},
            "hours",
            "INVALID",
        ),
        (
            {
                "hours": [
                    {"weekday": "MONDAY", "opensAt": "09:00", "closesAt": "13:00"},
                    {"weekday": "MONDAY", "opensAt": "12:00", "closesAt": "17:00"},
                ]
            },
            "hours",
            "INVALID",
        ),
        (
            {"hours": [{"weekday": "MONDAY", "opensAt": "9", "closesAt": "25:00"}]},
            "hours",
            "INVALID",
        ),
        ({"holidayCountry": "XX"}, "holidayCountry", "INVALID"),
        ({"holidaySubdivision": "ZZ"}, "holidaySubdivision", "INVALID"),
        ({"holidayCountry": None, "holidaySubdivision": "BY"}, "holidaySubdivision", "INVALID"),
    ],
    ids=[
        "blank-name",
        "unknown-zone",
        "no-hours",
        "closing-before-opening",
        "overlap",
        "bad-time",
        "unknown-country",
        "unknown-region",
        "region-without-country",
    ],
)
async def test_bad_input_names_the_field_and_creates_nothing(
    http: httpx.AsyncClient, changes: dict[str, Any], field: str, code: str
) -> None:
    # given
    world = await make_world(http)

    # when
    payload = await create(world, **changes)

    # then
    assert payload == {"schedule": None, "errors": [{"field": field, "code": code}]}
    assert await SlaSchedule.all().count() == 0


async def test_a_name_is_used_once(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    await create(world)

    # when
    again = await create(world)

    # then
    assert again == {"schedule": None, "errors": [{"field": "name", "code": "CONFLICT"}]}
    assert await SlaSchedule.all().count() == 1


@pytest.mark.parametrize("who", ["agent", "manager", "member", "anonymous"])
async def test_only_administrators_change_schedules(http: httpx.AsyncClient, who: str) -> None:
    # given
    world = await make_world(http)
    existing = (await create(world))["schedule"]["id"]

    # when
    results = [
        await world.client(who).execute(CREATE, {"i": {**BERLIN_OFFICE, "name": "Other"}}),
        await world.client(who).execute(UPDATE, {"i": {"scheduleId": existing, "name": "X"}}),
        await world.client(who).execute(
            HOLIDAY_ADD, {"i": {"scheduleId": existing, "date": "2026-12-31", "name": "Eve"}}
        ),
        await world.client(who).execute(ATTACH, {"i": {"scheduleId": existing, "level": "GOLD"}}),
        await world.client(who).execute(DELETE, {"i": {"scheduleId": existing}}),
    ]

    # then
    expected = "UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN"
    assert [r["errors"][0]["extensions"]["code"] for r in results] == [expected] * 5
    assert [s.name for s in await SlaSchedule.all()] == ["Berlin office"]
    assert await SlaHoliday.all().count() == 0
    assert await SlaScheduleUse.all().count() == 0


async def test_an_administrator_changes_a_schedule(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    schedule_id = (await create(world))["schedule"]["id"]

    # when: new hours and no more holidays of a country; then a bad change
    changed = await world.client("admin").data(
        UPDATE,
        {
            "i": {
                "scheduleId": schedule_id,
                "timeZone": "America/New_York",
                "hours": [{"weekday": "FRIDAY", "opensAt": "08:00", "closesAt": "16:00"}],
                "holidayCountry": "",
                "holidaySubdivision": "",
            }
        },
    )
    refused = await world.client("admin").data(
        UPDATE, {"i": {"scheduleId": schedule_id, "timeZone": "Mars/Olympus"}}
    )
    missing = await world.client("admin").data(
        UPDATE, {"i": {"scheduleId": gid("SlaSchedule", 999), "name": "X"}}
    )

    # then
    assert changed["slaScheduleUpdate"] == {
        "schedule": {
            "name": "Berlin office",
            "timeZone": "America/New_York",
            "holidayCountry": None,
            "holidaySubdivision": None,
            "hours": [{"weekday": "FRIDAY", "opensAt": "08:00", "closesAt": "16:00"}],
        },
        "errors": [],
    }
    assert refused["slaScheduleUpdate"]["errors"] == [{"field": "timeZone", "code": "INVALID"}]
    assert missing["slaScheduleUpdate"]["errors"] == [{"field": "scheduleId", "code": "NOT_FOUND"}]
    assert (await SlaSchedule.get(name="Berlin office")).time_zone == "America/New_York"


async def test_an_administrator_closes_and_reopens_days(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    schedule_id = (await create(world))["schedule"]["id"]
    admin = world.client("admin")

    # when
    await admin.data(
        HOLIDAY_ADD, {"i": {"scheduleId": schedule_id, "date": "2026-12-31", "name": "Eve"}}
    )
    added = await admin.data(
        HOLIDAY_ADD, {"i": {"scheduleId": schedule_id, "date": "2026-08-14", "name": "Summer"}}
    )
    renamed = await admin.data(
        HOLIDAY_ADD,
        {"i": {"scheduleId": schedule_id, "date": "2026-12-31", "name": "New Year's Eve"}},
    )
    nameless = await admin.data(
        HOLIDAY_ADD, {"i": {"scheduleId": schedule_id, "date": "2026-12-30", "name": " "}}
    )
    removed = await admin.data(
        HOLIDAY_REMOVE, {"i": {"scheduleId": schedule_id, "date": "2026-08-14"}}
    )
    absent = await admin.data(
        HOLIDAY_REMOVE, {"i": {"scheduleId": schedule_id, "date": "2026-08-14"}}
    )

    # then
    assert added["slaScheduleHolidayAdd"]["schedule"]["holidays"] == [
        {"date": "2026-08-14", "name": "Summer"},
        {"date": "2026-12-31", "name": "Eve"},
    ]
    assert renamed["slaScheduleHolidayAdd"]["schedule"]["holidays"][1] == {
        "date": "2026-12-31",
        "name": "New Year's Eve",
    }
    assert nameless["slaScheduleHolidayAdd"]["errors"] == [{"field": "name", "code": "REQUIRED"}]
    assert removed["slaScheduleHolidayRemove"]["schedule"]["holidays"] == [{"date": "2026-12-31"}]
    assert absent["slaScheduleHolidayRemove"]["errors"] == [{"field": "date", "code": "NOT_FOUND"}]


async def test_an_administrator_attaches_to_levels_and_teams(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    first = (await create(world))["schedule"]["id"]
    second = (await create(world, name="Night shift"))["schedule"]["id"]
    admin = world.client("admin")
    team = gid("Team", world.team.id)

    # when: GOLD, PLATINUM and the team to the first; then GOLD moves to the second
    await admin.data(ATTACH, {"i": {"scheduleId": first, "level": "GOLD"}})
    await admin.data(ATTACH, {"i": {"scheduleId": first, "level": "PLATINUM"}})
    both = await admin.data(ATTACH, {"i": {"scheduleId": first, "teamId": team}})
    moved = await admin.data(ATTACH, {"i": {"scheduleId": second, "level": "GOLD"}})
    neither = await admin.data(ATTACH, {"i": {"scheduleId": first}})
    two = await admin.data(ATTACH, {"i": {"scheduleId": first, "level": "GOLD", "teamId": team}})
    no_team = await admin.data(ATTACH, {"i": {"scheduleId": first, "teamId": gid("Team", 999)}})

    # then
    assert both["slaScheduleAttach"]["schedule"] == {
        "levels": ["GOLD", "PLATINUM"],
        "teams": [{"id": team}],
    }
    assert moved["slaScheduleAttach"]["schedule"] == {"levels": ["GOLD"], "teams": []}
    assert neither["slaScheduleAttach"]["errors"] == [{"field": "teamId", "code": "INVALID"}]
    assert two["slaScheduleAttach"]["errors"] == [{"field": "teamId", "code": "INVALID"}]
    assert no_team["slaScheduleAttach"]["errors"] == [{"field": "teamId", "code": "NOT_FOUND"}]
    listed = await admin.data("{ slaSchedules { name levels } }")
    assert listed["slaSchedules"] == [
        {"name": "Berlin office", "levels": ["PLATINUM"]},
        {"name": "Night shift", "levels": ["GOLD"]},
    ]


async def test_an_administrator_deletes_a_schedule_no_level_or_team_works_by(
    http: httpx.AsyncClient,
) -> None:
    # given two schedules: one GOLD works by, one with a holiday that nothing uses
    world = await make_world(http)
    admin = world.client("admin")
    used = (await create(world))["schedule"]["id"]
    spare = (await create(world, name="Night shift"))["schedule"]["id"]
    holiday = {"scheduleId": spare, "date": "2026-12-24", "name": "Eve"}
    await admin.data(HOLIDAY_ADD, {"i": holiday})
    await admin.data(ATTACH, {"i": {"scheduleId": used, "level": "GOLD"}})

    # when each is deleted, and the spare one again
    in_use = (await admin.data(DELETE, {"i": {"scheduleId": used}}))["slaScheduleDelete"]
    deleted = (await admin.data(DELETE, {"i": {"scheduleId": spare}}))["slaScheduleDelete"]
    again = (await admin.data(DELETE, {"i": {"scheduleId": spare}}))["slaScheduleDelete"]

    # then the one in use stays, the spare one goes with its holiday, once
    assert in_use == {
        "schedule": None,
        "errors": [{"field": "scheduleId", "code": "INVALID_STATE"}],
    }
    assert deleted == {"schedule": {"id": spare, "name": "Night shift"}, "errors": []}
    assert again == {"schedule": None, "errors": [{"field": "scheduleId", "code": "NOT_FOUND"}]}
    assert [s.name for s in await SlaSchedule.all()] == ["Berlin office"]
    assert await SlaHoliday.all().count() == 0
    assert (await admin.data(NODE, {"id": spare}))["node"] is None

    # and once GOLD works by none, the other goes too
    await admin.data(ATTACH, {"i": {"level": "GOLD"}})
    gone = (await admin.data(DELETE, {"i": {"scheduleId": used}}))["slaScheduleDelete"]
    assert gone["errors"] == []
    assert await SlaSchedule.all().count() == 0


async def test_schedules_are_listed_for_internal_users_only(http: httpx.AsyncClient) -> None:
    # given: a schedule a team works by
    world = await make_world(http)
    schedule_id = (await create(world))["schedule"]["id"]
    team = gid("Team", world.team.id)
    await world.client("admin").data(ATTACH, {"i": {"scheduleId": schedule_id, "teamId": team}})

    # when
    agent = await world.client("agent").data(LIST)
    member = await world.client("member").execute(LIST)
    anonymous = await world.client("anonymous").execute(LIST)
    by_node = {
        who: await world.client(who).data(NODE, {"id": schedule_id}) for who in ("agent", "member")
    }

    # then: internal users see it and its teams; others get null, as for no such object
    assert agent["slaSchedules"] == [
        {"id": schedule_id, "name": "Berlin office", "teams": [{"id": team}]}
    ]
    assert member["data"]["slaSchedules"] is None
    assert member["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert anonymous["data"]["slaSchedules"] is None
    assert by_node["agent"]["node"] == {"id": schedule_id, "name": "Berlin office"}
    assert by_node["member"]["node"] is None
