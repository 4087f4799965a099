"""Hand-written references for the registered documents the bench measures.

One Starlette endpoint per document of `src/csm_graph/schema/plans/documents/`
(`/AllCases`, `/CaseDetail`, `/AgentQueue`, `/ConsumerSearch`), each taking
the same JSON body as `/graphql` (only `variables` is read) and answering
exactly the JSON csm-graph answers for that document, `extensions` included:
hand-written SQL through `csm_graph.db.fetch`, the access rules of
`access/engine.py` and `access/policy.py` written as SQL and plain Python for
the viewer kinds the bench uses, and orjson. Served as
`uvicorn bench.reference:app` on the same database; `bench/load.py` checks
each answer against csm-graph's before comparing speeds.

Viewers (authenticated as csm-graph does, one statement, `viewer_of`):

* `AllCases`: a consumer (their own cases, their represented consumers',
  their households' cases whose consumer is still a member there, cases and
  sold products they are a related party of), or an administrator (every
  case). Other internal users are not covered.
* `CaseDetail`: a consumer, with the same rules; work notes, internal
  activity and the SLA fields are internal-only, so the SLA fields come back
  null and listed in `extensions.redactedFields`.
* `AgentQueue`: an internal user (`scope: MINE` is the cases assigned to
  them, which their assignee grant lets them read).
* `ConsumerSearch`: an internal user (every consumer but merged records).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from csm_graph import clock, runtime
from csm_graph.accounts.viewer import Viewer, authenticate
from csm_graph.db import fetch, in_list
from csm_graph.errors import NotAuthenticated
from csm_graph.settings import get_settings

Row = tuple[Any, ...]
Body = dict[str, Any]

FINAL = frozenset({"CLOSED", "CANCELLED"})
READ_ONLY = frozenset({"READ"})
CONSUMER_SIDE = frozenset(
    {"READ", "COMMENT", "ATTACH", "ACCEPT_SOLUTION", "REJECT_SOLUTION", "CLOSE"}
)
EVERYTHING = CONSUMER_SIDE | {"MANAGE_RELATED_PARTIES", "WORK"}
PARTY_ACTIONS = EVERYTHING - {"WORK"}
"""What a responsibility's `case_actions` may grant (never internal work)."""
VIEWER_CAN = (
    ("read", "READ"),
    ("comment", "COMMENT"),
    ("attach", "ATTACH"),
    ("acceptSolution", "ACCEPT_SOLUTION"),
    ("rejectSolution", "REJECT_SOLUTION"),
    ("close", "CLOSE"),
)
SLA_FIELDS = ("responseDueAt", "resolutionDueAt", "slaBreached")
SEARCH_MAX_LENGTH = 200
NAME_PARTS = ("prefix", "first_name", "middle_name", "last_name", "suffix")
PERSON = ", ".join(f"{{0}}.{part} AS {{0}}_{part}" for part in NAME_PARTS)
"""A person's name parts (consumer or user) from table alias `{0}`, for `full_name`.
Every column a statement returns needs a name of its own: `fetch` gives rows
built from dicts, where a second `prefix` would replace the first."""


# --- the wire format ---------------------------------------------------------------------


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def cursor(pk: int) -> str:
    return base64.b64encode(f"c:{pk}".encode()).decode()


class Refused(Exception):
    """An answer other than data: an error body and its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def after_key(value: Any) -> int | None:
    if value is None:
        return None
    try:
        prefix, _, raw = (
            base64.b64decode(str(value).encode(), validate=True).decode().partition(":")
        )
        if prefix != "c":
            raise ValueError
        return int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Refused("`after` is not a valid cursor.") from None


def page_size(value: Any, default: int) -> int:
    size = default if value is None else int(value)
    if not 0 <= size <= 100:
        raise Refused("`first` must be between 0 and 100.")
    return size


def when(value: Any) -> str | None:
    """A DateTime as the API writes it: UTC, milliseconds (truncated), `Z`."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    v = value.astimezone(dt.UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T"
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond // 1000:03d}Z"
    )


def full_name(parts: Sequence[Any]) -> str:
    return " ".join(p for p in parts if p)


def answer(body: Body) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def path_key(path: list[str | int]) -> tuple[tuple[int, str | int], ...]:
    """The order of `redactedFields`: by path, list indexes before names."""
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


