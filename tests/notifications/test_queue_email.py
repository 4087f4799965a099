from __future__ import annotations

import pytest

from csm_graph.notifications.mailer import OUTBOX_KEY_HEADER
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.notifications.services import queue_email
from csm_graph.transactions import unit_of_work
from tests.mail import Mailbox, body

LINK = "https://portal.example.com/verify/abc"
CONTEXT = {"name": "Ann Lee", "link": LINK}


class Abandon(Exception):
    """The caller's change fails after it queued the email."""


async def _queue_then_fail() -> None:
    async with unit_of_work():
        await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )
        raise Abandon


async def test_rolled_back_email_is_never_sent(mailbox: Mailbox) -> None:
    # when
    with pytest.raises(Abandon):
        await _queue_then_fail()

    # then
    assert await mailbox.settle() == []
    assert await OutboxEmail.all().count() == 0


async def test_committed_email_arrives_once_with_subject_text_and_html(mailbox: Mailbox) -> None:
    # when
    async with unit_of_work():
        queued = await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )

    # then
    assert queued is True
    [message] = await mailbox.settle()
    row = await OutboxEmail.get(key="verify:1")
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Confirm your email address"
    assert message["Message-ID"] == row.message_id
    assert message[OUTBOX_KEY_HEADER] == "verify:1"
    text = body(message, "plain")
    html = body(message, "html")
    assert "Hello Ann Lee," in text
    assert LINK in text
    assert f'href="{LINK}"' in html
    assert row.state == OutboxState.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.next_attempt_at is None


async def test_the_same_key_twice_sends_one_email(mailbox: Mailbox) -> None:
    # when
    async with unit_of_work():
        first = await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )
        again_in_transaction = await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )
    async with unit_of_work():
        again_later = await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )

    # then
    assert (first, again_in_transaction, again_later) == (True, False, False)
    assert len(await mailbox.settle()) == 1
    assert await OutboxEmail.all().count() == 1


async def test_a_duplicate_key_leaves_the_callers_transaction_usable(mailbox: Mailbox) -> None:
    # given
    async with unit_of_work():
        await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )

    # when
    async with unit_of_work():
        duplicate = await queue_email(
            template="verify_email", to="ann@example.com", context=CONTEXT, key="verify:1"
        )
        other = await queue_email(
            template="password_reset", to="ann@example.com", context=CONTEXT, key="reset:1"
        )

    # then
    assert (duplicate, other) == (False, True)
    subjects = sorted(m["Subject"] for m in await mailbox.settle())
    assert subjects == ["Confirm your email address", "Reset your password"]


async def test_unknown_template_and_unserialisable_context_are_refused(mailbox: Mailbox) -> None:
    with pytest.raises(ValueError, match="template"):
        await queue_email(template="nope", to="ann@example.com", context={}, key="k:1")
    with pytest.raises(ValueError, match="JSON"):
        await queue_email(
            template="verify_email", to="ann@example.com", context={"name": object()}, key="k:2"
        )
    assert await OutboxEmail.all().count() == 0
    assert await mailbox.settle() == []


async def test_a_sent_email_keeps_no_context(mailbox: Mailbox) -> None:
    # given: an email whose context holds a link with a token
    async with unit_of_work():
        await queue_email(
            template="password_reset",
            to="kim@example.com",
            context={"name": "Kim", "link": "https://portal.example/reset-password?token=secret"},
            key="context:1",
        )

    # when
    [message] = await mailbox.settle()

    # then: the mail carried the link, the row no longer does
    assert "token=secret" in message.get_body(preferencelist=("plain",)).get_content()
    row = await OutboxEmail.get(key="context:1")
    assert (row.state, row.context) == (OutboxState.SENT, {})
