"""The access engine: who may do what with a case, decided in one place.

Every grant kind is one small definition with two faces that must agree:

* `condition(subject)`: a Tortoise filter over cases, so lists are filtered
  in SQL (`cases(...)` is `WHERE grant_1 OR grant_2 OR ...`, in one query);
* `grant(subject, case)`: the same rule over a case already loaded, so
  `viewerCan`, field checks, mutations, downloads and subscriptions decide
  with no further query, and `explainAccess` can say which grants apply.

What a rule needs to know about the viewer (their consumer record, current
households and headships, representations, reports, their current related
parties with their responsibilities' actions) is loaded once per request
into a `Subject`, so a configuration change applies on the next request.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from tortoise.expressions import Q

from csm_graph import clock
from csm_graph.access.models import RelatedParty, department_key
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer, with_staff_facts
from csm_graph.cases.models import FINAL_STATES, Case, CaseState
from csm_graph.db import fetch
from csm_graph.households.access import (
    NO_REACH,
    Reach,
    current_memberships,
    current_representations,
    reach_from,
)
from csm_graph.households.models import HouseholdMember as HouseholdMemberModel
from csm_graph.households.models import Representation


class CaseAction(StrEnum):
    READ = "READ"
    COMMENT = "COMMENT"
    ATTACH = "ATTACH"
    ACCEPT_SOLUTION = "ACCEPT_SOLUTION"
    REJECT_SOLUTION = "REJECT_SOLUTION"
    CLOSE = "CLOSE"
    MANAGE_RELATED_PARTIES = "MANAGE_RELATED_PARTIES"
    WORK = "WORK"
    """Internal work: assign, request info, propose a solution, cancel, edit, work notes."""


A = CaseAction
READ_ONLY = frozenset({A.READ})
CONSUMER_SIDE = frozenset(
    {A.READ, A.COMMENT, A.ATTACH, A.ACCEPT_SOLUTION, A.REJECT_SOLUTION, A.CLOSE}
)
AGENT = frozenset({A.READ, A.COMMENT, A.ATTACH, A.WORK, A.MANAGE_RELATED_PARTIES})
EVERYTHING = frozenset(CaseAction)


@dataclass(frozen=True)
class PartyAccess:
    """One current related-party row of the viewer, with what its responsibility allows."""

    party_id: int
    case_id: int | None
    sold_product_id: int | None
    relationship: str
    responsibility: str
    actions: frozenset[CaseAction]
    valid_until: dt.date | None
    product_name: str = ""
    manages_product: bool = False
    """The responsibility allows MANAGE on the sold product (its related parties)."""
    team_id: int | None = None
    """The party is this team, of which the viewer is a member."""
    team_name: str = ""
    department_id: int | None = None
    """The party is this department, the viewer's."""
    department_name: str = ""

    @property
    def direct(self) -> bool:
        """The viewer themselves (as user or consumer) is the party."""
        return self.team_id is None and self.department_id is None

    @property
    def via(self) -> str:
        """How the viewer holds the party: as a team member, in a department, or themselves."""
        if self.team_id is not None:
            return f"member of team {self.team_name}"
        if self.department_id is not None:
            return f"in department {self.department_name}"
        return ""


def parse_case_actions(text: str) -> frozenset[CaseAction]:
    """The actions a responsibility's `case_actions` lists (unknown names are ignored)."""
    names = set(text.split())
    return frozenset(a for a in CaseAction if a.value in names and a is not CaseAction.WORK)


def current_parties(today: dt.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=today)) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


@dataclass
class Seen:
    """What the rules already decided for one subject during its request, so a
    page's answers serve the fields below it: the actions on each case (by the
    columns the grants read), and the cases found readable with the consumers
    and people they show (`access.policy` reads these before asking SQL).
    A subject lives for one operation, so nothing here outlives a change."""

    actions: dict[tuple[int | None, ...], frozenset[CaseAction]] = field(default_factory=dict)
    readable_cases: set[int] = field(default_factory=set)
    consumers: set[int] = field(default_factory=set)
    """Consumers a readable case is about."""
    users: set[int] = field(default_factory=set)
    """Openers and assignees of readable cases, authors and actors of what the viewer reads."""


