"""`Consumer.cases` and `Household.cases`: exactly what `cases(filter:)` lists for
the viewer, of that consumer or household; paged both ways like any connection;
counted for a whole page of consumers at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from csm_graph.accounts.models import User
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseComment, CaseState
from csm_graph.households.models import Relationship
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import join, make_household
from tests.schema.households.test_household_query_count import counting_queries

PAGE = """
  totalCount
  edges { cursor node { number } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
"""
PAGED = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $filter: CaseFilter) {
  node(id: $id) {
    ... on %s { cases(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      %s
    } }
  }
}
"""
CONSUMER_CASES = PAGED % ("Consumer", PAGE)
HOUSEHOLD_CASES = PAGED % ("Household", PAGE)
CASE_COMMENTS = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) {
    ... on Case { comments(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { body } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }
  }
}
"""
ROOT_CASES = """
query($filter: CaseFilter) {
  cases(first: 100, filter: $filter) { totalCount edges { node { number } } }
}
"""

VIEWERS = ("head", "member", "other", "rep", "stranger", "agent", "outsider", "manager", "admin")


async def _cases_around_the_member(world: World) -> dict[str, Case]:
    """The member's cases in the household (routed to the team, unrouted and
    assigned to the outsider, closed), one outside it assigned to the agent, and
    one of the head in the household."""
    cases = {
        "home": await open_case(world, short_description="Router"),
        "away": await open_case(world, short_description="Phone"),
        "unrouted": await open_case(world, assignment_team_id=None, short_description="Bill"),
        "closed": await open_case(world, short_description="Old"),
        "heads": await open_case(world, consumer_id=world.head.id, short_description="Head's"),
    }
    outsider = await User.get(email="outsider@example.com")
    await Case.filter(id=cases["away"].id).update(
        household_id=None, assigned_to_id=world.ids["agent"]
    )
    await Case.filter(id=cases["unrouted"].id).update(assigned_to_id=outsider.id)
    await Case.filter(id=cases["closed"].id).update(state=CaseState.CLOSED)
    return cases


def _numbers(page: dict[str, Any] | None) -> list[str]:
    return [e["node"]["number"] for e in page["edges"]] if page else []


# Whom each viewer reads (the engine's rules), for the member and for the household:
# the lists through the consumer and the household must be these, newest first.
MEMBER_CASES = {
    "head": {"home", "unrouted", "closed"},  # household cases of a current member
    "member": {"home", "away", "unrouted", "closed"},
    "other": {"home", "unrouted", "closed"},  # a plain member reads household cases
    "rep": {"home", "away", "unrouted", "closed"},
    "stranger": None,  # may not see the member at all
    "agent": {"home", "away", "closed"},  # the team's, and the one assigned to them
    "outsider": {"unrouted"},
    "manager": {"away"},  # assigned to their report
    "admin": {"home", "away", "unrouted", "closed"},
}
HOUSEHOLD_CASES_SEEN = {
    "head": {"home", "unrouted", "closed", "heads"},
    "member": {"home", "unrouted", "closed", "heads"},
    "other": {"home", "unrouted", "closed", "heads"},
    "rep": {"home", "unrouted", "closed"},  # the represented member's only
    "stranger": None,
    "agent": {"home", "closed", "heads"},
    "outsider": {"unrouted"},
    "manager": set(),
    "admin": {"home", "unrouted", "closed", "heads"},
}


@pytest.mark.parametrize("who", VIEWERS)
async def test_consumer_cases_are_what_cases_lists_for_that_consumer(
    http: httpx.AsyncClient, who: str
) -> None:
    # given
    world = await make_world(http)
    cases = await _cases_around_the_member(world)
    member = gid("Consumer", world.member.id)
    client = world.client(who)

    # when
    through = await client.data(CONSUMER_CASES, {"id": member, "first": 100})
    listed = await client.data(ROOT_CASES, {"filter": {"consumerId": member}})

    # then: the same cases, in the same order, counted alike
    page = through["node"]["cases"] if through["node"] else None
    expected = MEMBER_CASES[who]
    if expected is None:
        assert through["node"] is None
        assert listed["cases"]["totalCount"] == 0
        return
    assert _numbers(page) == _numbers(listed["cases"])
    assert page is not None
    assert page["totalCount"] == listed["cases"]["totalCount"]
    assert set(_numbers(page)) == {cases[name].number for name in expected}


@pytest.mark.parametrize("who", VIEWERS)
async def test_household_cases_are_what_cases_lists_for_that_household(
    http: httpx.AsyncClient, who: str
) -> None:
    # given
    world = await make_world(http)
    cases = await _cases_around_the_member(world)
    household = gid("Household", world.household.id)
    client = world.client(who)

    # when
    through = await client.data(HOUSEHOLD_CASES, {"id": household, "first": 100})
    listed = await client.data(ROOT_CASES, {"filter": {"householdId": household}})

    # then
    expected = HOUSEHOLD_CASES_SEEN[who]
    if expected is None:
        assert through["node"] is None
        assert listed["cases"]["totalCount"] == 0
        return
    page = through["node"]["cases"]
    assert _numbers(page) == _numbers(listed["cases"])
    assert page["totalCount"] == listed["cases"]["totalCount"]
    assert set(_numbers(page)) == {cases[name].number for name in expected}


async def test_a_filter_narrows_the_consumer_cases_as_it_narrows_cases(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    cases = await _cases_around_the_member(world)
    member = gid("Consumer", world.member.id)
    only_closed = {"state": ["CLOSED"]}

    # when
    through = await world.client("head").data(
        CONSUMER_CASES, {"id": member, "first": 100, "filter": only_closed}
    )
    listed = await world.client("head").data(
        ROOT_CASES, {"filter": {**only_closed, "consumerId": member}}
    )

    # then
    assert _numbers(through["node"]["cases"]) == [cases["closed"].number]
    assert _numbers(listed["cases"]) == [cases["closed"].number]
    assert through["node"]["cases"]["totalCount"] == 1


async def _walk(
    client: Any, query: str, variables: dict[str, Any], field: str, *, backwards: bool
) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """Every page of a connection, two at a time: from the start with `first` and
    `after`, or from the end with `last` and `before`."""
    pages: list[list[Any]] = []
    infos: list[dict[str, Any]] = []
    cursor = None
    while True:
        arguments = {"last": 2, "before": cursor} if backwards else {"first": 2, "after": cursor}
        data = await client.data(query, {**variables, **arguments})
        page = data["node"][field]
        pages.append([e["node"] for e in page["edges"]])
        infos.append(page["pageInfo"])
        more = page["pageInfo"]["hasPreviousPage" if backwards else "hasNextPage"]
        if not more:
            return pages, infos
        cursor = page["pageInfo"]["startCursor" if backwards else "endCursor"]


async def test_consumer_cases_page_backwards_as_they_page_forwards(
    http: httpx.AsyncClient,
) -> None:
    # given: five cases of the member, seen by the head
    world = await make_world(http)
    for n in range(5):
        await open_case(world, short_description=f"Case {n}")
    member = {"id": gid("Consumer", world.member.id)}
    head = world.client("head")

    # when
    forwards, _ = await _walk(head, CONSUMER_CASES, member, "cases", backwards=False)
    backwards, infos = await _walk(head, CONSUMER_CASES, member, "cases", backwards=True)

    # then: the same five, newest first; the last pages first, each in list order
    everything = [case for page in forwards for case in page]
    assert len(everything) == 5
    assert [len(p) for p in forwards] == [2, 2, 1]
    assert backwards == [everything[3:5], everything[1:3], everything[0:1]]
    assert [(i["hasNextPage"], i["hasPreviousPage"]) for i in infos] == [
        (False, True),
        (True, True),
        (True, False),
    ]


async def test_household_cases_page_backwards_as_they_page_forwards(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    for n in range(3):
        await open_case(world, short_description=f"Case {n}")
        await open_case(world, consumer_id=world.head.id, short_description=f"Head {n}")
    household = {"id": gid("Household", world.household.id)}
    admin = world.client("admin")

    # when
    forwards, _ = await _walk(admin, HOUSEHOLD_CASES, household, "cases", backwards=False)
    backwards, _ = await _walk(admin, HOUSEHOLD_CASES, household, "cases", backwards=True)

    # then
    everything = [case for page in forwards for case in page]
    assert len(everything) == 6
    assert [case for page in reversed(backwards) for case in page] == everything


async def test_older_comments_load_with_last_and_before(http: httpx.AsyncClient) -> None:
    # given: a case with five public comments and a work note
    world = await make_world(http)
    case = await open_case(world)
    for n in range(5):
        await CaseComment.create(case_id=case.id, body=f"comment {n}")
    await CaseComment.create(case_id=case.id, body="note", work_note=True)
    on_case = {"id": gid("Case", case.id)}

    # when: the newest two, then older ones before them (a chat's "load older")
    backwards, infos = await _walk(
        world.client("member"), CASE_COMMENTS, on_case, "comments", backwards=True
    )
    forwards, _ = await _walk(
        world.client("member"), CASE_COMMENTS, on_case, "comments", backwards=False
    )

    # then: oldest first within each page, the work note left out
    assert backwards == [
        [{"body": "comment 3"}, {"body": "comment 4"}],
        [{"body": "comment 1"}, {"body": "comment 2"}],
        [{"body": "comment 0"}],
    ]
    assert [c for page in reversed(backwards) for c in page] == [
        c for page in forwards for c in page
    ]
    assert [i["hasPreviousPage"] for i in infos] == [True, True, False]


async def test_case_activity_pages_backwards(http: httpx.AsyncClient) -> None:
    # given: a case whose activity has five entries (opened, then four changes)
    world = await make_world(http)
    case = await open_case(world)
    for field in ("priority", "category", "description", "channel"):
        await CaseActivity.create(case_id=case.id, kind=ActivityKind.FIELD_CHANGED, field=field)
    query = CASE_COMMENTS.replace("comments(", "activity(").replace(
        "node { body }", "node { kind }"
    )
    on_case = {"id": gid("Case", case.id)}
    admin = world.client("admin")

    # when
    forwards, _ = await _walk(admin, query, on_case, "activity", backwards=False)
    backwards, _ = await _walk(admin, query, on_case, "activity", backwards=True)

    # then
    assert [len(p) for p in forwards] == [2, 2, 1]
    assert forwards[0][0] == {"kind": "CREATED"}
    assert [a for page in reversed(backwards) for a in page] == [
        a for page in forwards for a in page
    ]


CONSUMERS_WITH_CASES = """
query($first: Int!) {
  consumers(first: $first) {
    edges { node { number cases(first: 5) { totalCount edges { node { number } } } } }
  }
}
"""


async def test_a_page_of_consumers_reads_and_counts_their_cases_in_one_statement_each(
    http: httpx.AsyncClient,
) -> None:
    # given: fifteen more consumers, with two cases each
    world = await make_world(http)
    for n in range(15):
        consumer = await make_consumer(first_name=f"C{n}")
        for m in range(2):
            await open_case(
                world, consumer_id=consumer.id, household_id=None, short_description=f"{n}/{m}"
            )
    admin = world.client("admin")

    # when
    statements = {}
    for size in (5, 15):
        with counting_queries() as counter:
            data = await admin.data(CONSUMERS_WITH_CASES, {"first": size})
        assert [e["node"]["cases"]["totalCount"] for e in data["consumers"]["edges"]] == [2] * size
        statements[size] = counter.statements

    # then: ten more consumers cost no statement more: one reads every first
    # page, one counts them all
    assert len(statements[15]) == len(statements[5]), statements[15]
    assert sum("ROW_NUMBER()" in s.upper() for s in statements[15]) == 1
    assert sum("COUNT(" in s.upper() for s in statements[15]) == 1


PAGE_OF_PARENTS = """
query($first: Int!, $filter: CaseFilter) {
  %s(first: 50) {
    edges { node { id cases(first: $first, filter: $filter) {
      totalCount edges { cursor node { number } } pageInfo { hasNextPage endCursor }
    } } }
  }
}
"""
ROOT_PAGE = """
query($first: Int!, $filter: CaseFilter) {
  cases(first: $first, filter: $filter) {
    totalCount edges { cursor node { number } } pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.mark.parametrize("parents", ["consumers", "households"])
@pytest.mark.parametrize("who", ["agent", "outsider", "manager", "admin"])
async def test_first_pages_read_for_many_parents_at_once_equal_each_ones_list(
    http: httpx.AsyncClient, who: str, parents: str
) -> None:
    # given the member's cases, and more consumers and households with a few cases each
    world = await make_world(http)
    await _cases_around_the_member(world)
    for n in range(4):
        consumer = await make_consumer(first_name=f"C{n}")
        household = await make_household(f"House {n}")
        await join(household, consumer, Relationship.HEAD)
        for _ in range(n):
            await open_case(world, consumer_id=consumer.id, household_id=household.id)
    client = world.client(who)
    by = "consumerId" if parents == "consumers" else "householdId"

    for first in (0, 1, 2, 5):
        for state in (None, ["NEW"]):
            variables: dict[str, Any] = {"first": first, "filter": {"state": state}}
            # when every parent the viewer sees lists its first cases in one request
            seen = await client.data(PAGE_OF_PARENTS % parents, variables)
            assert seen[parents]["edges"]
            for edge in seen[parents]["edges"]:
                node = edge["node"]
                # then each list is what cases(filter:) lists for that parent
                root_filter = {by: node["id"], "state": state}
                listed = await client.data(ROOT_PAGE, {"first": first, "filter": root_filter})
                assert node["cases"] == listed["cases"], (who, first, state, node["id"])
