"""A hand-written reference for the portal's "All cases" page.

The same JSON as csm-graph's `cases(first: 50)` with `ALL_CASES` (see
`bench/load.py`), for a consumer viewer, with the access rules of
`access/engine.py` for consumers (own cases, cases they opened, their
households', represented consumers', headed households') written as SQL:
one query for the viewer, one for their reach, one for the page, one for
the count, one for the page's consumers, households, last public comments
and attachment counts together. Served as `uvicorn bench.reference:app`
on the same database; `make bench` compares the two.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from csm_graph import runtime
from csm_graph.accounts.tokens import InvalidToken, read_access_token
from csm_graph.db import fetch, in_list
from csm_graph.settings import get_settings

FINAL = ("CLOSED", "CANCELLED")


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def cursor(pk: int) -> str:
    return base64.b64encode(f"c:{pk}".encode()).decode()


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return str(value.astimezone(dt.UTC).isoformat())


def full_name(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def unauthorized() -> Response:
    return Response(b'{"errors":[{"message":"Unauthenticated."}]}', status_code=401)


async def all_cases(request: Request) -> Response:
    settings = get_settings()
    header = request.headers.get("authorization", "")
    try:
        user_id = read_access_token(settings, header.removeprefix("Bearer ")).user_id
    except InvalidToken:
        return unauthorized()
    today = dt.date.today()
    viewer = await fetch(
        'SELECT u.user_type, c.id FROM "user" u LEFT JOIN consumer c ON c.user_id = u.id '
        "WHERE u.id = ? AND u.is_active = ?",
        [user_id, True],
    )
    if not viewer:
        return unauthorized()
    if viewer[0][0] != "EXTERNAL":
        return Response(b'{"errors":[{"message":"consumer viewers only"}]}', status_code=400)
    consumer_id = viewer[0][1]
    households: set[int] = set()
    headed: set[int] = set()
    represented: set[int] = set()
    if consumer_id is not None:
        reach = await fetch(
            "SELECT 'm', household_id, is_head FROM household_member "
            "WHERE consumer_id = ? AND end_date IS NULL AND start_date <= ? "
            "UNION ALL SELECT 'r', consumer_id, NULL FROM representation "
            "WHERE representative_id = ? AND valid_from <= ? "
            "AND (valid_until IS NULL OR valid_until >= ?)",
            [consumer_id, today, consumer_id, today, today],
        )
        for kind, key, is_head in reach:
            if kind == "m":
                households.add(int(key))
                if is_head:
                    headed.add(int(key))
            else:
                represented.add(int(key))
    where = ["opened_by_id = ?"]
    params: list[Any] = [user_id]
    if consumer_id is not None:
        where.append("consumer_id = ?")
        params.append(consumer_id)
    if represented:
        where.append(f"consumer_id IN ({in_list(sorted(represented))})")
        params.extend(sorted(represented))
    if households:
        where.append(f"household_id IN ({in_list(sorted(households))})")
        params.extend(sorted(households))
    condition = " OR ".join(where)
    size = 50
    rows = await fetch(
        "SELECT id, number, short_description, state, priority, created_at, "  # noqa: S608
        f'consumer_id, household_id, opened_by_id FROM "case" WHERE {condition} '
        "ORDER BY id DESC LIMIT ?",
        [*params, size + 1],
    )
    total = (await fetch(f'SELECT COUNT(*) FROM "case" WHERE {condition}', params))[0][0]  # noqa: S608
    has_more = len(rows) > size
    rows = rows[:size]
    case_ids = [r[0] for r in rows]
    consumer_ids = sorted({r[6] for r in rows})
    household_ids = sorted({r[7] for r in rows if r[7] is not None})
    consumers: dict[int, tuple[Any, ...]] = {}
    hh: dict[int, tuple[Any, ...]] = {}
    comments: dict[int, tuple[Any, ...]] = {}
    attachments: dict[int, int] = {}
    if rows:
        for row in await fetch(
            # PostgreSQL types a UNION column from its first branches: NULL alone
            # would make the count column text, so it is cast to match COUNT(*).
            "SELECT 'c', id, number, prefix, first_name, middle_name, last_name, suffix, "  # noqa: S608
            "CAST(NULL AS BIGINT) "
            f"FROM consumer WHERE id IN ({in_list(consumer_ids)}) "
            "UNION ALL SELECT 'h', id, number, name, NULL, NULL, NULL, NULL, "
            "CAST(NULL AS BIGINT) "
            f"FROM household WHERE id IN ({in_list(household_ids)}) "
            "UNION ALL SELECT 'a', case_id, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*) "
            f"FROM case_attachment WHERE case_id IN ({in_list(case_ids)}) GROUP BY case_id",
            [*consumer_ids, *household_ids, *case_ids],
        ):
            if row[0] == "c":
                consumers[row[1]] = row
            elif row[0] == "h":
                hh[row[1]] = row
            else:
                attachments[row[1]] = int(row[8])
        for row in await fetch(
            "SELECT id, case_id, body, created_at FROM case_comment WHERE id IN ("  # noqa: S608
            "SELECT MAX(id) FROM case_comment WHERE work_note = ? "
            f"AND case_id IN ({in_list(case_ids)}) GROUP BY case_id)",
            [False, *case_ids],
        ):
            comments[row[1]] = row
    edges = []
    for pk, number, short, state, priority, created, cid, hid, opener in rows:
        c = consumers.get(cid)
        h = hh.get(hid) if hid is not None else None
        m = comments.get(pk)
        consumer_side = (
            cid == consumer_id or opener == user_id or cid in represented or hid in headed
        )
        final = state in FINAL
        edges.append(
            {
                "node": {
                    "id": gid("Case", pk),
                    "number": number,
                    "shortDescription": short,
                    "state": state,
                    "priority": priority,
                    "createdAt": iso(created),
                    "consumer": {"id": gid("Consumer", cid), "fullName": full_name(*c[3:8])}
                    if c
                    else None,
                    "household": {"id": gid("Household", h[1]), "number": h[2], "name": h[3]}
                    if h
                    else None,
                    "lastPublicComment": {
                        "id": gid("CaseComment", m[0]),
                        "body": m[2],
                        "createdAt": iso(m[3]),
                    }
                    if m
                    else None,
                    "attachmentCount": attachments.get(pk, 0),
                    "viewerCan": {
                        "read": True,
                        "comment": consumer_side and not final,
                        "attach": consumer_side and not final,
                        "acceptSolution": consumer_side and state == "RESOLVED",
                        "rejectSolution": consumer_side and state == "RESOLVED",
                        "close": consumer_side and not final,
                    },
                },
            }
        )
    body = {
        "data": {
            "cases": {
                "totalCount": total,
                "pageInfo": {
                    "hasNextPage": has_more,
                    "endCursor": cursor(rows[-1][0]) if rows else None,
                },
                "edges": edges,
            }
        }
    }
    return Response(orjson.dumps(body), media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await runtime.start(get_settings(), with_jobs=False)
    try:
        yield
    finally:
        await runtime.stop()


app = Starlette(routes=[Route("/all-cases", all_cases, methods=["POST", "GET"])], lifespan=lifespan)
