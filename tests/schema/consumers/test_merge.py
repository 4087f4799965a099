from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.access.models import RelatedParty, RelationshipType
from csm_graph.accounts.models import RefreshToken, User, UserType
from csm_graph.cases.models import ActivityKind, Case, CaseActivity, CaseComment, CaseState
from csm_graph.consumers import importing
from csm_graph.consumers.models import Consumer, ConsumerMerge, SlaLevel
from csm_graph.households.models import HouseholdMember, Relationship, Representation
from csm_graph.notifications.models import OutboxEmail
from csm_graph.products.models import SoldProduct
from csm_graph.surveys.models import Survey
from tests.mail import Mailbox, body
from tests.schema.consumers.helpers import make_consumer
from tests.schema.households.helpers import gid, join, make_household, represent
from tests.support import GraphQLClient, login, make_user

MERGE = """
mutation Merge($input: ConsumerMergeInput!) {
  consumerMerge(input: $input) {
    survivor { id number firstName email address { city } lastSurveyAt externalId user { email } }
    errors { field message code }
  }
}
"""
NODE = """
query Node($id: ID!) { node(id: $id) { id ... on Consumer { number } ... on Case { number } } }
"""
CONSUMERS = """
query Consumers($filter: ConsumerFilter) {
  consumers(filter: $filter) { totalCount edges { node { number } } }
}
"""
UPDATE = """
mutation Update($input: ConsumerUpdateInput!) {
  consumerUpdate(input: $input) { consumer { number } errors { field message code } }
}
"""


async def values(query: Any) -> list[int]:
    """The ids a `values_list(..., flat=True)` query returns, as ints."""
    return [int(v) for v in await query]


def merge_input(survivor: Consumer, merged: Consumer, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "survivorId": gid("Consumer", survivor.id),
            "mergedId": gid("Consumer", merged.id),
            **extra,
        }
    }


async def person(name: str, *, with_login: bool = False, **values: Any) -> Consumer:
    email = f"{name}@example.com"
    consumer = await make_consumer(first_name=name.title(), last_name="Doe", email=email, **values)
    if with_login:
        user = await make_user(email, user_type=UserType.EXTERNAL, first_name=name.title())
        consumer.user_id = user.id
        await consumer.save()
    return consumer


_counter = iter(range(1, 10_000))


async def case_about(consumer: Consumer, **values: Any) -> Case:
    return await Case.create(
        number=f"CS{next(_counter):07d}", short_description="x", consumer_id=consumer.id, **values
    )


async def holdings(consumer_id: int) -> dict[str, int]:
    """Every row that points at the consumer, by kind."""
    return {
        "cases": await Case.filter(consumer_id=consumer_id).count(),
        "comments": await CaseComment.filter(on_behalf_of_id=consumer_id).count(),
        "activity": await CaseActivity.filter(on_behalf_of_id=consumer_id).count(),
        "memberships": await HouseholdMember.filter(consumer_id=consumer_id).count(),
        "represents": await Representation.filter(representative_id=consumer_id).count(),
        "represented_by": await Representation.filter(consumer_id=consumer_id).count(),
        "related_parties": await RelatedParty.filter(consumer_id=consumer_id).count(),
        "sold_products": await SoldProduct.filter(owner_id=consumer_id).count(),
        "surveys": await Survey.filter(consumer_id=consumer_id).count(),
    }


@dataclass
class Pair:
    survivor: Consumer
    merged: Consumer
    survivor_case: Case
    merged_case: Case


