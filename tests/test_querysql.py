"""`querysql` writes a page's or a count's statement without the ORM's query
builder. Whatever it writes must select exactly the rows the ORM's own
statement selects: on generated filters (every lookup it writes, nested
`AND`, `OR`, `NOT` and empty `Q()`s, `filter` and `exclude` chains, orders,
limits and offsets, partial reads), on both databases, against the demo data
set. What it does not write (joins, expressions, dates, other queryset
features) it leaves to the ORM, which then answers as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from csm_graph import runtime
from csm_graph.access import engine
from csm_graph.accounts.models import User
from csm_graph.accounts.viewer import load_viewer
from csm_graph.cases.models import Case, CaseState
from csm_graph.cases.services import visible_cases
from csm_graph.consumers.models import Consumer
from csm_graph.db import count_queryset, fetch_queryset, reading_only
from csm_graph.demo import generate
from csm_graph.querysql import count_sql, select_sql
from tests.conftest import wipe


@dataclass(frozen=True)
class World:
    case_ids: list[int]
    consumer_ids: list[int]
    user_ids: list[int]
    numbers: list[str]


@pytest.fixture
async def world(product: runtime.Runtime) -> World:
    await wipe(product)
    await generate(30, seed=11)
    cases = await Case.all()
    return World(
        case_ids=sorted(c.id for c in cases),
        consumer_ids=sorted({c.consumer_id for c in cases}),
        user_ids=sorted({u for c in cases for u in (c.assigned_to_id, c.opened_by_id) if u}),
        numbers=sorted(c.number for c in cases),
    )


@dataclass(frozen=True)
class Built:
    """A generated condition, and whether `querysql` is expected to write it."""

    q: Q
    written: bool


def _leaf(
    key: str, values: st.SearchStrategy[Any], written: bool = True
) -> st.SearchStrategy[Built]:
    return values.map(lambda value: Built(Q(**{key: value}), written))


def _keys(world: World) -> st.SearchStrategy[int]:
    top = max(world.case_ids) + 2
    return st.one_of(st.sampled_from(world.case_ids), st.integers(min_value=0, max_value=top))


def _text(world: World) -> st.SearchStrategy[str]:
    """Pieces of case numbers and descriptions, and LIKE's special characters."""
    pieces = st.sampled_from([n[i:j] for n in world.numbers[:5] for i, j in ((0, 3), (2, 6))])
    special = st.sampled_from(["%", "_", "\\", "a%", "_1", "", "ö", "CS-"])
    typed = st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=3,
    )
    return st.one_of(pieces, special, typed)


def _leaves(world: World) -> st.SearchStrategy[Built]:
    ids = _keys(world)
    people = st.one_of(st.none(), st.sampled_from(world.user_ids or [1]), st.integers(0, 5))
    consumers = st.one_of(st.sampled_from(world.consumer_ids), st.integers(0, 3))
    states = st.sampled_from(list(CaseState))
    state_values = st.one_of(states, states.map(lambda s: s.value))
    a_day = st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2030, 1, 1),
        timezones=st.just(dt.UTC),
    )
    return st.one_of(
        _leaf("id", ids),
        *(_leaf(f"id__{op}", ids) for op in ("gt", "gte", "lt", "lte", "not")),
        _leaf("id__in", st.lists(ids, max_size=4)),
        _leaf("id__not_in", st.lists(ids, max_size=4)),
        _leaf("consumer_id", consumers),
        _leaf("consumer_id__in", st.lists(consumers, max_size=3)),
        _leaf("household_id", st.one_of(st.none(), st.integers(0, 40))),
        _leaf("household_id__isnull", st.booleans()),
        _leaf("household_id__not_isnull", st.booleans()),
        _leaf("household_id__not", st.integers(0, 40)),
        _leaf("assigned_to_id", people),
        _leaf("assigned_to_id__not_in", st.lists(people.filter(bool), max_size=3)),
        _leaf("opened_by_id", people),
        _leaf("assignment_team_id__in", st.lists(st.integers(0, 6), max_size=3)),
        _leaf("state", state_values),
        _leaf("state__in", st.lists(state_values, max_size=3)),
        _leaf("priority__lte", st.integers(0, 6)),
        _leaf("sla_breached", st.booleans()),
        _leaf("number__icontains", _text(world)),
        _leaf("number__contains", _text(world)),
        _leaf("short_description__icontains", _text(world)),
        _leaf("number__istartswith", _text(world)),
        _leaf("number__startswith", _text(world)),
        # left to the ORM: dates, relations, expressions
        _leaf("created_at__lte", a_day, written=False),
        _leaf("consumer__first_name__icontains", _text(world), written=False),
        _leaf("version", st.just(F("priority")), written=False),
    )


