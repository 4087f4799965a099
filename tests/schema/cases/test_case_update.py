from __future__ import annotations

import httpx

from csm_graph.cases.models import Case, CaseActivity
from tests.schema.cases.helpers import gid, make_world, open_case

UPDATE = """
mutation($i: CaseUpdateInput!) {
  caseUpdate(input: $i) { case { priority version shortDescription } errors { field message code } }
}
"""


async def test_an_update_at_the_current_version_applies_and_is_recorded(
    http: httpx.AsyncClient,
) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("agent").data(
            UPDATE, {"i": {"id": gid("Case", case.id), "version": case.version, "priority": 1}}
        )
    )["caseUpdate"]

    assert payload["case"]["priority"] == 1
    assert payload["case"]["version"] == case.version + 1
    change = await CaseActivity.get(case_id=case.id, kind="FIELD_CHANGED")
    assert (change.field, change.old_value, change.new_value) == ("priority", "4", "1")


async def test_a_stale_version_is_a_conflict_and_changes_nothing(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)
    client = world.client("agent")
    await client.data(
        UPDATE, {"i": {"id": gid("Case", case.id), "version": case.version, "priority": 2}}
    )

    stale = (
        await client.data(
            UPDATE,
            {
                "i": {
                    "id": gid("Case", case.id),
                    "version": case.version,
                    "shortDescription": "Lost",
                }
            },
        )
    )["caseUpdate"]

    assert [(e["field"], e["code"]) for e in stale["errors"]] == [("version", "CONFLICT")]
    assert (await Case.get(id=case.id)).short_description == "Router keeps rebooting"


async def test_consumers_may_not_edit_case_fields(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("member").data(
            UPDATE, {"i": {"id": gid("Case", case.id), "version": case.version, "priority": 1}}
        )
    )["caseUpdate"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "FORBIDDEN")]
