"""Custom field values follow their consumer record: a merge moves the merged
record's values the survivor lacks, and an erasure removes them all."""

from __future__ import annotations

import pytest

from csm_graph.access import engine
from csm_graph.consumers import merging
from csm_graph.consumers.merging import MergeChoices
from csm_graph.consumers.models import Consumer
from csm_graph.customfields import services
from csm_graph.customfields.models import CustomFieldEntity, CustomFieldValue
from csm_graph.privacy import erasure
from tests.customfields.helpers import ADMIN, define, set_value

CONSUMER = CustomFieldEntity.CONSUMER


async def _values(consumer_id: int) -> dict[str, str | None]:
    fields = await services.active_fields(CONSUMER)
    by_id = {field.id: field for field in fields.values()}
    rows = await CustomFieldValue.filter(field__entity=CONSUMER, object_id=consumer_id)
    return {by_id[r.field_id].key: services.value_of(by_id[r.field_id], r) for r in rows}


@pytest.mark.usefixtures("product")
async def test_a_merge_moves_the_values_the_survivor_lacks_and_keeps_its_own() -> None:
    # given: both records hold a tier; only the merged one a loyalty number
    await define(CONSUMER, "tier")
    await define(CONSUMER, "loyalty_number")
    survivor = await Consumer.create(number="CON0000001", first_name="Ann", last_name="Lee")
    merged = await Consumer.create(number="CON0000002", first_name="Ann", last_name="Lee")
    await set_value(CONSUMER, survivor.id, "tier", "gold")
    await set_value(CONSUMER, merged.id, "tier", "silver")
    await set_value(CONSUMER, merged.id, "loyalty_number", "L-42")

    # when
    subject = await engine.load_subject(ADMIN)
    await merging.merge(subject, survivor.id, merged.id, MergeChoices())

    # then: the survivor's own value stands, the other comes over, nothing stays behind
    assert await _values(survivor.id) == {"tier": "gold", "loyalty_number": "L-42"}
    assert await _values(merged.id) == {}


@pytest.mark.usefixtures("product")
async def test_an_erasure_removes_every_custom_value_of_the_consumer() -> None:
    # given
    await define(CONSUMER, "tier")
    ann = await Consumer.create(number="CON0000001", first_name="Ann", last_name="Lee")
    bo = await Consumer.create(number="CON0000002", first_name="Bo", last_name="Lund")
    await set_value(CONSUMER, ann.id, "tier", "gold")
    await set_value(CONSUMER, bo.id, "tier", "silver")

    # when
    await erasure.erase(ADMIN, ann.id, "Ticket 7")

    # then: Ann's values are gone, Bo's stay
    assert await _values(ann.id) == {}
    assert await _values(bo.id) == {"tier": "silver"}
