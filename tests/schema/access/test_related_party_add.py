"""Related parties on cases: what each responsibility lets them do, on every
door (the list, `node`, `viewerCan`, the mutations) and in `explainAccess`."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from tests.schema.access.helpers import (
    PARTY_UPDATE,
    add_party,
    doors,
    explain,
    responsibility_id,
)
from tests.schema.cases.helpers import gid, make_world, open_case

COMMENT = """
mutation($caseId: ID!) {
  caseCommentAdd(input: {caseId: $caseId, body: "Signed the papers."}) {
    comment { body } errors { field code }
  }
}
"""


async def test_a_guarantor_comments_but_does_not_close(http: httpx.AsyncClient) -> None:
    # given: the stranger is added to the member's loan case as a guarantor
    world = await make_world(http)
    case = await open_case(world, short_description="Loan application")
    case_gid = gid("Case", case.id)
    before, _ = await doors(world.client("stranger"), case_gid)
    payload = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="guarantor",
    )
    assert payload["errors"] == []
    assert payload["relatedParty"]["responsibility"] == {"name": "case collaborator"}

    # when
    listed, node = await doors(world.client("stranger"), case_gid)
    commented = await world.client("stranger").data(COMMENT, {"caseId": case_gid})
    explained = await explain(world.client("stranger"), case_gid)

    # then
    assert before == []
    assert listed == [case.number]
    assert node is not None
    assert node["viewerCan"] == {
        "read": True,
        "comment": True,
        "close": False,
        "manageRelatedParties": False,
    }
    assert commented["caseCommentAdd"]["errors"] == []
    assert explained == {
        "allowed": ["READ", "COMMENT", "ATTACH"],
        "grants": [
            {
                "kind": "RELATED_PARTY",
                "description": f"guarantor on case {case.number} "
                "via responsibility case collaborator",
                "actions": ["READ", "COMMENT", "ATTACH"],
                "validUntil": None,
            }
        ],
    }


async def test_a_new_responsibility_applies_on_the_next_request(http: httpx.AsyncClient) -> None:
    # given: a guarantor, made case manager
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    party = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="guarantor",
    )
    _, before = await doors(world.client("stranger"), case_gid)

    # when
    updated = await world.client("agent").data(
        PARTY_UPDATE,
        {
            "input": {
                "id": party["relatedParty"]["id"],
                "responsibilityId": await responsibility_id("case manager"),
            }
        },
    )
    _, after = await doors(world.client("stranger"), case_gid)
    explained = await explain(world.client("stranger"), case_gid)

    # then
    assert updated["relatedPartyUpdate"]["errors"] == []
    assert before is not None
    assert before["viewerCan"]["close"] is False
    assert after is not None
    assert after["viewerCan"]["close"] is True
    assert after["viewerCan"]["manageRelatedParties"] is True
    assert [g["description"] for g in explained["grants"]] == [
        f"guarantor on case {case.number} via responsibility case manager"
    ]
    assert "CLOSE" in explained["allowed"]


async def test_a_listed_consumer_sees_nothing(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    payload = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="listed consumer",
    )

    # when
    listed, node = await doors(world.client("stranger"), case_gid)
    explained = await explain(world.client("stranger"), case_gid)

    # then
    assert payload["relatedParty"]["responsibility"] is None
    assert listed == []
    assert node is None
    assert explained == {"allowed": [], "grants": []}


async def test_a_party_whose_validity_ended_sees_nothing(http: httpx.AsyncClient) -> None:
    # given: an attorney valid until today
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    today = clock.today()
    party = await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.stranger.id),
        relationshipType="attorney",
        validFrom=(today - dt.timedelta(days=10)).isoformat(),
        validUntil=today.isoformat(),
    )
    listed_today, _ = await doors(world.client("stranger"), case_gid)
    explained_today = await explain(world.client("stranger"), case_gid)

    # when: the last valid day was yesterday
    await world.client("agent").data(
        PARTY_UPDATE,
        {
            "input": {
                "id": party["relatedParty"]["id"],
                "validUntil": (today - dt.timedelta(days=1)).isoformat(),
            }
        },
    )
    listed, node = await doors(world.client("stranger"), case_gid)
    explained = await explain(world.client("stranger"), case_gid)

    # then
    assert listed_today == [case.number]
    assert [g["validUntil"] for g in explained_today["grants"]] == [today.isoformat()]
    assert listed == []
    assert node is None
    assert explained == {"allowed": [], "grants": []}


async def test_an_internal_user_as_party_gets_its_access(http: httpx.AsyncClient) -> None:
    # given: the outsider agent (not on the case's team) is related as attorney
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    outsider_before, _ = await doors(world.client("outsider"), case_gid)
    from csm_graph.accounts.models import User

    outsider = await User.get(email="outsider@example.com")
    payload = await add_party(
        world.client("agent"),
        caseId=case_gid,
        userId=gid("User", outsider.id),
        relationshipType="attorney",
    )

    # when
    listed, node = await doors(world.client("outsider"), case_gid)

    # then
    assert payload["relatedParty"]["user"] == {"email": "outsider@example.com"}
    assert outsider_before == []
    assert listed == [case.number]
    assert node is not None
    assert node["viewerCan"]["comment"] is True


async def test_who_may_add_a_party(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    values = {
        "caseId": case_gid,
        "consumerId": gid("Consumer", world.stranger.id),
        "relationshipType": "guarantor",
    }

    # when
    by_stranger = await add_party(world.client("stranger"), **dict(values))
    by_member = await add_party(world.client("member"), **dict(values))
    by_admin = await add_party(world.client("admin"), **dict(values))
    again = await add_party(world.client("agent"), **dict(values))

    # then: unseen is NOT_FOUND, seen but not managed is FORBIDDEN
    assert by_stranger["errors"] == [
        {"field": "caseId", "message": "No such case.", "code": "NOT_FOUND"}
    ]
    assert [e["code"] for e in by_member["errors"]] == ["FORBIDDEN"]
    assert by_admin["errors"] == []
    assert [(e["field"], e["code"]) for e in again["errors"]] == [
        ("relationshipTypeId", "CONFLICT")
    ]


async def test_a_case_manager_party_may_add_parties(http: httpx.AsyncClient) -> None:
    # given: the head is the case's attorney with case manager
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    await add_party(
        world.client("agent"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.head.id),
        relationshipType="attorney",
        responsibilityId=await responsibility_id("case manager"),
    )

    # when: they add a member of the household they head
    payload = await add_party(
        world.client("head"),
        caseId=case_gid,
        consumerId=gid("Consumer", world.other.id),
        relationshipType="co-borrower",
    )

    # then
    assert payload["errors"] == []
    assert payload["relatedParty"]["id"]


async def test_bad_input_names_the_field_and_changes_nothing(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    case_gid = gid("Case", case.id)
    stranger = gid("Consumer", world.stranger.id)
    agent = world.client("agent")

    # when
    wrong_type = await add_party(
        agent, caseId=case_gid, consumerId=stranger, relationshipType="finance contact"
    )
    no_party = await add_party(agent, caseId=case_gid, relationshipType="guarantor")
    dates = await add_party(
        agent,
        caseId=case_gid,
        consumerId=stranger,
        relationshipType="guarantor",
        validFrom="2030-01-10",
        validUntil="2030-01-01",
    )
    listed, _ = await doors(world.client("stranger"), case_gid)

    # then
    assert [(e["field"], e["code"]) for e in wrong_type["errors"]] == [
        ("relationshipTypeId", "INVALID")
    ]
    assert [(e["field"], e["code"]) for e in no_party["errors"]] == [("consumerId", "REQUIRED")]
    assert [(e["field"], e["code"]) for e in dates["errors"]] == [("validUntil", "INVALID")]
    assert listed == []
    from csm_graph.access.models import RelatedParty

    assert await RelatedParty.all().count() == 0