def with_redactions(data: Body, redacted: list[list[str | int]]) -> Body:
    if not redacted:
        return {"data": data}
    return {"data": data, "extensions": {"redactedFields": sorted(redacted, key=path_key)}}


def viewer_can(actions: frozenset[str], *, work: bool = False) -> dict[str, bool]:
    can = {name: action in actions for name, action in VIEWER_CAN}
    if work:
        can["work"] = "WORK" in actions
    return can


def available(actions: frozenset[str], state: str) -> frozenset[str]:
    """What the grants allow, narrowed by the case's state (`engine.available`)."""
    if not actions:
        return actions
    if state in FINAL:
        return actions & READ_ONLY
    if state != "RESOLVED":
        return actions - {"ACCEPT_SOLUTION", "REJECT_SOLUTION"}
    return actions


# --- the consumer side of the access rules ----------------------------------------------

ME = "(SELECT id FROM consumer WHERE user_id = ?)"
CURRENT_MEMBER = "end_date IS NULL AND start_date <= ?"
CURRENT_REPRESENTATION = "valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)"
REACH = (
    # PostgreSQL types a UNION's columns pairwise from the left: the first
    # branch casts its NULLs so every later branch has a type to meet.
    "SELECT 'c' AS tag, id AS a, CAST(NULL AS BIGINT) AS b, CAST(NULL AS BIGINT) AS c, "  # noqa: S608
    "CAST(NULL AS VARCHAR(300)) AS actions FROM consumer WHERE user_id = ? "
    "UNION ALL SELECT 'm', household_id, CASE WHEN is_head THEN 1 ELSE 0 END, NULL, NULL "
    f"FROM household_member WHERE consumer_id IN {ME} AND {CURRENT_MEMBER} "
    "UNION ALL SELECT 'r', representative_id, consumer_id, "
    "CASE WHEN read_only THEN 1 ELSE 0 END, NULL FROM representation "
    f"WHERE (representative_id IN {ME} OR consumer_id IN {ME}) AND {CURRENT_REPRESENTATION} "
    # The members of their households, then the households of those they represent:
    # two parts, so that each finds its rows by an index.
    "UNION ALL SELECT 'x', household_id, consumer_id, NULL, NULL FROM household_member "
    f"WHERE {CURRENT_MEMBER} AND household_id IN (SELECT household_id FROM household_member "
    f"WHERE consumer_id IN {ME} AND {CURRENT_MEMBER}) "
    "UNION ALL SELECT 'x', household_id, consumer_id, NULL, NULL FROM household_member "
    f"WHERE {CURRENT_MEMBER} AND consumer_id IN (SELECT consumer_id FROM representation "
    f"WHERE representative_id IN {ME} AND {CURRENT_REPRESENTATION}) "
    "UNION ALL SELECT 'p', rp.case_id, rp.sold_product_id, NULL, resp.case_actions "
    "FROM related_party rp JOIN responsibility resp ON resp.id = rp.responsibility_id "
    f"WHERE (rp.user_id = ? OR rp.consumer_id IN {ME}) "
    "AND rp.team_id IS NULL AND rp.department_id IS NULL "
    "AND (rp.valid_from IS NULL OR rp.valid_from <= ?) "
    "AND (rp.valid_until IS NULL OR rp.valid_until >= ?)"
)


