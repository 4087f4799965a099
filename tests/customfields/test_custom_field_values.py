"""Setting custom fields through `consumerUpdate` and `caseUpdate`: each type's
canonical form, its validation naming the item at fault, all or nothing."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.cases.models import ActivityKind, Case, CaseActivity
from csm_graph.consumers.models import Consumer
from csm_graph.customfields.models import CustomFieldEntity, CustomFieldType, CustomFieldValue
from tests.customfields.helpers import define
from tests.schema.cases.helpers import World, gid, make_world, open_case

CONSUMER_UPDATE = """
mutation($i: ConsumerUpdateInput!) {
  consumerUpdate(input: $i) {
    consumer { firstName customFields { key type value } }
    errors { field message code }
  }
}
"""
CASE_UPDATE = """
mutation($i: CaseUpdateInput!) {
  caseUpdate(input: $i) {
    case { version customFields { key value } }
    errors { field message code }
  }
}
"""
T = CustomFieldType


async def _fields(world: World) -> None:
    for key, kind in (
        ("note", T.TEXT),
        ("score", T.NUMBER),
        ("renewal", T.DATE),
        ("vip", T.BOOLEAN),
    ):
        await define(CustomFieldEntity.CONSUMER, key, kind)
    await define(CustomFieldEntity.CONSUMER, "tier", T.CHOICE, options=("basic", "plus"))


async def _update(world: World, items: list[dict[str, object]], **more: object) -> dict:
    variables = {"i": {"id": gid("Consumer", world.member.id), "customFields": items, **more}}
    return (await world.client("agent").data(CONSUMER_UPDATE, variables))["consumerUpdate"]


async def test_each_type_is_stored_and_shown_in_its_canonical_form(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    await _fields(world)

    # when
    payload = await _update(
        world,
        [
            {"key": "note", "value": "  Prefers mornings  "},
            {"key": "score", "value": "12.50"},
            {"key": "renewal", "value": "2027-02-28"},
            {"key": "vip", "value": "true"},
            {"key": "tier", "value": "plus"},
        ],
    )

    # then: by key, in canonical form
    assert payload["errors"] == []
    assert payload["consumer"]["customFields"] == [
        {"key": "note", "type": "TEXT", "value": "Prefers mornings"},
        {"key": "renewal", "type": "DATE", "value": "2027-02-28"},
        {"key": "score", "type": "NUMBER", "value": "12.5"},
        {"key": "tier", "type": "CHOICE", "value": "plus"},
        {"key": "vip", "type": "BOOLEAN", "value": "true"},
    ]

    # when: null clears a value
    cleared = await _update(world, [{"key": "score", "value": None}])

    # then
    assert {"key": "score", "type": "NUMBER", "value": None} in cleared["consumer"]["customFields"]
    assert await CustomFieldValue.filter(field__key="score").count() == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("score", "twelve"),
        ("score", "nan"),
        ("score", "1e20"),
        ("renewal", "28/02/2027"),
        ("renewal", "2027-02-30"),
        ("vip", "yes"),
        ("tier", "gold"),
        ("note", "x" * 1001),
    ],
)
async def test_a_bad_value_is_refused_naming_its_item_and_nothing_changes(
    http: httpx.AsyncClient, key: str, value: str
) -> None:
    # given: a valid value and a name change sent along with the bad one
    world = await make_world(http)
    await _fields(world)

    # when
    fine = {"key": "note", "value": "fine"} if key != "note" else {"key": "vip", "value": "true"}
    payload = await _update(world, [fine, {"key": key, "value": value}], firstName="Renamed")

    # then
    assert payload["consumer"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("customFields.1.value", "INVALID")
    ]
    assert not await CustomFieldValue.exists()
    assert (await Consumer.get(id=world.member.id)).first_name == "Member"


async def test_an_unknown_or_repeated_key_is_refused(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    await _fields(world)

    payload = await _update(
        world,
        [
            {"key": "nickname", "value": "x"},
            {"key": "vip", "value": "true"},
            {"key": "vip", "value": "false"},
        ],
    )

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("customFields.0.key", "NOT_FOUND"),
        ("customFields.2.key", "INVALID"),
    ]
    assert not await CustomFieldValue.exists()


async def test_a_case_field_change_is_a_new_version_with_its_activity(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    await define(CustomFieldEntity.CASE, "hours", T.NUMBER)

    # when
    payload = (
        await world.client("agent").data(
            CASE_UPDATE,
            {
                "i": {
                    "id": gid("Case", case.id),
                    "version": case.version,
                    "customFields": [{"key": "hours", "value": "3"}],
                }
            },
        )
    )["caseUpdate"]
    stale = (
        await world.client("agent").data(
            CASE_UPDATE,
            {
                "i": {
                    "id": gid("Case", case.id),
                    "version": case.version,
                    "customFields": [{"key": "hours", "value": "4"}],
                }
            },
        )
    )["caseUpdate"]

    # then
    assert payload["errors"] == []
    assert payload["case"]["version"] == case.version + 1
    assert payload["case"]["customFields"] == [{"key": "hours", "value": "3"}]
    entry = await CaseActivity.get(case_id=case.id, kind=ActivityKind.FIELD_CHANGED)
    assert (entry.field, entry.old_value, entry.new_value, entry.internal) == (
        "customFields.hours",
        "",
        "3",
        True,
    )
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    assert (await Case.get(id=case.id)).version == case.version + 1
    row = await CustomFieldValue.get(field__key="hours")
    assert row.number_value == 3
