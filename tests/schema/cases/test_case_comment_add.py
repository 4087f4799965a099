from __future__ import annotations

import httpx

from csm_graph.cases.models import CaseComment
from tests.schema.cases.helpers import gid, make_world, open_case

COMMENT = """
mutation($i: CaseCommentAddInput!) {
  caseCommentAdd(input: $i) {
    comment { body workNote author { email } onBehalfOf { number } }
    errors { field message code }
  }
}
"""
READ = """
query($id: ID!) {
  node(id: $id) { ... on Case {
    comments(first: 50) { totalCount edges { node { body workNote } } }
    lastPublicComment { body }
    activity(first: 50) { edges { node { kind actor { email } } } }
  } }
}
"""


async def test_work_notes_never_reach_the_consumer_side(http: httpx.AsyncClient) -> None:
    # given
    world = await make_world(http)
    case = await open_case(world)
    cid = gid("Case", case.id)
    agent = world.client("agent")
    await agent.data(COMMENT, {"i": {"caseId": cid, "body": "Hello, looking into it"}})
    await agent.data(
        COMMENT, {"i": {"caseId": cid, "body": "Customer is difficult", "workNote": True}}
    )

    # when
    as_member = (await world.client("member").data(READ, {"id": cid}))["node"]
    as_agent = (await agent.data(READ, {"id": cid}))["node"]

    # then
    assert [e["node"]["body"] for e in as_member["comments"]["edges"]] == ["Hello, looking into it"]
    assert as_member["comments"]["totalCount"] == 1
    assert as_member["lastPublicComment"] == {"body": "Hello, looking into it"}
    assert "WORK_NOTE_ADDED" not in [e["node"]["kind"] for e in as_member["activity"]["edges"]]
    assert as_agent["comments"]["totalCount"] == 2
    assert as_agent["lastPublicComment"] == {"body": "Hello, looking into it"}
    assert "WORK_NOTE_ADDED" in [e["node"]["kind"] for e in as_agent["activity"]["edges"]]


async def test_consumers_cannot_write_work_notes(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("member").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "psst", "workNote": True}}
        )
    )["caseCommentAdd"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("caseId", "FORBIDDEN")]
    assert await CaseComment.all().count() == 0


async def test_a_head_comments_on_behalf_of_the_member(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("head").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "For my kid"}}
        )
    )["caseCommentAdd"]

    assert payload["comment"]["author"]["email"] == "head@example.com"
    assert payload["comment"]["onBehalfOf"] == {"number": world.member.number}


async def test_a_household_member_may_read_but_not_comment(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("other").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "Me too"}}
        )
    )["caseCommentAdd"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("caseId", "FORBIDDEN")]


async def test_an_empty_comment_is_refused(http: httpx.AsyncClient) -> None:
    world = await make_world(http)
    case = await open_case(world)

    payload = (
        await world.client("member").data(
            COMMENT, {"i": {"caseId": gid("Case", case.id), "body": "  "}}
        )
    )["caseCommentAdd"]

    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("body", "REQUIRED")]
