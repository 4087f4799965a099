"""Reading an inbound message: who sent it, what it answers, its text and files,
and whether a machine sent it (auto-replies, bounces), which must not open cases.

Pure functions of the message's bytes and headers: no database, no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses

from inscriptis import get_text  # type: ignore[import-untyped]
from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
CASE_TAG = re.compile(r"\[(CS\d{4,12})\]", re.IGNORECASE)
"""The case number our case emails put in their subjects: `[CS0001001]`."""
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv"]
AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list"})
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


def parse(raw: bytes) -> EmailMessage:
    """The message, read leniently (broken headers become defects, not errors)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header(message: EmailMessage, name: str) -> str:
    """A header's text ('' when absent or unreadable)."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):
        return ""
    return str(value).strip() if value is not None else ""


def sender_of(message: EmailMessage) -> tuple[str, str]:
    """The `From` (else `Sender`) as (display name, lower-cased address)."""
    for name in ("From", "Sender"):
        pairs = [(n, a) for n, a in getaddresses([header(message, name)]) if "@" in a]
        if pairs:
            display, address = pairs[0]
            return display.strip(), address.strip().lower()
    return "", ""


def message_id_of(message: EmailMessage) -> str:
    found = MESSAGE_ID.findall(header(message, "Message-ID"))
    return found[0] if found else ""


def referenced_ids(message: EmailMessage) -> list[str]:
    """The Message-IDs the message answers: `In-Reply-To` first, then `References`
    newest first (the end of the chain is the message replied to)."""
    ids = MESSAGE_ID.findall(header(message, "In-Reply-To"))
    ids += reversed(MESSAGE_ID.findall(header(message, "References")))
    return list(dict.fromkeys(ids))


def case_tag(subject: str) -> str | None:
    """The case number tagged in a subject (`Re: [CS0001001] ...`), upper-cased."""
    found = CASE_TAG.search(subject)
    return found.group(1).upper() if found else None


def automatic_reason(message: EmailMessage, envelope_from: str | None) -> str | None:
    """Why a machine sent the message (RFC 3834 and common practice), or None.

    `envelope_from` is the SMTP `MAIL FROM` ('' is the null sender of a bounce;
    None when unknown, as for a message fetched by IMAP)."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = header(message, name).lower()
        if value and (name != "X-Auto-Response-Suppress" or value in {"all", "oof"}):
            return f"{name}: {value}"
    if header(message, "List-Id") or header(message, "List-Unsubscribe"):
        return "a mailing list message"
    if message.get_content_type() == "multipart/report":
        return "a delivery or disposition report"
    if envelope_from is not None and envelope_from.strip() in {"", "<>"}:
        return "the null sender of a bounce"
    _, address = sender_of(message)
    if address.split("@")[0] in BOUNCE_SENDERS:
        return f"sent by {address}"
    return None


def text_of(message: EmailMessage) -> str:
    """The message's own text: the plain part, or the HTML part made text, with
    quoted history and signatures trimmed."""
    text = ""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = _content(plain)
    else:
        html = message.get_body(preferencelist=("html",))
        if html is not None:
            text = get_text(_content(html))
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
        trimmed = replies[0].body.strip() if replies else ""
    except Exception:  # the library's heuristics must never lose a message
        trimmed = ""
    return trimmed or text


@dataclass(frozen=True)
class Attachment:
    file_name: str
    data: bytes


def attachments_of(message: EmailMessage) -> list[Attachment]:
    """The files the message carries (parts with a file name or marked as attachments)."""
    found = []
    for part in message.iter_attachments():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        name = part.get_filename() or "attachment"
        found.append(Attachment(name.strip()[:255] or "attachment", payload))
    return found


def _content(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""
