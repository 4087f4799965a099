"""Filtering and sorting `consumers` and `cases` by a custom field.

A filter is SQL over the value table (`services.restrict`), so it composes
with the access engine's filter and keyset paging. A sort pages by position:
the sort key is a value that any edit may change, so a keyset cursor on it
would need the value in the cursor; a position is simple and stays right
unless the list changes between pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from csm_graph.customfields import services
from csm_graph.customfields.models import CustomFieldEntity
from csm_graph.db import count_queryset
from csm_graph.errors import BadRequest, UserErrors
from csm_graph.schema.context import Info
from csm_graph.schema.customfields.inputs import CustomFieldFilter, CustomFieldSort
from csm_graph.schema.customfields.rules import may_read_every
from csm_graph.schema.errors import graphql_path
from csm_graph.schema.pagination import (
    Connection,
    Edge,
    PageInfo,
    check_page_arguments,
)

M = TypeVar("M", bound=Model)
NodeT = TypeVar("NodeT")

MAX_OFFSET = 100_000
"""How deep a sorted list pages; narrow it with a filter to go further."""


def _bad_request(exc: UserErrors) -> BadRequest:
    first = exc.errors[0]
    return BadRequest(f"`{graphql_path(first.field, {})}`: {first.message}")


async def conditions(
    info: Info, entity: CustomFieldEntity, filters: Sequence[CustomFieldFilter] | None
) -> tuple[services.Condition, ...]:
    """The conditions of a list's `filter.customFields`; a bad one is a bad request
    naming it (`filter.customFields.0.equals`). A field the viewer does not read
    on every record is refused as unknown."""
    found = []
    viewer = info.context.viewer
    try:
        for i, f in enumerate(filters or ()):
            at = f"filter.custom_fields.{i}"
            field = await services.readable_field(
                entity, f.key, lambda d: may_read_every(d, viewer), at
            )
            found.append(services.condition(field, f.equals, f.min, f.max, at))
    except UserErrors as exc:
        raise _bad_request(exc) from None
    return tuple(found)


async def order(
    info: Info, entity: CustomFieldEntity, sort: CustomFieldSort | None
) -> services.Order | None:
    if sort is None:
        return None
    viewer = info.context.viewer
    try:
        field = await services.readable_field(
            entity, sort.key, lambda d: may_read_every(d, viewer), "sort"
        )
    except UserErrors as exc:
        raise _bad_request(exc) from None
    return services.Order(field.id, services.COLUMNS[field.type], sort.descending)


def _encode(position: int) -> str:
    return base64.b64encode(f"o:{position}".encode()).decode()


def _decode(argument: str, cursor: str) -> int:
    try:
        prefix, _, raw = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        position = int(raw)
        if prefix != "o" or not 0 <= position <= MAX_OFFSET:
            raise ValueError
        return position
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"`{argument}` is not a valid cursor of a sorted list.") from None


async def paginate_sorted(
    queryset: QuerySet[M],
    order_by: services.Order,
    build: Callable[[Sequence[M]], Sequence[NodeT]],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    default_size: int = 20,
) -> Connection[NodeT]:
    """One page of `queryset` sorted by a custom field, cursors by position."""
    check_page_arguments(first, last)
    start = _decode("after", after) + 1 if after is not None else 0
    end = _decode("before", before) if before is not None else None
    ordered = services.sorted_by(queryset, order_by)
    if last is not None:
        stop = end if end is not None else await count_queryset(queryset)
        begin = max(start, stop - last)
        rows = list(await ordered.offset(begin).limit(stop - begin)) if stop > begin else []
        has_next, has_previous = before is not None, begin > start
    else:
        size = first if first is not None else default_size
        begin = start
        limit = size if end is None else max(0, min(size, end - begin))
        rows = list(await ordered.offset(begin).limit(limit + 1)) if limit else []
        has_next = len(rows) > limit
        rows = rows[:limit]
        has_previous = after is not None
    nodes = build(rows)
    edges = [Edge(cursor=_encode(begin + i), node=node) for i, node in enumerate(nodes)]
    page_info = PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )

    async def count_all() -> int:
        return await count_queryset(queryset)

    return Connection(edges=edges, page_info=page_info, count=count_all)
