from __future__ import annotations

import datetime as dt

import httpx

from csm_graph import clock
from csm_graph.audit.models import AuditEvent, AuditKind
from tests.mail import Mailbox
from tests.schema.consumers.helpers import link_token
from tests.support import LOGIN, GraphQLClient, login, make_user

REQUEST = """
mutation Request($input: PasswordResetRequestInput!) {
  passwordResetRequest(input: $input) { message errors { field code } }
}
"""
RESET = """
mutation Reset($input: PasswordResetInput!) {
  passwordReset(input: $input) { user { id } errors { field code } }
}
"""
NEW_PASSWORD = "a brand new passphrase"


async def test_a_reset_link_sets_a_new_password_and_ends_sessions(
    anon_client: GraphQLClient, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    # given
    user = await make_user("forgot@example.com")
    session = await login(http, "forgot@example.com")

    # when
    await anon_client.data(REQUEST, {"input": {"email": "Forgot@Example.com"}})
    (message,) = await mailbox.settle()
    reset = await anon_client.data(
        RESET, {"input": {"token": link_token(message), "password": NEW_PASSWORD}}
    )

    # then
    assert reset["passwordReset"]["errors"] == []
    assert (await login(http, "forgot@example.com", NEW_PASSWORD)).token
    refreshed = await anon_client.data(
        "mutation R($t: String!) { tokenRefresh(input: {refreshToken: $t}) { errors { code } } }",
        {"t": session.refresh_token},
    )
    assert refreshed["tokenRefresh"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    # and the trail says the owner changed the password through the link
    [event] = await AuditEvent.filter(kind=AuditKind.PASSWORD_CHANGED)
    assert (event.user_id, event.actor_id, event.data) == (user.id, user.id, {"via": "reset_link"})


async def test_unknown_emails_get_the_same_answer_and_no_mail(
    anon_client: GraphQLClient, mailbox: Mailbox
) -> None:
    await make_user("known@example.com")

    known = await anon_client.data(REQUEST, {"input": {"email": "known@example.com"}})
    unknown = await anon_client.data(REQUEST, {"input": {"email": "ghost@example.com"}})

    assert known == unknown
    assert [str(m["To"]) for m in await mailbox.settle()] == ["known@example.com"]


async def test_reset_tokens_expire_and_work_once(
    anon_client: GraphQLClient, http: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await make_user("twice@example.com")
    await anon_client.data(REQUEST, {"input": {"email": "twice@example.com"}})
    await anon_client.data(REQUEST, {"input": {"email": "twice@example.com"}})
    first, second = await mailbox.settle()

    used = await anon_client.data(
        RESET, {"input": {"token": link_token(first), "password": NEW_PASSWORD}}
    )
    reused = await anon_client.data(
        RESET, {"input": {"token": link_token(first), "password": NEW_PASSWORD}}
    )
    clock.travel(dt.timedelta(minutes=61))
    expired = await anon_client.data(
        RESET, {"input": {"token": link_token(second), "password": NEW_PASSWORD}}
    )

    assert used["passwordReset"]["errors"] == []
    assert reused["passwordReset"]["errors"] == [{"field": "token", "code": "EXPIRED"}]
    assert expired["passwordReset"]["errors"] == [{"field": "token", "code": "EXPIRED"}]


async def test_a_weak_password_is_refused(anon_client: GraphQLClient, mailbox: Mailbox) -> None:
    await make_user("weak@example.com")
    await anon_client.data(REQUEST, {"input": {"email": "weak@example.com"}})
    (message,) = await mailbox.settle()

    result = await anon_client.data(
        RESET, {"input": {"token": link_token(message), "password": "short"}}
    )

    assert result["passwordReset"]["errors"] == [{"field": "password", "code": "INVALID"}]
    login_again = await anon_client.data(
        LOGIN, {"input": {"email": "weak@example.com", "password": "short"}}
    )
    assert login_again["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_an_account_created_without_password_gets_a_set_password_link(
    admin_client: GraphQLClient,
    anon_client: GraphQLClient,
    http: httpx.AsyncClient,
    mailbox: Mailbox,
) -> None:
    created = await admin_client.data(
        'mutation { userCreate(input: {email: "new.agent@example.com", lastName: "Agent", '
        "userType: INTERNAL, roles: [AGENT]}) { errors { field } } }"
    )
    assert created["userCreate"]["errors"] == []

    (message,) = await mailbox.settle()
    await anon_client.data(
        RESET, {"input": {"token": link_token(message), "password": NEW_PASSWORD}}
    )

    assert (await login(http, "new.agent@example.com", NEW_PASSWORD)).token
