"""Filtering and sorting `consumers` and `cases` by a custom field, over HTTP."""

from __future__ import annotations

import httpx

from csm_graph.customfields.models import CustomFieldEntity, CustomFieldType
from tests.customfields.helpers import define, set_value
from tests.schema.cases.helpers import gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer

CONSUMERS = """
query($f: ConsumerFilter, $s: CustomFieldSort, $first: Int, $after: String) {
  consumers(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount
    edges { node { firstName } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CASES = """
query($f: CaseFilter, $s: CustomFieldSort) {
  cases(filter: $f, sort: $s) { totalCount edges { node { shortDescription } } }
}
"""
CONSUMER = CustomFieldEntity.CONSUMER
T = CustomFieldType


def _names(data: dict) -> list[str]:
    return [e["node"]["firstName"] for e in data["consumers"]["edges"]]


async def _scores(http: httpx.AsyncClient) -> None:
    """Ann 30, Bob 5, Cy 12.5, Di 5 and Ed without a score, Bob and Di VIPs."""
    await define(CONSUMER, "score", T.NUMBER)
    await define(CONSUMER, "vip", T.BOOLEAN)
    for name, score in (("Ann", "30"), ("Bob", "5"), ("Cy", "12.5"), ("Di", "5"), ("Ed", None)):
        consumer = await make_consumer(first_name=name, last_name="Lee")
        if score is not None:
            await set_value(CONSUMER, consumer.id, "score", score)
        if name in ("Bob", "Di"):
            await set_value(CONSUMER, consumer.id, "vip", "true")


async def test_consumers_filter_by_a_value_and_a_range(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    await _scores(http)
    agent = world.client("agent")

    # when
    vips = await agent.data(CONSUMERS, {"f": {"customFields": [{"key": "vip", "equals": "true"}]}})
    ranged = await agent.data(
        CONSUMERS, {"f": {"customFields": [{"key": "score", "min": "5", "max": "12.5"}]}}
    )
    both = await agent.data(
        CONSUMERS,
        {
            "f": {
                "search": "Lee",
                "customFields": [
                    {"key": "score", "min": "6"},
                    {"key": "score", "max": "29"},
                ],
            }
        },
    )

    # then: newest first, as every list
    assert _names(vips) == ["Di", "Bob"]
    assert vips["consumers"]["totalCount"] == 2
    assert _names(ranged) == ["Di", "Cy", "Bob"]
    assert _names(both) == ["Cy"]


async def test_consumers_sort_by_a_value_those_without_one_last(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    await _scores(http)
    agent = world.client("agent")
    lees = {"search": "Lee"}

    # when
    ascending = await agent.data(CONSUMERS, {"f": lees, "s": {"key": "score"}})
    descending = await agent.data(CONSUMERS, {"f": lees, "s": {"key": "score", "descending": True}})

    # then: ties newest first, no score last
    assert _names(ascending) == ["Di", "Bob", "Cy", "Ann", "Ed"]
    assert _names(descending) == ["Ann", "Cy", "Di", "Bob", "Ed"]

    # when: paged two at a time
    seen: list[str] = []
    after = None
    while True:
        page = await agent.data(
            CONSUMERS, {"f": lees, "s": {"key": "score"}, "first": 2, "after": after}
        )
        seen += _names(page)
        if not page["consumers"]["pageInfo"]["hasNextPage"]:
            break
        after = page["consumers"]["pageInfo"]["endCursor"]

    # then: the same order, each once
    assert seen == ["Di", "Bob", "Cy", "Ann", "Ed"]


async def test_a_bad_filter_is_a_bad_request_naming_it(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    await _scores(http)
    agent = world.client("agent")

    bad_number = await agent.execute(
        CONSUMERS, {"f": {"customFields": [{"key": "score", "equals": "lots"}]}}
    )
    no_range = await agent.execute(
        CONSUMERS, {"f": {"customFields": [{"key": "vip", "min": "true"}]}}
    )
    unknown = await agent.execute(CONSUMERS, {"s": {"key": "shoe_size"}})

    assert bad_number["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`filter.customFields.0.equals`" in bad_number["errors"][0]["message"]
    assert "`filter.customFields.0.min`" in no_range["errors"][0]["message"]
    assert "`sort.key`" in unknown["errors"][0]["message"]


async def test_cases_filter_and_sort_and_a_field_the_viewer_cannot_read_is_unknown(
    http: httpx.AsyncClient,
) -> None:
    # given: three cases of the member, two with an internal priority code
    world = await make_world(http)
    await define(CustomFieldEntity.CASE, "code", T.CHOICE, options=("a", "b"))
    await define(CustomFieldEntity.CASE, "due", T.DATE, read=("case_readers",))
    first = await open_case(world, short_description="First")
    second = await open_case(world, short_description="Second")
    await open_case(world, short_description="Third")
    await set_value(CustomFieldEntity.CASE, first.id, "code", "b")
    await set_value(CustomFieldEntity.CASE, second.id, "code", "a")
    await set_value(CustomFieldEntity.CASE, first.id, "due", "2027-01-05")
    await set_value(CustomFieldEntity.CASE, second.id, "due", "2027-03-01")

    # when
    coded = await world.client("agent").data(
        CASES, {"f": {"customFields": [{"key": "code", "equals": "b"}]}}
    )
    by_due = await world.client("member").data(CASES, {"s": {"key": "due", "descending": True}})
    hidden = await world.client("member").execute(
        CASES, {"f": {"customFields": [{"key": "code", "equals": "b"}]}}
    )

    # then
    assert [e["node"]["shortDescription"] for e in coded["cases"]["edges"]] == ["First"]
    assert coded["cases"]["totalCount"] == 1
    assert [e["node"]["shortDescription"] for e in by_due["cases"]["edges"]] == [
        "Second",
        "First",
        "Third",
    ]
    assert hidden["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "No custom field 'code'" in hidden["errors"][0]["message"]


SORTED_BACKWARDS = """
query($s: CustomFieldSort, $last: Int, $before: String, $after: String) {
  consumers(filter: {search: "Lee"}, sort: $s, last: $last, before: $before, after: $after) {
    edges { node { firstName } }
    pageInfo { hasPreviousPage startCursor }
  }
}
"""
CONSUMER_CASES = """
query($id: ID!, $f: CaseFilter) {
  node(id: $id) { ... on Consumer { cases(filter: $f) { totalCount edges { node { number } } } } }
}
"""


async def test_a_sorted_list_pages_backwards_and_refuses_a_foreign_cursor(
    http: httpx.AsyncClient,
) -> None:
    # given
    world = await make_world(http)
    await _scores(http)
    agent = world.client("agent")
    plain = await agent.data(CONSUMERS, {"first": 1})

    # when
    tail = await agent.data(SORTED_BACKWARDS, {"s": {"key": "score"}, "last": 2})
    before = await agent.data(
        SORTED_BACKWARDS,
        {"s": {"key": "score"}, "last": 2, "before": tail["consumers"]["pageInfo"]["startCursor"]},
    )
    foreign = await agent.execute(
        SORTED_BACKWARDS,
        {"s": {"key": "score"}, "after": plain["consumers"]["pageInfo"]["endCursor"]},
    )

    # then
    assert _names(tail) == ["Ann", "Ed"]
    assert tail["consumers"]["pageInfo"]["hasPreviousPage"] is True
    assert _names(before) == ["Bob", "Cy"]
    assert foreign["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_consumers_cases_filter_by_a_custom_field(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    await define(CustomFieldEntity.CASE, "urgent", T.BOOLEAN)
    urgent = await open_case(world)
    await open_case(world)
    await set_value(CustomFieldEntity.CASE, urgent.id, "urgent", "true")

    # when
    found = await world.client("agent").data(
        CONSUMER_CASES,
        {
            "id": gid("Consumer", world.member.id),
            "f": {"customFields": [{"key": "urgent", "equals": "true"}]},
        },
    )

    # then
    cases = found["node"]["cases"]
    assert cases["totalCount"] == 1
    assert [e["node"]["number"] for e in cases["edges"]] == [urgent.number]
