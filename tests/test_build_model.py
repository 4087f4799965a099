"""`db.build_model`, what the hand-written batch loaders and the pages of
lists build their rows with, makes exactly the instance the ORM's own
`Model._init_from_db` makes: for every model that has rows in the demo data
set, on both databases. `db.fetch_queryset` gives what awaiting the queryset
gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tortoise import Tortoise, connections

from csm_graph import runtime
from csm_graph.cases.models import Case, CaseComment, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.db import build_model, fetch_by_ids, fetch_queryset
from csm_graph.demo import generate
from tests.conftest import wipe


def _state(instance: Any) -> dict[str, tuple[type, Any, Any]]:
    """Every attribute's type and value, and a date-time's zone (equal instants
    in two zones are equal date-times)."""
    return {
        name: (type(value), value, getattr(value, "tzinfo", None))
        for name, value in vars(instance).items()
    }


async def test_built_instances_equal_the_orms_for_every_model_with_rows(
    product: runtime.Runtime,
) -> None:
    # given the demo data set
    await wipe(product)
    await generate(30, seed=7)

    # when every row of every table is built both ways
    compared: dict[str, int] = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            meta = model._meta
            connection = connections.get(meta.default_connection or "default")
            sql = f'SELECT * FROM "{meta.db_table}" ORDER BY 1'
            rows = await connection.execute_query_dict(sql)
            # the driver's own rows too (sqlite3.Row, asyncpg's Record), as pages read them
            _, raw = await connection.execute_query(sql)
            assert len(raw) == len(rows)
            for row, driver_row in zip(rows, raw, strict=True):
                ours = build_model(model, dict(row))
                theirs = model._init_from_db(**row)
                # then attributes, their types and values, and the pk agree
                assert _state(ours) == _state(theirs), (model.__name__, row)
                assert _state(build_model(model, driver_row)) == _state(theirs), model.__name__
                assert ours.pk == theirs.pk
            compared[model.__name__] = len(rows)

    # and the models the plans and loaders read most are among them
    for name in ("Case", "CaseComment", "Consumer", "Household", "User", "Team", "CaseActivity"):
        assert compared.get(name, 0) > 0, compared


async def test_unusual_column_values_convert_as_the_orm_converts_them(
    product: runtime.Runtime,
) -> None:
    # given a case's row as the database gives it
    await wipe(product)
    await generate(5, seed=3)
    connection = connections.get("default")
    (row,) = await connection.execute_query_dict('SELECT * FROM "case" ORDER BY id LIMIT 1')
    utc = dt.UTC
    variants: list[dict[str, Any]] = [
        # date-times as text with an offset, as text without one, as a naive
        # value, as an aware value in another zone, and absent
        {"created_at": "2026-03-29 01:30:00.250000+02:00"},
        {"created_at": "2026-03-29 01:30:00"},
        {"created_at": dt.datetime(2026, 3, 29, 1, 30)},
        {"created_at": dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))},
        {"created_at": dt.datetime(2026, 3, 29, 1, 30, tzinfo=utc), "closed_at": None},
        # an enum column by its value, and one holding a member already
        {"state": "RESOLVED"},
        {"state": CaseState.CLOSED},
    ]

    for variant in variants:
        changed = {**row, **variant}
        # when it is built both ways
        ours = build_model(Case, dict(changed))
        theirs = Case._init_from_db(**changed)

        # then the attributes, their types, values and zones agree
        assert _state(ours) == _state(theirs), variant

    # and a value no member has fails as the ORM fails
    with pytest.raises(ValueError, match="NOT-A-STATE"):
        Case._init_from_db(**{**row, "state": "NOT-A-STATE"})
    with pytest.raises(ValueError, match="NOT-A-STATE"):
        build_model(Case, {**row, "state": "NOT-A-STATE"})


async def test_a_row_without_every_column_builds_a_partial_instance(
    product: runtime.Runtime,
) -> None:
    # given a case's row with one column left out
    await wipe(product)
    await generate(5, seed=2)
    case = await Case.first()
    assert case is not None
    connection = connections.get("default")
    sql = (
        'SELECT id, "number", short_description FROM "case" WHERE id = ?'
        if connection.capabilities.dialect == "sqlite"
        else 'SELECT id, "number", short_description FROM "case" WHERE id = $1'
    )
    (row,) = await connection.execute_query_dict(sql, [case.id])
    _, (driver_row,) = await connection.execute_query(sql, [case.id])

    # when it is built, from a dict and from the driver's own row
    for built in (build_model(Case, dict(row)), build_model(Case, driver_row)):
        # then it is the ORM's partial instance, with what the row holds
        assert built._partial is True
        assert (built.id, built.number, built.short_description) == (
            case.id,
            case.number,
            case.short_description,
        )


async def test_batch_loads_give_saved_instances_that_update(product: runtime.Runtime) -> None:
    # given demo consumers loaded the way the loaders load them
    await wipe(product)
    await generate(5, seed=4)
    ids = [c.id for c in await Consumer.all().order_by("id").limit(3)]
    loaded = await fetch_by_ids(Consumer, ids)

    # when one is changed and saved through the ORM
    first = loaded[0]
    first.first_name = "Renamed"
    await first.save(update_fields=["first_name"])

    # then the row changed, and only that one
    assert [c.id for c in loaded] == ids
    assert (await Consumer.get(id=ids[0])).first_name == "Renamed"
    assert (await Consumer.get(id=ids[1])).first_name != "Renamed"


async def test_a_fetched_queryset_equals_the_awaited_one(product: runtime.Runtime) -> None:
    # given the demo data set
    await wipe(product)
    await generate(20, seed=9)
    consumer_ids = [c.id for c in await Consumer.all().order_by("id").limit(6)]
    querysets = [
        Case.filter(consumer_id__in=consumer_ids).order_by("-id").limit(7),
        Case.filter(consumer_id__in=consumer_ids, id__gt=0).order_by("id"),
        Case.filter(id__in=[]).order_by("id").limit(3),
        CaseComment.filter(work_note=False).order_by("-id").limit(25),
        # a queryset asking for more than rows is awaited as it is
        Case.filter(consumer_id__in=consumer_ids).select_related("consumer").order_by("id"),
        Case.filter(consumer_id__in=consumer_ids).only("id", "number").order_by("id"),
    ]

    for queryset in querysets:
        # when it is fetched, and awaited afresh
        fetched = await fetch_queryset(queryset)
        awaited = await queryset.all()

        # then the same instances come back, in the same order
        assert [_state(r) for r in fetched] == [_state(r) for r in awaited]
    assert len(await fetch_queryset(querysets[0])) == 7
