"""Acting under a delegation: what each scope allows, the mark on the case's
activity, and expiry with no job running."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.delegations.models import DelegatedActivity
from tests.delegations.helpers import (
    accept,
    case_about,
    consumer_with_login,
    gid,
    invitation_token,
    invite,
    reads,
)
from tests.mail import Mailbox
from tests.support import GraphQLClient, login

COMMENT = """
mutation Comment($input: CaseCommentAddInput!) {
  caseCommentAdd(input: $input) {
    comment { id onBehalfOf { id } }
    errors { field message code }
  }
}
"""
CREATE = """
mutation Create($input: CaseCreateInput!) {
  caseCreate(input: $input) { case { id } errors { field message code } }
}
"""
ACTIVITY = """
query Activity($id: ID!) {
  node(id: $id) {
    ... on Case {
      activity(first: 20) { edges { node { kind actor { id } onBehalfOf { id } delegationId } } }
    }
  }
}
"""
CASES = "{ cases(first: 10) { totalCount edges { node { id } } } }"


async def _delegated(
    http: httpx.AsyncClient, mailbox: Mailbox, scope: str, days: int = 30
) -> tuple[GraphQLClient, GraphQLClient, str]:
    """Alice delegates to Bob with `scope`; Alice's and Bob's clients, and the delegation's id."""
    _, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    invited = await invite(alice_client, "bob@example.com", scope=scope, days=days)
    token = invitation_token(await mailbox.settle(), "bob@example.com")
    assert (await accept(bob_client, token))["errors"] == []
    return alice_client, bob_client, str(invited["delegation"]["id"])


async def test_a_delegate_acts_and_the_activity_says_it_was_under_the_delegation(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    alice_client, bob_client, delegation_id = await _delegated(http, mailbox, "READ_AND_ACT")
    assert alice_client.user is not None
    assert bob_client.user is not None
    alice_consumer = gid("Consumer", (await alice_client.user.consumer).id)  # type: ignore[union-attr]
    case = await case_about(await alice_client.user.consumer)  # type: ignore[arg-type]

    # when: Bob comments on Alice's case, and opens a new one for her; Alice comments too
    commented = (
        await bob_client.data(COMMENT, {"input": {"caseId": gid("Case", case.id), "body": "Hi"}})
    )["caseCommentAdd"]
    opened = (
        await bob_client.data(
            CREATE, {"input": {"shortDescription": "Card lost", "consumerId": alice_consumer}}
        )
    )["caseCreate"]
    await alice_client.data(COMMENT, {"input": {"caseId": gid("Case", case.id), "body": "Me"}})

    # then: Bob's entries carry the delegation, Alice's and the administrator's do not
    assert commented["errors"] == []
    assert opened["errors"] == []
    assert commented["comment"]["onBehalfOf"] == {"id": alice_consumer}
    entries = [
        e["node"]
        for e in (await alice_client.data(ACTIVITY, {"id": gid("Case", case.id)}))["node"][
            "activity"
        ]["edges"]
    ]
    marks = [(e["kind"], e["actor"]["id"], e["delegationId"]) for e in entries]
    bob, alice = gid("User", bob_client.user.id), gid("User", alice_client.user.id)
    assert ("COMMENTED", bob, delegation_id) in marks
    assert ("COMMENTED", alice, None) in marks
    assert all(m[2] is None for m in marks if m[1] != bob)
    new_case = (await bob_client.data(ACTIVITY, {"id": opened["case"]["id"]}))["node"]
    created = new_case["activity"]["edges"][0]["node"]
    assert (created["kind"], created["delegationId"]) == ("CREATED", delegation_id)
    assert await DelegatedActivity.all().count() == 2


async def test_a_read_scope_reads_but_neither_acts_nor_opens_cases(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    alice_client, bob_client, _ = await _delegated(http, mailbox, "READ")
    assert alice_client.user is not None
    alice = await alice_client.user.consumer
    assert alice is not None
    case = await case_about(alice)

    # when
    seen = await reads(bob_client, case)
    commented = (
        await bob_client.data(COMMENT, {"input": {"caseId": gid("Case", case.id), "body": "Hi"}})
    )["caseCommentAdd"]
    opened = (
        await bob_client.data(
            CREATE,
            {"input": {"shortDescription": "Card lost", "consumerId": gid("Consumer", alice.id)}},
        )
    )["caseCreate"]

    # then
    assert seen is not None
    assert seen["viewerCan"] == {"read": True, "comment": False, "close": False}
    assert [(e["field"], e["code"]) for e in commented["errors"]] == [("caseId", "FORBIDDEN")]
    assert [(e["field"], e["code"]) for e in opened["errors"]] == [("consumerId", "FORBIDDEN")]
    assert await DelegatedActivity.all().count() == 0


async def test_an_expired_delegation_grants_nothing_without_any_job(
    http: httpx.AsyncClient, mailbox: Mailbox, frozen_clock: None
) -> None:
    # given: a delegation whose last day is in three days
    alice_client, bob_client, _ = await _delegated(http, mailbox, "READ_AND_ACT", days=3)
    assert alice_client.user is not None
    case = await case_about(await alice_client.user.consumer)  # type: ignore[arg-type]
    clock.travel(dt.timedelta(days=3))
    bob_client = await login(http, "bob@example.com")
    assert await reads(bob_client, case) is not None  # the last day still holds

    # when: the day after the last one, nothing having run in between
    clock.travel(dt.timedelta(days=1))
    bob_client = await login(http, "bob@example.com")

    # then
    assert await reads(bob_client, case) is None
    assert (await bob_client.data(CASES))["cases"]["totalCount"] == 0
    commented = (
        await bob_client.data(COMMENT, {"input": {"caseId": gid("Case", case.id), "body": "Hi"}})
    )["caseCommentAdd"]
    assert [(e["field"], e["code"]) for e in commented["errors"]] == [("caseId", "NOT_FOUND")]
    listed = (await bob_client.data("{ delegations { status } }"))["delegations"]
    assert listed == [{"status": "EXPIRED"}]
