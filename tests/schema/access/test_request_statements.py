"""What a request costs in SQL statements, counted by the project's own
counter (`SQL_COUNT_HEADER`, `X-SQL-Statements`): the viewer (one statement),
their subject (none for an administrator, one for anyone else: a staff
member's department and reports come with the viewer,
`access.engine.load_subject`), then the page and, when the page is
not the whole list, its count."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from csm_graph import runtime, sqlcount
from csm_graph.app import create_app
from csm_graph.settings import Settings, use_settings
from tests.schema.cases.helpers import World, make_world, open_case
from tests.serving import serve

COUNT = "{ cases(first: 1) { totalCount } }"


@pytest.fixture
async def counting(product: runtime.Runtime, settings: Settings) -> AsyncIterator[str]:
    """The app served with `SQL_COUNT_HEADER` on; the statement logger as it was after."""
    logger = logging.getLogger("tortoise.db_client")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    app = create_app(settings.model_copy(update={"sql_count_header": True}), manage_runtime=False)
    use_settings(settings)
    try:
        async with serve(app) as url:
            yield url
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


async def _two_cases(http: httpx.AsyncClient) -> World:
    """The cases world (a household head, staff around it) with two cases."""
    world = await make_world(http)
    await open_case(world)
    await open_case(world)
    return world


async def test_a_request_loads_its_viewer_and_subject_in_few_statements(
    http: httpx.AsyncClient, counting: str
) -> None:
    # given a household head with two cases, and staff around it
    world = await _two_cases(http)

    # when each asks for the number of cases they may read
    statements = {}
    async with httpx.AsyncClient(base_url=counting, timeout=30) as client:
        for name in ("head", "rep", "stranger", "agent", "manager", "admin"):
            response = await client.post(
                "/graphql", json={"query": COUNT}, headers=world.client(name).headers()
            )
            assert "errors" not in response.json(), response.text
            statements[name] = int(response.headers[sqlcount.HEADER])

    # then: viewer 1, subject 0/1, page 1, count 1; no count for the stranger
    # and the manager (no case is assigned to their reports): an empty page is
    # the whole list
    assert statements == {
        "head": 4,
        "rep": 4,
        "stranger": 3,
        "agent": 4,
        "manager": 3,
        "admin": 3,
    }


async def test_a_page_that_is_the_whole_list_counts_it_without_a_count_statement(
    http: httpx.AsyncClient, counting: str
) -> None:
    # given a household head with two cases
    world = await _two_cases(http)
    query = "query($first: Int, $after: String) { cases(first: $first, after: $after) "
    query += "{ totalCount edges { cursor } } }"

    async def ask(**variables: object) -> tuple[int, dict[str, object]]:
        async with httpx.AsyncClient(base_url=counting, timeout=30) as client:
            response = await client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=world.client("head").headers(),
            )
        body = response.json()
        assert "errors" not in body, response.text
        return int(response.headers[sqlcount.HEADER]), body["data"]["cases"]

    # when the first page holds both, holds one, and the page after the first is asked
    whole, all_of_it = await ask(first=10)
    partial, first_page = await ask(first=1)
    after, second_page = await ask(first=10, after=first_page["edges"][0]["cursor"])

    # then every page says 2, and only the first page that holds both skips the COUNT
    totals = (all_of_it["totalCount"], first_page["totalCount"], second_page["totalCount"])
    assert totals == (2, 2, 2)
    assert len(all_of_it["edges"]) == 2
    assert len(second_page["edges"]) == 1
    assert partial == whole + 1
    assert after == whole + 1
