"""The indexes the read path depends on exist, and the database uses them.

Lists stay proportional to what a viewer can see only while every access
grant column leads an index of `case` (with `id` next, for "newest
first"); every batch loader reads by a foreign key, so each foreign key
leads an index; and consumer search stays off a full scan on PostgreSQL
only while its trigram indexes match the SQL Tortoise emits.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from csm_graph import runtime
from csm_graph.access.engine import CaseAction, PartyAccess, Subject, case_filter, load_subject
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer, load_viewer
from csm_graph.consumers import services as consumers
from csm_graph.consumers.models import Consumer
from csm_graph.db import fetch, is_postgres
from csm_graph.demo import generate
from csm_graph.demo.people import AGENT_EMAIL, HEAD_EMAIL, MANAGER_EMAIL
from csm_graph.households.access import Reach
from csm_graph.settings import get_settings
from tests.conftest import wipe
from tests.schema.consumers.helpers import make_consumer


def _postgres() -> bool:
    return is_postgres(get_settings())


def _columns(q: Q) -> Iterator[str]:
    for key in q.filters:
        yield key.split("__", 1)[0]
    for child in q.children:
        yield from _columns(child)


def _subjects() -> list[Subject]:
    """A consumer and an agent who hold every grant the engine knows of."""
    party = PartyAccess(1, 2, None, "OWNER", "Owner", frozenset({CaseAction.READ}), None)
    product_party = PartyAccess(2, None, 3, "OWNER", "Owner", frozenset({CaseAction.READ}), None)
    reach = Reach(
        consumer_id=1,
        household_ids=frozenset({4}),
        headed_household_ids=frozenset({4}),
        members={4: frozenset({1, 5})},
        represented={5: None},
    )
    today = dt.date(2026, 1, 1)
    consumer = Subject(
        viewer=Viewer(user_id=1, user_type=UserType.EXTERNAL),
        today=today,
        reach=reach,
        parties=(party, product_party),
    )
    agent = Subject(
        viewer=Viewer(user_id=2, user_type=UserType.INTERNAL, team_ids=frozenset({6})),
        today=today,
        report_ids=frozenset({7}),
        parties=(party, product_party),
    )
    return [consumer, agent]


async def _indexes() -> dict[tuple[str, str], list[str]]:
    """Every index of the schema: (table, index name) -> its columns in order."""
    indexes: dict[tuple[str, str], list[str]] = {}
    if _postgres():
        rows = await fetch(
            "SELECT t.relname, i.indexrelid::regclass::text, a.attname "
            "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE t.relnamespace = 'public'::regnamespace "
            "ORDER BY 1, 2, array_position(i.indkey, a.attnum)"
        )
        for table, name, column in rows:
            indexes.setdefault((str(table), str(name)), []).append(str(column))
        return indexes
    for (table,) in await fetch("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for index in await fetch(f"PRAGMA index_list('{table}')"):
            columns = await fetch(f"PRAGMA index_info('{index[1]}')")
            indexes[(str(table), str(index[1]))] = [str(c[2]) for c in columns]
    return indexes


async def test_every_grant_column_leads_an_index_with_id_next() -> None:
    # given: the columns the access filter tests for viewers holding every grant
    grant_columns = {column for subject in _subjects() for column in _columns(case_filter(subject))}
    assert {"consumer_id", "household_id", "opened_by_id", "assigned_to_id"} <= grant_columns

    # then: each is served by an index that also orders by id
    on_case = [columns[:2] for (table, _), columns in (await _indexes()).items() if table == "case"]
    for column in grant_columns - {"id"}:
        assert [column, "id"] in on_case, f"no index on case({column}, id)"


AUDIT_POINTERS = {
    ("case_activity", "actor_id"),
    ("case_activity", "on_behalf_of_id"),
    ("case_attachment", "uploaded_by_id"),
    ("case_comment", "author_id"),
    ("case_comment", "on_behalf_of_id"),
    ("consumer_duplicate_dismissal", "dismissed_by_id"),
    ("consumer_import", "created_by_id"),
    ("related_party", "added_by_id"),
    ("representation", "created_by_id"),
}
"""Who did something: shown with the row, never searched by, and pointing at
users and consumers, which are deactivated, never deleted. Indexing them
would only slow the busiest inserts."""


async def _foreign_keys() -> set[tuple[str, str]]:
    if _postgres():
        rows = await fetch(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace"
        )
        return {(str(t).strip('"'), str(c)) for t, c in rows}
    tables = await fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
    keys = set()
    for (table,) in tables:
        for row in await fetch(f"PRAGMA foreign_key_list('{table}')"):
            keys.add((str(table), str(row[3])))
    return keys


async def test_every_foreign_key_leads_an_index() -> None:
    # given: every foreign key of the schema (on PostgreSQL none is indexed by itself)
    keys = await _foreign_keys()
    assert ("case_attachment", "case_id") in keys
    assert keys >= AUDIT_POINTERS, AUDIT_POINTERS - keys

    # then: each one a loader or an access rule reads by leads some index
    leading = {(table, columns[0]) for (table, _), columns in (await _indexes()).items() if columns}
    unindexed = keys - AUDIT_POINTERS - leading
    assert not unindexed, sorted(unindexed)


def _plan_nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for value in plan.values():
            yield from _plan_nodes(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from _plan_nodes(item)


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("nov", "consumer_first_name_trgm"),
        ("nov", "consumer_last_name_trgm"),
        ("nov", "consumer_email_trgm"),
        ("nov", "consumer_number_trgm"),
        ("555 0101", "consumer_phone_trgm"),
        ("555 0101", "consumer_mobile_phone_trgm"),
    ],
)
async def test_consumer_search_uses_trigram_indexes_on_postgres(term: str, index: str) -> None:
    if not _postgres():
        pytest.skip("trigram indexes are PostgreSQL's")
    await make_consumer(first_name="Nova", last_name="Novak", email="nova@example.com")

    # when: the planner may not scan the table, the search is planned
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL enable_seqscan = off")
        queryset = consumers.search(Consumer.all().using_db(connection), term)
        explained = await queryset.explain()

    # then: it reads the index on exactly the expression Tortoise emits
    plan = json.loads(explained[0]["QUERY PLAN"])
    used = {node.get("Index Name") for node in _plan_nodes(plan)}
    assert index in used, used


async def _related_party_reads(sql: str, values: list[Any]) -> list[str]:
    """How the plan of `sql` reads `related_party`: each access, as the index it
    uses ("PRIMARY KEY" for the row id), or "SCAN" for a read of every row."""
    if _postgres():
        async with in_transaction() as connection:
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            rows = await connection.execute_query_dict(f"EXPLAIN (FORMAT JSON) {sql}", values)
        plan = rows[0]["QUERY PLAN"]
        nodes = _plan_nodes(json.loads(plan) if isinstance(plan, str) else plan)
        return [
            "SCAN" if node["Node Type"] == "Seq Scan" else str(node.get("Index Name"))
            for node in nodes
            if node.get("Relation Name") == "related_party"
        ]
    reads: list[str] = []
    for row in await fetch(f"EXPLAIN QUERY PLAN {sql}", values):
        found = re.match(r"(SCAN|SEARCH) (rp|related_party)\b(?:.* INDEX (\w+))?", str(row[3]))
        if found is None:
            continue
        if found[1] == "SCAN":
            reads.append("SCAN")
        else:
            reads.append(found[3] or "PRIMARY KEY")
    return reads


async def test_the_subject_reads_related_parties_by_index_lookups_only(
    product: runtime.Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    # given the demo data set: a household head, an agent in a team and a
    # department, and their manager, with the planner's statistics of it
    # (300 consumers: enough rows that the statistics `generate` gathers with
    # ANALYZE take the tables as the demo's: most parties are consumers, so
    # their user, team and department columns are NULL)
    await wipe(product)
    await generate(300, seed=3)
    indexes = await _indexes()
    columns = {name: cols[0] for (table, name), cols in indexes.items() if table == "related_party"}
    by_party_column = {"user_id", "consumer_id", "team_id", "department_id"}
    for email in (HEAD_EMAIL, AGENT_EMAIL, MANAGER_EMAIL):
        user = await User.get(email=email)
        viewer = await load_viewer(user.id)
        assert viewer is not None

        # when their subject is loaded, its statements recorded
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            await load_subject(viewer)
        statements = [
            (str(r.args[0]), list(r.args[1] or ()))
            for r in caplog.records
            if r.name == "tortoise.db_client"
            and isinstance(r.args, tuple)
            and len(r.args) == 2
            and "related_party" in str(r.args[0])
        ]
        assert statements, email

        # then each reads related parties by the viewer's own columns' indexes (or
        # by row id), never all of them: through the responsibility's index, as an
        # OR over several columns was planned, it read every party of every one
        for sql, values in statements:
            reads = await _related_party_reads(sql, values)
            assert reads, (email, sql)
            for read in reads:
                column = "id" if read == "PRIMARY KEY" else columns.get(read)
                assert column in by_party_column | {"id"}, (email, read, column)
