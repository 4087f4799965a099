"""Build an email and hand it to SMTP, or to a file in the embedded default."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from csm_graph import clock
from csm_graph.notifications.rendering import RenderedEmail
from csm_graph.settings import Settings

OUTBOX_KEY_HEADER = "X-CSM-Outbox-Key"


class PermanentMailError(Exception):
    """The mail server refused the email for good; trying again will not help."""


class Mailer(Protocol):
    async def send(self, message: EmailMessage, *, outbox_id: int) -> None: ...


def new_message_id(settings: Settings) -> str:
    """A Message-ID in the sender's domain."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "csm-graph.local"
    return make_msgid(idstring="csm", domain=domain)


def build_message(
    settings: Settings, *, to: str, rendered: RenderedEmail, message_id: str, key: str
) -> EmailMessage:
    """Plain text with an HTML alternative, carrying the outbox key so it can be traced."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    if rendered.reply_to:
        message["Reply-To"] = rendered.reply_to
    message[OUTBOX_KEY_HEADER] = key
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    # After the body: setting content clears the Content-* headers.
    message["Content-Language"] = rendered.language.replace("_", "-")
    return message


class SmtpMailer:
    """Sends through the configured SMTP server (STARTTLS or TLS, with login if set)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage, *, outbox_id: int) -> None:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_use_tls,
            start_tls=s.smtp_starttls and not s.smtp_use_tls,
            timeout=s.smtp_timeout_seconds,
        )
        try:
            async with client:
                try:
                    await client.send_message(message)
                except asyncio.CancelledError:
                    # Cancelled (a stopping worker's grace ran out): hang up at once.
                    # Leaving would otherwise say QUIT and wait for its answer, up
                    # to the whole timeout when the server is slow.
                    client.close()
                    raise
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(r.code >= 500 for r in exc.recipients):
                raise PermanentMailError(_describe(exc)) from exc
            raise


def _describe(exc: aiosmtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)


class FileMailer:
    """The embedded default: each email becomes `<mail_dir>/<timestamp>-<id>.eml`."""

    def __init__(self, settings: Settings) -> None:
        self.directory = settings.mail_dir

    async def send(self, message: EmailMessage, *, outbox_id: int) -> None:
        stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{outbox_id}.eml"
        await asyncio.to_thread(write_atomically, path, bytes(message))


def written_emails(directory: Path) -> Iterator[tuple[Path, EmailMessage]]:
    """The emails `FileMailer` wrote to `directory`, parsed (blocking: run it in a thread)."""
    for path in sorted(directory.glob("*.eml")):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # removed meanwhile
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        yield path, message


def recipients(message: EmailMessage) -> set[str]:
    """The addresses an email went to (To, Cc and Bcc), lower-cased."""
    fields = [str(v) for name in ("to", "cc", "bcc") for v in message.get_all(name, [])]
    return {address.lower() for _, address in getaddresses(fields) if address}


def write_atomically(path: Path, data: bytes) -> None:
    """Readers of the folder never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".eml.part")
    partial.write_bytes(data)
    partial.replace(path)


def mailer_for(settings: Settings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else FileMailer(settings)
