"""Working-time arithmetic: add working minutes to an instant, and measure the
working time between two instants.

Pure: no database, no clock. A `Schedule` is weekly opening hours in a time
zone plus a test for closed days (holidays). Opening hours are wall-clock
times of their day; the time they count is elapsed time, so a day whose
clocks jump forward has an hour less of it and one whose clocks fall back an
hour more. A wall time that does not exist (inside a jump forward) stands for
the instant the clocks jumped.

`ALWAYS_OPEN` is the 24x7 schedule: plain calendar arithmetic.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
MAX_CLOSED_DAYS = 3660
"""How far a search for opening hours looks before giving up (ten years)."""

Interval = tuple[int, int]
"""Opening hours of one day: (opens, closes) in minutes after midnight, closes <= 1440."""

_ZERO = dt.timedelta(0)
_DAY = dt.timedelta(days=1)


class WorkingTime(Protocol):
    """What the SLA rules ask of a schedule."""

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime: ...

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta: ...


class AlwaysOpen:
    """Open every minute: working time is calendar time."""

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        return start + amount

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        return end - start


ALWAYS_OPEN = AlwaysOpen()


def _never_closed(day: dt.date) -> bool:
    return False


@dataclass(frozen=True)
class Schedule:
    """Weekly opening hours in `zone`; days for which `closed` answers true are shut."""

    zone: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]
    """Seven entries, Monday first; each day's intervals sorted and apart."""
    closed: Callable[[dt.date], bool] = field(default=_never_closed, compare=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a week has seven days")
        for day in self.week:
            last = 0
            for opens, closes in day:
                if not (last <= opens < closes <= DAY_MINUTES):
                    raise ValueError("opening hours must be sorted, apart and within the day")
                last = closes
        if not any(self.week):
            raise ValueError("a schedule is open at least once a week")

    # --- instants of wall-clock times --------------------------------------------

    def _instant(self, day: dt.date, minute: int) -> dt.datetime:
        """The UTC instant of `minute` after midnight on `day`, local time.

        An ambiguous wall time (clocks fell back) is its first occurrence; a
        wall time that does not exist (clocks jumped forward) is the jump.
        """
        if minute == DAY_MINUTES:
            day, minute = day + _DAY, 0
        wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
        first = wall.replace(tzinfo=self.zone).astimezone(dt.UTC)
        if first.astimezone(self.zone).replace(tzinfo=None) == wall:
            return first
        # In a gap: fold=1 reads it with the offset after the jump, an instant
        # before the jump; `first` is after it. The jump lies between.
        low = wall.replace(tzinfo=self.zone, fold=1).astimezone(dt.UTC)
        high = first
        after = high.astimezone(self.zone).utcoffset()
        while high - low > dt.timedelta(seconds=1):
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle.astimezone(self.zone).utcoffset() == after:
                high = middle
            else:
                low = middle
        return high

    def _periods(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Open periods (UTC, in order) from the local day before `start` on."""
        day = start.astimezone(self.zone).date() - _DAY
        idle = 0
        while True:
            found = False
            if not self.closed(day):
                for opens, closes in self.week[day.weekday()]:
                    begin, end = self._instant(day, opens), self._instant(day, closes)
                    if end > begin:
                        found = True
                        yield begin, end
            idle = 0 if found else idle + 1
            if idle > MAX_CLOSED_DAYS:
                raise ValueError("the schedule is closed for good")
            day += _DAY

    # --- arithmetic ---------------------------------------------------------------

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant `amount` of working time after `start`.

        A positive amount ends inside open hours (the closing instant counts
        as open); zero gives `start` back; a negative amount counts back.
        """
        if amount < _ZERO:
            return self._subtract(start, -amount)
        if amount == _ZERO:
            return start
        left = amount
        for begin, end in self._periods(start):
            if end <= start:
                continue
            begin = max(begin, start)
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable")  # pragma: no cover

    def _subtract(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The latest instant from which `amount` of working time reaches `start`."""
        # Walk forward from far enough back: a period list backwards would
        # need its own day walk; this keeps one.
        span = amount
        while True:
            origin = start - span - dt.timedelta(days=8)
            if self.between(origin, start) >= amount:
                break
            span *= 2
        # `add` gives the earliest instant of that much working time, a
        # closing time; counting back wants the latest, the next opening.
        found = self.add(origin, self.between(origin, start) - amount)
        return next(max(b, found) for b, e in self._periods(found) if e > found)

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time from `start` to `end` (negative when `end` comes first)."""
        if end < start:
            return -self.between(end, start)
        total = _ZERO
        for begin, close in self._periods(start):
            if begin >= end:
                break
            overlap = min(close, end) - max(begin, start)
            if overlap > _ZERO:
                total += overlap
        return total

    def is_open(self, at: dt.datetime) -> bool:
        """Whether `at` lies in opening hours (a closing instant does not)."""
        for begin, end in self._periods(at):
            if begin > at:
                return False
            if begin <= at < end:
                return True
        raise AssertionError("unreachable")  # pragma: no cover


def parse_clock(text: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" is the end of the day)."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError("a time is HH:MM")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > DAY_MINUTES:
        raise ValueError("a time is 00:00 to 24:00")
    return value


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def week_of(hours: Sequence[tuple[int, int, int]]) -> tuple[tuple[Interval, ...], ...]:
    """The week of (weekday, opens, closes) rows, weekday 0 = Monday; overlaps raise."""
    days: list[list[Interval]] = [[] for _ in range(7)]
    for weekday, opens, closes in hours:
        if not 0 <= weekday < 7:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
        if not opens < closes:
            raise ValueError("a day's hours close after they open")
        days[weekday].append((opens, closes))
    week: list[tuple[Interval, ...]] = []
    for day in days:
        day.sort()
        for (_, first_closes), (second_opens, _) in itertools.pairwise(day):
            if second_opens < first_closes:
                raise ValueError("a day's hours overlap")
        # touching intervals merge: 09:00-12:00 and 12:00-17:00 are one
        merged: list[Interval] = []
        for opens, closes in day:
            if merged and merged[-1][1] == opens:
                merged[-1] = (merged[-1][0], closes)
            else:
                merged.append((opens, closes))
        week.append(tuple(merged))
    return tuple(week)
