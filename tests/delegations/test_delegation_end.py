"""`delegationEnd`: the consumer or the delegate ends a delegation; access ends at once."""

from __future__ import annotations

import httpx
import pytest

from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.delegations.models import Delegation, DelegationState
from csm_graph.households.models import Representation
from tests.delegations.helpers import (
    accept,
    case_about,
    consumer_with_login,
    end,
    invitation_token,
    invite,
    reads,
)
from tests.mail import Mailbox
from tests.support import GraphQLClient


@pytest.mark.parametrize("ender", ["consumer", "delegate"])
async def test_either_side_ends_it_and_the_delegate_loses_access_at_once(
    http: httpx.AsyncClient, mailbox: Mailbox, ender: str
) -> None:
    # given: Bob acts for Alice
    alice, alice_client = await consumer_with_login(http, "alice")
    bob, bob_client = await consumer_with_login(http, "bob")
    case = await case_about(alice)
    delegation_id = (await invite(alice_client, "bob@example.com"))["delegation"]["id"]
    await accept(bob_client, invitation_token(await mailbox.settle(), "bob@example.com"))
    assert await reads(bob_client, case) is not None
    client = alice_client if ender == "consumer" else bob_client

    # when
    payload = await end(client, delegation_id)

    # then
    assert payload["errors"] == []
    assert payload["delegation"]["status"] == "ENDED"
    assert payload["delegation"]["endedAt"] is not None
    assert await reads(bob_client, case) is None
    # accepted today: its representation is gone, not merely shortened
    assert await Representation.filter(representative_id=bob.id).count() == 0
    row = await Delegation.get(id=(await Delegation.get()).id)
    assert row.state is DelegationState.ENDED
    assert row.ended_by_id == client.user.id  # type: ignore[union-attr]
    [event] = await AuditEvent.filter(kind=AuditKind.DELEGATION_ENDED)
    assert event.actor_id == client.user.id  # type: ignore[union-attr]
    assert event.consumer_id == alice.id
    assert event.data == {"delegate_id": bob.id, "by_delegate": ender == "delegate"}
    # ending it again is refused
    again = await end(client, delegation_id)
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "INVALID_STATE")]


async def test_an_ended_invitation_can_no_longer_be_accepted(
    http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    alice, alice_client = await consumer_with_login(http, "alice")
    _, bob_client = await consumer_with_login(http, "bob")
    case = await case_about(alice)
    delegation_id = (await invite(alice_client, "bob@example.com"))["delegation"]["id"]
    token = invitation_token(await mailbox.settle(), "bob@example.com")

    # when
    ended = await end(alice_client, delegation_id)
    accepted = await accept(bob_client, token)

    # then
    assert ended["errors"] == []
    assert [(e["field"], e["code"]) for e in accepted["errors"]] == [("token", "EXPIRED")]
    assert await reads(bob_client, case) is None


async def test_others_get_the_answer_of_a_missing_delegation(
    http: httpx.AsyncClient, mailbox: Mailbox, agent_client: GraphQLClient
) -> None:
    # given: a delegation between Alice and Bob, and Dave, a third consumer
    _, alice_client = await consumer_with_login(http, "alice")
    _, dave_client = await consumer_with_login(http, "dave")
    delegation_id = (await invite(alice_client, "bob@example.com"))["delegation"]["id"]

    # when
    by_dave = await end(dave_client, delegation_id)
    by_agent = await end(agent_client, delegation_id)
    seen_by_dave = (
        await dave_client.data("query N($id: ID!) { node(id: $id) { id } }", {"id": delegation_id})
    )["node"]

    # then: Dave cannot tell it exists; an agent sees it but does not end it
    assert [(e["field"], e["code"]) for e in by_dave["errors"]] == [("id", "NOT_FOUND")]
    assert seen_by_dave is None
    assert [(e["field"], e["code"]) for e in by_agent["errors"]] == [("id", "FORBIDDEN")]
    assert (await Delegation.get()).state is DelegationState.INVITED
    assert await AuditEvent.filter(kind=AuditKind.DELEGATION_ENDED).count() == 0
