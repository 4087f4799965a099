from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest

from csm_graph import clock, jobs
from csm_graph.notifications import mailer, services
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.notifications.services import send_email, sweep_outbox
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work
from csm_graph.workers.settings import cron_jobs
from tests.mail import Mailbox, SmtpServer

CONTEXT = {"name": "Ann", "link": "https://portal.example.com/reset/abc"}


class _UnreachableQueue:
    async def dispatch(
        self, name: str, args: tuple[Any, ...], job_id: str | None, trace: Any = None
    ) -> None:
        raise ConnectionError("queue unreachable")

    async def close(self) -> None:
        pass


@contextmanager
def queue_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Redis is down at commit time: the change commits, the enqueue fails."""
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "get_dispatcher", _UnreachableQueue)
        yield


async def queue(key: str = "reset:1", to: str = "ann@example.com") -> OutboxEmail:
    async with unit_of_work():
        assert await services.queue_email(
            template="password_reset", to=to, context=CONTEXT, key=key
        )
    return await OutboxEmail.get(key=key)


@pytest.fixture
def smtp(
    settings: Settings, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> SmtpServer:
    """Send over SMTP on either backend, so the server can refuse."""
    monkeypatch.setattr(settings, "smtp_host", smtp_server.host)
    monkeypatch.setattr(settings, "smtp_port", smtp_server.port)
    return smtp_server


async def test_a_row_left_pending_by_a_queue_outage_is_sent_by_the_sweep(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    with queue_unreachable(monkeypatch):
        row = await queue()
    assert await mailbox.settle() == []

    # when
    swept = await sweep_outbox()

    # then
    assert swept >= 1
    [message] = await mailbox.settle()
    assert message["Subject"] == "Reset your password"
    await row.refresh_from_db()
    assert row.state == OutboxState.SENT


async def test_the_job_run_twice_sends_one_email(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    with queue_unreachable(monkeypatch):
        row = await queue()

    # when
    together = await asyncio.gather(send_email(row.id), send_email(row.id))
    later = await send_email(row.id)

    # then
    assert sorted(together) == ["SENT", "SKIPPED"]
    assert later == "SKIPPED"
    assert len(await mailbox.settle()) == 1
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.SENT, 1)


async def test_temporary_refusals_are_retried_with_back_off_until_accepted(
    mailbox: Mailbox, smtp: SmtpServer, settings: Settings
) -> None:
    # given: the server answers 451 twice
    smtp.refuse_next(2)
    row = await queue()
    assert await mailbox.settle() == []
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert "451" in row.last_error

    # when: not yet due, then due after each back-off
    assert await sweep_outbox() == 0
    for attempts in (1, 2):
        clock.travel(services.retry_delay(settings, attempts))
        await sweep_outbox()
        await mailbox.settle()

    # then
    assert len(await mailbox.settle()) == 1
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.SENT, 3)
    assert services.retry_delay(settings, 2) == 2 * services.retry_delay(settings, 1)


async def test_after_the_last_attempt_the_email_is_failed_with_its_error(
    mailbox: Mailbox,
    smtp: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given
    monkeypatch.setattr(settings, "mail_max_attempts", 3)
    smtp.refuse_next(100)
    row = await queue()
    await mailbox.settle()

    # when
    for attempts in (1, 2, 3):
        clock.travel(services.retry_delay(settings, attempts))
        await sweep_outbox()
        await mailbox.settle()

    # then
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.FAILED, 3)
    assert "451" in row.last_error
    assert row.next_attempt_at is None
    assert await mailbox.settle() == []


async def test_a_permanent_refusal_fails_at_once(mailbox: Mailbox, smtp: SmtpServer) -> None:
    # given
    smtp.reject_recipient("gone@example.com")

    # when
    row = await queue(to="gone@example.com")
    await mailbox.settle()

    # then
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.FAILED, 1)
    assert "550" in row.last_error


class _DyingMailer:
    """The worker is killed while talking to the mail server."""

    async def send(self, message: EmailMessage, *, outbox_id: int) -> None:
        raise asyncio.CancelledError


async def test_an_email_stuck_in_sending_is_taken_again_after_the_timeout(
    mailbox: Mailbox,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given
    with queue_unreachable(monkeypatch):
        row = await queue()
    with monkeypatch.context() as patch:
        patch.setattr(mailer, "mailer_for", lambda settings: _DyingMailer())
        with pytest.raises(asyncio.CancelledError):
            await send_email(row.id)
    await row.refresh_from_db()
    assert row.state == OutboxState.SENDING

    # when
    assert await sweep_outbox() == 0
    clock.travel(dt.timedelta(seconds=settings.mail_sending_timeout_seconds + 1))
    await sweep_outbox()

    # then
    assert len(await mailbox.settle()) == 1
    await row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.SENT, 2)


def test_the_sweep_runs_every_minute_once_at_a_time() -> None:
    [sweep] = [job for job in cron_jobs() if job.name == "cron:sweep_outbox"]
    assert sweep.unique
    assert sweep.minute is None
    assert sweep.second == {0}
