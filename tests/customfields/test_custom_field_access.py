"""Who reads and who writes a custom field: the triad (anonymous, a viewer the
field's rule refuses, a viewer it admits) for every rule a field may name,
on consumers and on cases, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm_graph.cases.models import Case
from csm_graph.customfields.models import CustomFieldEntity, CustomFieldValue
from csm_graph.schema.customfields.rules import RULES
from tests.customfields.helpers import define, set_value
from tests.schema.cases.helpers import World, gid, make_world, open_case

READ = """
query($id: ID!) {
  node(id: $id) {
    ... on Consumer { customFields { key label type value } }
    ... on Case { customFields { key label type value } }
  }
}
"""
CONSUMER_UPDATE = """
mutation($i: ConsumerUpdateInput!) {
  consumerUpdate(input: $i) { consumer { customFields { key value } } errors { field code } }
}
"""
CASE_UPDATE = """
mutation($i: CaseUpdateInput!) {
  caseUpdate(input: $i) { case { version customFields { key value } } errors { field code } }
}
"""


@dataclass(frozen=True)
class Triad:
    entity: CustomFieldEntity
    rule: str
    refused: str
    admitted: str
    sees_record: bool = True
    """Whether the refused viewer sees the record itself (else it is simply absent)."""


CONSUMER = CustomFieldEntity.CONSUMER
CASE = CustomFieldEntity.CASE

READS = [
    Triad(CONSUMER, "internal_only", refused="member", admitted="agent"),
    Triad(CONSUMER, "consumer_contact", refused="other", admitted="head"),
    Triad(CONSUMER, "consumer_service_level", refused="head", admitted="member"),
    Triad(CONSUMER, "consumer_login", refused="agent", admitted="admin"),
    Triad(CASE, "internal_only", refused="member", admitted="agent"),
    Triad(CASE, "case_service_times", refused="head", admitted="agent"),
    Triad(CASE, "case_readers", refused="stranger", admitted="member", sees_record=False),
]
WRITES = [
    Triad(CONSUMER, "internal_only", refused="member", admitted="agent"),
    Triad(CONSUMER, "consumer_contact", refused="head", admitted="member"),
    Triad(CONSUMER, "consumer_service_level", refused="head", admitted="member"),
    Triad(CONSUMER, "consumer_login", refused="agent", admitted="admin"),
    Triad(CASE, "internal_only", refused="member", admitted="agent"),
    Triad(CASE, "case_service_times", refused="head", admitted="agent"),
    Triad(CASE, "case_readers", refused="member", admitted="agent"),
]


def test_every_rule_has_a_read_and_a_write_triad() -> None:
    for triads in (READS, WRITES):
        covered = {(t.entity, t.rule) for t in triads}
        offered = {(entity, name) for entity, rules in RULES.items() for name in rules}
        assert covered == offered


async def _record(world: World, entity: CustomFieldEntity) -> int:
    # A case about the member either way: household members see the member through it.
    case = await open_case(world)
    return world.member.id if entity is CONSUMER else case.id


def _gid(entity: CustomFieldEntity, pk: int) -> str:
    return gid("Consumer" if entity is CONSUMER else "Case", pk)


@pytest.mark.parametrize("triad", READS, ids=lambda t: f"{t.entity}-{t.rule}")
async def test_a_field_is_read_only_by_those_its_read_rule_admits(
    http: httpx.AsyncClient, triad: Triad
) -> None:
    # given: a field only the rule opens, with a value, and an open one beside it
    world = await make_world(http)
    pk = await _record(world, triad.entity)
    await define(triad.entity, "secret", read=(triad.rule,))
    await define(triad.entity, "public", read=tuple(RULES[triad.entity]))
    await set_value(triad.entity, pk, "secret", "s3")
    variables = {"id": _gid(triad.entity, pk)}

    # when
    anonymous = await world.client("anonymous").execute(READ, variables)
    refused = await world.client(triad.refused).execute(READ, variables)
    admitted = await world.client(triad.admitted).execute(READ, variables)

    # then: nobody anonymous sees the record at all
    assert anonymous["data"]["node"] is None
    # the refused viewer gets the record without the field, its path listed
    if triad.sees_record:
        keys = [f["key"] for f in refused["data"]["node"]["customFields"]]
        assert "secret" not in keys
        assert ["node", "customFields", "secret"] in refused["extensions"]["redactedFields"]
    else:
        assert refused["data"]["node"] is None
    # the admitted viewer reads it, with its label and type
    assert "errors" not in admitted, admitted
    fields = {f["key"]: f for f in admitted["data"]["node"]["customFields"]}
    assert fields["secret"] == {"key": "secret", "label": "Secret", "type": "TEXT", "value": "s3"}
    assert fields["public"]["value"] is None  # defined, not set
    redacted = admitted.get("extensions", {}).get("redactedFields", [])
    assert ["node", "customFields", "secret"] not in redacted


async def _write(
    world: World, who: str, entity: CustomFieldEntity, pk: int, value: str
) -> dict[str, Any]:
    """The mutation's payload, or the whole response when the mutation was refused."""
    item = [{"key": "secret", "value": value}]
    if entity is CONSUMER:
        variables = {"i": {"id": _gid(entity, pk), "customFields": item}}
        result = await world.client(who).execute(CONSUMER_UPDATE, variables)
        return result["data"]["consumerUpdate"] or result if result.get("data") else result
    case_version = (await Case.get(id=pk)).version
    variables = {"i": {"id": _gid(entity, pk), "version": case_version, "customFields": item}}
    result = await world.client(who).execute(CASE_UPDATE, variables)
    return result["data"]["caseUpdate"] or result if result.get("data") else result


async def _stored(field_key: str, pk: int) -> str | None:
    row = await CustomFieldValue.get_or_none(field__key=field_key, object_id=pk)
    return row.text_value if row else None


@pytest.mark.parametrize("triad", WRITES, ids=lambda t: f"{t.entity}-{t.rule}")
async def test_a_field_is_set_only_by_those_its_write_rule_admits(
    http: httpx.AsyncClient, triad: Triad
) -> None:
    # given: a field everyone who may see it reads, but only the rule writes
    world = await make_world(http)
    pk = await _record(world, triad.entity)
    await define(triad.entity, "secret", read=tuple(RULES[triad.entity]), write=(triad.rule,))
    await set_value(triad.entity, pk, "secret", "before")

    # when
    anonymous = await _write(world, "anonymous", triad.entity, pk, "by anonymous")
    refused = await _write(world, triad.refused, triad.entity, pk, "by the refused")

    # then: both are refused and nothing changed
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert refused["errors"], refused
    assert {e["code"] for e in refused["errors"]} <= {"FORBIDDEN", "NOT_FOUND"}
    assert await _stored("secret", pk) == "before"

    # when: the admitted viewer sets it
    admitted = await _write(world, triad.admitted, triad.entity, pk, "after")

    # then
    assert admitted["errors"] == [], admitted
    node = admitted["consumer" if triad.entity is CONSUMER else "case"]
    assert {"key": "secret", "value": "after"} in node["customFields"]
    assert await _stored("secret", pk) == "after"
