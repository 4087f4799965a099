"""The one clock. Tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt

_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    return now().date()


def travel(delta: dt.timedelta) -> None:
    """Shift the clock by `delta` (accumulates)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen += delta
    else:
        _offset += delta


def freeze(at: dt.datetime | None) -> None:
    """Stop the clock at `at`; `None` lets it run again."""
    global _frozen
    _frozen = at


def reset() -> None:
    global _offset, _frozen
    _offset = dt.timedelta(0)
    _frozen = None