@dataclass(frozen=True)
class Subject:
    """The viewer and everything the rules need to know about them, loaded once."""

    viewer: Viewer
    today: dt.date
    reach: Reach = NO_REACH
    report_ids: frozenset[int] = field(default_factory=frozenset)
    parties: tuple[PartyAccess, ...] = ()
    """The viewer's current related-party rows that grant something: as consumer or
    user, and through their teams and their department."""
    department: str = ""
    """The viewer's department as `department_key` compares it ("": none, or not internal)."""
    seen: Seen = field(default_factory=Seen, compare=False, repr=False)
    """This request's decisions so far (not part of who the subject is)."""

    @property
    def consumer_id(self) -> int | None:
        return self.reach.consumer_id

    @functools.cached_property
    def rules(self) -> tuple[Rule, ...]:
        """The rules that open some case to this subject, in `RULES` order: the
        only ones `grants` asks (a rule whose condition is None grants nothing)."""
        return tuple(rule for rule in RULES if rule.condition(self) is not None)

    def parties_on_case(self, case_id: int) -> list[PartyAccess]:
        return [p for p in self.parties if p.case_id == case_id]

    def parties_on_product(self, sold_product_id: int | None) -> list[PartyAccess]:
        if sold_product_id is None:
            return []
        return [p for p in self.parties if p.sold_product_id == sold_product_id]


async def load_subject(viewer: Viewer) -> Subject:
    """The subject of one viewer today, as every request loads it: equal to what
    `load_subjects` gives for the viewer and their `reach_of`, in as few
    statements as can be. No statement for an administrator (every case is
    theirs); one for a consumer (their reach and their related parties, as one tagged
    UNION); one for other staff (their related parties: their department and
    reports come with the viewer, `load_viewer`, and a department is matched
    by `department_key`, which SQL cannot compute). Nothing is kept between
    calls, so a grant removed or a department changed applies on the next
    request."""
    today = clock.today()
    if viewer.is_admin:
        return Subject(viewer=viewer, today=today)
    if viewer.is_internal:
        return await _load_staff(viewer, today)
    return await _load_consumer_side(viewer, today)


async def load_subjects(
    people: Sequence[tuple[Viewer, Reach]],
    today: dt.date,
    *,
    reports: Callable[[list[int]], Awaitable[dict[int, frozenset[int]]]] | None = None,
    parties_known_at: dt.datetime | None = None,
) -> list[Subject]:
    """The subjects of many viewers whose reach is known, in three queries however
    many they are (their reports, their departments, their related parties,
    their teams' and their departments' included): the access report asks it
    for everyone at once. A request loads its one viewer with `load_subject`,
    which gives the same subject in fewer statements.

    `today` is the day the rules read dated rows at; `reports` (manager id ->
    report ids) and `parties_known_at` (only party rows that existed then) let
    `explainAccess(at:)` build a subject as it was at a past moment."""
    managers = [v.user_id for v, _ in people if v.is_manager and not v.is_admin]
    report_ids = await (reports or _reports_now)(managers) if managers else {}
    asking = [(v, r) for v, r in people if not v.is_admin]
    departments = await _departments([v.user_id for v, _ in asking if v.is_internal])
    parties = await _load_parties(asking, today, parties_known_at, departments) if asking else {}
    return [
        Subject(
            viewer=viewer,
            today=today,
            reach=reach,
            report_ids=report_ids.get(viewer.user_id, frozenset()),
            parties=parties.get(viewer.user_id, ()),
            department=departments.get(viewer.user_id, ""),
        )
        for viewer, reach in people
    ]


async def _departments(user_ids: list[int]) -> dict[int, str]:
    """The department (`department_key`) of each internal user who has one, in
    one query; read per request, so a move to another department bites at once."""
    if not user_ids:
        return {}
    rows: list[Any] = await User.filter(
        id__in=sorted(set(user_ids)), user_type=UserType.INTERNAL
    ).values_list("id", "department")
    return {int(u): key for u, text in rows if (key := department_key(text or ""))}


async def _reports_now(manager_ids: list[int]) -> dict[int, frozenset[int]]:
    """The users each manager manages now, in one query."""
    rows: list[Any] = await User.filter(manager_id__in=manager_ids).values_list("manager_id", "id")
    out: dict[int, set[int]] = {}
    for manager_id, user_id in rows:
        out.setdefault(int(manager_id), set()).add(int(user_id))
    return {m: frozenset(ids) for m, ids in out.items()}


