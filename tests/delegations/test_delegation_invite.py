"""`delegationInvite`: a consumer invites someone by email to act for them."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.delegations.models import Delegation
from tests.delegations.helpers import (
    INVITE,
    MINE,
    consumer_with_login,
    ends_in,
    invitation_token,
    invite,
)
from tests.mail import Mailbox, body
from tests.support import GraphQLClient


async def test_a_consumer_invites_by_email_and_the_invitee_gets_a_single_use_link(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    alice, alice_client = await consumer_with_login(http, "alice")

    # when
    payload = await invite(alice_client, "Bob@Example.com", scope="READ", days=30)

    # then: the invitation, pending, to the lower-cased address
    assert payload["errors"] == []
    delegation = payload["delegation"]
    assert delegation["email"] == "bob@example.com"
    assert delegation["scope"] == "READ"
    assert delegation["endsOn"] == ends_in(30)
    assert delegation["status"] == "INVITED"
    assert delegation["delegate"] is None
    # the link goes to the invitee, carrying a token stored only as its hash
    messages = await mailbox.settle()
    token = invitation_token(messages, "bob@example.com")
    [message] = [m for m in messages if m["To"] == "bob@example.com"]
    assert "Alice Doe" in message["Subject"]
    assert "accept-delegation?token=" in body(message, "plain")
    assert "read their customer service cases" in body(message, "plain")
    row = await Delegation.get(consumer_id=alice.id)
    assert row.token_hash is not None
    assert token not in row.token_hash
    # the consumer sees it among their delegations, and the trail has it
    listed = (await alice_client.data(MINE))["delegations"]
    assert [d["id"] for d in listed] == [delegation["id"]]
    [event] = await AuditEvent.filter(kind=AuditKind.DELEGATION_INVITED)
    assert event.consumer_id == alice.id
    assert event.target_type == "Delegation"
    assert event.target_id == row.id
    assert event.data == {"scope": "READ", "ends_on": ends_in(30)}
    assert "bob" not in str(event.data)


@pytest.mark.parametrize(
    ("email", "days", "field", "code"),
    [
        ("bob@example.com", -1, "endsOn", "INVALID"),
        ("bob@example.com", 366, "endsOn", "INVALID"),
        ("not an address", 30, "email", "INVALID"),
        ("alice@example.com", 30, "email", "INVALID"),
    ],
    ids=["past", "beyond-the-maximum", "malformed-email", "oneself"],
)
async def test_bad_input_names_the_field_and_writes_nothing(
    http: httpx.AsyncClient, mailbox: Mailbox, email: str, days: int, field: str, code: str
) -> None:
    # given
    _, alice_client = await consumer_with_login(http, "alice")

    # when
    variables = {"input": {"email": email, "scope": "READ", "endsOn": ends_in(days)}}
    payload = (await alice_client.data(INVITE, variables))["delegationInvite"]

    # then
    assert payload["delegation"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await Delegation.all().count() == 0
    assert await AuditEvent.filter(kind=AuditKind.DELEGATION_INVITED).count() == 0
    assert await mailbox.settle() == []


async def test_the_maximum_length_is_accepted(http: httpx.AsyncClient) -> None:
    # given
    _, alice_client = await consumer_with_login(http, "alice")

    # when
    payload = await invite(alice_client, "bob@example.com", days=365)

    # then
    assert payload["errors"] == []
    assert payload["delegation"]["endsOn"] == ends_in(365)


async def test_a_second_invitation_to_the_same_address_is_a_conflict(
    http: httpx.AsyncClient,
) -> None:
    # given
    _, alice_client = await consumer_with_login(http, "alice")
    await invite(alice_client, "bob@example.com")

    # when
    again = await invite(alice_client, "bob@example.com", scope="READ")

    # then
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("email", "CONFLICT")]
    assert await Delegation.all().count() == 1


async def test_internal_users_and_anonymous_callers_cannot_delegate(
    agent_client: GraphQLClient, anon_client: GraphQLClient
) -> None:
    # given
    variables = {"input": {"email": "bob@example.com", "scope": "READ", "endsOn": ends_in(9)}}

    # when
    by_agent = (await agent_client.data(INVITE, variables))["delegationInvite"]
    anonymous = await anon_client.execute(INVITE, variables)

    # then
    assert [(e["field"], e["code"]) for e in by_agent["errors"]] == [("email", "FORBIDDEN")]
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await Delegation.all().count() == 0
