"""`customFieldDefine`, `customFieldRetire` and `customFieldDefinitions`."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.customfields.models import CustomField
from tests.customfields.helpers import DEFINE
from tests.schema.cases.helpers import make_world

RETIRE = """
mutation($i: CustomFieldRetireInput!) {
  customFieldRetire(input: $i) { customField { key retiredAt } errors { field code } }
}
"""
LIST = """
query($all: Boolean!) {
  customFieldDefinitions(entity: CONSUMER, includeRetired: $all) { key label type options }
}
"""
TIER = {
    "entity": "CONSUMER",
    "key": "tier",
    "label": "Tier",
    "type": "CHOICE",
    "options": ["basic", "plus"],
    "readRules": ["consumer_service_level"],
    "writeRules": ["internal_only"],
}


async def test_an_admin_defines_a_field_and_internal_users_list_it(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)

    # when
    payload = (await world.client("admin").data(DEFINE, {"i": TIER}))["customFieldDefine"]
    listed = await world.client("agent").data(LIST, {"all": False})
    refused = await world.client("member").execute(LIST, {"all": False})

    # then
    assert payload["errors"] == []
    assert payload["customField"] == {
        "entity": "CONSUMER",
        "key": "tier",
        "label": "Tier",
        "type": "CHOICE",
        "options": ["basic", "plus"],
        "readRules": ["consumer_service_level"],
        "writeRules": ["internal_only"],
        "retiredAt": None,
    }
    assert listed["customFieldDefinitions"] == [
        {"key": "tier", "label": "Tier", "type": "CHOICE", "options": ["basic", "plus"]}
    ]
    assert refused["data"]["customFieldDefinitions"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_only_administrators_define_fields(http: httpx.AsyncClient) -> None:
    world = await make_world(http)

    result = await world.client("agent").execute(DEFINE, {"i": TIER})

    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not await CustomField.exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"readRules": ["internal_only", "everybody"]}, "readRules.1", "INVALID"),
        ({"writeRules": ["case_readers"]}, "writeRules.0", "INVALID"),
        ({"writeRules": []}, "writeRules", "REQUIRED"),
        ({"key": "Tier Level"}, "key", "INVALID"),
        ({"label": "  "}, "label", "REQUIRED"),
        ({"options": []}, "options", "REQUIRED"),
        ({"options": ["basic", "basic"]}, "options", "INVALID"),
        ({"type": "TEXT"}, "options", "INVALID"),
    ],
    ids=[
        "unknown-rule",
        "rule-of-cases",
        "no-rule",
        "key",
        "label",
        "no-options",
        "twice",
        "options-of-text",
    ],
)
async def test_a_bad_definition_is_refused_naming_the_field(
    http: httpx.AsyncClient, change: dict[str, object], field: str, code: str
) -> None:
    world = await make_world(http)

    payload = (await world.client("admin").data(DEFINE, {"i": {**TIER, **change}}))[
        "customFieldDefine"
    ]

    assert payload["customField"] is None
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in payload["errors"]
    ]
    assert not await CustomField.exists()


async def test_defining_the_key_again_changes_it_but_never_its_type(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    admin = world.client("admin")
    await admin.data(DEFINE, {"i": TIER})

    # when
    relabelled = await admin.data(DEFINE, {"i": {**TIER, "label": "Level", "options": ["plus"]}})
    retyped = await admin.data(DEFINE, {"i": {**TIER, "type": "TEXT", "options": None}})

    # then
    assert relabelled["customFieldDefine"]["customField"]["label"] == "Level"
    assert relabelled["customFieldDefine"]["customField"]["options"] == ["plus"]
    assert [(e["field"], e["code"]) for e in retyped["customFieldDefine"]["errors"]] == [
        ("type", "INVALID")
    ]
    assert (await CustomField.get(key="tier")).type == "CHOICE"


async def test_a_retired_field_is_gone_until_defined_again(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    admin = world.client("admin")
    await admin.data(DEFINE, {"i": TIER})

    # when
    retired = await admin.data(RETIRE, {"i": {"entity": "CONSUMER", "key": "tier"}})
    in_use = await admin.data(LIST, {"all": False})
    everything = await admin.data(LIST, {"all": True})
    missing = await admin.data(RETIRE, {"i": {"entity": "CASE", "key": "tier"}})

    # then
    assert retired["customFieldRetire"]["customField"]["retiredAt"] is not None
    assert in_use["customFieldDefinitions"] == []
    assert [f["key"] for f in everything["customFieldDefinitions"]] == ["tier"]
    assert missing["customFieldRetire"]["errors"] == [{"field": "key", "code": "NOT_FOUND"}]

    # when: defined again
    await admin.data(DEFINE, {"i": TIER})

    # then
    assert [
        f["key"] for f in (await admin.data(LIST, {"all": False}))["customFieldDefinitions"]
    ] == ["tier"]


async def test_retiring_a_key_longer_than_any_key_answers_no_such_field(
    http: httpx.AsyncClient,
) -> None:
    # given: a key past the column's length (the fuzz sweep found it answered
    # INTERNAL_SERVER_ERROR)
    world = await make_world(http)
    admin = world.client("admin")

    # when
    answered = await admin.data(RETIRE, {"i": {"entity": "CONSUMER", "key": "k" * 500}})

    # then
    assert answered["customFieldRetire"]["errors"] == [{"field": "key", "code": "NOT_FOUND"}]
