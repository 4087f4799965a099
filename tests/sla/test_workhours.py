"""Working-time arithmetic: weekends, holidays, daylight-saving changes, and
the properties that hold for any schedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csm_graph.sla.workhours import (
    ALWAYS_OPEN,
    Schedule,
    format_clock,
    parse_clock,
    week_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

NINE_TO_FIVE = week_of([(day, 9 * 60, 17 * 60) for day in range(5)])


def at(zone: ZoneInfo, *parts: int) -> dt.datetime:
    """A local wall time as a UTC instant."""
    return dt.datetime(*parts, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def office(zone: ZoneInfo, *closed_days: dt.date) -> Schedule:
    days = set(closed_days)
    return Schedule(zone, NINE_TO_FIVE, closed=days.__contains__)


HOURS = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _clean() -> None:
    """Pure arithmetic: no product, no database to wipe."""


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=str)
def test_a_weekend_is_skipped(zone: ZoneInfo) -> None:
    # given: Friday 2026-06-05 at 16:00, one working hour left that day
    start = at(zone, 2026, 6, 5, 16, 0)

    # when
    due = office(zone).add(start, 3 * HOURS)

    # then: Monday 11:00
    assert due == at(zone, 2026, 6, 8, 11, 0)
    assert office(zone).between(start, due) == 3 * HOURS


@pytest.mark.parametrize("zone", [BERLIN, NEW_YORK], ids=str)
def test_a_holiday_is_skipped(zone: ZoneInfo) -> None:
    # given: Thursday 2026-12-24 at 15:00; the 25th is closed
    schedule = office(zone, dt.date(2026, 12, 25))

    # when
    due = schedule.add(at(zone, 2026, 12, 24, 15, 0), 4 * HOURS)

    # then: two hours on Thursday, Friday closed, the weekend, two on Monday
    assert due == at(zone, 2026, 12, 28, 11, 0)


@pytest.mark.parametrize(
    ("zone", "friday", "monday", "elapsed"),
    [
        # Europe: clocks jump forward on 2026-03-29, fall back on 2026-10-25
        (BERLIN, dt.date(2026, 3, 27), dt.date(2026, 3, 30), dt.timedelta(hours=65)),
        (BERLIN, dt.date(2026, 10, 23), dt.date(2026, 10, 26), dt.timedelta(hours=67)),
        # North America: forward on 2026-03-08, back on 2026-11-01
        (NEW_YORK, dt.date(2026, 3, 6), dt.date(2026, 3, 9), dt.timedelta(hours=65)),
        (NEW_YORK, dt.date(2026, 10, 30), dt.date(2026, 11, 2), dt.timedelta(hours=67)),
    ],
    ids=["berlin-forward", "berlin-back", "new-york-forward", "new-york-back"],
)
def test_a_weekend_with_a_clock_change_keeps_office_hours(
    zone: ZoneInfo, friday: dt.date, monday: dt.date, elapsed: dt.timedelta
) -> None:
    # given: Friday 16:00 local, two working hours to go
    start = at(zone, friday.year, friday.month, friday.day, 16, 0)

    # when
    due = office(zone).add(start, 2 * HOURS)

    # then: Monday 10:00 local, though the weekend was an hour shorter or longer
    assert due == at(zone, monday.year, monday.month, monday.day, 10, 0)
    assert due - start == elapsed


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        (BERLIN, dt.date(2026, 3, 29), 23),
        (BERLIN, dt.date(2026, 10, 25), 25),
        (NEW_YORK, dt.date(2026, 3, 8), 23),
        (NEW_YORK, dt.date(2026, 11, 1), 25),
    ],
)
def test_a_day_open_around_the_clock_counts_the_hours_that_pass(
    zone: ZoneInfo, day: dt.date, hours: int
) -> None:
    # given: open all day, every day
    schedule = Schedule(zone, week_of([(d, 0, 24 * 60) for d in range(7)]))
    midnight = at(zone, day.year, day.month, day.day, 0, 0)
    next_midnight = at(zone, day.year, day.month, day.day + 1, 0, 0)

    # then: the day of a clock change is 23 or 25 hours of working time
    assert schedule.between(midnight, next_midnight) == hours * HOURS


def test_hours_inside_the_jump_forward_start_at_the_jump() -> None:
    # given: open 02:00-04:00 on Sundays; in Berlin 02:00-03:00 does not exist on 2026-03-29
    schedule = Schedule(BERLIN, week_of([(6, 2 * 60, 4 * 60)]))
    before = at(BERLIN, 2026, 3, 28, 12, 0)

    # then: that Sunday is one hour open, from the jump (01:00 UTC) to 04:00 local
    assert schedule.between(before, before + dt.timedelta(days=1)) == HOURS
    assert schedule.add(before, dt.timedelta(minutes=1)) == dt.datetime(
        2026, 3, 29, 1, 1, tzinfo=UTC
    )


def test_counting_back_lands_in_open_hours() -> None:
    # given: Monday 10:00 in Berlin
    schedule = office(BERLIN)
    monday = at(BERLIN, 2026, 6, 8, 10, 0)

    # then: three working hours earlier is Friday 15:00
    assert schedule.add(monday, -3 * HOURS) == at(BERLIN, 2026, 6, 5, 15, 0)
    assert schedule.between(monday, at(BERLIN, 2026, 6, 5, 15, 0)) == -3 * HOURS


def test_always_open_is_calendar_time() -> None:
    start = dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert ALWAYS_OPEN.add(start, 5 * HOURS) == start + 5 * HOURS
    assert ALWAYS_OPEN.between(start, start + 5 * HOURS) == 5 * HOURS


def test_a_schedule_closed_for_good_is_an_error_not_a_hang() -> None:
    schedule = Schedule(BERLIN, NINE_TO_FIVE, closed=lambda day: True)
    with pytest.raises(ValueError, match="closed for good"):
        schedule.add(at(BERLIN, 2026, 6, 8, 10, 0), HOURS)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ([(0, 600, 540)], "close after they open"),
        ([(0, 540, 720), (0, 700, 800)], "overlap"),
        ([(7, 540, 600)], "weekday"),
    ],
)
def test_bad_hours_are_refused(hours: list[tuple[int, int, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        week_of(hours)


def test_touching_hours_merge_and_an_empty_week_is_refused() -> None:
    assert week_of([(0, 540, 720), (0, 720, 1020)])[0] == ((540, 1020),)
    with pytest.raises(ValueError, match="at least once a week"):
        Schedule(BERLIN, week_of([]))


@pytest.mark.parametrize(
    ("text", "minute"), [("09:00", 540), ("9:30", 570), ("24:00", 1440), ("00:00", 0)]
)
def test_clock_times_read_and_print(text: str, minute: int) -> None:
    assert parse_clock(text) == minute
    assert parse_clock(format_clock(minute)) == minute


@pytest.mark.parametrize("text", ["9", "09:60", "24:01", "ab:cd", "09:5"])
def test_bad_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a time is"):
        parse_clock(text)


# --- properties ------------------------------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    """Any week of opening hours (on the quarter hour), in one of a few zones,
    with some closed days."""
    zone = draw(st.sampled_from([BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe"), UTC]))
    rows: list[tuple[int, int, int]] = []
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        for opens, closes in zip(cuts[::2], cuts[1::2], strict=False):
            rows.append((weekday, opens * 15, closes * 15))
    if not rows:
        rows.append((draw(st.integers(0, 6)), 9 * 60, 17 * 60))
    closed = draw(st.frozensets(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), max_size=20))
    return Schedule(zone, week_of(rows), closed=closed.__contains__)


instants = st.datetimes(
    dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
amounts = st.integers(0, 5 * 24 * 60).map(lambda m: dt.timedelta(minutes=m))
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(schedule=schedules(), start=instants, amount=amounts)
def test_adding_then_measuring_gives_the_amount_back(
    schedule: Schedule, start: dt.datetime, amount: dt.timedelta
) -> None:
    due = schedule.add(start, amount)
    assert due >= start
    assert schedule.between(start, due) == amount


@PROPERTY
@given(schedule=schedules(), start=instants, amount=amounts.filter(bool))
def test_a_due_time_never_lands_in_closed_time(
    schedule: Schedule, start: dt.datetime, amount: dt.timedelta
) -> None:
    due = schedule.add(start, amount)
    # the minute before the due time was working time
    assert schedule.is_open(due - dt.timedelta(seconds=1))


@PROPERTY
@given(schedule=schedules(), start=instants, a=amounts, b=amounts)
def test_adding_is_monotonic_and_measuring_is_additive(
    schedule: Schedule, start: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    low, high = sorted((a, b))
    assert schedule.add(start, low) <= schedule.add(start, high)
    middle = schedule.add(start, low)
    end = schedule.add(start, high)
    assert schedule.between(start, middle) + schedule.between(middle, end) == high


@PROPERTY
@given(schedule=schedules(), start=instants, amount=amounts.filter(bool))
def test_counting_back_undoes_counting_forward(
    schedule: Schedule, start: dt.datetime, amount: dt.timedelta
) -> None:
    due = schedule.add(start, amount)
    back = schedule.add(due, -amount)
    # back lands at the first working instant from `start` on
    assert back >= start
    assert schedule.between(start, back) == dt.timedelta(0)
    assert schedule.between(back, due) == amount