async def related_world() -> Pair:
    """Two records of one person, each with every kind of relationship, and
    no relationship between the two (so nothing is dropped as a duplicate)."""
    today = clock.today()
    survivor = await person("sam", city="Oakland")
    merged = await person("samuel", with_login=True, city="Berkeley", external_id="EXT-M")
    friend = await person("fred")
    kind = await RelationshipType.all().order_by("id").first()
    assert kind is not None

    homes = [await make_household("Home S"), await make_household("Home M")]
    await join(homes[0], survivor, Relationship.HEAD)
    await join(homes[1], friend, Relationship.HEAD)
    await join(homes[1], merged, Relationship.CHILD)
    for who in (survivor, merged):
        await represent(who, friend, valid_from=today - dt.timedelta(days=who.id))
        await represent(friend, who, valid_from=today - dt.timedelta(days=who.id))

    products = {
        who.id: await SoldProduct.create(name=f"Router {who.number}", owner_id=who.id)
        for who in (survivor, merged)
    }
    cases = {
        who.id: await case_about(who, sold_product_id=products[who.id].id)
        for who in (survivor, merged)
    }
    for who in (survivor, merged):
        case = cases[who.id]
        await CaseComment.create(case_id=case.id, body="hi", on_behalf_of_id=who.id)
        await CaseActivity.create(
            case_id=case.id, kind=ActivityKind.COMMENTED, on_behalf_of_id=who.id
        )
        other = cases[survivor.id if who is merged else merged.id]
        await RelatedParty.create(
            case_id=other.id, consumer_id=who.id, relationship_type_id=kind.id
        )
        await RelatedParty.create(
            sold_product_id=products[other.consumer_id].id,
            consumer_id=who.id,
            relationship_type_id=kind.id,
        )
        await Survey.create(case_id=case.id, consumer_id=who.id, created_at=clock.now())
    survivor.last_survey_at = clock.now() - dt.timedelta(days=200)
    merged.last_survey_at = clock.now() - dt.timedelta(days=20)
    await survivor.save()
    await merged.save()
    return Pair(survivor, merged, cases[survivor.id], cases[merged.id])


async def test_everything_moves_to_the_survivor_and_nothing_is_lost(
    http: httpx.AsyncClient, agent_client: GraphQLClient
) -> None:
    # given
    pair = await related_world()
    survivor, merged = pair.survivor, pair.merged
    before_s, before_m = await holdings(survivor.id), await holdings(merged.id)
    assert all(before_m.values()), before_m
    merged_login = await login(http, "samuel@example.com")
    assert (await merged_login.data(NODE, {"id": gid("Case", pair.survivor_case.id)}))[
        "node"
    ] is None

    # when
    payload = (
        await agent_client.data(MERGE, merge_input(survivor, merged, fields=["EMAIL", "ADDRESS"]))
    )["consumerMerge"]

    # then: every row points at the survivor, as many as before
    assert payload["errors"] == []
    result = payload["survivor"]
    assert result["id"] == gid("Consumer", survivor.id)
    assert await holdings(merged.id) == dict.fromkeys(before_m, 0)
    assert await holdings(survivor.id) == {k: before_s[k] + before_m[k] for k in before_s}
    # the chosen fields came from the merged record, the others stayed
    assert (result["firstName"], result["email"], result["address"]["city"]) == (
        "Sam",
        "samuel@example.com",
        "Berkeley",
    )
    # the later survey date, the external id and the login moved
    await merged.refresh_from_db()
    await survivor.refresh_from_db()
    assert survivor.last_survey_at == merged.last_survey_at
    assert (result["externalId"], merged.external_id) == ("EXT-M", None)
    assert merged_login.user is not None
    assert survivor.user_id == merged_login.user.id
    # the merged record is a tombstone pointing at the survivor
    assert (merged.is_active, merged.merged_into_id, merged.user_id) == (False, survivor.id, None)
    assert merged.merged_at is not None
    record = await ConsumerMerge.get(merged_id=merged.id)
    assert record.survivor_id == survivor.id
    assert record.fields_taken == ["ADDRESS", "EMAIL"]
    assert record.moved["cases"] == 1
    # the moved case says so in its activity, for internal users
    entry = await CaseActivity.get(case_id=pair.merged_case.id, kind=ActivityKind.CONSUMER_MERGED)
    assert (entry.old_value, entry.new_value, entry.internal) == (
        merged.number,
        survivor.number,
        True,
    )
    # the old id answers the survivor; its login now reads the survivor's cases
    node = (await agent_client.data(NODE, {"id": gid("Consumer", merged.id)}))["node"]
    assert node == {"id": gid("Consumer", survivor.id), "number": survivor.number}
    case = (await merged_login.data(NODE, {"id": gid("Case", pair.survivor_case.id)}))["node"]
    assert case == {"id": gid("Case", pair.survivor_case.id), "number": pair.survivor_case.number}