async def _load_parties(
    people: Sequence[tuple[Viewer, Reach]],
    today: dt.date,
    known_at: dt.datetime | None,
    departments: dict[int, str],
) -> dict[int, tuple[PartyAccess, ...]]:
    """The current related parties with a responsibility of each viewer (as user,
    as their consumer, as a member of a team, in their department), by user id,
    in one query."""
    user_ids = sorted({v.user_id for v, _ in people})
    consumer_ids = sorted({r.consumer_id for _, r in people if r.consumer_id is not None})
    team_ids = sorted({t for v, _ in people if v.is_internal for t in v.team_ids})
    keys = sorted(set(departments.values()))
    who = Q(user_id__in=user_ids)
    if consumer_ids:
        who |= Q(consumer_id__in=consumer_ids)
    if team_ids:
        who |= Q(team_id__in=team_ids)
    if keys:
        who |= Q(department__key__in=keys)
    query = RelatedParty.filter(who, current_parties(today), responsibility_id__isnull=False)
    if known_at is not None:
        query = query.filter(created_at__lte=known_at)
    rows: list[dict[str, Any]] = await query.order_by("id").values(
        "id",
        "case_id",
        "sold_product_id",
        "valid_until",
        "user_id",
        "consumer_id",
        "team_id",
        "department_id",
        team_name="team__name",
        department_name="department__name",
        department_key="department__key",
        relationship="relationship_type__name",
        responsibility="responsibility__name",
        case_actions="responsibility__case_actions",
        product_actions="responsibility__product_actions",
        product_name="sold_product__name",
    )
    found = [(row, access) for row in rows if (access := _party_access(row)) is not None]
    return {
        viewer.user_id: tuple(
            access
            for row, access in found
            if _holds(viewer, reach, departments.get(viewer.user_id), row)
        )
        for viewer, reach in people
    }


def _party_access(row: dict[str, Any]) -> PartyAccess | None:
    """The access a related-party row gives; None when its responsibility allows
    no case action."""
    actions = parse_case_actions(row["case_actions"] or "")
    if not actions:
        return None
    return PartyAccess(
        party_id=int(row["id"]),
        case_id=row["case_id"],
        sold_product_id=row["sold_product_id"],
        relationship=str(row["relationship"]),
        responsibility=str(row["responsibility"]),
        actions=actions,
        valid_until=row["valid_until"],
        product_name=str(row["product_name"] or ""),
        manages_product="MANAGE" in str(row["product_actions"] or "").split(),
        team_id=row["team_id"],
        team_name=str(row["team_name"] or ""),
        department_id=row["department_id"],
        department_name=str(row["department_name"] or ""),
    )


def _holds(viewer: Viewer, reach: Reach, department: str | None, row: dict[str, Any]) -> bool:
    """Whether `viewer` holds the party `row`: as a member of its team, in its
    department (`department`: the viewer's `department_key`), or themselves."""
    if row["team_id"] is not None:
        return viewer.is_internal and row["team_id"] in viewer.team_ids
    if row["department_id"] is not None:
        return department is not None and row["department_key"] == department
    return row["user_id"] == viewer.user_id or (
        reach.consumer_id is not None and row["consumer_id"] == reach.consumer_id
    )


# The one-viewer load of every request, in hand-written SQL that says what
# `reach_of_consumer` (households.access) and `_load_parties` say with the ORM;
# tests/schema/access/test_subject_load.py holds the two loads to equal subjects.
# Each part of a tagged UNION fills the columns it needs and leaves the others
# NULL, typed, so that PostgreSQL can match the parts column by column.
_COLUMNS: tuple[tuple[str, str], ...] = (
    *((f"i{n}", "INTEGER") for n in range(7)),
    ("day", "DATE"),
    ("flag", "BOOLEAN"),
    *((f"s{n}", "VARCHAR(300)") for n in range(8)),
)
_AT = {name: n for n, (name, _) in enumerate(_COLUMNS, start=1)}
"""Where each column is in a row (the tag is first)."""


def _part(tag: str, source: str, **columns: str) -> str:
    """One part of a tagged UNION: `tag`, the `columns` it fills, then `source`
    (its FROM and WHERE)."""
    values = ", ".join(f"{columns.get(c, f'CAST(NULL AS {t})')} AS {c}" for c, t in _COLUMNS)
    return f"SELECT '{tag}' AS tag, {values} {source}"


_PARTY_COLUMNS = {
    "id": ("i0", "rp.id"),
    "case_id": ("i1", "rp.case_id"),
    "sold_product_id": ("i2", "rp.sold_product_id"),
    "user_id": ("i3", "rp.user_id"),
    "consumer_id": ("i4", "rp.consumer_id"),
    "team_id": ("i5", "rp.team_id"),
    "department_id": ("i6", "rp.department_id"),
    "valid_until": ("day", "rp.valid_until"),
    "team_name": ("s0", "t.name"),
    "department_name": ("s1", "d.name"),
    "department_key": ("s2", "d.key"),
    "relationship": ("s3", "rt.name"),
    "responsibility": ("s4", "r.name"),
    "case_actions": ("s5", "r.case_actions"),
    "product_actions": ("s6", "r.product_actions"),
    "product_name": ("s7", "sp.name"),
}
"""The `p` part: the keys `_load_parties` reads a party row by, their columns
and what fills them."""