def _trees(world: World) -> st.SearchStrategy[Built]:
    def extend(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
        pair = st.tuples(children, children)
        return st.one_of(
            pair.map(lambda p: Built(p[0].q & p[1].q, p[0].written and p[1].written)),
            pair.map(lambda p: Built(p[0].q | p[1].q, p[0].written and p[1].written)),
            children.map(lambda b: Built(~b.q, b.written)),
            # several keywords in one Q, joined by its connector
            st.tuples(st.sampled_from([Q.AND, Q.OR]), _leaves(world), _leaves(world)).map(
                lambda t: Built(
                    Q(join_type=t[0], **{**t[1].q.filters, **t[2].q.filters}),
                    t[1].written and t[2].written,
                )
            ),
        )

    empty = st.just(Built(Q(), True))
    return st.recursive(st.one_of(_leaves(world), empty), extend, max_leaves=6)


ORDERS = [(), ("id",), ("-id",), ("priority", "id"), ("-number",), ("state", "-id")]
"""Total orders only (two statements may break ties differently); () is the
table's own order, compared as a set."""


@dataclass(frozen=True)
class Chain:
    steps: list[tuple[str, Built]]
    order: tuple[str, ...]
    limit: int | None
    offset: int | None

    def queryset(self) -> QuerySet[Case]:
        queryset = Case.all()
        for step, built in self.steps:
            queryset = queryset.filter(built.q) if step == "filter" else queryset.exclude(built.q)
        return queryset

    @property
    def written(self) -> bool:
        return all(built.written for _, built in self.steps)


def _chains(world: World) -> st.SearchStrategy[Chain]:
    step = st.tuples(st.sampled_from(["filter", "exclude"]), _trees(world))
    return st.builds(
        Chain,
        steps=st.lists(step, min_size=1, max_size=3),
        order=st.sampled_from(ORDERS),
        limit=st.one_of(st.none(), st.integers(0, 12)),
        offset=st.one_of(st.none(), st.integers(0, 5)),
    )


@asynccontextmanager
async def _snapshot() -> AsyncIterator[None]:
    """The reads compared with each other see one snapshot of the data: the real
    worker's schedules (closing resolved cases, SLA checks) may change cases
    between two reads otherwise. SQLite's transactions take the write lock. A
    queryset chooses its connection when first compiled or run, so each is
    made inside."""
    async with in_transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


async def _check(chain: Chain) -> None:
    async with _snapshot():
        await _compare(chain)


async def _compare(chain: Chain) -> None:
    base = chain.queryset()
    # the count, as the ORM counts
    assert (count_sql(base) is not None) == chain.written
    assert await count_queryset(base) == await base.count()

    page = base.order_by(*chain.order) if chain.order else base
    if chain.limit is not None:
        page = page.limit(chain.limit)
        if chain.offset is not None:
            page = page.offset(chain.offset)
    assert (select_sql(page) is not None) == chain.written
    ours = [c.id for c in await fetch_queryset(page)]
    theirs = [c.id for c in await page]
    if chain.order:
        assert ours == theirs
    elif chain.limit is None:
        assert sorted(ours) == sorted(theirs)

    # a partial read holds the same values as the ORM's rows
    fields = frozenset({"id", "number", "state", "household_id", "sla_breached"})
    with reading_only({Case: fields}):
        partial = await fetch_queryset(page)
    if chain.order:
        whole = await page
        assert [{f: getattr(c, f) for f in fields} for c in partial] == [
            {f: getattr(c, f) for f in fields} for c in whole
        ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_written_statements_select_what_the_orm_selects(
    world: World, data: st.DataObject
) -> None:
    await _check(data.draw(_chains(world)))


TRAPS: list[Any] = [
    # LIKE's own characters are searched for as themselves
    Q(number__icontains="%"),
    Q(number__icontains="_"),
    Q(number__icontains="\\"),
    Q(short_description__contains="%"),
    Q(number__istartswith="_"),
    # NULLs: NOT IN, "not" and NOT keep or drop them as the ORM does
    Q(assigned_to_id__not_in=[1, 2]),
    Q(household_id__not=1),
    ~Q(assigned_to_id=1),
    ~Q(household_id=None),
    Q(household_id__isnull=False),
    # empty lists and empty conditions
    Q(id__in=[]),
    Q(id__not_in=[]),
    ~Q(id__in=[]),
    Q() | Q(id=1),
    ~Q() & Q(state="NEW"),
    # several keywords in one OR
    Q(state="NEW", household_id=None, join_type=Q.OR),
]


@pytest.mark.parametrize("condition", TRAPS)
async def test_known_traps_select_what_the_orm_selects(world: World, condition: Q) -> None:
    async with _snapshot():
        await _compare_trap(condition)


async def _compare_trap(condition: Q) -> None:
    for queryset in (Case.filter(condition), Case.exclude(condition)):
        assert select_sql(queryset) is not None
        ours = sorted(c.id for c in await fetch_queryset(queryset))
        assert ours == sorted(c.id for c in await queryset)
        assert await count_queryset(queryset) == await queryset.count()


async def test_the_access_engines_filters_are_written_and_agree_for_every_user(
    world: World,
) -> None:
    # given every user of the demo data set and the consumers with a login
    checked = 0
    for user in await User.all():
        viewer = await load_viewer(user.id)
        assert viewer is not None
        subject = await engine.load_subject(viewer)
        # when their visible cases are read as a page and counted
        async with _snapshot():
            queryset = visible_cases(subject)
            page = queryset.order_by("-id").limit(50)
            # then the statements are written here, and select what the ORM's select
            assert select_sql(page) is not None
            assert count_sql(queryset) is not None
            assert [c.id for c in await fetch_queryset(page)] == [c.id for c in await page]
            assert await count_queryset(queryset) == await queryset.count()
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    "make",
    [
        lambda: Case.all().distinct(),
        (LOCKED := lambda: Case.all().select_for_update()),
        lambda: Case.all().annotate(n=Count("id")),
        lambda: Case.all().select_related("consumer"),
        lambda: Case.all().prefetch_related("consumer"),
        lambda: Case.all().only("id"),
        lambda: Case.all().group_by("state"),
        lambda: Case.all().order_by("consumer__first_name"),
        lambda: Case.filter(Q(consumer__last_name="x")),
        lambda: Case.filter(id__in=Case.all().values_list("id", flat=True)),
        lambda: Case.filter(created_at__gt=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
        lambda: Consumer.filter(Q(first_name=F("last_name"))),
    ],
)
def test_what_is_not_written_is_left_to_the_orm(product: runtime.Runtime, make: Any) -> None:
    queryset = make()
    if make is LOCKED and not queryset._select_for_update:
        pytest.skip("this database takes no row locks: the ORM writes no FOR UPDATE either")
    assert select_sql(queryset) is None


def test_a_count_is_not_written_for_a_limited_queryset(product: runtime.Runtime) -> None:
    assert count_sql(Case.all().limit(3)) is None
    assert count_sql(Case.all().offset(3).limit(3)) is None
    assert count_sql(Case.all().order_by("-id")) is not None