def _due(case: Case) -> tuple[dt.datetime | None, dt.datetime | None]:
    return case.response_due_at, case.resolution_due_at


@pytest.mark.parametrize(
    ("taken", "shift"),
    [
        # the survivor's GOLD targets for priority 4: 240 and 4320 minutes, not
        # BRONZE's 1440 and 10080
        ([], (1440 - 240, 10080 - 4320)),
        # the survivor takes the merged record's BRONZE: the targets stay
        (["SLA_LEVEL"], (0, 0)),
    ],
)
async def test_moved_open_cases_take_the_due_times_of_the_survivors_level(
    agent_client: GraphQLClient, taken: list[str], shift: tuple[int, int]
) -> None:
    # given a GOLD survivor, and a BRONZE record with an open, a resolved and a
    # closed case, their due times set by BRONZE's targets for priority 4
    survivor = await person("gilda", sla_level=SlaLevel.GOLD)
    merged = await person("bruno", sla_level=SlaLevel.BRONZE)
    opened = clock.now() - dt.timedelta(hours=2)
    cases = {
        state: await case_about(
            merged,
            state=state,
            priority=4,
            created_at=opened,
            response_due_at=opened + dt.timedelta(minutes=1440),
            resolution_due_at=opened + dt.timedelta(minutes=10080),
        )
        for state in (CaseState.OPEN, CaseState.RESOLVED, CaseState.CLOSED)
    }

    # when it is merged into the survivor
    payload = (await agent_client.data(MERGE, merge_input(survivor, merged, fields=taken)))[
        "consumerMerge"
    ]

    # then the cases not closed take due times by the survivor's level after the merge
    assert payload["errors"] == []
    response, resolution = (dt.timedelta(minutes=m) for m in shift)
    for state, case in cases.items():
        saved = await Case.get(id=case.id)
        assert saved.consumer_id == survivor.id
        before = _due(case)
        assert before[0] is not None
        assert before[1] is not None
        if state is CaseState.CLOSED:
            assert _due(saved) == before, state
        else:
            assert _due(saved) == (before[0] - response, before[1] - resolution), state


async def test_a_shared_household_in_the_same_role_keeps_one_membership(
    agent_client: GraphQLClient,
) -> None:
    # given: both records are spouses in one household, since different days,
    # and the merged record represents the survivor
    today = clock.today()
    household = await make_household()
    head = await person("hana")
    survivor, merged = await person("sam"), await person("samuel")
    await join(household, head, Relationship.HEAD)
    await join(household, survivor, Relationship.SPOUSE, start_date=today - dt.timedelta(days=3))
    await join(household, merged, Relationship.SPOUSE, start_date=today - dt.timedelta(days=30))
    await represent(merged, survivor)

    # when
    payload = (await agent_client.data(MERGE, merge_input(survivor, merged)))["consumerMerge"]

    # then: one membership, from the earlier day, still primary; no self-representation
    assert payload["errors"] == []
    (membership,) = await HouseholdMember.filter(consumer_id__in=[survivor.id, merged.id])
    assert (membership.consumer_id, membership.start_date) == (
        survivor.id,
        today - dt.timedelta(days=30),
    )
    assert membership.is_primary
    assert not await Representation.all().exists()


async def test_a_memberships_primary_mark_passes_when_the_survivor_had_none(
    agent_client: GraphQLClient,
) -> None:
    # given: only the merged record belongs to a household
    household = await make_household()
    survivor, merged = await person("sam"), await person("samuel")
    await join(household, merged, Relationship.HEAD)

    # when
    await agent_client.data(MERGE, merge_input(survivor, merged))

    # then
    (membership,) = await HouseholdMember.all()
    assert (membership.consumer_id, membership.is_primary, membership.is_head) == (
        survivor.id,
        True,
        True,
    )


async def _unchanged(survivor: Consumer, merged: Consumer, cases: dict[int, int]) -> None:
    await merged.refresh_from_db()
    assert (merged.merged_into_id, merged.is_active) == (None, True)
    assert {c.id: c.consumer_id for c in await Case.all()} == cases
    assert not await ConsumerMerge.all().exists()


