"""Human record numbers: a prefix and seven digits, from a shared counter."""

from __future__ import annotations

from csm_graph.core.models import Counter
from csm_graph.db import fetch

# The first number of each series is 1001 (CON0001001), as the anchor products do.
FIRST = 1001


async def take(series: str, count: int = 1) -> list[int]:
    """`count` consecutive numbers of `series`, reserved inside the caller's transaction."""
    await Counter.get_or_create(name=series, defaults={"value": FIRST - 1})
    rows = await fetch(
        "UPDATE counter SET value = value + ? WHERE name = ? RETURNING value", [count, series]
    )
    last = int(rows[0][0])
    return list(range(last - count + 1, last + 1))


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:07d}"


async def next_number(prefix: str) -> str:
    (value,) = await take(prefix)
    return format_number(prefix, value)
