"""Duplicate consumer candidates: `consumerDuplicates`, `duplicateCandidates` and
`consumerDuplicateDismiss`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.consumers.models import Consumer, DuplicateDismissal
from tests.schema.consumers.helpers import make_consumer
from tests.schema.consumers.test_consumer_update import consumer_client
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import GraphQLClient

CONSUMER_DUPLICATES = """
query ConsumerDuplicates($id: ID!) {
  consumerDuplicates(consumerId: $id) { consumer { id } candidate { id } reasons score }
}
"""
DUPLICATE_CANDIDATES = """
query DuplicateCandidates($first: Int, $after: String, $last: Int, $before: String) {
  duplicateCandidates(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id consumer { id } candidate { id } reasons score } }
  }
}
"""
DISMISS = """
mutation Dismiss($input: ConsumerDuplicateDismissInput!) {
  consumerDuplicateDismiss(input: $input) {
    consumer { id } other { id } errors { field message code }
  }
}
"""
BIRTHDAY = dt.date(1980, 5, 17)


def cid(consumer: Consumer) -> str:
    return gid("Consumer", consumer.id)


async def duplicates_of(client: GraphQLClient, consumer: Consumer) -> list[dict[str, Any]]:
    data = await client.data(CONSUMER_DUPLICATES, {"id": cid(consumer)})
    found: list[dict[str, Any]] = data["consumerDuplicates"]
    for candidate in found:
        assert candidate["consumer"] == {"id": cid(consumer)}
    return found


def candidates(found: list[dict[str, Any]]) -> list[tuple[str, list[str], float]]:
    """(the candidate's id, reasons, score) of each candidate."""
    return [(c["candidate"]["id"], c["reasons"], c["score"]) for c in found]


async def all_pairs(client: GraphQLClient, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await client.data(DUPLICATE_CANDIDATES, variables))[
        "duplicateCandidates"
    ]
    return page


def pairs(page: dict[str, Any]) -> list[tuple[str, str, list[str], float]]:
    return [
        (e["node"]["consumer"]["id"], e["node"]["candidate"]["id"], e["node"]["reasons"],
         e["node"]["score"])
        for e in page["edges"]
    ]  # fmt: skip


async def dismiss(client: GraphQLClient, consumer_id: str, other_id: str) -> dict[str, Any]:
    data = await client.data(DISMISS, {"input": {"consumerId": consumer_id, "otherId": other_id}})
    payload: dict[str, Any] = data["consumerDuplicateDismiss"]
    return payload


# --- the rules -------------------------------------------------------------------------


async def test_the_same_email_makes_a_candidate(agent_client: GraphQLClient) -> None:
    # given
    ann = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    again = await make_consumer(first_name="A", last_name="Lee-Smith", email="ANN@example.com")
    personal = await make_consumer(
        first_name="Annie",
        last_name="Ray",
        email="annie@example.com",
        personal_email="ann@example.com",
    )
    await make_consumer(first_name="Bob", last_name="Lee", email="bob@example.com")

    # when
    found = await duplicates_of(agent_client, ann)

    # then: the same email is stronger than a personal email
    assert candidates(found) == [
        (cid(again), ["EMAIL"], 0.85),
        (cid(personal), ["EMAIL"], 0.75),
    ]
    assert candidates(await duplicates_of(agent_client, personal)) == [
        (cid(ann), ["EMAIL"], 0.75),
        (cid(again), ["EMAIL"], 0.75),
    ]


async def test_a_shared_phone_number_makes_a_candidate(agent_client: GraphQLClient) -> None:
    # given: any of one's phone and mobile phone against any of the other's
    office = await make_consumer(first_name="Ann", last_name="Lee", phone="+1 415 555 0101")
    mobile = await make_consumer(
        first_name="Bob", last_name="Ray", phone="+14155550199", mobile_phone="+14155550101"
    )
    other_mobile = await make_consumer(
        first_name="Cy", last_name="Fox", mobile_phone="+14155550199"
    )
    await make_consumer(first_name="Dee", last_name="Lu")  # no phone: matches nobody's
    await make_consumer(first_name="Eve", last_name="Ng")

    # when
    found = await duplicates_of(agent_client, mobile)

    # then
    assert sorted(candidates(found)) == sorted(
        [(cid(office), ["PHONE"], 0.7), (cid(other_mobile), ["PHONE"], 0.7)]
    )
    assert candidates(await duplicates_of(agent_client, office)) == [(cid(mobile), ["PHONE"], 0.7)]


async def test_the_same_normalised_external_id_makes_a_candidate(
    agent_client: GraphQLClient,
) -> None:
    # given: case, dashes, dots and leading zeros do not count
    crm = await make_consumer(first_name="Ann", last_name="Lee", external_id="CRM-0042.7")
    same = await make_consumer(first_name="Bob", last_name="Ray", external_id="crm00427")
    padded = await make_consumer(first_name="Cy", last_name="Fox", external_id="000-123")
    plain = await make_consumer(first_name="Dee", last_name="Lu", external_id="123")
    await make_consumer(first_name="Eve", last_name="Ng", external_id="CRM-427")

    # when
    found = await duplicates_of(agent_client, crm)

    # then
    assert candidates(found) == [(cid(same), ["EXTERNAL_ID"], 0.95)]
    assert candidates(await duplicates_of(agent_client, padded)) == [
        (cid(plain), ["EXTERNAL_ID"], 0.95)
    ]


async def test_a_similar_name_born_the_same_day_makes_a_candidate(
    agent_client: GraphQLClient,
) -> None:
    # given
    jon = await make_consumer(first_name="Jon", last_name="Smith", date_of_birth=BIRTHDAY)
    john = await make_consumer(first_name="John", last_name="smith", date_of_birth=BIRTHDAY)
    await make_consumer(first_name="Mary", last_name="Jones", date_of_birth=BIRTHDAY)

    # when
    found = await duplicates_of(agent_client, jon)

    # then
    assert candidates(found) == [(cid(john), ["SIMILAR_NAME"], 0.6)]


async def test_a_similar_name_at_the_same_address_makes_a_candidate(
    agent_client: GraphQLClient,
) -> None:
    # given: the address compares without case, spaces and punctuation
    jon = await make_consumer(
        first_name="Jon", last_name="Smith", address_line1="12 Main St.", postal_code="SW1A 1AA"
    )
    john = await make_consumer(
        first_name="John", last_name="Smith", address_line1="12 main st", postal_code="sw1a1aa"
    )
    # a family at one address is not one person
    await make_consumer(
        first_name="Anna", last_name="Smith", address_line1="12 Main St.", postal_code="SW1A 1AA"
    )

    # when
    found = await duplicates_of(agent_client, jon)

    # then
    assert candidates(found) == [(cid(john), ["SIMILAR_NAME"], 0.5)]


async def test_a_similar_name_alone_makes_no_candidate(agent_client: GraphQLClient) -> None:
    # given: born on other days, living elsewhere
    jon = await make_consumer(
        first_name="Jon",
        last_name="Smith",
        date_of_birth=BIRTHDAY,
        address_line1="12 Main St",
        postal_code="94110",
    )
    await make_consumer(
        first_name="John",
        last_name="Smith",
        date_of_birth=BIRTHDAY + dt.timedelta(days=1),
        address_line1="14 Main St",
        postal_code="94110",
    )
    await make_consumer(first_name="Jon", last_name="Smith")

    # when
    found = await duplicates_of(agent_client, jon)

    # then
    assert found == []
    assert (await all_pairs(agent_client))["totalCount"] == 0


async def test_reasons_combine_strongest_first(agent_client: GraphQLClient) -> None:
    # given
    ann = await make_consumer(
        first_name="Ann", last_name="Lee", email="ann@example.com", phone="+14155550101"
    )
    both = await make_consumer(
        first_name="Bob", last_name="Ray", email="ann@example.com", mobile_phone="+14155550101"
    )
    phone = await make_consumer(first_name="Cy", last_name="Fox", phone="+14155550101")

    # when
    found = await duplicates_of(agent_client, ann)

    # then: 1 - (1 - 0.85) * (1 - 0.7)
    assert candidates(found) == [
        (cid(both), ["EMAIL", "PHONE"], 0.955),
        (cid(phone), ["PHONE"], 0.7),
    ]


# --- all pairs -----------------------------------------------------------------------


async def test_all_pairs_page_strongest_first(agent_client: GraphQLClient) -> None:
    # given: four pairs (the phone makes three of them, among three records)
    ann = await make_consumer(first_name="Ann", last_name="Lee", external_id="A-1")
    ann2 = await make_consumer(first_name="Ann", last_name="Lee", external_id="a1")
    bob = await make_consumer(first_name="Bob", last_name="Ray", phone="+14155550101")
    bob2 = await make_consumer(first_name="Rob", last_name="Ray", phone="+14155550101")
    bob3 = await make_consumer(first_name="Bo", last_name="Ray", mobile_phone="+14155550101")

    # when
    first = await all_pairs(agent_client, first=2)
    rest = await all_pairs(agent_client, first=2, after=first["pageInfo"]["endCursor"])

    # then: the strongest first, then by the records' ids; the older record first
    assert first["totalCount"] == 4
    assert pairs(first) + pairs(rest) == [
        (cid(ann), cid(ann2), ["EXTERNAL_ID"], 0.95),
        (cid(bob), cid(bob2), ["PHONE"], 0.7),
        (cid(bob), cid(bob3), ["PHONE"], 0.7),
        (cid(bob2), cid(bob3), ["PHONE"], 0.7),
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": rest["edges"][-1]["cursor"],
    }


async def test_all_pairs_page_backwards_too(agent_client: GraphQLClient) -> None:
    # given: the four pairs of the test above
    await make_consumer(first_name="Ann", last_name="Lee", external_id="A-1")
    await make_consumer(first_name="Ann", last_name="Lee", external_id="a1")
    for first_name, phone in (("Bob", "phone"), ("Rob", "phone"), ("Bo", "mobile_phone")):
        await make_consumer(first_name=first_name, last_name="Ray", **{phone: "+14155550101"})
    forwards = await all_pairs(agent_client, first=4)

    # when: the last two, then the two before them
    tail = await all_pairs(agent_client, last=2)
    head = await all_pairs(agent_client, last=2, before=tail["edges"][0]["cursor"])

    # then: the same pairs in the same order, and each pair's id is stable
    assert pairs(head) + pairs(tail) == pairs(forwards)
    assert tail["pageInfo"]["hasNextPage"] is False
    assert head["pageInfo"]["hasNextPage"] is True
    ids = [e["node"]["id"] for e in head["edges"] + tail["edges"]]
    assert ids == [e["node"]["id"] for e in forwards["edges"]]
    assert len(set(ids)) == 4


async def test_a_malformed_cursor_is_a_bad_request(agent_client: GraphQLClient) -> None:
    result = await agent_client.execute(DUPLICATE_CANDIDATES, {"after": "bm9wZQ=="})

    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- dismissal -------------------------------------------------------------------------


async def test_a_dismissed_pair_is_offered_no_more(agent_client: GraphQLClient) -> None:
    # given
    ann = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    again = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    third = await make_consumer(first_name="A", last_name="Lee", email="ann@example.com")

    # when: dismissed from the newer record's side, twice
    first = await dismiss(agent_client, cid(again), cid(ann))
    second = await dismiss(agent_client, cid(again), cid(ann))

    # then
    assert (
        first == second == {"consumer": {"id": cid(again)}, "other": {"id": cid(ann)}, "errors": []}
    )
    stored = await DuplicateDismissal.all().values("lower_id", "higher_id", "dismissed_by_id")
    assert agent_client.user is not None
    assert stored == [
        {"lower_id": ann.id, "higher_id": again.id, "dismissed_by_id": agent_client.user.id}
    ]
    assert candidates(await duplicates_of(agent_client, ann)) == [(cid(third), ["EMAIL"], 0.85)]
    assert candidates(await duplicates_of(agent_client, again)) == [(cid(third), ["EMAIL"], 0.85)]
    page = await all_pairs(agent_client)
    assert page["totalCount"] == 2
    assert [p[:2] for p in pairs(page)] == [(cid(ann), cid(third)), (cid(again), cid(third))]


async def test_dismissing_refuses_the_same_record_twice(agent_client: GraphQLClient) -> None:
    ann = await make_consumer(first_name="Ann", last_name="Lee")

    payload = await dismiss(agent_client, cid(ann), cid(ann))

    assert payload["consumer"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("otherId", "INVALID")]


@pytest.mark.parametrize(
    ("which", "bad", "code"),
    [
        ("otherId", "unknown", "NOT_FOUND"),
        ("consumerId", "unknown", "NOT_FOUND"),
        ("otherId", "malformed", "NOT_FOUND"),
        ("consumerId", "a user's", "NOT_FOUND"),
        ("otherId", "merged", "NOT_FOUND"),
    ],
)
async def test_dismissing_refuses_an_id_that_is_no_live_consumer(
    agent_client: GraphQLClient, which: str, bad: str, code: str
) -> None:
    # given
    ann = await make_consumer(first_name="Ann", last_name="Lee")
    merged = await make_consumer(first_name="Ann", last_name="Lee")
    await Consumer.filter(id=merged.id).update(merged_into_id=ann.id, merged_at=clock.now())
    ids = {
        "unknown": gid("Consumer", 999_999),
        "malformed": "not an id",
        "a user's": gid("User", ann.id),
        "merged": cid(merged),
    }
    given = {"consumerId": cid(ann), "otherId": cid(ann)} | {which: ids[bad]}
    if which == "consumerId":
        given["otherId"] = cid(merged if bad != "merged" else ann)

    # when
    payload = await dismiss(agent_client, given["consumerId"], given["otherId"])

    # then
    assert payload["consumer"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(which, code)]
    assert await DuplicateDismissal.all().count() == 0


# --- tombstones, ids and viewers -------------------------------------------------------


async def test_merged_records_are_never_candidates(agent_client: GraphQLClient) -> None:
    # given: three records with one email; the third was merged into the first
    ann = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    again = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    merged = await make_consumer(first_name="Ann", last_name="Lee", email="ann@example.com")
    await Consumer.filter(id=merged.id).update(merged_into_id=ann.id, merged_at=clock.now())

    # when
    found = await duplicates_of(agent_client, ann)
    of_merged = await agent_client.data(CONSUMER_DUPLICATES, {"id": cid(merged)})
    page = await all_pairs(agent_client)

    # then
    assert candidates(found) == [(cid(again), ["EMAIL"], 0.85)]
    assert of_merged == {"consumerDuplicates": []}
    assert [p[:2] for p in pairs(page)] == [(cid(ann), cid(again))]


@pytest.mark.parametrize("bad", ["not an id", "VXNlcjox", "Q29uc3VtZXI6OTk5OTk5"])
async def test_an_id_that_is_no_consumer_has_no_candidates(
    agent_client: GraphQLClient, bad: str
) -> None:
    # given: a pair, and an id that is malformed, a user's or no record's
    await make_consumer(email="ann@example.com")
    await make_consumer(email="ann@example.com")

    # when
    result = await agent_client.execute(CONSUMER_DUPLICATES, {"id": bad})

    # then: answered like a consumer without duplicates
    assert result == {"data": {"consumerDuplicates": []}}


async def test_the_pairs_show_only_to_internal_users(
    http: httpx.AsyncClient, agent_client: GraphQLClient, anon_client: GraphQLClient
) -> None:
    # given: a consumer with a login, and a duplicate of their record
    consumer, own = await consumer_client(http, "me@example.com")
    twin = await make_consumer(first_name="Pat", last_name="Doe", email="me@example.com")
    pair = (cid(own), cid(twin), ["EMAIL"], 0.85)
    mutation = {"input": {"consumerId": cid(own), "otherId": cid(twin)}}

    for client, code in ((consumer, "FORBIDDEN"), (anon_client, "UNAUTHENTICATED")):
        # when
        one = await client.execute(CONSUMER_DUPLICATES, {"id": cid(own)})
        every = await client.execute(DUPLICATE_CANDIDATES)
        dismissed = await client.execute(DISMISS, mutation)

        # then
        assert one["data"] == {"consumerDuplicates": None}
        assert every["data"] == {"duplicateCandidates": None}
        assert dismissed["data"] is None
        for result in (one, every, dismissed):
            assert [e["extensions"]["code"] for e in result["errors"]] == [code]

    # and an internal user sees the pair, both its records
    assert pairs(await all_pairs(agent_client)) == [pair]
    assert candidates(await duplicates_of(agent_client, own)) == [(cid(twin), ["EMAIL"], 0.85)]
    assert await DuplicateDismissal.all().count() == 0