@dataclass
class Reach:
    """A consumer viewer and what the consumer-side rules need to know about them."""

    user_id: int
    consumer_id: int | None = None
    households: set[int] = field(default_factory=set)
    headed: set[int] = field(default_factory=set)
    members: dict[int, set[int]] = field(default_factory=dict)
    """The current members of each of the viewer's current households."""
    represented: set[int] = field(default_factory=set)
    acting: set[int] = field(default_factory=set)
    """Of `represented`, those with a representation that is not read-only."""
    represented_households: set[int] = field(default_factory=set)
    representatives: set[int] = field(default_factory=set)
    case_parties: dict[int, list[frozenset[str]]] = field(default_factory=dict)
    product_parties: dict[int, list[frozenset[str]]] = field(default_factory=dict)

    @property
    def circle(self) -> set[int]:
        """Whom the viewer acts for, and who acts for them."""
        headed = (self.members.get(h, set()) for h in self.headed)
        acts_for = set().union(*headed, self.represented) - {self.consumer_id}
        return acts_for | self.representatives

    def sees_household(self, household_id: int) -> bool:
        return household_id in self.households or household_id in self.represented_households

    def condition(self) -> tuple[str, list[Any]]:
        """The cases the viewer reads, as SQL over `"case" c`."""
        parts: list[str] = []
        params: list[Any] = []
        if self.consumer_id is not None:
            parts.append("c.consumer_id = ?")
            params.append(self.consumer_id)
        if self.represented:
            parts.append(f"c.consumer_id IN ({in_list(sorted(self.represented))})")
            params += sorted(self.represented)
        for household in sorted(self.households):
            # A case follows its consumer out of a household.
            if members := sorted(self.members.get(household, ())):
                parts.append(f"(c.household_id = ? AND c.consumer_id IN ({in_list(members)}))")
                params += [household, *members]
        for column, parties in (
            ("id", self.case_parties),
            ("sold_product_id", self.product_parties),
        ):
            if ids := sorted(k for k, rows in parties.items() if any("READ" in r for r in rows)):
                parts.append(f"c.{column} IN ({in_list(ids)})")
                params += ids
        return ("(" + " OR ".join(parts) + ")", params) if parts else ("1 = 0", [])

    def actions(
        self, pk: int, consumer_id: int, household_id: int | None, product_id: int | None
    ) -> frozenset[str]:
        """What the grants allow on the case (`engine.permitted`)."""
        actions: set[str] = set()
        if consumer_id == self.consumer_id:
            actions |= CONSUMER_SIDE
        if consumer_id in self.represented:
            actions |= CONSUMER_SIDE if consumer_id in self.acting else READ_ONLY
        if household_id is not None and consumer_id in self.members.get(household_id, ()):
            actions |= CONSUMER_SIDE if household_id in self.headed else READ_ONLY
        for rows in (
            self.case_parties.get(pk, []),
            self.product_parties.get(product_id, []) if product_id is not None else [],
        ):
            if any("READ" in r for r in rows):
                actions = actions.union(*rows)
        return frozenset(actions)


async def reach_of(user_id: int) -> Reach:
    """The consumer viewer's reach and related parties, in one statement."""
    today = clock.today()
    rows = await fetch(
        REACH,
        [
            *(user_id,),
            *(user_id, today),
            *(user_id, user_id, today, today),
            *(today, user_id, today),
            *(today, user_id, today, today),
            *(user_id, user_id, today, today),
        ],
    )
    reach = Reach(user_id)
    representations: list[tuple[int, int, bool]] = []
    memberships: list[tuple[int, int]] = []
    for tag, a, b, c, actions in rows:
        if tag == "c":
            reach.consumer_id = int(a)
        elif tag == "m":
            reach.households.add(int(a))
            if b:
                reach.headed.add(int(a))
        elif tag == "r":
            representations.append((int(a), int(b), bool(c)))
        elif tag == "x":
            memberships.append((int(a), int(b)))
        elif granted := frozenset(str(actions or "").split()) & PARTY_ACTIONS:
            parties = reach.case_parties if a is not None else reach.product_parties
            parties.setdefault(int(a if a is not None else b), []).append(granted)
    me = reach.consumer_id
    for representative, represented, read_only in representations:
        if representative == me:
            reach.represented.add(represented)
            if not read_only:
                reach.acting.add(represented)
        if represented == me:
            reach.representatives.add(representative)
    reach.members = {h: set() for h in reach.households}
    for household, member in memberships:
        if household in reach.members:
            reach.members[household].add(member)
        if member in reach.represented:
            reach.represented_households.add(household)
    return reach


async def visible_consumers(reach: Reach, ids: Iterable[int], case_consumer: int) -> set[int]:
    """Of `ids` (consumers named on one case's rows), those the consumer viewer
    sees (`policy.consumers`): themselves, their circle, and consumers of a case
    they read. Rare (the demo writes no `on behalf of`), so it may cost a query."""
    rest = {i for i in ids if i != case_consumer and i != reach.consumer_id}
    rest -= reach.circle
    seen = set(ids) - rest
    if rest:
        condition, params = reach.condition()
        rows = await fetch(
            f'SELECT DISTINCT c.consumer_id FROM "case" c WHERE {condition} '  # noqa: S608
            f"AND c.consumer_id IN ({in_list(sorted(rest))})",
            [*params, *sorted(rest)],
        )
        seen |= {int(r[0]) for r in rows}
    return seen


