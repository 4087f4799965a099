"""The consumer portal's flow through Apollo Client (`e2e/apollo.mjs` under
Node), every operation an automatic persisted query: the head of household
opens a case for a member and comments, an agent proposes a solution, the
head accepts it. And a case's page kept current by `caseEvents` alone: another
user's comment reaches the watched comments through the cache, not a refetch."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from csm_graph.cases.models import Case, CaseComment, CaseState
from tests.schema.cases.helpers import World, gid, make_world, open_case
from tests.support import PASSWORD

E2E = Path(__file__).resolve().parents[2] / "e2e"

ASSIGN = "mutation($i: CaseAssignInput!) { caseAssign(input: $i) { errors { code message } } }"
COMMENT = """
mutation($i: CaseCommentAddInput!) {
  caseCommentAdd(input: $i) { comment { id } errors { code message } }
}
"""
PROPOSE = """
mutation($i: CaseSolutionProposeInput!) {
  caseSolutionPropose(input: $i) { case { state } errors { code message } }
}
"""


@pytest.fixture
def node() -> str:
    node = shutil.which("node")
    assert node, "Node.js is needed for the Apollo Client check"
    assert (E2E / "node_modules" / "@apollo" / "client").is_dir(), "run `make e2e-deps` first"
    return node


async def apollo(node: str, phase: str, server_url: str, **env: str) -> dict[str, Any]:
    """Run one phase of `e2e/apollo.mjs`; its JSON report, once it passed."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(E2E / "apollo.mjs"),
        phase,
        f"{server_url}/graphql",
        cwd=E2E,
        env={**os.environ, "CSM_PASSWORD": PASSWORD, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode() + stdout.decode()
    report: dict[str, Any] = json.loads(stdout)
    assert report["ok"] is True, report
    return report


def documents_sent(report: dict[str, Any], operation: str) -> list[bool]:
    return [r["sentDocument"] for r in report["requests"] if r["operationName"] == operation]


async def test_the_portal_opens_comments_and_accepts_through_persisted_queries(
    http: httpx.AsyncClient, server_url: str, node: str
) -> None:
    # given
    world = await make_world(http)
    head = {"CSM_EMAIL": "head@example.com"}

    # when: the head opens a case for a member and comments on it
    opened = await apollo(
        node, "open", server_url, **head, CSM_CONSUMER_ID=gid("Consumer", world.member.id)
    )
    case_id = opened["case"]["id"]
    # an administrator routes it to the team, whose agent proposes a solution
    solution = {"caseId": case_id, "resolutionCode": "FIXED", "resolutionNotes": "Reset it"}
    for who, document, variables in (
        ("admin", ASSIGN, {"id": case_id, "teamId": gid("Team", world.team.id)}),
        ("agent", ASSIGN, {"id": case_id}),
        ("agent", PROPOSE, solution),
    ):
        (payload,) = (await world.client(who).data(document, {"i": variables})).values()
        assert payload["errors"] == [], (who, payload)
    # and the head, in a new client, accepts it
    accepted = await apollo(node, "accept", server_url, **head, CSM_CASE_ID=case_id)

    # then: the case is closed, the comment is the member's, on behalf of them
    case = await Case.get(number=opened["case"]["number"])
    assert case.state == CaseState.CLOSED
    assert case.closed_at is not None
    assert (case.consumer_id, case.household_id) == (world.member.id, world.household.id)
    comment = await CaseComment.get(case_id=case.id)
    assert comment.body == "It happens mostly in the evening."
    assert comment.work_note is False
    assert comment.on_behalf_of_id == world.member.id
    assert accepted["case"]["state"] == "CLOSED"

    # and every operation went by hash; the documents of the first run were
    # sent only when asked for, and the second run needed none of them
    for report in (opened, accepted):
        assert all(r["sha256Hash"] for r in report["requests"]), report
    assert documents_sent(opened, "PortalAllCases")[-1] is False
    assert documents_sent(accepted, "PortalLogin") == [False]
    assert documents_sent(accepted, "PortalAllCases") == [False]
    assert documents_sent(accepted, "PortalAcceptSolution") == [False, True]


async def comment(world: World, who: str, case_id: str, body: str) -> str:
    data = await world.client(who).data(COMMENT, {"i": {"caseId": case_id, "body": body}})
    assert data["caseCommentAdd"]["errors"] == [], data
    comment_id: str = data["caseCommentAdd"]["comment"]["id"]
    return comment_id


async def test_a_watched_case_shows_another_users_comment_from_the_subscription_alone(
    http: httpx.AsyncClient, server_url: str, node: str
) -> None:
    # given: a case about a member, with one comment, that the head watches
    world = await make_world(http)
    case_id = gid("Case", (await open_case(world)).id)
    await comment(world, "agent", case_id, "We are looking into it")
    process = await asyncio.create_subprocess_exec(
        node,
        str(E2E / "apollo.mjs"),
        "watch",
        f"{server_url}/graphql",
        cwd=E2E,
        env={
            **os.environ,
            "CSM_PASSWORD": PASSWORD,
            "CSM_EMAIL": "head@example.com",
            "CSM_CASE_ID": case_id,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout
        ready = await asyncio.wait_for(process.stdout.readline(), 20)
        if ready.strip() != b'{"ready":true}':
            rest, stderr = await asyncio.wait_for(process.communicate(), 10)
            output = stderr.decode() + (ready + rest).decode()
            pytest.fail(f"apollo.mjs watch did not get ready: {output}")

        # when: the agent comments
        comment_id = await comment(world, "agent", case_id, "Found it: a firmware update")

        # then: the watched comments show it, with no HTTP request after the event
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode() + stdout.decode()
    report: dict[str, Any] = json.loads(stdout)
    assert report["ok"] is True, report
    assert report["event"]["kind"] == "COMMENTED"
    assert report["event"]["comment"]["id"] == comment_id
    assert report["commentsBefore"] == ["We are looking into it"]
    assert report["commentsAfter"] == ["We are looking into it", "Found it: a firmware update"]
    assert report["requestsAfterEvent"] == []
    # the comments were fetched once; the subscription never went over HTTP
    answered = [r["operationName"] for r in report["requests"] if not r["errorCodes"]]
    assert answered == ["PortalLogin", "PortalCaseComments"]
