"""Inbound email over a real SMTP conversation into `mail-in`, processed by its job."""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest

from csm_graph import clock, db, storage
from csm_graph.cases.models import Case, CaseAttachment, CaseChannel, CaseComment, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.households.models import Household, HouseholdMember, Relationship
from csm_graph.mailin import parsing, replyaddress
from csm_graph.mailin.models import InboundEmail, InboundState, Intake
from csm_graph.mailin.services import sweep_inbound_emails
from csm_graph.notifications.models import OutboxEmail
from csm_graph.privacy import erasure
from tests.mail import Mailbox
from tests.mailin.helpers import (
    SUPPORT,
    MailIn,
    await_info,
    consumer_with_login,
    email,
    intake,
    open_case,
)

QUOTED_REPLY = """It is the R2 model.

Ann
--
Ann Doe
Sent from my phone

On Mon, 30 Nov 2026 at 10:00, Service <support@example.com> wrote:
> Which model is it?
"""


async def test_a_new_message_opens_a_case_for_the_senders_consumer_record(
    mail_in: MailIn, mailbox: Mailbox
) -> None:
    # given
    ann, user = await consumer_with_login("ann")

    # when
    await mail_in.send(email("Ann Doe <ann@example.com>", "Router keeps rebooting"))

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.OPENED
    assert row.intake is Intake.SMTP
    assert row.envelope_from == "ann@example.com"
    assert row.envelope_to == [SUPPORT]
    case = await Case.get(id=row.case_id)
    assert case.consumer_id == ann.id
    assert case.opened_by_id == user.id
    assert case.channel is CaseChannel.EMAIL
    assert case.state is CaseState.NEW
    assert case.short_description == "Router keeps rebooting"
    assert case.description == "Hello,\n\nmy router keeps rebooting.\n\nAnn"
    assert [m["To"] for m in await mailbox.settle()] == ["ann@example.com"]


async def test_an_unknown_sender_gets_a_new_unverified_consumer_record(mail_in: MailIn) -> None:
    # when
    await mail_in.send(email("Bo Lund <bo@example.net>", "Billing question"))

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.OPENED
    case = await Case.get(id=row.case_id)
    consumer = await Consumer.get(id=case.consumer_id)
    assert (consumer.first_name, consumer.last_name, consumer.email) == (
        "Bo",
        "Lund",
        "bo@example.net",
    )
    assert consumer.user_id is None
    assert "not verified" in consumer.review_reason
    assert case.opened_by_id is None


