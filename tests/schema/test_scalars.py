"""`DateTime` and `Date` as RFC 3339 says them: one shape out (UTC, milliseconds,
`Z`), any offset in, and anything else refused with BAD_USER_INPUT."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import strawberry
from graphql import GraphQLError, GraphQLScalarType
from hypothesis import given, settings
from hypothesis import strategies as st

from csm_graph.schema import build_schema
from csm_graph.schema.scalars import (
    DATE_SPEC,
    DATETIME_SPEC,
    OVERRIDES,
    parse_date,
    parse_datetime,
    serialize_date,
    serialize_datetime,
)
from csm_graph.settings import Settings
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid
from tests.support import GraphQLClient

PLUS_ONE = dt.timezone(dt.timedelta(hours=1))
MINUS_FIVE_THIRTY = dt.timezone(-dt.timedelta(hours=5, minutes=30))


# --- serializing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (dt.datetime(2026, 11, 30, 3, 38, 12, 904512, tzinfo=dt.UTC), "2026-11-30T03:38:12.904Z"),
        (dt.datetime(2026, 11, 30, 3, 38, 12, 999999, tzinfo=dt.UTC), "2026-11-30T03:38:12.999Z"),
        (dt.datetime(2026, 11, 30, 3, 38, 12, tzinfo=dt.UTC), "2026-11-30T03:38:12.000Z"),
        (dt.datetime(2026, 11, 30, 4, 38, 12, 904000, tzinfo=PLUS_ONE), "2026-11-30T03:38:12.904Z"),
        (
            dt.datetime(2026, 11, 29, 22, 8, 12, 904000, tzinfo=MINUS_FIVE_THIRTY),
            "2026-11-30T03:38:12.904Z",
        ),
        (dt.datetime(2026, 11, 30, 3, 38, 12, 904000), "2026-11-30T03:38:12.904Z"),
        (dt.datetime(5, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "0005-01-02T03:04:05.000Z"),
    ],
    ids=["utc", "truncated-not-rounded", "whole-second", "+01:00", "-05:30", "naive", "year-5"],
)
def test_a_datetime_is_written_in_utc_with_milliseconds_and_z(
    value: dt.datetime, wire: str
) -> None:
    assert serialize_datetime(value) == wire


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
    zone=st.sampled_from(["fixed", "UTC", "Europe/London", "naive"]),
)
def test_any_datetime_is_written_as_its_instant_in_utc(
    instant: dt.datetime, minutes: int, zone: str
) -> None:
    # given an instant, said in some zone (a fixed offset, UTC by name, a zone
    # at offset zero half the year, or naive, which means UTC)
    if zone == "fixed":
        value = instant.astimezone(dt.timezone(dt.timedelta(minutes=minutes)))
    elif zone == "naive":
        value = instant.replace(tzinfo=None)
    else:
        value = instant.astimezone(ZoneInfo(zone))
    # when written
    wire = serialize_datetime(value)
    # then in the one shape, naming the instant to the millisecond (truncated)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", wire), wire
    assert parse_datetime(wire) == instant.replace(microsecond=instant.microsecond // 1000 * 1000)


def test_a_date_is_written_as_a_full_date() -> None:
    assert serialize_date(dt.date(2026, 11, 30)) == "2026-11-30"
    assert serialize_date(dt.date(5, 1, 2)) == "0005-01-02"
    # a datetime given for a date: its day in UTC
    assert serialize_date(dt.datetime(2026, 12, 1, 0, 30, tzinfo=PLUS_ONE)) == "2026-11-30"


@pytest.mark.parametrize("value", ["2026-11-30T03:38:12Z", 1, None])
def test_serializing_anything_but_a_datetime_is_a_bug(value: Any) -> None:
    with pytest.raises(TypeError):
        serialize_datetime(value)


# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "instant"),
    [
        ("2026-11-30T03:38:12.904Z", dt.datetime(2026, 11, 30, 3, 38, 12, 904000, tzinfo=dt.UTC)),
        ("2026-11-30T03:38:12Z", dt.datetime(2026, 11, 30, 3, 38, 12, tzinfo=dt.UTC)),
        ("2026-11-30t03:38:12z", dt.datetime(2026, 11, 30, 3, 38, 12, tzinfo=dt.UTC)),
        (
            "2026-11-30T04:38:12.5+01:00",
            dt.datetime(2026, 11, 30, 3, 38, 12, 500000, tzinfo=dt.UTC),
        ),
        ("2026-11-29T22:08:12-05:30", dt.datetime(2026, 11, 30, 3, 38, 12, tzinfo=dt.UTC)),
        ("2026-11-30T03:38:12-00:00", dt.datetime(2026, 11, 30, 3, 38, 12, tzinfo=dt.UTC)),
        (
            "2026-11-30T03:38:12.123456789Z",
            dt.datetime(2026, 11, 30, 3, 38, 12, 123456, tzinfo=dt.UTC),
        ),
    ],
)
def test_any_rfc_3339_offset_is_read_as_that_instant_in_utc(
    wire: str, instant: dt.datetime
) -> None:
    parsed = parse_datetime(wire)
    assert parsed == instant
    assert parsed.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "wire",
    [
        "2026-11-30T03:38:12",  # no offset: no instant
        "2026-11-30 03:38:12Z",
        "2026-11-30T03:38Z",
        "20261130T033812Z",
        "2026-11-30",
        "2026-11-30T25:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-30T03:38:12+25:00",
        "2026-11-30T03:38:12+01",
        "2026-11-30T03:38:60Z",
        "9999-12-31T23:59:59-01:00",  # past the last representable instant
        "٢٠٢٦-11-30T03:38:12Z",
        " 2026-11-30T03:38:12Z",
        "2026-11-30T03:38:12Z\n",
        "now",
        "",
    ],
)
def test_anything_else_is_bad_user_input(wire: str) -> None:
    with pytest.raises(GraphQLError) as refused:
        parse_datetime(wire)
    assert refused.value.extensions == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize("value", [1764473892, 1.5, True, None, ["2026-11-30T03:38:12Z"]])
def test_a_datetime_is_a_string(value: Any) -> None:
    with pytest.raises(GraphQLError) as refused:
        parse_datetime(value)
    assert refused.value.extensions == {"code": "BAD_USER_INPUT"}


def test_a_date_is_a_full_date() -> None:
    assert parse_date("2026-11-30") == dt.date(2026, 11, 30)
    # Python reads these as dates too; RFC 3339 does not.
    for wire in ("20261130", "2026-W48-1", "2026-11-30T00:00:00Z", "2026-02-30", "2026-1-1", 3):
        with pytest.raises(GraphQLError) as refused:
            parse_date(wire)
        assert refused.value.extensions == {"code": "BAD_USER_INPUT"}


# --- in the schema ----------------------------------------------------------------------


def test_both_scalars_name_their_specification(settings: Settings) -> None:
    # given
    schema = build_schema(settings)._schema

    # when
    scalars = {name: schema.type_map[name] for name in ("DateTime", "Date")}

    # then
    for name, scalar in scalars.items():
        assert isinstance(scalar, GraphQLScalarType)
        assert scalar.specified_by_url == {"DateTime": DATETIME_SPEC, "Date": DATE_SPEC}[name]
        assert "RFC 3339" in (scalar.description or "")
    assert '"2026-11-30T03:38:12.904Z"' in (scalars["DateTime"].description or "")
    assert '"2026-11-30"' in (scalars["Date"].description or "")


@strawberry.type
class _Query:
    @strawberry.field
    def echo(self, at: dt.datetime) -> dt.datetime:
        return at

    @strawberry.field
    def hour(self, at: dt.datetime) -> int:
        return at.hour


_ECHO = strawberry.Schema(query=_Query, scalar_overrides=OVERRIDES)
"""No field of the API takes a DateTime yet: one that does, with the API's scalars."""


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            "query($at: DateTime!) { hour(at: $at) echo(at: $at) }",
            {"at": "2026-11-30T04:38:12+01:00"},
        ),
        ('{ hour(at: "2026-11-30T04:38:12+01:00") echo(at: "2026-11-30T04:38:12+01:00") }', None),
    ],
    ids=["variable", "literal"],
)
async def test_an_offset_in_input_reaches_resolvers_as_utc(
    query: str, variables: dict[str, Any] | None
) -> None:
    result = await _ECHO.execute(query, variable_values=variables)
    assert result.errors is None
    assert result.data == {"hour": 3, "echo": "2026-11-30T03:38:12.000Z"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($at: DateTime!) { hour(at: $at) }", {"at": "2026-11-30T03:38:12"}),
        ('{ hour(at: "2026-11-30T03:38:12") }', None),
        ("{ hour(at: 1764473892) }", None),
    ],
    ids=["variable", "literal", "number"],
)
async def test_a_datetime_without_offset_is_bad_user_input_as_variable_or_literal(
    query: str, variables: dict[str, Any] | None
) -> None:
    result = await _ECHO.execute(query, variable_values=variables)
    assert result.data is None
    assert result.errors is not None
    assert [e.extensions for e in result.errors] == [{"code": "BAD_USER_INPUT"}]
    assert "RFC 3339" in result.errors[0].message


