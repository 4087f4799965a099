"""Who may give access to whom: nobody grants themselves, the consumer side
grants only within its own circle, agents only where their team works, and
no mutation answers as a directory of people."""

from __future__ import annotations

import httpx

from csm_graph.access.models import RelatedParty
from csm_graph.accounts.models import User
from csm_graph.cases.models import Case, CaseState
from csm_graph.schema.node import from_global_id
from tests.schema.access.helpers import (
    PARTY_REMOVE,
    PARTY_UPDATE,
    PRODUCT_CREATE,
    add_party,
    doors,
    responsibility_id,
)
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.schema.consumers.helpers import make_consumer
from tests.support import make_user

MISSING_CONSUMER = gid("Consumer", 999_999)
MISSING_USER = gid("User", 999_999)


async def _case_manager(world: World, who: str) -> str:
    """A case about the member on which `who` is attorney with case manager."""
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    consumer = {"stranger": world.stranger, "head": world.head}[who]
    payload = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", consumer.id),
        relationshipType="attorney",
        responsibilityId=await responsibility_id("case manager"),
    )
    assert payload["errors"] == []
    return case_gid


def _errors(payload: dict[str, object]) -> object:
    assert payload["relatedParty"] is None
    return payload["errors"]


async def test_a_consumer_case_manager_cannot_use_the_mutation_as_a_directory(
    http: httpx.AsyncClient,
) -> None:
    # given: the stranger manages the parties of the member's case
    world = await make_world(http)
    case_gid = await _case_manager(world, "stranger")
    somebody = await make_consumer(first_name="Some", last_name="Body", email="sb@example.com")
    staff = await make_user("staff@example.com", roles=("ADMIN",))
    stranger = world.client("stranger")

    # when: they try people they cannot see, and ids that do not exist
    unseen = await add_party(
        stranger,
        caseId=case_gid,
        consumerId=gid("Consumer", somebody.id),
        relationshipType="co-borrower",
    )
    missing = await add_party(
        stranger, caseId=case_gid, consumerId=MISSING_CONSUMER, relationshipType="co-borrower"
    )
    internal = await add_party(
        stranger, caseId=case_gid, userId=gid("User", staff.id), relationshipType="co-borrower"
    )
    no_user = await add_party(
        stranger, caseId=case_gid, userId=MISSING_USER, relationshipType="co-borrower"
    )

    # then: the same answer whether the person exists or not, and nothing written
    assert _errors(unseen) == _errors(missing)
    assert _errors(missing) == [
        {"field": "consumerId", "message": "No such consumer.", "code": "NOT_FOUND"}
    ]
    assert _errors(internal) == _errors(no_user)
    assert _errors(no_user) == [
        {"field": "userId", "message": "No such user.", "code": "NOT_FOUND"}
    ]
    assert await RelatedParty.all().count() == 1


async def test_a_consumer_case_manager_adds_only_those_they_act_for(
    http: httpx.AsyncClient,
) -> None:
    # given: the head manages the parties of the member's case
    world = await make_world(http)
    case_gid = await _case_manager(world, "head")

    # when
    member_of_theirs = await add_party(
        world.client("head"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.other.id),
        relationshipType="co-borrower",
    )
    themselves = await add_party(
        world.client("head"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.head.id),
        relationshipType="co-borrower",
    )

    # then
    assert member_of_theirs["errors"] == []
    assert member_of_theirs["relatedParty"]["consumer"] == {"number": world.other.number}
    assert [e["code"] for e in themselves["errors"]] == ["FORBIDDEN"]


async def test_an_agent_cannot_grant_themselves_a_product_outside_their_team(
    http: httpx.AsyncClient,
) -> None:
    # given: a loan of the member, with a case the Care team works; the
    # outsider is an agent of no team
    world = await make_world(http)
    product = await world.client("agent").data(
        PRODUCT_CREATE,
        {"input": {"name": "Loan", "ownerId": gid("Consumer", world.member.id)}},
    )
    product_gid = product["soldProductCreate"]["soldProduct"]["id"]
    case = await open_case(world, sold_product_id=from_global_id(product_gid)[1])
    outsider_id = gid("User", (await User.get(email="outsider@example.com")).id)

    # when: the outsider adds themselves, then the team's agent adds the outsider
    themselves = await add_party(
        world.client("outsider"),
        soldProductId=product_gid,
        userId=outsider_id,
        relationshipType="finance contact",
        responsibilityId=await responsibility_id("case manager"),
    )
    by_outsider = await add_party(
        world.client("outsider"),
        soldProductId=product_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="finance contact",
    )
    listed, node = await doors(world.client("outsider"), gid("Case", case.id))
    by_team_agent = await add_party(
        world.client("agent"),
        soldProductId=product_gid,
        userId=gid("User", (await User.get(email="agent@example.com")).id),
        relationshipType="finance contact",
    )

    # then
    assert [e["code"] for e in themselves["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in by_outsider["errors"]] == ["FORBIDDEN"]
    assert (listed, node) == ([], None)
    assert [e["code"] for e in by_team_agent["errors"]] == ["FORBIDDEN"]
    assert await RelatedParty.all().count() == 0


async def test_a_closed_case_refuses_related_party_changes(http: httpx.AsyncClient) -> None:
    # given: the head manages the case's parties; the case then closes
    world = await make_world(http)
    case_gid = await _case_manager(world, "head")
    party = await RelatedParty.get()
    await Case.all().update(state=CaseState.CLOSED)

    # when
    added = await add_party(
        world.client("head"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.other.id),
        relationshipType="co-borrower",
    )
    changed = await world.client("agent").data(
        PARTY_UPDATE,
        {"input": {"id": gid("RelatedParty", party.id), "responsibilityId": None}},
    )
    removed = await world.client("agent").data(
        PARTY_REMOVE, {"input": {"id": gid("RelatedParty", party.id)}}
    )

    # then
    assert [e["code"] for e in added["errors"]] == ["INVALID_STATE"]
    assert [e["code"] for e in changed["relatedPartyUpdate"]["errors"]] == ["INVALID_STATE"]
    assert [e["code"] for e in removed["relatedPartyRemove"]["errors"]] == ["INVALID_STATE"]
    assert await RelatedParty.all().count() == 1


async def test_a_party_unseen_is_answered_as_a_missing_one(http: httpx.AsyncClient) -> None:
    # given: a guarantor on the member's case, which the stranger cannot read
    world = await make_world(http)
    case = await open_case(world)
    await add_party(
        world.client("agent"),
        caseId=gid("Case", case.id),
        consumerId=gid("Consumer", world.other.id),
        relationshipType="guarantor",
    )
    party = await RelatedParty.get()

    # when
    answers = [
        await world.client("stranger").data(
            PARTY_REMOVE, {"input": {"id": gid("RelatedParty", pk)}}
        )
        for pk in (party.id, 999_999)
    ]

    # then
    assert answers[0] == answers[1]
    assert answers[0]["relatedPartyRemove"]["errors"] == [
        {"field": "id", "message": "No such related party.", "code": "NOT_FOUND"}
    ]
    assert await RelatedParty.all().count() == 1