async def test_unknown_senders_are_parked_when_refused(
    mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr(mail_in.settings, "mail_in_unknown_senders", False)

    # when
    await mail_in.send(email("bo@example.net", "Billing question"))

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.PARKED
    assert "MAIL_IN_UNKNOWN_SENDERS" in row.reason
    assert await Case.all().count() == 0
    assert await Consumer.all().count() == 0


async def test_a_reply_by_in_reply_to_becomes_a_comment_and_reopens_the_case(
    mail_in: MailIn, mailbox: Mailbox
) -> None:
    # given
    ann, user = await consumer_with_login("ann")
    case = await await_info(await open_case(ann))
    await mailbox.settle()
    asked = await OutboxEmail.get(key__startswith=f"case:{case.id}:info:")
    mailbox.clear()

    # when
    await mail_in.send(
        email(
            "ann@example.com",
            "Re: your question",  # no tag: the thread alone finds the case
            QUOTED_REPLY,
            In_Reply_To=asked.message_id,
            References=asked.message_id,
        )
    )

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.ATTACHED
    assert row.case_id == case.id
    comment = await CaseComment.get(id=row.comment_id)
    assert comment.case_id == case.id
    assert comment.body == "It is the R2 model.\n\nAnn"
    assert comment.work_note is False
    assert comment.author_id == user.id
    assert (await Case.get(id=case.id)).state is CaseState.OPEN
    # The author is not emailed about their own comment.
    assert [m["To"] for m in await mailbox.settle()] == []


async def test_a_reply_by_the_subject_tag_becomes_a_comment_on_that_case(
    mail_in: MailIn,
) -> None:
    # given
    ann, _ = await consumer_with_login("ann")
    await open_case(ann)
    case = await await_info(await open_case(ann))

    # when
    await mail_in.send(email("ann@example.com", f"Re: [{case.number}] Router", "R2."))

    # then
    [row] = await mail_in.processed()
    assert (row.state, row.case_id) == (InboundState.ATTACHED, case.id)
    assert "tag" in row.reason
    assert [c.body for c in await CaseComment.filter(case_id=case.id).order_by("id")] == [
        "Which model is it?",
        "R2.",
    ]
    assert (await Case.get(id=case.id)).state is CaseState.OPEN


async def test_a_reply_to_the_cases_reply_address_becomes_a_comment_on_that_case(
    mail_in: MailIn, mailbox: Mailbox
) -> None:
    # given
    ann, _ = await consumer_with_login("ann")
    case = await open_case(ann)
    address = replyaddress.reply_address(mail_in.settings, case.id)
    assert address is not None
    assert address.startswith(f"support+c{case.id}-")
    # the case's emails carry it as their Reply-To
    [created] = [m for m in await mailbox.settle() if case.number in str(m["Subject"])]
    assert (created["To"], created["Reply-To"]) == ("ann@example.com", address)

    # when
    await mail_in.send(
        email("ann@example.com", "More detail", "It is R2.", to=address), to=[address]
    )

    # then
    [row] = await mail_in.processed()
    assert (row.state, row.case_id) == (InboundState.ATTACHED, case.id)
    assert row.reason == "Found by the reply address."
    assert await CaseComment.filter(case_id=case.id, body="It is R2.").count() == 1


async def test_a_forged_reply_address_is_not_honoured(mail_in: MailIn) -> None:
    # given: Bo knows Ann's case id and the form of the addresses, not the secret
    ann, _ = await consumer_with_login("ann")
    await consumer_with_login("bo")
    case = await open_case(ann)
    genuine = replyaddress.reply_address(mail_in.settings, case.id)
    assert genuine is not None
    forged = f"support+c{case.id}-{'0' * 20}@example.com"
    other_case = replyaddress.reply_address(mail_in.settings, case.id + 1)
    assert other_case is not None
    moved = other_case.replace(f"+c{case.id + 1}-", f"+c{case.id}-")

    # when
    for address in (forged, moved):
        await mail_in.send(email("bo@example.com", "Hello", "Let me in.", to=address), to=[address])

    # then: new cases of Bo's own, nothing on Ann's
    rows = await mail_in.processed()
    assert [r.state for r in rows] == [InboundState.OPENED, InboundState.OPENED]
    assert case.id not in {r.case_id for r in rows}
    assert await CaseComment.filter(case_id=case.id).count() == 0
    assert replyaddress.case_of_address(mail_in.settings, genuine) == case.id


async def test_a_sender_who_may_not_comment_on_the_case_is_parked(
    mail_in: MailIn, mailbox: Mailbox
) -> None:
    # given
    ann, _ = await consumer_with_login("ann")
    await consumer_with_login("eve")
    case = await await_info(await open_case(ann))
    await mailbox.settle()
    mailbox.clear()

    # when
    await mail_in.send(email("eve@example.com", f"Re: [{case.number}]", "Close it."))

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.PARKED
    assert row.case_id == case.id
    assert "may not comment" in row.reason
    assert row.comment_id is None
    assert await CaseComment.filter(case_id=case.id).count() == 1
    assert (await Case.get(id=case.id)).state is CaseState.AWAITING_INFO
    assert await mailbox.settle() == []


async def test_a_reply_from_a_record_without_a_login_comments_as_that_record(
    mail_in: MailIn,
) -> None:
    # given: a consumer known by email only (imported, or who wrote before)
    await mail_in.send(email("Bo Lund <bo@example.net>", "Billing question"))
    [first] = await mail_in.processed()
    case = await await_info(await Case.get(id=first.case_id))

    # when
    await mail_in.send(email("bo@example.net", f"Re: [{case.number}] Billing", "Invoice 42."))

    # then
    [_, reply] = await mail_in.processed()
    assert reply.state is InboundState.ATTACHED
    comment = await CaseComment.get(id=reply.comment_id)
    assert (comment.body, comment.author_id, comment.on_behalf_of_id) == (
        "Invoice 42.",
        None,
        case.consumer_id,
    )
    assert (await Case.get(id=case.id)).state is CaseState.OPEN


async def test_an_out_of_office_reply_does_nothing(mail_in: MailIn, mailbox: Mailbox) -> None:
    # given
    ann, _ = await consumer_with_login("ann")
    case = await await_info(await open_case(ann))
    await mailbox.settle()
    mailbox.clear()

    # when
    await mail_in.send(
        email(
            "ann@example.com",
            f"Out of office: Re: [{case.number}]",
            "I am away until Monday.",
            Auto_Submitted="auto-replied",
        )
    )
    await mail_in.send(email("ann@example.com", "Automatic reply", "Away.", X_Autoreply="yes"))

    # then
    rows = await mail_in.processed()
    assert [r.state for r in rows] == [InboundState.IGNORED, InboundState.IGNORED]
    assert "auto-replied" in rows[0].reason
    assert await CaseComment.filter(case_id=case.id).count() == 1
    assert await Case.all().count() == 1
    assert (await Case.get(id=case.id)).state is CaseState.AWAITING_INFO
    assert await mailbox.settle() == []


async def test_a_bounce_does_nothing(mail_in: MailIn, mailbox: Mailbox) -> None:
    # given: a delivery status notification, from the null sender
    ann, _ = await consumer_with_login("ann")
    case = await open_case(ann)
    await mailbox.settle()
    mailbox.clear()
    bounce = email(
        "MAILER-DAEMON@mx.example.com", f"Undelivered Mail: [{case.number}] Router", None
    )
    bounce.set_content("Your message could not be delivered.")
    bounce.make_mixed()
    bounce.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')

    # when
    await mail_in.send(bounce, mail_from="")

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.IGNORED
    assert row.envelope_from == ""
    assert await Case.all().count() == 1
    assert await CaseComment.filter(case_id=case.id).count() == 0
    assert await mailbox.settle() == []


async def test_our_own_emails_coming_back_are_loops(mail_in: MailIn) -> None:
    # given: an email we sent, delivered back to us
    ann, _ = await consumer_with_login("ann")
    await open_case(ann)
    sent = await OutboxEmail.get(key__contains=":created:")

    # when
    await mail_in.send(email("ann@example.com", "Copy"))
    looped = email("ann@example.com", "Loop")
    looped.replace_header("Message-ID", sent.message_id)
    await mail_in.send(looped)
    await mail_in.send(email(mail_in.settings.mail_from, "From ourselves"))

    # then
    rows = await mail_in.processed()
    assert [r.state for r in rows][1:] == [InboundState.IGNORED, InboundState.IGNORED]
    assert "mail loop" in rows[1].reason
    assert "mail loop" in rows[2].reason


async def test_senders_over_the_rate_limit_are_ignored(
    mail_in: MailIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr(mail_in.settings, "mail_in_rate_limit", 2)
    await consumer_with_login("ann")

    # when
    for n in range(3):
        await mail_in.send(email("ann@example.com", f"Question {n}"))

    # then
    rows = await mail_in.processed()
    assert [r.state for r in rows] == [
        InboundState.OPENED,
        InboundState.OPENED,
        InboundState.IGNORED,
    ]
    assert await Case.all().count() == 2


async def test_an_html_only_message_becomes_text(mail_in: MailIn) -> None:
    # given
    await consumer_with_login("ann")
    html = (
        "<html><body><p>My <b>router</b> keeps rebooting.</p>"
        "<script>alert(1)</script><p>Ann</p></body></html>"
    )

    # when
    await mail_in.send(email("ann@example.com", "Router", None, html=html))

    # then
    [row] = await mail_in.processed()
    case = await Case.get(id=row.case_id)
    assert "My router keeps rebooting." in case.description
    assert "<" not in case.description
    assert "alert" not in case.description


async def test_unknown_recipients_are_refused_at_smtp(mail_in: MailIn) -> None:
    # when
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await mail_in.send(email("ann@example.com", "Hello"), to=["sales@example.com"])

    # then
    assert refused.value.recipients["sales@example.com"][0] == 550
    await mail_in.processed()
    assert await InboundEmail.all().count() == 0


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
EXECUTABLE = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def with_files(message: EmailMessage) -> EmailMessage:
    message.add_attachment(PNG, maintype="image", subtype="png", filename="router.png")
    message.add_attachment(
        EXECUTABLE, maintype="application", subtype="octet-stream", filename="fix.exe"
    )
    return message


async def test_attachments_go_through_the_upload_checks(mail_in: MailIn) -> None:
    # given
    await consumer_with_login("ann")

    # when
    await mail_in.send(with_files(email("ann@example.com", "Router photo")))

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.OPENED
    [attachment] = await CaseAttachment.filter(case_id=row.case_id)
    assert (attachment.file_name, attachment.content_type) == ("router.png", "image/png")
    assert await storage.read(attachment.storage_key) == PNG
    assert "fix.exe: This type of file is not allowed." in row.reason
    case = await Case.get(id=row.case_id)
    assert case.description == "Hello,\n\nmy router keeps rebooting.\n\nAnn"


@contextlib.asynccontextmanager
async def attachments_table_away() -> AsyncIterator[None]:
    """The attachments table out of reach: processing that attaches files fails."""
    await db.fetch('ALTER TABLE "case_attachment" RENAME TO "case_attachment_away"')
    try:
        yield
    finally:
        await db.fetch('ALTER TABLE "case_attachment_away" RENAME TO "case_attachment"')


async def test_a_failure_keeps_the_message_and_the_sweep_retries_it(mail_in: MailIn) -> None:
    # given: processing fails (the attachments table is out of reach)
    await consumer_with_login("ann")
    message = with_files(email("ann@example.com", "Router photo"))
    async with attachments_table_away():
        await mail_in.send(message)
        [failed] = await mail_in.processed()

        # then: nothing of the run stays, the raw message does
        assert failed.state is InboundState.FAILED
        assert failed.attempts == 1
        assert "case_attachment" in failed.reason
        assert failed.case_id is None
        assert await Case.all().count() == 0
        kept = await storage.read(failed.raw_key)
        assert parsing.parse(kept)["Message-ID"] == message["Message-ID"]

    # when: the sweep runs once the back-off has passed
    assert await sweep_inbound_emails() == 0  # not yet due
    clock.travel(dt.timedelta(minutes=6))
    assert await sweep_inbound_emails() == 1

    # then
    [row] = await mail_in.processed()
    assert row.state is InboundState.OPENED
    assert row.attempts == 2
    assert await CaseAttachment.filter(case_id=row.case_id).count() == 1


async def test_erasing_a_consumer_removes_the_emails_they_sent_in_and_keeps_their_outcome(
    mail_in: MailIn,
) -> None:
    # given: Bo's email opened a case
    await mail_in.send(email("Bo Lund <bo@example.net>", "Billing question", "My account 42."))
    [row] = await mail_in.processed()
    assert row.state is InboundState.OPENED
    raw_key = row.raw_key
    assert b"My account 42." in await storage.read(raw_key)
    case = await Case.get(id=row.case_id)

    # when: an administrator erases Bo
    await erasure.erase(await intake(), case.consumer_id, "Ticket 7")

    # then: the message keeps its outcome, not who sent it, what it said, or its bytes
    erased = await InboundEmail.get(id=row.id)
    assert (erased.state, erased.case_id) == (InboundState.OPENED, case.id)
    assert (erased.sender, erased.envelope_from, erased.subject, erased.raw_key) == ("", "", "", "")
    with pytest.raises(FileNotFoundError):
        await storage.read(raw_key)


async def test_a_new_message_from_a_member_of_two_households_is_parked_for_an_agent(
    mail_in: MailIn,
) -> None:
    # given: Ann is a current member of two households (the portal would ask which)
    ann, _ = await consumer_with_login("ann")
    for n in (1, 2):
        household = await Household.create(number=f"HH000000{n}", name=f"Home {n}")
        await HouseholdMember.create(
            household_id=household.id,
            consumer_id=ann.id,
            relationship=Relationship.OTHER,
            start_date=clock.today(),
        )

    # when
    await mail_in.send(email("ann@example.com", "Router keeps rebooting"))

    # then: no case is guessed; the message waits for an agent, saying why
    [row] = await mail_in.processed()
    assert (row.state, row.case_id) == (InboundState.PARKED, None)
    assert "household" in row.reason
    assert await Case.filter(consumer_id=ann.id).count() == 0
