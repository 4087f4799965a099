"""Inbound email tests: the mail-in server on a free port, messages, and people."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from csm_graph.access.engine import load_subject
from csm_graph.accounts.models import User, UserType
from csm_graph.accounts.viewer import Viewer
from csm_graph.cases import services as cases
from csm_graph.cases.models import Case
from csm_graph.cases.services import CaseDraft
from csm_graph.consumers.models import Consumer
from csm_graph.mailin.models import InboundEmail
from csm_graph.settings import Settings
from tests.mail import settle_jobs
from tests.schema.consumers.helpers import make_consumer
from tests.support import make_user

SUPPORT = "support@example.com"


@dataclass
class MailIn:
    """The `mail-in` SMTP server of this test."""

    settings: Settings
    port: int

    async def send(
        self,
        message: EmailMessage | bytes,
        *,
        mail_from: str | None = None,
        to: Sequence[str] = (SUPPORT,),
    ) -> None:
        """One SMTP conversation (smtplib, in a thread: the server runs in this loop)."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        sender = mail_from
        if sender is None and isinstance(message, EmailMessage):
            sender = str(message["From"]).split("<")[-1].rstrip(">")
        port = self.port

        def converse() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail(sender or "", list(to), raw)

        await asyncio.to_thread(converse)

    async def processed(self) -> list[InboundEmail]:
        """Every inbound email, once the jobs have run, oldest first."""
        await settle_jobs(self.settings)
        return await InboundEmail.all().order_by("id")


def email(
    sender: str,
    subject: str,
    text: str | None = "Hello,\n\nmy router keeps rebooting.\n\nAnn",
    *,
    to: str = SUPPORT,
    html: str | None = None,
    **headers: str,
) -> EmailMessage:
    """A message as a mail client writes it (`headers`: `In_Reply_To=...` style)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.net")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return message


async def consumer_with_login(name: str, **values: object) -> tuple[Consumer, User]:
    address = f"{name}@example.com"
    user = await make_user(address, user_type=UserType.EXTERNAL)
    consumer = await make_consumer(
        first_name=name.title(), last_name="Doe", email=address, **values
    )
    consumer.user_id = user.id
    await consumer.save()
    return consumer, user


async def intake() -> Viewer:
    """An administrator who opens and works the cases of these tests."""
    user = await User.get_or_none(email="intake@example.com") or await make_user(
        "intake@example.com", roles=("ADMIN",)
    )
    return Viewer(user_id=user.id, user_type=UserType.INTERNAL, roles=frozenset({"ADMIN"}))


async def open_case(consumer: Consumer) -> Case:
    subject = await load_subject(await intake())
    return await cases.create_case(
        subject, CaseDraft(short_description="Router keeps rebooting", consumer_id=consumer.id)
    )


async def await_info(case: Case, question: str = "Which model is it?") -> Case:
    """The case OPEN, then AWAITING_INFO on the consumer (an email asks them)."""
    subject = await load_subject(await intake())
    await cases.assign(subject, case.id, None, None)
    return await cases.request_info(subject, case.id, question)
