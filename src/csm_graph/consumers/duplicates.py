"""Duplicate consumer candidates: pairs of live records that may be one person.

Imports, signup and the phone channel each make consumer records, so the same
person can end up with two. A *candidate* is a pair of live records (not
tombstones: `merged_into_id IS NULL`) that at least one rule matches and that
no agent has dismissed. Each rule is a reason with a strength, in thousandths:

- `EXTERNAL_ID` (0.95): the same external id once normalised: case-folded,
  spaces, dashes and dots removed, then leading zeros stripped
  (`CRM-001.23` and `crm00123` both become `crm00123`; `000123` and `123`
  both become `123`). A value that normalises to nothing matches nothing.
- `EMAIL` (0.85): the same email (emails are stored lower-cased); 0.75 when
  one record's email is the other's personal email.
- `PHONE` (0.70): any of one record's phone and mobile phone (stored in
  E.164) equals any of the other's; empty numbers match nothing.
- `SIMILAR_NAME` (0.60 with the same date of birth, 0.50 with the same
  address): similar names, and also the same date of birth or the same
  address (postal code and first address line, both case-folded with
  spaces, dots, commas and dashes removed; both must be given). On
  PostgreSQL, names are similar when `pg_trgm`'s `similarity()` of the names
  (first, middle and last; prefix and suffix left out) is at least
  `NAME_SIMILARITY`. SQLite has no trigrams: there, names are similar when
  the last names are equal and the first names start with the same letter,
  both case-folded (ASCII letters only, as SQLite's `lower()` does).

A pair's score combines its reasons as independent evidence:
`1 - (1 - s1) * (1 - s2) * ...` over the strongest strength of each reason,
in thousandths (rounded up), so one reason scores its strength, and more
reasons score higher, never above 1. Email and phone together score 0.955.

The matching runs in SQL, one equi-join per rule, so the database hashes or
sorts each side once (or looks one consumer's values up in the indexes)
rather than comparing every record with every other; the name rule only
compares the pairs that already share a birth date or an address. Listing
all pairs still ranks them all on every page: on 100,000 records, about a
second on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from csm_graph.access import policy
from csm_graph.access.engine import Subject
from csm_graph.accounts.viewer import Viewer
from csm_graph.consumers.models import Consumer, DuplicateDismissal
from csm_graph.consumers.services import get_visible
from csm_graph.db import fetch
from csm_graph.errors import AccessDenied, ErrorCode, UserErrors
from csm_graph.transactions import unit_of_work

NAME_SIMILARITY = 0.5
"""The `pg_trgm` similarity from which two names count as similar (PostgreSQL).
At 0.5 `Jon Smith` and `John Smith` (0.62) match; two members of one family at
one address, such as `Anna Doe` and `John Doe` (0.29), do not."""


class DuplicateReason(StrEnum):
    """Why two consumer records may be the same person."""

    EXTERNAL_ID = "EXTERNAL_ID"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    SIMILAR_NAME = "SIMILAR_NAME"


SCALE = 1000
"""Strengths and scores are integers in thousandths in SQL: both backends then
compute, compare and page the very same numbers."""

COLUMNS = {
    DuplicateReason.EXTERNAL_ID: "s_external_id",
    DuplicateReason.EMAIL: "s_email",
    DuplicateReason.PHONE: "s_phone",
    DuplicateReason.SIMILAR_NAME: "s_name",
}
"""The column of the matching query holding each reason's strength (0: no match)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PageKey:
    """Where a candidate sits in the list (strongest first, then by ids): the
    keyset a page continues after."""

    score: int
    """In thousandths."""
    lower_id: int
    higher_id: int


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    """A pair of live consumer records that may be one person, and why."""

    lower_id: int
    higher_id: int
    reasons: tuple[DuplicateReason, ...]
    """Strongest first."""
    score: int
    """0..1000: the reasons' strengths combined (see the module)."""

    @property
    def key(self) -> PageKey:
        return PageKey(self.score, self.lower_id, self.higher_id)

    def other(self, consumer_id: int) -> int:
        """The record paired with `consumer_id`."""
        return self.higher_id if consumer_id == self.lower_id else self.lower_id