@pytest.mark.parametrize(
    ("conflict", "field", "code"),
    [
        ("survivor_hold", "survivorId", "INVALID_STATE"),
        ("merged_hold", "mergedId", "INVALID_STATE"),
        ("roles", "mergedId", "CONFLICT"),
        ("same", "mergedId", "INVALID"),
        ("tombstone", "mergedId", "NOT_FOUND"),
        ("missing", "survivorId", "NOT_FOUND"),
        ("wrong_type", "survivorId", "NOT_FOUND"),
    ],
)
async def test_conflicts_are_refused_and_change_nothing(
    agent_client: GraphQLClient, conflict: str, field: str, code: str
) -> None:
    # given
    survivor, merged = await person("sam"), await person("samuel")
    await case_about(merged)
    variables = merge_input(survivor, merged)
    if conflict == "survivor_hold":
        await Consumer.filter(id=survivor.id).update(legal_hold=True)
    elif conflict == "merged_hold":
        await Consumer.filter(id=merged.id).update(legal_hold=True)
    elif conflict == "roles":
        household = await make_household()
        await join(household, survivor, Relationship.HEAD)
        await join(household, merged, Relationship.CHILD)
    elif conflict == "same":
        variables["input"]["mergedId"] = variables["input"]["survivorId"]
    elif conflict == "tombstone":
        other = await person("other")
        await Consumer.filter(id=merged.id).update(merged_into_id=other.id, is_active=False)
    elif conflict == "missing":
        variables["input"]["survivorId"] = gid("Consumer", 999_999)
    elif conflict == "wrong_type":
        variables["input"]["survivorId"] = gid("Case", survivor.id)
    cases = {c.id: c.consumer_id for c in await Case.all()}

    # when
    payload = (await agent_client.data(MERGE, variables))["consumerMerge"]

    # then
    assert payload["survivor"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], payload
    if conflict == "roles":
        assert "HEAD (head)" in payload["errors"][0]["message"]
        assert "CHILD" in payload["errors"][0]["message"]
    if conflict != "tombstone":
        await _unchanged(survivor, merged, cases)


async def test_two_logins_need_an_administrator(
    agent_client: GraphQLClient, admin_client: GraphQLClient
) -> None:
    # given
    survivor = await person("sam", with_login=True)
    merged = await person("samuel", with_login=True)
    cases = {(await case_about(merged)).id: merged.id}

    # when: an agent asks, with or without a choice; an administrator without one
    by_agent = (
        await agent_client.data(MERGE, merge_input(survivor, merged, keepLogin="SURVIVOR"))
    )["consumerMerge"]
    unchosen = (await admin_client.data(MERGE, merge_input(survivor, merged)))["consumerMerge"]

    # then
    assert [(e["field"], e["code"]) for e in by_agent["errors"]] == [("keepLogin", "FORBIDDEN")]
    assert [(e["field"], e["code"]) for e in unchosen["errors"]] == [("keepLogin", "REQUIRED")]
    await _unchanged(survivor, merged, cases)


