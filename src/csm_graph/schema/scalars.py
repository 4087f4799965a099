"""`DateTime` and `Date`: RFC 3339 on the wire, one shape out, any offset in.

Strawberry's own scalars write whatever `isoformat()` gives (with or
without microseconds, `+00:00` or no offset at all for a naive value) and
read anything `dateutil` guesses at. Generated client code, normalised
caches and mobile date parsers want one fixed shape, so the API always
writes a `DateTime` in UTC with milliseconds and `Z`
(`2026-11-30T03:38:12.904Z`), and reads any RFC 3339 date-time, whatever
its offset, as that instant in UTC. A value without an offset is refused:
it names no instant. Input that is not RFC 3339 is refused with
`BAD_USER_INPUT`, as a variable or as a literal.

Values from the database are UTC (`use_tz`, on both backends); a naive one
(a hand-built value, a raw SQL row) is taken to be UTC too.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from graphql import GraphQLError
from strawberry.types.scalar import ScalarDefinition, scalar

DATETIME_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
DATE_SPEC = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
"""RFC 3339 defines both in section 5.6: `date-time`, and `full-date` for a date."""

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)
_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def _refuse(what: str, value: Any, why: str = "") -> GraphQLError:
    """The error for input that is not RFC 3339; graphql-core keeps its code."""
    shown = repr(value) if isinstance(value, str) else type(value).__name__
    detail = f": {why}" if why else ""
    return GraphQLError(
        f"{what} must be {EXAMPLES[what]}, not {shown}{detail}.",
        extensions={"code": "BAD_USER_INPUT"},
    )


EXAMPLES = {
    "DateTime": "an RFC 3339 date-time with an offset, such as "
    '"2026-11-30T03:38:12.904Z" or "2026-11-30T04:38:12+01:00"',
    "Date": 'an RFC 3339 full-date, such as "2026-11-30"',
}


def to_utc(value: dt.datetime) -> dt.datetime:
    """`value` as an aware UTC datetime; a naive value is taken to be UTC."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def serialize_datetime(value: Any) -> str:
    """`2026-11-30T03:38:12.904Z`: UTC, milliseconds (truncated), `Z`. A value
    already at offset zero (every value read from the database) is written
    as it is, by `isoformat`, whose `+00:00` becomes `Z`."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"DateTime cannot represent {type(value).__name__}: {value!r}")
    offset = value.utcoffset()
    if offset is None or offset:
        value = to_utc(value)
    written: str = value.isoformat(timespec="milliseconds")
    return written[:-6] + "Z"


def parse_datetime(value: Any) -> dt.datetime:
    """An RFC 3339 date-time, as an aware datetime in UTC."""
    if not isinstance(value, str):
        raise _refuse("DateTime", value)
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise _refuse("DateTime", value)
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, zulu, sign, off_hours, off_minutes = match.group(7, 8, 9, 10, 11)
    if second == 60:
        raise _refuse("DateTime", value, "leap seconds are not accepted")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if zulu:
            offset = dt.timedelta(0)
        else:
            hours, minutes = int(off_hours), int(off_minutes)
            if hours > 23 or minutes > 59:
                raise ValueError("the offset is out of range")
            offset = dt.timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
        local = dt.datetime(
            year, month, day, hour, minute, second, micro, tzinfo=dt.timezone(offset)
        )
        return local.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise _refuse("DateTime", value, str(exc)) from None


def serialize_date(value: Any) -> str:
    """`2026-11-30`; a datetime gives its date in UTC."""
    if isinstance(value, dt.datetime):
        value = to_utc(value).date()
    if not isinstance(value, dt.date):
        raise TypeError(f"Date cannot represent {type(value).__name__}: {value!r}")
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def parse_date(value: Any) -> dt.date:
    """An RFC 3339 full-date (`2026-11-30`): no week dates, no basic format."""
    if not isinstance(value, str):
        raise _refuse("Date", value)
    match = _FULL_DATE.fullmatch(value)
    if match is None:
        raise _refuse("Date", value)
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError as exc:
        raise _refuse("Date", value, str(exc)) from None


DATETIME: ScalarDefinition = scalar(
    name="DateTime",
    description="An instant, as an RFC 3339 date-time. The API always writes it in UTC "
    'with milliseconds and `Z`, such as "2026-11-30T03:38:12.904Z"; it reads any RFC '
    '3339 date-time with an offset ("2026-11-30T04:38:12+01:00" is the same instant) '
    "and refuses anything else with BAD_USER_INPUT.",
    specified_by_url=DATETIME_SPEC,
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)

DATE: ScalarDefinition = scalar(
    name="Date",
    description='A calendar date, as an RFC 3339 full-date, such as "2026-11-30". '
    "Anything else is refused with BAD_USER_INPUT.",
    specified_by_url=DATE_SPEC,
    serialize=serialize_date,
    parse_value=parse_date,
)

OVERRIDES: dict[object, ScalarDefinition] = {dt.datetime: DATETIME, dt.date: DATE}
"""For `strawberry.Schema(scalar_overrides=...)`."""