# --- the rules, in SQL -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Rule:
    """One equi-join of a record `a` with a record `b`: `a`'s value of `mine`
    equals `b`'s value of `theirs` (templates naming the record `{x}`), and
    `where` (naming the records `a` and `b`) holds. With `text`, an empty value
    is no value: it matches nothing."""

    reason: DuplicateReason
    strength: int
    mine: str
    theirs: str
    where: str = ""
    text: bool = True

    @property
    def symmetric(self) -> bool:
        """Swapping the two records finds the same pairs: `a.id < b.id` sees each once."""
        return self.mine == self.theirs

    def on(self, bare: str | None) -> str:
        """The join condition. Looking up one record's pairs, the other side
        (`bare`: "a" or "b") is the plain column, so its index answers; for all
        pairs, both sides drop empty values first: with many records lacking a
        phone, the column's statistics would otherwise make PostgreSQL expect a
        huge join and probe an index (a trigram one, even) per row instead of
        joining both sides in one pass."""
        sides = {"a": self.mine.format(x="a"), "b": self.theirs.format(x="b")}
        if self.text:
            sides = {k: v if k == bare else f"NULLIF({v}, '')" for k, v in sides.items()}
        return f"{sides['b']} = {sides['a']}"


def _external_id(x: str) -> str:
    return (
        f"LTRIM(REPLACE(REPLACE(REPLACE(LOWER({x}.external_id), ' ', ''), '-', ''), '.', ''), '0')"
    )


def _squeezed(column: str) -> str:
    """A text column case-folded, without spaces, dots, commas and dashes."""
    return (
        f"REPLACE(REPLACE(REPLACE(REPLACE(LOWER({column}), ' ', ''), '.', ''), ',', ''), '-', '')"
    )


def _similar_names(dialect: str) -> str:
    if dialect == "postgres":
        name = "{x}.first_name || ' ' || {x}.middle_name || ' ' || {x}.last_name"
        return f"similarity({name.format(x='a')}, {name.format(x='b')}) >= {NAME_SIMILARITY}"
    return (
        "a.last_name <> '' AND LOWER(a.last_name) = LOWER(b.last_name)"
        " AND LOWER(SUBSTR(a.first_name, 1, 1)) = LOWER(SUBSTR(b.first_name, 1, 1))"
    )


def _rules(dialect: str) -> list[_Rule]:
    names = _similar_names(dialect)
    external_id = _external_id("{x}")
    address = f"{_squeezed('{x}.postal_code')} || '|' || {_squeezed('{x}.address_line1')}"
    given_address = "a.postal_code <> '' AND a.address_line1 <> ''"
    return [
        _Rule(DuplicateReason.EXTERNAL_ID, 950, external_id, external_id),
        _Rule(DuplicateReason.EMAIL, 850, "{x}.email", "{x}.email"),
        _Rule(DuplicateReason.EMAIL, 750, "{x}.email", "{x}.personal_email"),
        _Rule(DuplicateReason.PHONE, 700, "{x}.phone", "{x}.phone"),
        _Rule(DuplicateReason.PHONE, 700, "{x}.mobile_phone", "{x}.mobile_phone"),
        _Rule(DuplicateReason.PHONE, 700, "{x}.phone", "{x}.mobile_phone"),
        _Rule(
            DuplicateReason.SIMILAR_NAME,
            600,
            "{x}.date_of_birth",
            "{x}.date_of_birth",
            names,
            text=False,
        ),
        _Rule(
            DuplicateReason.SIMILAR_NAME,
            500,
            address,
            address,
            f"{given_address} AND {names}",
            text=False,
        ),
    ]


