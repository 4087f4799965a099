"""`csm-graph mail-in`: an SMTP server that takes mail for our addresses.

aiosmtpd's protocol on an asyncio server in this process's event loop (the
database and job dispatch live there too). A recipient that is not one of
`MAIL_IN_ADDRESSES` (or its `+tag` form) is refused at `RCPT TO` with 550,
a message over `MAIL_IN_MAX_BYTES` at `DATA` with 552; an accepted message
is committed (bytes and row) before the server answers 250, so a 250 means
it is kept. A failure to keep it answers 451: the sending server retries.
With MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY it offers STARTTLS, and with
MAIL_IN_REQUIRE_TLS it takes mail only after it (530 before).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aiosmtpd.smtp import SMTP

from csm_graph.mailin import replyaddress, services
from csm_graph.mailin.models import Intake
from csm_graph.settings import Settings

log = logging.getLogger(__name__)


class Handler:
    """aiosmtpd's hooks: which recipients we take, and keeping what arrives."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if not replyaddress.is_ours(self.settings, address):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode()
        if len(raw) > self.settings.mail_in_max_bytes:
            return "552 5.3.4 Message too big"
        try:
            await services.store(
                raw,
                Intake.SMTP,
                envelope_from="" if envelope.mail_from in (None, "<>") else envelope.mail_from,
                envelope_to=list(envelope.rcpt_tos),
            )
        except Exception:
            log.exception("an inbound message could not be stored")
            return "451 4.3.0 Cannot keep the message now; try again later"
        return "250 2.0.0 Message accepted"


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The server side of STARTTLS (MAIL_IN_TLS_CERT and MAIL_IN_TLS_KEY), or None.
    A file that is missing or not a certificate and key fails here, at start."""
    if not settings.mail_in_tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.mail_in_tls_cert, settings.mail_in_tls_key)
    return context


async def start_server(
    settings: Settings, host: str | None = None, port: int | None = None
) -> asyncio.Server:
    """Listen on `host`:`port` (the settings' by default; port 0: a free one)."""
    handler = Handler(settings)
    tls = tls_context(settings)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=settings.mail_in_max_bytes,
            enable_SMTPUTF8=True,
            ident="csm-graph mail-in",
            tls_context=tls,
            require_starttls=settings.mail_in_require_tls,
        ),
        host=settings.mail_in_host if host is None else host,
        port=settings.mail_in_port if port is None else port,
    )


def port_of(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port