async def test_the_login_not_chosen_is_closed_and_its_owner_told(
    http: httpx.AsyncClient, admin_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: the survivor's own login will be closed, the merged record's kept
    survivor = await person("sam", with_login=True)
    merged = await person("samuel", with_login=True)
    closing = await login(http, "sam@example.com")
    assert closing.user is not None
    epoch = closing.user.session_epoch

    # when
    payload = (await admin_client.data(MERGE, merge_input(survivor, merged, keepLogin="MERGED")))[
        "consumerMerge"
    ]

    # then: the survivor has the merged record's login
    assert payload["errors"] == []
    assert payload["survivor"]["user"]["email"] == "samuel@example.com"
    # the other login is deactivated, its sessions ended, and its owner emailed
    closed = await User.get(email="sam@example.com")
    assert not closed.is_active
    assert closed.session_epoch == epoch + 1
    assert not await RefreshToken.filter(user_id=closed.id, revoked_at=None).exists()
    response = await closing.post(NODE, {"id": gid("Consumer", survivor.id)})
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await OutboxEmail.filter(template="consumer_login_closed").count() == 1
    (message,) = await mailbox.settle()
    assert str(message["To"]) == "sam@example.com"
    assert "records were combined" in str(message["Subject"])
    assert "s…@example.com" in body(message, "plain")
    record = await ConsumerMerge.get(merged_id=merged.id)
    assert record.closed_user_id == closed.id


async def test_the_tombstone_leaves_lists_and_searches_and_refuses_changes(
    agent_client: GraphQLClient,
) -> None:
    # given
    survivor, merged = await person("sam"), await person("samuel")
    await agent_client.data(MERGE, merge_input(survivor, merged))

    # when
    listed = (await agent_client.data(CONSUMERS, {}))["consumers"]
    searched = (await agent_client.data(CONSUMERS, {"filter": {"search": "samuel"}}))["consumers"]
    update = (
        await agent_client.data(
            UPDATE, {"input": {"id": gid("Consumer", merged.id), "firstName": "X"}}
        )
    )["consumerUpdate"]

    # then
    assert [e["node"]["number"] for e in listed["edges"]] == [survivor.number]
    assert (listed["totalCount"], searched["totalCount"]) == (1, 0)
    assert [(e["field"], e["code"]) for e in update["errors"]] == [("id", "NOT_FOUND")]
    assert merged.number in update["errors"][0]["message"]


async def test_the_old_id_answers_only_those_who_see_the_survivor(
    http: httpx.AsyncClient, agent_client: GraphQLClient
) -> None:
    # given: the survivor's own login, and a stranger's
    survivor = await person("sam", with_login=True)
    merged = await person("samuel")
    await person("stranger", with_login=True)
    await agent_client.data(MERGE, merge_input(survivor, merged))
    own = await login(http, "sam@example.com")
    stranger = await login(http, "stranger@example.com")

    # when
    mine = (await own.data(NODE, {"id": gid("Consumer", merged.id)}))["node"]
    theirs = (await stranger.data(NODE, {"id": gid("Consumer", merged.id)}))["node"]

    # then
    assert mine == {"id": gid("Consumer", survivor.id), "number": survivor.number}
    assert theirs is None


async def test_chains_of_merges_answer_the_last_survivor(agent_client: GraphQLClient) -> None:
    # given: c into b, then b into a
    a, b, c = await person("ann"), await person("bea"), await person("cat")
    await agent_client.data(MERGE, merge_input(b, c))

    # when
    payload = (await agent_client.data(MERGE, merge_input(a, b)))["consumerMerge"]
    cycle = (await agent_client.data(MERGE, merge_input(c, a)))["consumerMerge"]

    # then: both tombstones point at a, and a merge back into one is refused
    assert payload["errors"] == []
    assert set(await values(Consumer.filter(merged_into_id=a.id).values_list("id", flat=True))) == {
        b.id,
        c.id,
    }
    assert [(e["field"], e["code"]) for e in cycle["errors"]] == [("survivorId", "NOT_FOUND")]
    node = (await agent_client.data(NODE, {"id": gid("Consumer", c.id)}))["node"]
    assert node["number"] == a.number


@pytest.mark.parametrize("who", ["anonymous", "consumer"])
async def test_only_internal_users_merge(
    http: httpx.AsyncClient, external_client: GraphQLClient, who: str
) -> None:
    # given
    survivor, merged = await person("sam"), await person("samuel")
    client = GraphQLClient(http) if who == "anonymous" else external_client

    # when
    result = await client.execute(MERGE, merge_input(survivor, merged))

    # then
    code = "UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN"
    assert result["errors"][0]["extensions"]["code"] == code
    await _unchanged(survivor, merged, {})


async def test_an_import_naming_a_tombstones_external_id_updates_the_survivor(
    agent_client: GraphQLClient,
) -> None:
    # given: both records came from the source system; the survivor keeps its id
    survivor = await person("sam", external_id="EXT-S")
    merged = await person("samuel", external_id="EXT-M")
    await agent_client.data(MERGE, merge_input(survivor, merged))
    source = "external_id,first_name,last_name,city\nEXT-M,Sam,Doe,Fresno\n"
    job = await importing.create_job("again.csv", source.encode(), None)

    # when
    done = await importing.run_import(job.id)

    # then
    assert done is not None
    assert (done.created, done.updated, done.failed) == (0, 1, 0)
    await survivor.refresh_from_db()
    await merged.refresh_from_db()
    assert (survivor.city, survivor.external_id) == ("Fresno", "EXT-S")
    assert (merged.external_id, merged.city) == ("EXT-M", "")
    assert await Consumer.all().count() == 2


async def test_merges_of_one_record_into_two_survivors_at_once_leave_one(
    agent_client: GraphQLClient,
) -> None:
    # given: b is a duplicate of both a and c
    a, b, c = await person("ann"), await person("bea"), await person("cat")
    for _ in range(3):
        await case_about(b)

    # when: both merges start at once
    results = await asyncio.gather(
        agent_client.data(MERGE, merge_input(a, b)), agent_client.data(MERGE, merge_input(c, b))
    )

    # then: one wins, the other finds a tombstone
    payloads = [r["consumerMerge"] for r in results]
    won = [p for p in payloads if not p["errors"]]
    lost = [p for p in payloads if p["errors"]]
    assert len(won) == len(lost) == 1, payloads
    assert [(e["field"], e["code"]) for e in lost[0]["errors"]] == [("mergedId", "NOT_FOUND")]
    winner = a if won[0]["survivor"]["number"] == a.number else c
    await b.refresh_from_db()
    assert b.merged_into_id == winner.id
    assert set(await values(Case.all().values_list("consumer_id", flat=True))) == {winner.id}
    assert await ConsumerMerge.all().count() == 1


async def test_merges_of_a_chain_at_once_stay_consistent(agent_client: GraphQLClient) -> None:
    # given: b into a, and c into b, at the same time
    a, b, c = await person("ann"), await person("bea"), await person("cat")
    for who in (a, b, c):
        await case_about(who)

    # when
    results = await asyncio.gather(
        agent_client.data(MERGE, merge_input(a, b)), agent_client.data(MERGE, merge_input(b, c))
    )

    # then: either c went into b before b went into a (both stand, every case on a),
    # or b went first and c's merge into the tombstone b was refused
    payloads = [r["consumerMerge"] for r in results]
    live = await values(Consumer.filter(merged_into_id=None).values_list("id", flat=True))
    by_case = set(await values(Case.all().values_list("consumer_id", flat=True)))
    if payloads[1]["errors"]:
        assert payloads[0]["errors"] == []
        assert [(e["field"], e["code"]) for e in payloads[1]["errors"]] == [
            ("survivorId", "NOT_FOUND")
        ]
        assert set(live) == {a.id, c.id}
        assert by_case == {a.id, c.id}
    else:
        assert payloads[0]["errors"] == []
        assert list(live) == [a.id]
        assert by_case == {a.id}
        assert set(
            await values(Consumer.filter(merged_into_id=a.id).values_list("id", flat=True))
        ) == {
            b.id,
            c.id,
        }


CREATE = """
mutation($i: CaseCreateInput!) { caseCreate(input: $i) { case { id } errors { field code } } }
"""


async def test_cases_opened_during_a_merge_never_land_on_the_tombstone(
    agent_client: GraphQLClient,
) -> None:
    # given: b is about to be merged into a while cases are opened for b
    a, b = await person("ann"), await person("bea")
    opening = {"shortDescription": "Opened during the merge", "consumerId": gid("Consumer", b.id)}

    # when: a merge and several case openings for b run at once
    results = await asyncio.gather(
        *(agent_client.data(CREATE, {"i": opening}) for _ in range(3)),
        agent_client.data(MERGE, merge_input(a, b)),
        *(agent_client.data(CREATE, {"i": opening}) for _ in range(3)),
    )

    # then: the merge stands, and each case either was opened before it (and moved
    # to a) or was refused as for a record that no longer exists
    assert results[3]["consumerMerge"]["errors"] == []
    for created in (r["caseCreate"] for i, r in enumerate(results) if i != 3):
        assert created["case"] is not None or created["errors"] == [
            {"field": "consumerId", "code": "NOT_FOUND"}
        ], created
    assert set(await values(Case.all().values_list("consumer_id", flat=True))) <= {a.id}