async def consumer_names(ids: Iterable[int]) -> dict[int, tuple[int, str] | None]:
    """By consumer id: the record to show (a merged record's survivor: one hop, as
    merges repoint earlier tombstones) as (id, full name); None for none."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await fetch(
        f"SELECT s.id, s.merged_into_id, {PERSON.format('s')}, "  # noqa: S608
        f"t.merged_into_id AS t_merged_into_id, {PERSON.format('t')} FROM consumer s "
        f"LEFT JOIN consumer t ON t.id = s.merged_into_id WHERE s.id IN ({in_list(wanted)})",
        wanted,
    )
    shown: dict[int, tuple[int, str] | None] = {}
    for row in rows:
        if row[1] is None:
            shown[int(row[0])] = (int(row[0]), full_name(row[2:7]))
        else:
            shown[int(row[0])] = None if row[7] is not None else (int(row[1]), full_name(row[8:13]))
    return shown


# --- requests ----------------------------------------------------------------------------


def endpoint(
    handler: Callable[[Viewer, dict[str, Any]], Awaitable[Body]],
) -> Callable[[Request], Awaitable[Response]]:
    """Reads the viewer and the variables, answers the handler's body or its refusal."""

    async def respond(request: Request) -> Response:
        try:
            viewer = await authenticate(request.headers.get("authorization"))
        except NotAuthenticated as exc:
            return error(str(exc), 401)
        if viewer is None:
            return error("Authentication required.", 401)
        raw = await request.body()
        variables = (orjson.loads(raw).get("variables") if raw else None) or {}
        try:
            return answer(await handler(viewer, variables))
        except Refused as exc:
            return error(str(exc), exc.status)

    return respond


def error(message: str, status: int) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message}]}), status_code=status)


async def consumer_reach(viewer: Viewer) -> Reach:
    if viewer.is_internal:
        raise Refused("the reference covers consumer viewers here")
    return await reach_of(viewer.user_id)


# --- AllCases ----------------------------------------------------------------------------


async def all_cases(viewer: Viewer, variables: dict[str, Any]) -> Body:
    """`cases(first:, after:, filter: {scope: ALL})` for a consumer or an administrator."""
    size = page_size(variables.get("first"), 50)
    after = after_key(variables.get("after"))
    reach: Reach | None = None
    params: list[Any] = []
    if viewer.is_admin:
        condition = "1 = 1"
    else:
        reach = await consumer_reach(viewer)
        condition, params = reach.condition()
    page = f"{condition} AND c.id < ?" if after is not None else condition
    rows = await fetch(
        "SELECT c.id, c.number, c.short_description, c.state, c.priority, c.created_at, "  # noqa: S608
        "c.consumer_id, c.household_id, c.sold_product_id, h.number AS h_number, "
        f'h.name AS h_name, {PERSON.format("co")} FROM "case" c '
        "JOIN consumer co ON co.id = c.consumer_id "
        f"LEFT JOIN household h ON h.id = c.household_id WHERE {page} "
        "ORDER BY c.id DESC LIMIT ?",
        [*params, *([after] if after is not None else []), size + 1],
    )
    total = (await fetch(f'SELECT COUNT(*) FROM "case" c WHERE {condition}', params))[0][0]  # noqa: S608
    has_more = len(rows) > size
    rows = rows[:size]
    comments: dict[int, Row] = {}
    attachments: dict[int, int] = {}
    if rows:
        ids = [r[0] for r in rows]
        for row in await fetch(
            "SELECT 'm' AS tag, case_id, id, body, created_at FROM case_comment WHERE id IN ("  # noqa: S608
            "SELECT MAX(id) FROM case_comment WHERE work_note = ? "
            f"AND case_id IN ({in_list(ids)}) GROUP BY case_id) "
            "UNION ALL SELECT 'a', case_id, COUNT(*), NULL, NULL FROM case_attachment "
            f"WHERE case_id IN ({in_list(ids)}) GROUP BY case_id",
            [False, *ids, *ids],
        ):
            if row[0] == "m":
                comments[row[1]] = row
            else:
                attachments[row[1]] = int(row[2])
    edges = []
    redacted: list[list[str | int]] = []
    for index, row in enumerate(rows):
        pk, number, short, state, priority, created, cid, hid, product = row[:9]
        household = None
        if hid is not None:
            if reach is None or reach.sees_household(hid):
                household = {"id": gid("Household", hid), "number": row[9], "name": row[10]}
            else:
                redacted.append(["cases", "edges", index, "node", "household"])
        comment = comments.get(pk)
        actions = EVERYTHING if reach is None else reach.actions(pk, cid, hid, product)
        edges.append(
            {
                "cursor": cursor(pk),
                "node": {
                    "id": gid("Case", pk),
                    "number": number,
                    "shortDescription": short,
                    "state": state,
                    "priority": priority,
                    "createdAt": when(created),
                    # Merges move a record's cases to the survivor: a case's consumer is live.
                    "consumer": {"id": gid("Consumer", cid), "fullName": full_name(row[11:16])},
                    "household": household,
                    "lastPublicComment": {
                        "id": gid("CaseComment", comment[2]),
                        "body": comment[3],
                        "createdAt": when(comment[4]),
                    }
                    if comment
                    else None,
                    "attachmentCount": attachments.get(pk, 0),
                    "viewerCan": viewer_can(available(actions, state)),
                },
            }
        )
    cases = {
        "totalCount": total,
        "pageInfo": {"hasNextPage": has_more, "endCursor": cursor(rows[-1][0]) if rows else None},
        "edges": edges,
    }
    return with_redactions({"cases": cases}, redacted)