def _parties(*picks: str) -> str:
    """The `p` part: the current related parties with a responsibility
    (`current_parties`) that any of `picks` (conditions on one column of
    `related_party` each) selects. Each pick is its own indexed lookup, joined
    by UNION ALL: as one OR of columns, SQLite reads every related party of
    every responsibility instead, on each request."""
    picked = " UNION ALL ".join(
        f"SELECT id FROM related_party WHERE {p}"  # noqa: S608 (values as :name parameters)
        for p in picks
    )
    return _part(
        "p",
        "FROM related_party rp JOIN responsibility r ON r.id = rp.responsibility_id"
        " LEFT JOIN relationship_type rt ON rt.id = rp.relationship_type_id"
        " LEFT JOIN team t ON t.id = rp.team_id"
        " LEFT JOIN department d ON d.id = rp.department_id"
        " LEFT JOIN sold_product sp ON sp.id = rp.sold_product_id"
        " WHERE (rp.valid_from IS NULL OR rp.valid_from <= :today)"
        f" AND (rp.valid_until IS NULL OR rp.valid_until >= :today) AND rp.id IN ({picked})",
        **dict(_PARTY_COLUMNS.values()),
    )


_CONSUMER_SIDE = " ".join(
    (
        # The viewer's consumer record (at most one: `consumer.user_id` is unique).
        "WITH me AS (SELECT id FROM consumer WHERE user_id = :user)",
        " UNION ALL ".join(
            (
                _part("c", "FROM me", i0="id"),
                # Their current memberships (`current_memberships`).
                _part(
                    "m",
                    "FROM household_member hm WHERE hm.consumer_id = (SELECT id FROM me)"
                    " AND hm.end_date IS NULL AND hm.start_date <= :today",
                    i0="hm.household_id",
                    flag="hm.is_head",
                ),
                # The current representations they hold or are the subject of
                # (`current_representations`).
                _part(
                    "r",
                    "FROM representation rr WHERE (rr.representative_id = (SELECT id FROM me)"
                    " OR rr.consumer_id = (SELECT id FROM me)) AND rr.valid_from <= :today"
                    " AND (rr.valid_until IS NULL OR rr.valid_until >= :today)",
                    i0="rr.representative_id",
                    i1="rr.consumer_id",
                    day="rr.valid_until",
                    flag="rr.read_only",
                ),
                # The current members of their current households, and the
                # current memberships of the consumers they currently represent:
                # two parts, so that each finds its rows by an index.
                _part(
                    "h",
                    "FROM household_member hm"
                    " WHERE hm.end_date IS NULL AND hm.start_date <= :today AND hm.household_id IN"
                    " (SELECT mine.household_id FROM household_member mine"
                    " WHERE mine.consumer_id = (SELECT id FROM me)"
                    " AND mine.end_date IS NULL AND mine.start_date <= :today)",
                    i0="hm.household_id",
                    i1="hm.consumer_id",
                ),
                _part(
                    "h",
                    "FROM household_member hm"
                    " WHERE hm.end_date IS NULL AND hm.start_date <= :today AND hm.consumer_id IN"
                    " (SELECT rr.consumer_id FROM representation rr"
                    " WHERE rr.representative_id = (SELECT id FROM me) AND rr.valid_from <= :today"
                    " AND (rr.valid_until IS NULL OR rr.valid_until >= :today))",
                    i0="hm.household_id",
                    i1="hm.consumer_id",
                ),
                # Their related parties, as user and as consumer.
                _parties("user_id = :user", "consumer_id = (SELECT id FROM me)"),
            )
        ),
    )
)
"""A consumer viewer's subject in one statement: what `reach_of_consumer` and
`_load_parties` read, tagged c, m, r, h and p."""