def _select(rule: _Rule, tables: str, pairs: str, *, bare: str | None = None) -> str:
    """The pairs `rule` finds, as (lower id, higher id, one strength per reason),
    joining the records `a` and `b` of `tables`."""
    strengths = ", ".join(
        f"{rule.strength if reason is rule.reason else 0} AS {column}"
        for reason, column in COLUMNS.items()
    )
    where = f" AND {rule.where}" if rule.where else ""
    return (
        "SELECT CASE WHEN a.id < b.id THEN a.id ELSE b.id END AS lower_id, "  # noqa: S608
        f"CASE WHEN a.id < b.id THEN b.id ELSE a.id END AS higher_id, {strengths} "
        f"FROM {tables} ON {rule.on(bare=bare)} "
        f"WHERE a.merged_into_id IS NULL AND b.merged_into_id IS NULL AND {pairs}{where}"
    )


def _matches_of_all(dialect: str) -> str:
    """Every pair each rule finds (a pair may come once per rule)."""
    tables = "consumer a JOIN consumer b"
    return " UNION ALL ".join(
        _select(rule, tables, "a.id < b.id" if rule.symmetric else "a.id <> b.id")
        for rule in _rules(dialect)
    )


def _matches_of_one(dialect: str) -> str:
    """The pairs of the record in the `me` CTE; a one-sided rule runs with the
    record on either side."""
    selects = []
    for rule in _rules(dialect):
        selects.append(_select(rule, "me a JOIN consumer b", "b.id <> a.id", bare="b"))
        if not rule.symmetric:
            selects.append(_select(rule, "me b JOIN consumer a", "a.id <> b.id", bare="a"))
    return " UNION ALL ".join(selects)


def _candidates(matches: str) -> str:
    """One row per open pair: each reason's strongest strength and the score."""
    maxima = ", ".join(f"MAX(m.{column}) AS {column}" for column in COLUMNS.values())
    columns = ", ".join(f"g.{column}" for column in COLUMNS.values())
    # The product of the misses reaches 10^12: 64-bit arithmetic. Integer division
    # takes the product's floor, so the score rounds up.
    first, *rest = COLUMNS.values()
    misses = " * ".join(
        [f"CAST({SCALE} - g.{first} AS BIGINT)", *(f"({SCALE} - g.{c})" for c in rest)]
    )
    divisor = SCALE ** (len(COLUMNS) - 1)
    return (
        f"SELECT g.lower_id, g.higher_id, {columns}, "  # noqa: S608
        f"{SCALE} - {misses} / {divisor} AS score "
        f"FROM (SELECT m.lower_id, m.higher_id, {maxima} FROM ({matches}) m "
        "GROUP BY m.lower_id, m.higher_id) g "
        "WHERE NOT EXISTS (SELECT 1 FROM consumer_duplicate_dismissal d "
        "WHERE d.lower_id = g.lower_id AND d.higher_id = g.higher_id)"
    )


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


