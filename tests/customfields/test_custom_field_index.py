"""A filter by a custom field on 100,000 consumers reads an index on PostgreSQL:
asked of the planner with real row counts, not forced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tortoise import connections

from csm_graph.consumers import services as consumers
from csm_graph.consumers.models import Consumer
from csm_graph.customfields import services
from csm_graph.customfields.models import CustomFieldEntity, CustomFieldType
from csm_graph.db import fetch, is_postgres
from csm_graph.settings import get_settings
from tests.customfields.helpers import ADMIN, define
from tests.schema.consumers.helpers import make_consumer

CONSUMERS = 100_000


def _plan_nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for value in plan.values():
            yield from _plan_nodes(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from _plan_nodes(item)


async def _many_consumers() -> None:
    """100,000 consumers copied from one, in one statement."""
    template = await make_consumer(first_name="Many", last_name="Copies")
    columns = [
        c
        for c in Consumer._meta.db_fields
        if c not in {"id", "number", "external_id", "user_id", "merged_into_id"}
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    await fetch(
        f'INSERT INTO consumer ("number", {listed}) '
        f"SELECT 'N' || g, {listed} FROM consumer, generate_series(1, {CONSUMERS - 1}) g "
        "WHERE consumer.id = ?",
        [template.id],
    )


@pytest.mark.parametrize(
    ("key", "kind", "equals", "low", "column"),
    [
        ("region_code", CustomFieldType.TEXT, "R7", None, "text_value"),
        ("score", CustomFieldType.NUMBER, None, "99990", "number_value"),
    ],
)
async def test_a_filter_by_one_field_reads_its_index_on_postgres(
    key: str, kind: CustomFieldType, equals: str | None, low: str | None, column: str
) -> None:
    if not is_postgres(get_settings()):
        pytest.skip("the planner question is PostgreSQL's")
    # given: 100,000 consumers, each with a value, few of them matching
    await _many_consumers()
    field = await define(CustomFieldEntity.CONSUMER, key, kind)
    value = "'R' || (c.id % 2000)" if kind is CustomFieldType.TEXT else "c.id"
    await fetch(
        f"INSERT INTO custom_field_value (field_id, object_id, {column}, updated_at) "
        f"SELECT ?, c.id, {value}, now() FROM consumer c",
        [field.id],
    )
    await fetch("ANALYZE consumer")
    await fetch("ANALYZE custom_field_value")

    # when: the first page of `consumers(filter:)` is planned, as the API asks it
    condition = services.condition(field, equals, low, None, "filter.custom_fields.0")
    queryset = services.restrict(consumers.visible_consumers(ADMIN), [condition])
    page = queryset.order_by("-id").limit(21)
    page._choose_db_if_not_chosen()
    page._make_query()
    sql, params = page.query.get_parameterized_sql()
    rows = await connections.get("default").execute_query_dict(
        f"EXPLAIN (FORMAT JSON) {sql}", params
    )
    explained = next(iter(rows[0].values()))

    # then: the values are found through the (field, value) index, never a scan
    plan = json.loads(explained) if isinstance(explained, str) else explained
    nodes = list(_plan_nodes(plan))
    on_values = [n for n in nodes if n.get("Relation Name") == "custom_field_value"]
    assert on_values, plan
    assert all(n["Node Type"] != "Seq Scan" for n in on_values), on_values
    indexes = {n.get("Index Name") for n in on_values}
    (expected,) = await fetch(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'custom_field_value' "
        "AND indexdef LIKE ?",
        [f"%(field_id, {column})%"],
    )
    assert expected[0] in indexes, (indexes, plan)
    assert await queryset.count() == (50 if equals else 11)
