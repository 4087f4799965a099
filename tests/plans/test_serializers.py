"""A plan serializes a level's values with the schema's own scalars and enums,
all at once: the same output as one value at a time, and the same refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLOutputType

from csm_graph.cases.models import CaseState
from csm_graph.schema import build_schema
from csm_graph.schema.plans.base import Decline
from csm_graph.schema.plans.plan import level_serializer_for, serializer_for
from csm_graph.settings import Settings

WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=dt.UTC)

LEVELS: list[tuple[str, list[Any]]] = [
    ("String", ["a", "", "ü", 5, True]),
    ("ID", ["Q2FzZTox", 7]),
    ("Int", [0, 1, -4, True]),
    ("Boolean", [True, False, 0, 1]),
    ("Float", [1.5, 2]),
    ("DateTime", [WHEN, WHEN.astimezone(dt.timezone(dt.timedelta(hours=2)))]),
    ("CaseState", [CaseState.NEW, CaseState.RESOLVED]),
]


def _type(settings: Settings, name: str) -> GraphQLOutputType:
    found = build_schema(settings)._schema.get_type(name)
    assert found is not None
    return found  # type: ignore[return-value]


@pytest.mark.parametrize(("name", "values"), LEVELS)
def test_a_level_serializes_as_its_values_one_by_one(
    settings: Settings, name: str, values: list[Any]
) -> None:
    named = _type(settings, name)
    for type_ in (GraphQLNonNull(named), named):  # type: ignore[arg-type]
        one = serializer_for(type_)

        assert level_serializer_for(type_)(values) == [one(v) for v in values]

    nullable = level_serializer_for(named)
    assert nullable([None, values[0]]) == [None, serializer_for(named)(values[0])]


@pytest.mark.parametrize(("name", "values"), LEVELS)
def test_a_null_in_a_non_null_level_declines(
    settings: Settings, name: str, values: list[Any]
) -> None:
    level = level_serializer_for(GraphQLNonNull(_type(settings, name)))  # type: ignore[arg-type]

    with pytest.raises(Decline):
        level([*values, None])


def test_a_value_the_scalar_refuses_is_refused_as_one_by_one(settings: Settings) -> None:
    # given: an Int out of range, which graphql-core refuses to serialize
    int_type = GraphQLNonNull(_type(settings, "Int"))  # type: ignore[arg-type]

    # when / then
    with pytest.raises(Exception, match="32-bit"):
        serializer_for(int_type)(2**40)
    with pytest.raises(Exception, match="32-bit"):
        level_serializer_for(int_type)([1, 2**40])


def test_a_list_level_serializes_each_item(settings: Settings) -> None:
    type_ = GraphQLList(GraphQLNonNull(_type(settings, "String")))  # type: ignore[arg-type]

    assert level_serializer_for(type_)([["a", 1], None, []]) == [["a", "1"], None, []]