# --- CaseDetail --------------------------------------------------------------------------

CASE_ROW = (
    "SELECT c.id, c.number, c.short_description, c.description, c.state, c.priority, "  # noqa: S608
    "c.category, c.channel, c.created_at, c.updated_at, c.version, c.consumer_id, "
    "c.household_id, c.sold_product_id, c.opened_by_id, c.assigned_to_id, h.name AS h_name, "
    f"{PERSON.format('co')}, {PERSON.format('ob')}, {PERSON.format('asg')} "
    'FROM "case" c JOIN consumer co ON co.id = c.consumer_id '
    "LEFT JOIN household h ON h.id = c.household_id "
    'LEFT JOIN "user" ob ON ob.id = c.opened_by_id '
    'LEFT JOIN "user" asg ON asg.id = c.assigned_to_id WHERE c.id = ?'
)


def case_pk(value: Any) -> int | None:
    try:
        type_name, _, raw = base64.b64decode(str(value).encode()).decode().partition(":")
        return int(raw) if type_name == "Case" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


async def case_detail(viewer: Viewer, variables: dict[str, Any]) -> Body:
    """`node(id:)` on a case, for a consumer viewer; null when they may not read it."""
    reach = await consumer_reach(viewer)
    pk = case_pk(variables.get("id"))
    found = await fetch(CASE_ROW, [pk]) if pk is not None else []
    if not found:
        return {"data": {"node": None}}
    case = found[0]
    cid, hid, product, opener, assignee = case[11:16]
    actions = reach.actions(case[0], cid, hid, product)
    if "READ" not in actions:
        return {"data": {"node": None}}
    # Consumers see neither work notes nor internal activity.
    comments = await fetch(
        "SELECT cc.id, cc.body, cc.work_note, cc.created_at, cc.author_id, "  # noqa: S608
        f'{PERSON.format("u")} FROM case_comment cc LEFT JOIN "user" u ON u.id = cc.author_id '
        "WHERE cc.case_id = ? AND cc.work_note = ? ORDER BY cc.id LIMIT 50",
        [case[0], False],
    )
    activity = await fetch(
        "SELECT a.kind, a.field, a.old_value, a.new_value, a.created_at, a.actor_id, "  # noqa: S608
        f"a.on_behalf_of_id, {PERSON.format('u')} FROM case_activity a "
        'LEFT JOIN "user" u ON u.id = a.actor_id '
        "WHERE a.case_id = ? AND a.internal = ? ORDER BY a.id LIMIT 50",
        [case[0], False],
    )
    files: list[Row] = []
    activity_count = 0
    for row in await fetch(
        "SELECT 'a' AS tag, id, file_name, size FROM case_attachment WHERE case_id = ? "
        "UNION ALL SELECT 'n', COUNT(*), NULL, NULL FROM case_activity "
        "WHERE case_id = ? AND internal = ?",
        [case[0], case[0], False],
    ):
        if row[0] == "a":
            files.append(row)
        else:
            activity_count = int(row[1])
    files.sort(key=lambda r: int(r[1]))
    # Users shown on a case the viewer reads are its opener, its assignee and the
    # authors and actors of what they read there: every one is visible to them.
    redacted: list[list[str | int]] = [["node", name] for name in SLA_FIELDS]
    household = None
    if hid is not None:
        if reach.sees_household(hid):
            household = {"id": gid("Household", hid), "name": case[16]}
        else:
            redacted.append(["node", "household"])
    behalf = {r[6] for r in activity if r[6] is not None}
    shown = await consumer_names(behalf) if behalf else {}
    survivors = {pair[0] for pair in shown.values() if pair is not None}
    seen = await visible_consumers(reach, survivors, cid) if survivors else set()
    node = {
        "__typename": "Case",
        "id": gid("Case", case[0]),
        "number": case[1],
        "shortDescription": case[2],
        "description": case[3],
        "state": case[4],
        "priority": case[5],
        "category": case[6],
        "channel": case[7],
        "createdAt": when(case[8]),
        "updatedAt": when(case[9]),
        "version": case[10],
        "responseDueAt": None,
        "resolutionDueAt": None,
        "slaBreached": None,
        "consumer": {"id": gid("Consumer", cid), "fullName": full_name(case[17:22])},
        "household": household,
        "openedBy": {"fullName": full_name(case[22:27])} if opener is not None else None,
        "assignedTo": {"fullName": full_name(case[27:32])} if assignee is not None else None,
        "attachments": [
            {"id": gid("CaseAttachment", r[1]), "fileName": r[2], "size": r[3]} for r in files
        ],
        "comments": {
            "edges": [
                {
                    "node": {
                        "id": gid("CaseComment", r[0]),
                        "body": r[1],
                        "workNote": bool(r[2]),
                        "createdAt": when(r[3]),
                        "author": {"fullName": full_name(r[5:10])} if r[4] is not None else None,
                    }
                }
                for r in comments
            ]
        },
        "activity": {
            "totalCount": activity_count,
            "edges": [
                {
                    "node": {
                        "kind": r[0],
                        "field": r[1],
                        "oldValue": r[2],
                        "newValue": r[3],
                        "createdAt": when(r[4]),
                        "actor": {"fullName": full_name(r[7:12])} if r[5] is not None else None,
                        "onBehalfOf": on_behalf_of(r[6], shown, seen, redacted, index),
                    }
                }
                for index, r in enumerate(activity)
            ],
        },
        "viewerCan": viewer_can(available(actions, case[4]), work=True),
    }
    return with_redactions({"node": node}, redacted)


