"""A real SMTP server in the test process, and a mailbox that reads what was sent.

In the PostgreSQL run the product sends over SMTP to `SmtpServer`; in the
SQLite run it writes `.eml` files (the embedded default). `Mailbox` reads
whichever the settings point at, after the jobs have finished.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

from csm_graph import jobs
from csm_graph.settings import Settings

_parser = BytesParser(policy=policy.default)


def parse(data: bytes) -> EmailMessage:
    message = _parser.parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


class _Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[EmailMessage] = []
        self.refusals = 0
        self.rejected: set[str] = set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.rejected:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refusals > 0:
                self.refusals -= 1
                return "451 4.3.0 Try again later"
            self.received.append(parse(envelope.original_content or envelope.content))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free local port, running in its own thread."""

    def __init__(self) -> None:
        self.handler = _Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.host = "127.0.0.1"
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def refuse_next(self, count: int) -> None:
        """Answer the next `count` messages with a temporary 451."""
        with self.handler.lock:
            self.handler.refusals = count

    def reject_recipient(self, address: str) -> None:
        """Answer RCPT TO `address` with a permanent 550."""
        self.handler.rejected.add(address.lower())

    def received(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.received)

    def reset(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()
            self.handler.refusals = 0
            self.handler.rejected.clear()


SETTLE_SECONDS = 15


async def settle_jobs(settings: Settings) -> None:
    """Wait until no job is queued or running (jobs a job starts included)."""
    dispatcher = jobs.get_dispatcher()
    if isinstance(dispatcher, jobs.InProcessDispatcher):
        await dispatcher.drain()
        return
    assert isinstance(dispatcher, jobs.ArqDispatcher)
    deadline = time.monotonic() + SETTLE_SECONDS
    quiet = 0
    while quiet < 3:
        # Due or running jobs only: arq keeps a job in the queue until it finishes.
        now_ms = time.time() * 1000
        waiting = await dispatcher.pool.zcount(settings.arq_queue_name, "-inf", now_ms)
        quiet = quiet + 1 if waiting == 0 else 0
        assert time.monotonic() < deadline, f"{waiting} jobs still queued after {SETTLE_SECONDS}s"
        await asyncio.sleep(0.02)


class Mailbox:
    """What the product has sent during this test, by SMTP or as `.eml` files."""

    def __init__(self, settings: Settings, smtp: SmtpServer) -> None:
        self.settings = settings
        self.smtp = smtp

    def clear(self) -> None:
        self.smtp.reset()
        for path in self.settings.mail_dir.glob("*.eml"):
            path.unlink()

    def messages(self) -> list[EmailMessage]:
        if self.settings.smtp_host:
            return self.smtp.received()
        return [parse(p.read_bytes()) for p in sorted(self.settings.mail_dir.glob("*.eml"))]

    async def settle(self) -> list[EmailMessage]:
        """The messages, once every queued job has run."""
        await settle_jobs(self.settings)
        return self.messages()


def body(message: EmailMessage, subtype: str) -> str:
    """The decoded `text/<subtype>` part of `message`."""
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage), f"no text/{subtype} part"
    content: str = part.get_content()
    return content