async def _run(sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run a matching query. On PostgreSQL without JIT compilation: the query's
    many expressions take seconds to compile on 100,000 records, several times
    what running it takes."""
    if _dialect() != "postgres":
        return await fetch(sql, params)
    async with in_transaction():
        await fetch("SET LOCAL jit = off")
        return await fetch(sql, params)


def _candidate(row: Sequence[Any]) -> Candidate:
    lower_id, higher_id, *strengths, score = (int(v) for v in row)
    found = [
        (strength, -position, reason)
        for position, (reason, strength) in enumerate(zip(COLUMNS, strengths, strict=True))
        if strength
    ]
    reasons = tuple(reason for _, _, reason in sorted(found, reverse=True))
    return Candidate(lower_id, higher_id, reasons, score)


ORDER = "ORDER BY c.score DESC, c.lower_id, c.higher_id"
REVERSED = "ORDER BY c.score, c.lower_id DESC, c.higher_id DESC"


# --- queries -------------------------------------------------------------------------


def _require_internal(viewer: Viewer | None) -> None:
    if viewer is None or not viewer.is_internal:
        raise AccessDenied("Only internal users may review duplicate consumers.")


async def candidates_for(subject: Subject | None, consumer_id: int | None) -> list[Candidate]:
    """The open candidates of one consumer, strongest first; none for a record the
    subject may not see, a merged record (a tombstone) or no record at all."""
    _require_internal(subject.viewer if subject else None)
    if consumer_id is None:
        return []
    consumer = await Consumer.get_or_none(id=consumer_id)
    if consumer is None or consumer.merged_into_id is not None:
        return []
    if not await policy.can_see(subject, consumer):
        return []
    me = "SELECT * FROM consumer WHERE id = ? AND merged_into_id IS NULL"
    sql = f"WITH me AS ({me}) SELECT * FROM ({_candidates(_matches_of_one(_dialect()))}) c {ORDER}"  # noqa: S608
    return [_candidate(row) for row in await _run(sql, [consumer_id])]


async def candidate_page(
    viewer: Viewer | None,
    *,
    after: PageKey | None = None,
    before: PageKey | None = None,
    size: int,
    backwards: bool = False,
) -> list[Candidate]:
    """Up to `size` open candidates among all consumers, strongest first (then by
    the pair's ids, so the order is stable), between `after` and `before`: the
    first `size` of that stretch, or its last `size` when `backwards`."""
    _require_internal(viewer)
    params: list[object] = []
    bounds = []
    if after is not None:
        bounds.append(
            "(c.score < ? OR (c.score = ? AND "
            "(c.lower_id > ? OR (c.lower_id = ? AND c.higher_id > ?))))"
        )
        params += [after.score, after.score, after.lower_id, after.lower_id, after.higher_id]
    if before is not None:
        bounds.append(
            "(c.score > ? OR (c.score = ? AND "
            "(c.lower_id < ? OR (c.lower_id = ? AND c.higher_id < ?))))"
        )
        params += [before.score, before.score, before.lower_id, before.lower_id, before.higher_id]
    where = f"WHERE {' AND '.join(bounds)}" if bounds else ""
    order = REVERSED if backwards else ORDER
    sql = f"SELECT * FROM ({_candidates(_matches_of_all(_dialect()))}) c {where} {order} LIMIT ?"  # noqa: S608
    found = [_candidate(row) for row in await _run(sql, [*params, size])]
    return found[::-1] if backwards else found


async def count_candidates(viewer: Viewer | None) -> int:
    """How many open candidates there are among all consumers."""
    _require_internal(viewer)
    sql = f"SELECT COUNT(*) FROM ({_candidates(_matches_of_all(_dialect()))}) c"  # noqa: S608
    rows = await _run(sql)
    return int(rows[0][0])


# --- dismissal -----------------------------------------------------------------------


async def _live(subject: Subject, consumer_id: int, field: str) -> Consumer:
    """A consumer the subject may see that is not a tombstone; a merged record's id
    is answered like an unknown one, as the candidate queries answer it."""
    consumer = await get_visible(subject, consumer_id, field)
    if consumer.merged_into_id is not None:
        raise UserErrors.one(
            field, "This consumer was merged into another record.", ErrorCode.NOT_FOUND
        )
    return consumer


async def dismiss(subject: Subject, consumer_id: int, other_id: int) -> tuple[Consumer, Consumer]:
    """Record that two consumers are not the same person (internal users), so the
    pair is never offered again. Dismissing a pair twice changes nothing."""
    _require_internal(subject.viewer)
    if consumer_id == other_id:
        raise UserErrors.one("other_id", "Give two different consumers.", ErrorCode.INVALID)
    async with unit_of_work():
        consumer = await _live(subject, consumer_id, "consumer_id")
        other = await _live(subject, other_id, "other_id")
        lower_id, higher_id = sorted((consumer.id, other.id))
        # Dismissed already, or at this moment by someone else: nothing to add.
        await DuplicateDismissal.bulk_create(
            [
                DuplicateDismissal(
                    lower_id=lower_id, higher_id=higher_id, dismissed_by_id=subject.viewer.user_id
                )
            ],
            ignore_conflicts=True,
        )
    return consumer, other