def on_behalf_of(
    consumer_id: int | None,
    shown: dict[int, tuple[int, str] | None],
    seen: set[int],
    redacted: list[list[str | int]],
    index: int,
) -> dict[str, str] | None:
    """An activity entry's `onBehalfOf`: null, or redacted when the viewer may not
    see that consumer."""
    pair = shown.get(consumer_id) if consumer_id is not None else None
    if pair is None:
        return None
    if pair[0] not in seen:
        redacted.append(["node", "activity", "edges", index, "node", "onBehalfOf"])
        return None
    return {"fullName": pair[1]}


# --- AgentQueue --------------------------------------------------------------------------


async def agent_queue(viewer: Viewer, variables: dict[str, Any]) -> Body:
    """`cases(filter: {scope: MINE, state:})` for an internal user: the cases
    assigned to them (their assignee grant reads every one)."""
    if not viewer.is_internal:
        raise Refused("the reference covers internal viewers here")
    size = page_size(variables.get("first"), 100)
    after = after_key(variables.get("after"))
    condition = "c.assigned_to_id = ?"
    params: list[Any] = [viewer.user_id]
    if states := sorted(set(variables.get("state") or ())):
        condition += f" AND c.state IN ({in_list(states)})"
        params += states
    page = f"{condition} AND c.id < ?" if after is not None else condition
    rows = await fetch(
        "SELECT c.id, c.number, c.short_description, c.state, c.priority, c.updated_at, "  # noqa: S608
        f"c.version, c.sla_breached, c.consumer_id, t.name AS team_name, {PERSON.format('co')} "
        'FROM "case" c JOIN consumer co ON co.id = c.consumer_id '
        f"LEFT JOIN team t ON t.id = c.assignment_team_id WHERE {page} "
        "ORDER BY c.id DESC LIMIT ?",
        [*params, *([after] if after is not None else []), size + 1],
    )
    total = (await fetch(f'SELECT COUNT(*) FROM "case" c WHERE {condition}', params))[0][0]  # noqa: S608
    has_more = len(rows) > size
    rows = rows[:size]
    edges = [
        {
            "node": {
                "id": gid("Case", r[0]),
                "number": r[1],
                "shortDescription": r[2],
                "state": r[3],
                "priority": r[4],
                "updatedAt": when(r[5]),
                "version": r[6],
                "slaBreached": bool(r[7]),
                "consumer": {"id": gid("Consumer", r[8]), "fullName": full_name(r[10:15])},
                "assignmentTeam": {"name": r[9]} if r[9] is not None else None,
            }
        }
        for r in rows
    ]
    cases = {
        "totalCount": total,
        "pageInfo": {"hasNextPage": has_more, "endCursor": cursor(rows[-1][0]) if rows else None},
        "edges": edges,
    }
    return {"data": {"cases": cases}}