@functools.lru_cache(maxsize=64)
def _placeholders(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with its `:name` markers made `?` placeholders, and the names in order."""
    return re.sub(r":\w+", "?", sql), tuple(re.findall(r":(\w+)", sql))


def _bind(sql: str, **values: object) -> tuple[str, list[object]]:
    """`sql` ready for `db.fetch`: `?` placeholders, and the values of its `:name` markers."""
    text, names = _placeholders(sql)
    return text, [values[name] for name in names]


def _day(value: Any) -> dt.date | None:
    """A DATE column as the ORM reads it (SQLite gives ISO text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _parties_of(
    viewer: Viewer, reach: Reach, department: str | None, rows: Iterable[tuple[Any, ...]]
) -> tuple[PartyAccess, ...]:
    """The `p` rows of a tagged UNION as `_load_parties` makes them, in party order."""
    found: list[PartyAccess] = []
    for row in rows:
        if row[0] != "p":
            continue
        party = {key: row[_AT[column]] for key, (column, _) in _PARTY_COLUMNS.items()}
        party["valid_until"] = _day(party["valid_until"])
        access = _party_access(party)
        if access is not None and _holds(viewer, reach, department, party):
            found.append(access)
    return tuple(sorted(found, key=lambda p: p.party_id))


async def _load_consumer_side(viewer: Viewer, today: dt.date) -> Subject:
    """An external viewer's subject (a consumer's, or a login's with no consumer
    record), in one statement."""
    rows = await fetch(*_bind(_CONSUMER_SIDE, user=viewer.user_id, today=today))
    consumer_id = next((int(r[1]) for r in rows if r[0] == "c"), None)
    reach = NO_REACH
    if consumer_id is not None:
        reach = reach_from(
            consumer_id,
            memberships=[(int(r[1]), bool(r[_AT["flag"]])) for r in rows if r[0] == "m"],
            representations=[
                (int(r[1]), int(r[2]), _day(r[_AT["day"]]), bool(r[_AT["flag"]]))
                for r in rows
                if r[0] == "r"
            ],
            members=[(int(r[1]), int(r[2])) for r in rows if r[0] == "h"],
        )
    return Subject(
        viewer=viewer, today=today, reach=reach, parties=_parties_of(viewer, reach, None, rows)
    )


async def _load_staff(viewer: Viewer, today: dt.date) -> Subject:
    """An internal viewer's subject (no administrator's): their related parties
    as user, as team member and in their department (matched by
    `department_key`, which SQL cannot compute), in one statement. Their
    department and reports come with the viewer (`load_viewer`); a viewer
    made without them takes one statement more to read them."""
    viewer = await with_staff_facts(viewer)
    department = department_key(viewer.department or "")
    report_ids = viewer.report_ids or frozenset()
    teams = {f"team{n}": t for n, t in enumerate(sorted(viewer.team_ids))}
    who = ["user_id = :user"]
    if teams:
        who.append(f"team_id IN ({', '.join(f':{name}' for name in teams)})")
    if department:
        # A scalar subquery (`key` is unique), so the lookup can use the column's index.
        who.append("department_id = (SELECT id FROM department WHERE key = :department)")
    found = await fetch(
        *_bind(
            _parties(*who),
            today=today,
            user=viewer.user_id,
            department=department,
            **teams,
        )
    )
    return Subject(
        viewer=viewer,
        today=today,
        report_ids=report_ids,
        parties=_parties_of(viewer, NO_REACH, department or None, found),
        department=department,
    )


class GrantKind(StrEnum):
    """Why a grant applies: one value per rule below."""

    ADMIN = "ADMIN"
    ASSIGNEE = "ASSIGNEE"
    TEAM = "TEAM"
    MANAGER = "MANAGER"
    OPENER = "OPENER"
    CONSUMER = "CONSUMER"
    REPRESENTATIVE = "REPRESENTATIVE"
    HEAD_OF_HOUSEHOLD = "HEAD_OF_HOUSEHOLD"
    HOUSEHOLD_MEMBER = "HOUSEHOLD_MEMBER"
    RELATED_PARTY = "RELATED_PARTY"
    SOLD_PRODUCT_PARTY = "SOLD_PRODUCT_PARTY"
    TEAM_PARTY = "TEAM_PARTY"
    DEPARTMENT_PARTY = "DEPARTMENT_PARTY"


class Grant(NamedTuple):
    """Why `subject` may act on a case, and what it allows. A named tuple: a page
    asks every rule about every case, and a tuple is made at a third of a
    frozen dataclass's cost."""

    kind: GrantKind
    description: str
    actions: frozenset[CaseAction]
    valid_until: dt.date | None = None


class Rule(Protocol):
    kind: GrantKind

    def condition(self, subject: Subject) -> Q | None:
        """The cases this rule opens to `subject`, as a filter; None: none at all."""
        ...

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        """The grant this rule gives `subject` on `case`, if any."""
        ...


def any_of(conditions: Iterable[Q]) -> Q | None:
    """The OR of `conditions`; None when there are none."""
    combined: Q | None = None
    for condition in conditions:
        combined = condition if combined is None else combined | condition
    return combined


EVERY_CASE = Q(id__isnull=False)
"""A condition that holds for every case (an empty Q would vanish inside an OR)."""


class Admin:
    kind = GrantKind.ADMIN

    def condition(self, subject: Subject) -> Q | None:
        return EVERY_CASE if subject.viewer.is_admin else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.viewer.is_admin:
            return None
        return Grant(self.kind, "administrator", EVERYTHING)


class Assignee:
    kind = GrantKind.ASSIGNEE

    def condition(self, subject: Subject) -> Q | None:
        return Q(assigned_to_id=subject.viewer.user_id) if subject.viewer.is_internal else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.viewer.is_internal or case.assigned_to_id != subject.viewer.user_id:
            return None
        return Grant(self.kind, f"assigned to case {case.number}", AGENT)


class TeamMember:
    kind = GrantKind.TEAM

    def condition(self, subject: Subject) -> Q | None:
        if not subject.viewer.is_internal or not subject.viewer.team_ids:
            return None
        return Q(assignment_team_id__in=sorted(subject.viewer.team_ids))

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.viewer.is_internal or case.assignment_team_id not in subject.viewer.team_ids:
            return None
        return Grant(self.kind, f"member of the assignment team of case {case.number}", AGENT)


class ManagerOfAssignee:
    kind = GrantKind.MANAGER

    def condition(self, subject: Subject) -> Q | None:
        if not subject.report_ids:
            return None
        return Q(assigned_to_id__in=sorted(subject.report_ids))

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if case.assigned_to_id is None or case.assigned_to_id not in subject.report_ids:
            return None
        return Grant(self.kind, f"manager of the assignee of case {case.number}", AGENT)


class Opener:
    """An internal user who opened a case works it (the agent who took the call).
    Opening a case grants the consumer side nothing by itself: their access
    follows the consumer, headship or representation that let them open it."""

    kind = GrantKind.OPENER

    def condition(self, subject: Subject) -> Q | None:
        if not subject.viewer.is_internal:
            return None
        return Q(opened_by_id=subject.viewer.user_id)

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.viewer.is_internal or case.opened_by_id != subject.viewer.user_id:
            return None
        return Grant(self.kind, f"opened case {case.number}", AGENT)


class CaseConsumer:
    kind = GrantKind.CONSUMER

    def condition(self, subject: Subject) -> Q | None:
        cid = subject.consumer_id
        return Q(consumer_id=cid) if cid is not None else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if subject.consumer_id is None or case.consumer_id != subject.consumer_id:
            return None
        return Grant(self.kind, f"the consumer of case {case.number}", CONSUMER_SIDE)


class Representative:
    kind = GrantKind.REPRESENTATIVE

    def condition(self, subject: Subject) -> Q | None:
        represented = subject.reach.represented
        return Q(consumer_id__in=sorted(represented)) if represented else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if case.consumer_id not in subject.reach.represented:
            return None
        reads_only = case.consumer_id in subject.reach.reads_only
        return Grant(
            self.kind,
            f"authorized representative of the consumer of case {case.number}"
            + (" (read only)" if reads_only else ""),
            READ_ONLY if reads_only else CONSUMER_SIDE,
            subject.reach.represented[case.consumer_id],
        )


def _household_cases(reach: Reach, household_ids: frozenset[int]) -> Q | None:
    """Cases of `household_ids` whose consumer is still a current member there:
    a case follows its consumer out of a household."""
    return any_of(
        Q(household_id=h, consumer_id__in=sorted(reach.members[h]))
        for h in sorted(household_ids)
        if reach.members.get(h)
    )


class HeadOfHousehold:
    kind = GrantKind.HEAD_OF_HOUSEHOLD

    def condition(self, subject: Subject) -> Q | None:
        return _household_cases(subject.reach, subject.reach.headed_household_ids)

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.reach.heads_household_of(case.household_id, case.consumer_id):
            return None
        return Grant(self.kind, f"head of the household of case {case.number}", CONSUMER_SIDE)


class HouseholdMember:
    kind = GrantKind.HOUSEHOLD_MEMBER

    def condition(self, subject: Subject) -> Q | None:
        return _household_cases(subject.reach, subject.reach.household_ids)

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        if not subject.reach.shares_household(case.household_id, case.consumer_id):
            return None
        return Grant(self.kind, f"member of the household of case {case.number}", READ_ONLY)


class CaseRelatedParty:
    """The viewer (as consumer or user) is a related party of the case."""

    kind = GrantKind.RELATED_PARTY

    def condition(self, subject: Subject) -> Q | None:
        ids = sorted(
            {p.case_id for p in subject.parties if p.direct and p.case_id and A.READ in p.actions}
        )
        return Q(id__in=ids) if ids else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        parties = [p for p in subject.parties_on_case(case.id) if p.direct]
        return _party_grant(self.kind, parties, case)


class ProductRelatedParty:
    """The viewer is a related party of the sold product the case is about: every
    case of the product, including those opened after the party was added."""

    kind = GrantKind.SOLD_PRODUCT_PARTY

    def condition(self, subject: Subject) -> Q | None:
        ids = sorted(
            {
                p.sold_product_id
                for p in subject.parties
                if p.direct and p.sold_product_id and A.READ in p.actions
            }
        )
        return Q(sold_product_id__in=ids) if ids else None

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        parties = [p for p in subject.parties_on_product(case.sold_product_id) if p.direct]
        return _party_grant(self.kind, parties, case)


class GroupRelatedParty:
    """The viewer belongs to a team or a department that is a related party of
    the case, or of the sold product the case is about. Membership is read per
    request (the viewer's teams, their department), so a member who leaves the
    team or the department loses the grant on their next request."""

    def __init__(self, kind: GrantKind, team: bool) -> None:
        self.kind = kind
        self.team = team

    def _parties(self, subject: Subject) -> list[PartyAccess]:
        return [
            p
            for p in subject.parties
            if (p.team_id is not None if self.team else p.department_id is not None)
        ]

    def condition(self, subject: Subject) -> Q | None:
        reading = [p for p in self._parties(subject) if A.READ in p.actions]
        case_ids = sorted({p.case_id for p in reading if p.case_id})
        product_ids = sorted({p.sold_product_id for p in reading if p.sold_product_id})
        return any_of(
            [
                *([Q(id__in=case_ids)] if case_ids else []),
                *([Q(sold_product_id__in=product_ids)] if product_ids else []),
            ]
        )

    def grant(self, subject: Subject, case: Case) -> Grant | None:
        parties = [
            p
            for p in self._parties(subject)
            if p.case_id == case.id
            or (case.sold_product_id is not None and p.sold_product_id == case.sold_product_id)
        ]
        return _party_grant(self.kind, parties, case)


def _party_grant(kind: GrantKind, parties: list[PartyAccess], case: Case) -> Grant | None:
    """One grant for the rule: the union of its rows' actions, described row by row.

    Lists show a case when some row allows READ; a row without READ adds its
    actions only alongside one that reads, so the two faces always agree.
    """
    if not any(A.READ in p.actions for p in parties):
        return None
    actions: set[CaseAction] = set()
    reasons = []
    ends: list[dt.date | None] = []
    for p in parties:
        actions |= p.actions
        ends.append(p.valid_until)
        via = f"via responsibility {p.responsibility}"
        reason = (
            f"{p.relationship} on case {case.number} {via}"
            if p.case_id is not None
            else f"{p.relationship} on sold product {p.product_name} of case {case.number} {via}"
        )
        reasons.append(f"{p.via}, related as {reason}" if p.via else reason)
    valid_until = None if any(e is None for e in ends) else max(e for e in ends if e is not None)
    return Grant(kind, "; ".join(reasons), frozenset(actions), valid_until)


RULES: tuple[Rule, ...] = (
    Admin(),
    Assignee(),
    TeamMember(),
    ManagerOfAssignee(),
    Opener(),
    CaseConsumer(),
    Representative(),
    HeadOfHousehold(),
    HouseholdMember(),
    CaseRelatedParty(),
    ProductRelatedParty(),
    GroupRelatedParty(GrantKind.TEAM_PARTY, team=True),
    GroupRelatedParty(GrantKind.DEPARTMENT_PARTY, team=False),
)


def case_filter(subject: Subject) -> Q:
    """The cases `subject` may read, as one filter (an OR of every rule that applies)."""
    conditions = [c for rule in RULES if (c := rule.condition(subject)) is not None]
    if any(c is EVERY_CASE for c in conditions):
        return Q()
    combined = any_of(conditions)
    return Q(id__in=[]) if combined is None else combined


INTERNAL_WORK: tuple[Rule, ...] = (Assignee(), TeamMember(), ManagerOfAssignee())
"""The grants by which agents work a consumer's cases for their team (not administrators,
not parties, not the one-case grant of having opened it)."""


def internal_work_filter(subject: Subject) -> Q | None:
    """The cases `subject` works as an agent or manager, as one filter; None: none."""
    return any_of(c for rule in INTERNAL_WORK if (c := rule.condition(subject)) is not None)


CASE_FIELDS = frozenset(
    {
        "id",
        "number",
        "state",
        "consumer_id",
        "household_id",
        "opened_by_id",
        "assigned_to_id",
        "assignment_team_id",
        "sold_product_id",
    }
)
"""The fields of a case the engine reads to decide (`grants`, `permitted`,
`available`, and the policy's `readable`): a plan that reads a page of some
fields only (`db.reading_only`) reads these too."""


def grants(subject: Subject, case: Case) -> list[Grant]:
    return [g for rule in subject.rules if (g := rule.grant(subject, case)) is not None]


def permitted(subject: Subject, case: Case) -> frozenset[CaseAction]:
    """What the grants allow, before the case's state is considered; decided once
    per request for the columns the grants read (a page's visibility check and
    its `viewerCan` ask the same question)."""
    key = (
        case.id,
        case.consumer_id,
        case.household_id,
        case.opened_by_id,
        case.assigned_to_id,
        case.assignment_team_id,
        case.sold_product_id,
    )
    found = subject.seen.actions.get(key)
    if found is None:
        actions: set[CaseAction] = set()
        for g in grants(subject, case):
            actions |= g.actions
        found = subject.seen.actions[key] = frozenset(actions)
    return found


def available(subject: Subject, case: Case) -> frozenset[CaseAction]:
    """What `subject` can do with `case` now: the grants, narrowed by its state."""
    actions = permitted(subject, case)
    if not actions:
        return actions
    if case.state in FINAL_STATES:
        return actions & READ_ONLY
    if case.state is not CaseState.RESOLVED:
        actions -= {A.ACCEPT_SOLUTION, A.REJECT_SOLUTION}
    return actions


@dataclass(frozen=True)
class Reader:
    consumer_id: int
    kind: GrantKind
    """The grant kind by which they read: CONSUMER, HEAD_OF_HOUSEHOLD or REPRESENTATIVE."""


async def consumer_side_readers(case: Case) -> list[Reader]:
    """The inverse question for the consumer side: who reads `case` as its
    consumer, as a head of its household (while the consumer is a current
    member there) or as a current representative of its consumer. The rules
    `CaseConsumer`, `HeadOfHousehold` and `Representative`, asked the other
    way round, in two queries whatever the number of readers."""
    return (await consumer_side_readers_of([case]))[case.id]


async def consumer_side_readers_of(cases: Sequence[Case]) -> dict[int, list[Reader]]:
    """`consumer_side_readers` of many cases, by case id: the same two queries
    for one case or a hundred (a bulk change notifies each case it changed)."""
    today = clock.today()
    household_ids = sorted({c.household_id for c in cases if c.household_id is not None})
    members: dict[int, list[tuple[int, bool]]] = {}
    if household_ids:
        rows: list[Any] = await HouseholdMemberModel.filter(
            current_memberships(today), household_id__in=household_ids
        ).values_list("household_id", "consumer_id", "is_head")
        for household_id, consumer_id, is_head in rows:
            members.setdefault(int(household_id), []).append((int(consumer_id), bool(is_head)))
    represented: dict[int, list[int]] = {}
    if cases:
        pairs: list[Any] = await Representation.filter(
            current_representations(today),
            consumer_id__in=sorted({c.consumer_id for c in cases}),
        ).values_list("consumer_id", "representative_id")
        for consumer_id, representative_id in pairs:
            represented.setdefault(int(consumer_id), []).append(int(representative_id))
    out: dict[int, list[Reader]] = {}
    for case in cases:
        readers = [Reader(case.consumer_id, CaseConsumer.kind)]
        household = members.get(case.household_id, []) if case.household_id is not None else []
        if any(c == case.consumer_id for c, _ in household):
            readers += [Reader(c, HeadOfHousehold.kind) for c, is_head in household if is_head]
        readers += [Reader(r, Representative.kind) for r in represented.get(case.consumer_id, [])]
        out[case.id] = readers
    return out


def readable(subject: Subject, cases: Iterable[Case]) -> list[Case]:
    return [c for c in cases if A.READ in permitted(subject, c)]
