"""Relay connections over Tortoise querysets, paged by keyset on the primary key.

Keyset paging (`WHERE id > cursor ORDER BY id LIMIT n+1`) costs the same on
the last page as on the first, unlike OFFSET. `totalCount` runs its COUNT
only when a client selects it, and not at all when the page is the whole
list (no cursor, nothing beyond it): the page's length is the count.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import SelectedField, Selection
from tortoise.models import Model
from tortoise.queryset import QuerySet

from csm_graph.db import MAX_KEY, count_queryset, fetch_queryset
from csm_graph.errors import BadRequest
from csm_graph.settings import get_settings

NodeT = TypeVar("NodeT")

# The Relay arguments every connection field takes, described once.
First = Annotated[
    int | None,
    strawberry.argument(description="Page forward: this many items after `after` (at most 100)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Page forward from this cursor (exclusive)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page backward: this many items before `before` (at most 100)."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Page backward from this cursor (exclusive)."),
]
M = TypeVar("M", bound=Model)


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items precede this page.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last edge.")


@strawberry.type(description="An item of a page, with the cursor to page from it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list has, across all pages.")
    async def total_count(self) -> int:
        return await self.count()


def _selects(selections: Iterable[Selection], name: str) -> bool:
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == name:
                return True
        elif _selects(selection.selections, name):  # a fragment
            return True
    return False


def asks_for_total_count(info: strawberry.Info[Any, Any]) -> bool:
    """Whether the connection field being resolved selects `totalCount` (fragments
    included), so a loader can start counting for a whole page of parents at once."""
    return any(_selects(field.selections, "totalCount") for field in info.selected_fields)


DEFAULT_PAGE_SIZE = 20
"""The size of a page asked with neither `first` nor `last`."""


def encode_cursor(key: int) -> str:
    return base64.b64encode(f"c:{key}".encode()).decode()


def decode_cursor(argument: str, cursor: str) -> int:
    try:
        prefix, _, raw = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        key = int(raw)
        if prefix != "c" or not 1 <= key <= MAX_KEY:
            raise ValueError
        return key
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"`{argument}` is not a valid cursor.") from None


def check_page_arguments(first: int | None, last: int | None) -> None:
    limit = get_settings().max_page_size
    for name, value in (("first", first), ("last", last)):
        if value is not None and value < 0:
            raise BadRequest(f"`{name}` must not be negative.")
        if value is not None and value > limit:
            raise BadRequest(f"`{name}` must be at most {limit}.")
    if first is not None and last is not None:
        raise BadRequest("Give `first` or `last`, not both.")


async def paginate(
    queryset: QuerySet[M],
    build: Callable[[Sequence[M]], Sequence[NodeT]],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    descending: bool = False,
    default_size: int = DEFAULT_PAGE_SIZE,
    count: Callable[[], Awaitable[int]] | None = None,
    first_rows: Callable[[int], Awaitable[Sequence[M]]] | None = None,
) -> Connection[NodeT]:
    """One page of `queryset` ordered by id (newest first when `descending`).

    `count` answers `totalCount` when a loader counts for many lists at once
    (a page of consumers, each with its cases); by default, a COUNT of `queryset`.
    Neither runs when the page holds the whole list. `first_rows(n)`, when given,
    reads the first `n` rows of a page asked without a cursor (a loader reading
    many lists' first pages at once), in the page's order, instead of a query."""
    check_page_arguments(first, last)
    page = queryset
    # In the list's own order, "after" means further along.
    gt, lt = ("id__lt", "id__gt") if descending else ("id__gt", "id__lt")
    if after is not None:
        page = page.filter(**{gt: decode_cursor("after", after)})
    if before is not None:
        page = page.filter(**{lt: decode_cursor("before", before)})
    backwards = last is not None
    size = last if backwards else (first if first is not None else default_size)
    assert size is not None
    ascending_in_query = descending == backwards
    if first_rows is not None and after is None and before is None and not backwards:
        rows = list(await first_rows(size + 1))
    else:
        rows = await fetch_queryset(
            page.order_by("id" if ascending_in_query else "-id").limit(size + 1)
        )
    has_more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    nodes = build(rows)
    edges = [
        Edge(cursor=encode_cursor(row.pk), node=node) for row, node in zip(rows, nodes, strict=True)
    ]
    page_info = PageInfo(
        has_next_page=has_more if not backwards else before is not None,
        has_previous_page=has_more if backwards else after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )

    async def count_all() -> int:
        return await count_queryset(queryset)

    whole = len(rows)

    async def count_page() -> int:
        return whole

    if after is None and before is None and not has_more:
        # The page is the whole list: its length is the count, from the same read.
        count = count_page
    return Connection(edges=edges, page_info=page_info, count=count or count_all)