# --- ConsumerSearch ----------------------------------------------------------------------


def like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(term: str) -> tuple[str, list[Any]]:
    """Name, email or number holds the term (any case); phones hold its digits
    (four or more); or first and last name hold its first and last words. The
    expressions are those the trigram indexes are built on."""

    def icontains(column: str) -> str:
        return f"UPPER(CAST({column} AS VARCHAR)) LIKE UPPER(?) ESCAPE '\\'"

    parts = [icontains(c) for c in ("first_name", "last_name", "email", "number")]
    params: list[Any] = [like(term)] * 4
    digits = "".join(c for c in term if c.isdigit())
    if len(digits) >= 4:
        parts += [f"CAST({c} AS VARCHAR) LIKE ? ESCAPE '\\'" for c in ("phone", "mobile_phone")]
        params += [like(digits)] * 2
    words = term.split()
    if len(words) >= 2:
        parts.append(f"({icontains('first_name')} AND {icontains('last_name')})")
        params += [like(words[0]), like(words[-1])]
    return "(" + " OR ".join(parts) + ")", params


async def consumer_search(viewer: Viewer, variables: dict[str, Any]) -> Body:
    """`consumers(first:, after:, filter: {search:})` for an internal user."""
    if not viewer.is_internal:
        raise Refused("the reference covers internal viewers here")
    size = page_size(variables.get("first"), 20)
    after = after_key(variables.get("after"))
    term = str(variables.get("term") or "").strip()
    if len(term) > SEARCH_MAX_LENGTH:
        raise Refused(f"`search` may be at most {SEARCH_MAX_LENGTH} characters.")
    condition, params = "merged_into_id IS NULL", list[Any]()
    if term:
        matching, params = search_condition(term)
        condition += f" AND {matching}"
    page = f"{condition} AND id < ?" if after is not None else condition
    rows = await fetch(
        "SELECT id, number, email, phone, prefix, first_name, middle_name, last_name, suffix "  # noqa: S608
        f"FROM consumer WHERE {page} ORDER BY id DESC LIMIT ?",
        [*params, *([after] if after is not None else []), size + 1],
    )
    total = (await fetch(f"SELECT COUNT(*) FROM consumer WHERE {condition}", params))[0][0]  # noqa: S608
    has_more = len(rows) > size
    rows = rows[:size]
    edges = [
        {
            "node": {
                "id": gid("Consumer", r[0]),
                "number": r[1],
                "fullName": full_name(r[4:9]),
                "email": r[2],
                "phone": r[3],
            }
        }
        for r in rows
    ]
    consumers = {
        "totalCount": total,
        "pageInfo": {"hasNextPage": has_more, "endCursor": cursor(rows[-1][0]) if rows else None},
        "edges": edges,
    }
    return {"data": {"consumers": consumers}}


# --- the app -----------------------------------------------------------------------------


async def healthz(request: Request) -> Response:
    return Response(b"ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await runtime.start(get_settings(), with_jobs=False)
    try:
        yield
    finally:
        await runtime.stop()


DOCUMENTS: dict[str, Callable[[Viewer, dict[str, Any]], Awaitable[Body]]] = {
    "AllCases": all_cases,
    "CaseDetail": case_detail,
    "AgentQueue": agent_queue,
    "ConsumerSearch": consumer_search,
}
"""The registered documents the reference answers, by operation name (its path)."""

app = Starlette(
    routes=[
        Route("/healthz", healthz),
        *(
            Route(f"/{name}", endpoint(handler), methods=["POST"])
            for name, handler in DOCUMENTS.items()
        ),
    ],
    lifespan=lifespan,
)