CONSUMER_UPDATE = """
mutation($input: ConsumerUpdateInput!) {
  consumerUpdate(input: $input) { consumer { dateOfBirth } errors { field code } }
}
"""


@pytest.mark.parametrize("wire", ["20001231", "2000-W52-7", "2000-12-31T00:00:00Z", "31/12/2000"])
async def test_a_date_that_is_not_a_full_date_is_bad_user_input_over_http(
    agent_client: GraphQLClient, wire: str
) -> None:
    # given
    consumer = await make_consumer(first_name="Ann")

    # when
    result = await agent_client.execute(
        CONSUMER_UPDATE, {"input": {"id": gid("Consumer", consumer.id), "dateOfBirth": wire}}
    )

    # then
    assert result.get("data") is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]
    await consumer.refresh_from_db()
    assert consumer.date_of_birth is None


async def test_a_full_date_is_read_and_written_back_as_is(agent_client: GraphQLClient) -> None:
    # given
    consumer = await make_consumer(first_name="Ann")

    # when
    data = await agent_client.data(
        CONSUMER_UPDATE,
        {"input": {"id": gid("Consumer", consumer.id), "dateOfBirth": "2000-12-31"}},
    )

    # then
    assert data["consumerUpdate"] == {"consumer": {"dateOfBirth": "2000-12-31"}, "errors": []}
