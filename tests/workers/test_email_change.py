"""A new email on a linked consumer record cannot take over its login: the
login keeps its address until the owner confirms the new one from a link sent
there, and the old address is told."""

from __future__ import annotations

import httpx

from csm_graph.accounts.models import User
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.consumers.models import Consumer
from tests.mail import Mailbox, body
from tests.schema.consumers.helpers import link_token, to_whom
from tests.schema.consumers.test_consumer_user_associate import gid
from tests.support import PASSWORD, GraphQLClient, login
from tests.workers.test_consumer_sync import CONSUMER_UPDATE, linked_pair

VERIFY = """
mutation($input: EmailVerifyInput!) {
  emailVerify(input: $input) { user { email } consumer { email } errors { field code } }
}
"""
RESET_REQUEST = """
mutation($input: PasswordResetRequestInput!) {
  passwordResetRequest(input: $input) { errors { code } }
}
"""


async def _agent_changes_the_email(agent: GraphQLClient, consumer: Consumer, to: str) -> None:
    data = await agent.data(
        CONSUMER_UPDATE, {"input": {"id": gid("Consumer", consumer.id), "email": to}}
    )
    assert data["consumerUpdate"]["errors"] == []


async def test_an_agent_cannot_move_a_login_to_another_address(
    http: httpx.AsyncClient, agent_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: a consumer with a login at old@
    consumer, user = await linked_pair("old@example.com")

    # when: an agent gives the record attacker@, who then asks for a reset there
    await _agent_changes_the_email(agent_client, consumer, "attacker@example.com")
    messages = await mailbox.settle()
    await GraphQLClient(http).data(RESET_REQUEST, {"input": {"email": "attacker@example.com"}})
    after_reset = await mailbox.settle()

    # then: the login keeps old@, which still logs in; old@ is told; the new
    # address gets only a confirmation link, and no reset link
    await user.refresh_from_db()
    assert (user.email, user.pending_email) == ("old@example.com", "attacker@example.com")
    assert sorted(to_whom(messages)) == ["attacker@example.com", "old@example.com"]
    notice = next(m for m in messages if str(m["To"]) == "old@example.com")
    assert "attacker@example.com" in body(notice, "plain")
    assert to_whom(after_reset) == to_whom(messages)
    await login(http, "old@example.com", PASSWORD)
    await consumer.refresh_from_db()
    assert consumer.email == "attacker@example.com"


async def test_the_owner_confirms_the_new_address_from_the_link(
    http: httpx.AsyncClient, agent_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: an agent recorded the consumer's new address
    consumer, user = await linked_pair("old@example.com")
    await _agent_changes_the_email(agent_client, consumer, "new@example.com")
    confirm = next(m for m in await mailbox.settle() if str(m["To"]) == "new@example.com")

    # when: the link sent there is opened (twice)
    anon = GraphQLClient(http)
    first = (await anon.data(VERIFY, {"input": {"token": link_token(confirm)}}))["emailVerify"]
    again = (await anon.data(VERIFY, {"input": {"token": link_token(confirm)}}))["emailVerify"]

    # then: the login moved, once
    assert first == {
        "user": {"email": "new@example.com"},
        "consumer": {"email": "new@example.com"},
        "errors": [],
    }
    assert [e["code"] for e in again["errors"]] == ["EXPIRED"]
    await user.refresh_from_db()
    assert (user.email, user.pending_email, user.email_verified) == (
        "new@example.com",
        None,
        True,
    )
    await login(http, "new@example.com", PASSWORD)
    # and the trail has the change, once, by the owner, without either address
    [event] = await AuditEvent.filter(kind=AuditKind.USER_EMAIL_CHANGED)
    assert (event.user_id, event.actor_id, event.data) == (
        user.id,
        user.id,
        {"via": "confirmed_link"},
    )


async def test_a_link_for_an_address_given_up_since_does_nothing(
    http: httpx.AsyncClient, agent_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: first one new address, then another
    consumer, user = await linked_pair("old@example.com")
    await _agent_changes_the_email(agent_client, consumer, "first@example.com")
    first = next(m for m in await mailbox.settle() if str(m["To"]) == "first@example.com")
    await _agent_changes_the_email(agent_client, consumer, "second@example.com")
    await mailbox.settle()

    # when: the first link is opened
    answer = (await GraphQLClient(http).data(VERIFY, {"input": {"token": link_token(first)}}))[
        "emailVerify"
    ]

    # then
    assert [e["code"] for e in answer["errors"]] == ["EXPIRED"]
    assert (await User.get(id=user.id)).email == "old@example.com"


async def test_a_change_on_the_login_side_keeps_the_pending_address_on_the_record(
    http: httpx.AsyncClient, agent_client: GraphQLClient, mailbox: Mailbox
) -> None:
    # given: a pending address, then the user renames themselves
    consumer, user = await linked_pair("old@example.com")
    await _agent_changes_the_email(agent_client, consumer, "new@example.com")
    await mailbox.settle()
    client = await login(http, "old@example.com", PASSWORD)
    await client.data(
        "mutation($i: UserUpdateInput!) { userUpdate(input: $i) { errors { code } } }",
        {"i": {"id": gid("User", user.id), "lastName": "Renamed"}},
    )
    await mailbox.settle()

    # then: the name crossed over; the record's address did not revert
    await consumer.refresh_from_db()
    assert (consumer.last_name, consumer.email) == ("Renamed", "new@example.com")
