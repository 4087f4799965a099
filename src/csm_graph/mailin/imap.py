"""`csm-graph mail-poll`: take the unseen messages of an IMAP mailbox.

Each unseen message is fetched without marking it (`BODY.PEEK[]`), stored
(committed), and only then flagged `\\Seen` (and, with
IMAP_PROCESSED_MAILBOX, moved there), so a poll that dies midway loses
nothing; a message stored but not yet flagged is recognised by its
Message-ID on the next poll and only flagged.
"""

from __future__ import annotations

import logging
import re

import aioimaplib  # type: ignore[import-untyped]

from csm_graph.mailin import parsing, services
from csm_graph.mailin.models import InboundEmail, Intake
from csm_graph.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
LITERAL = re.compile(rb"\{(\d+)\}$")


class ImapError(Exception):
    """The IMAP server refused a step (login, select, fetch)."""


def _check(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        raise ImapError(f"IMAP {what} failed: {response.result} {response.lines!r}"[:500])
    return response


async def poll_once(settings: Settings) -> int:
    """Store every unseen message of the mailbox and flag it seen; returns how many."""
    if settings.imap_tls:
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            settings.imap_host, settings.imap_port, timeout=TIMEOUT_SECONDS
        )
    else:
        client = aioimaplib.IMAP4(settings.imap_host, settings.imap_port, timeout=TIMEOUT_SECONDS)
    await client.wait_hello_from_server()
    try:
        _check(await client.login(settings.imap_username, settings.imap_password), "login")
        done_folder = settings.imap_processed_mailbox
        if done_folder:
            if "MOVE" not in client.protocol.capabilities:
                raise ImapError("IMAP_PROCESSED_MAILBOX needs a server that offers MOVE")
            # Made if missing; an existing folder answers NO, which is fine.
            await client.create(_quoted(done_folder))
        _check(await client.select(_quoted(settings.imap_mailbox)), "select")
        found = _check(await client.uid_search("UNSEEN", charset=None), "search")
        uids = [u for u in found.lines[0].decode().split() if u.isdigit()] if found.lines else []
        taken = 0
        for uid in uids:
            fetched = _check(await client.uid("fetch", uid, "(BODY.PEEK[])"), "fetch")
            raw = _literal(fetched.lines)
            if raw is None:
                log.warning("IMAP message %s came without a body; left unseen", uid)
                continue
            if not await _known(raw):
                await services.store(raw, Intake.IMAP, envelope_to=[settings.imap_username])
                taken += 1
            _check(await client.uid("store", uid, "+FLAGS.SILENT", "(\\Seen)"), "store")
            if done_folder:
                _check(await client.uid("move", uid, _quoted(done_folder)), "move")
        return taken
    finally:
        try:
            await client.logout()
        except Exception:  # the connection may be gone already; nothing is lost
            log.debug("IMAP logout failed", exc_info=True)


def _quoted(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(lines: list[bytes | bytearray]) -> bytes | None:
    """The message bytes of a FETCH answer: the line after the one announcing `{n}`."""
    for i, line in enumerate(lines[:-1]):
        if LITERAL.search(bytes(line).rstrip()):
            return bytes(lines[i + 1])
    return None


async def _known(raw: bytes) -> bool:
    """Whether this message was stored by an earlier poll (that died before flagging)."""
    message_id = parsing.message_id_of(parsing.parse(raw))
    return (
        bool(message_id)
        and await InboundEmail.filter(message_id=message_id, intake=Intake.IMAP).exists()
    )
