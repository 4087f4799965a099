"""`delegationAccept`: the invitee accepts from the link, as the invited login."""

from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.consumers.models import Consumer
from csm_graph.delegations.models import Delegation, DelegationState
from csm_graph.households.models import Representation
from tests.delegations.helpers import (
    accept,
    case_about,
    consumer_with_login,
    ends_in,
    gid,
    invitation_token,
    invite,
    reads,
)
from tests.mail import Mailbox, body
from tests.schema.consumers.helpers import link_token
from tests.support import PASSWORD, GraphQLClient, login

SIGNUP = """
mutation Signup($input: ConsumerSignupInput!) {
  consumerSignup(input: $input) { errors { field message code } }
}
"""
VERIFY = """
mutation Verify($input: EmailVerifyInput!) {
  emailVerify(input: $input) { consumer { id } errors { field message code } }
}
"""


async def test_an_invitee_with_a_login_accepts_and_then_reads_the_consumers_cases(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: Alice's case, and her invitation to Bob, who has a login
    alice, alice_client = await consumer_with_login(http, "alice")
    bob, bob_client = await consumer_with_login(http, "bob")
    case = await case_about(alice)
    invited = (await invite(alice_client, "bob@example.com", days=20))["delegation"]
    token = invitation_token(await mailbox.settle(), "bob@example.com")
    assert await reads(bob_client, case) is None

    # when
    payload = await accept(bob_client, token)

    # then: an active delegation, a representation until its last day, access
    assert payload["errors"] == []
    accepted = payload["delegation"]
    assert accepted["id"] == invited["id"]
    assert accepted["status"] == "ACTIVE"
    assert accepted["delegate"] == {"id": gid("Consumer", bob.id)}
    assert accepted["consumer"] == {"id": gid("Consumer", alice.id)}
    [representation] = await Representation.filter(representative_id=bob.id)
    assert representation.consumer_id == alice.id
    assert representation.valid_from == clock.today()
    assert representation.valid_until.isoformat() == ends_in(20)  # type: ignore[union-attr]
    assert representation.read_only is False
    seen = await reads(bob_client, case)
    assert seen is not None
    assert seen["viewerCan"] == {"read": True, "comment": True, "close": True}
    # both sides list it
    assert [
        d["status"] for d in (await bob_client.data("{ delegations { status } }"))["delegations"]
    ] == ["ACTIVE"]
    [event] = await AuditEvent.filter(kind=AuditKind.DELEGATION_ACCEPTED)
    assert event.actor_id == bob.user_id
    assert event.consumer_id == alice.id
    assert event.data["delegate_id"] == bob.id
    # and Alice is told who now acts for her, until when, once
    [told] = [m for m in await mailbox.settle() if "now acts for you" in str(m["Subject"])]
    assert str(told["To"]) == "alice@example.com"
    assert str(told["Subject"]) == f"{bob.full_name} now acts for you"
    text = body(told, "plain")
    assert f"{bob.full_name} accepted your invitation" in text
    assert "read and act on your customer service cases" in text
    assert "If you did not invite" in text


async def test_an_invitee_without_a_login_signs_up_first_and_then_accepts(
    http: httpx.AsyncClient, anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: an invitation to an address with no login
    alice, alice_client = await consumer_with_login(http, "alice")
    case = await case_about(alice)
    await invite(alice_client, "carol@example.com")
    token = invitation_token(await mailbox.settle(), "carol@example.com")
    mailbox.clear()

    # when: Carol signs up with that address, verifies it, logs in and accepts
    signup = {
        "input": {
            "email": "carol@example.com",
            "password": PASSWORD,
            "firstName": "Carol",
            "lastName": "New",
        }
    }
    assert (await anon_client.data(SIGNUP, signup))["consumerSignup"]["errors"] == []
    [verification] = await mailbox.settle()
    verified = (await anon_client.data(VERIFY, {"input": {"token": link_token(verification)}}))[
        "emailVerify"
    ]
    assert verified["errors"] == []
    carol_client = await login(http, "carol@example.com")
    payload = await accept(carol_client, token)

    # then
    assert payload["errors"] == []
    carol = await Consumer.get(email="carol@example.com")
    assert payload["delegation"]["delegate"] == {"id": gid("Consumer", carol.id)}
    assert await reads(carol_client, case) is not None


async def test_a_login_with_another_address_is_refused_and_the_link_still_works(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: an invitation to Bob, whose link Dave got hold of
    alice, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    _, dave_client = await consumer_with_login(http, "dave")
    case = await case_about(alice)
    await invite(alice_client, "bob@example.com")
    token = invitation_token(await mailbox.settle(), "bob@example.com")

    # when
    refused = await accept(dave_client, token)

    # then: Dave gets nothing, and Bob can still accept
    assert refused["delegation"] is None
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("token", "FORBIDDEN")]
    assert await reads(dave_client, case) is None
    assert await Representation.all().count() == 0
    assert (await accept(bob_client, token))["errors"] == []


async def test_a_forged_or_reused_token_is_refused(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given: Bob accepted once
    _alice, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    await invite(alice_client, "bob@example.com")
    token = invitation_token(await mailbox.settle(), "bob@example.com")
    assert (await accept(bob_client, token))["errors"] == []

    # when
    reused = await accept(bob_client, token)
    forged = await accept(bob_client, token[:-4] + "AAAA")

    # then
    for payload in (reused, forged):
        assert payload["delegation"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("token", "EXPIRED")]
    assert await Representation.all().count() == 1
    assert await AuditEvent.filter(kind=AuditKind.DELEGATION_ACCEPTED).count() == 1


async def test_a_link_past_its_time_is_refused(
    http: httpx.AsyncClient, mailbox: Mailbox, frozen_clock: None
) -> None:
    # given: an invitation whose link works 14 days
    _, alice_client = await consumer_with_login(http, "alice")
    await invite(alice_client, "bob@example.com", days=60)
    token = invitation_token(await mailbox.settle(), "bob@example.com")

    # when
    clock.travel(dt.timedelta(days=14, seconds=1))
    _, bob_client = await consumer_with_login(http, "bob")
    payload = await accept(bob_client, token)

    # then
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("token", "EXPIRED")]
    delegation = await Delegation.get()
    assert delegation.state is DelegationState.INVITED
    assert delegation.delegate_id is None
    alice_again = await login(http, "alice@example.com")
    listed = (await alice_again.data("{ delegations { status } }"))["delegations"]
    assert listed == [{"status": "EXPIRED"}]
