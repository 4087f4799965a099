"""The notifications rules: queue an email with the change that causes it, send it once.

Every email is an outbox row first, written in the caller's transaction, so
it exists exactly when the change does. A job sends it after commit; the
minutely sweep sends whatever that job did not (Redis down at commit time,
a retry coming due, a worker killed mid-send).

Sending is at-least-once made once in practice: a job sends only after a
single conditional UPDATE claims the row (PENDING or a lapsed SENDING, and
due), so a repeated job or a second worker finds nothing to do. Marking the
row SENT is retried on connection errors (`RECORD_ATTEMPTS`), so a dropped
database connection does not send the email again. Only a worker that dies
between the SMTP hand-over and that UPDATE, or a database unreachable for
longer than the retries, can cause a second copy, after
`mail_sending_timeout_seconds`; the copy keeps the same Message-ID.

Retries are scheduled on the row (`next_attempt_at`), not in the queue, so
they survive restarts and a lost Redis, and follow the one clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from enum import StrEnum
from typing import Any, TypeVar

import asyncpg
import jinja2
from opentelemetry.trace import SpanKind
from tortoise.exceptions import DBConnectionError, IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from csm_graph import clock, tracing
from csm_graph.jobs import doubling_delay, job
from csm_graph.notifications import mailer, recipients, rendering
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.settings import Settings, get_settings
from csm_graph.transactions import unit_of_work

log = logging.getLogger(__name__)

_CLAIMABLE = (OutboxState.PENDING, OutboxState.SENDING)
_ERROR_LIMIT = 2000

RECORD_ATTEMPTS = 7
RECORD_FIRST_DELAY_SECONDS = 0.1
"""Writing a claimed row's outcome is tried this often on a connection error,
0.1 s apart at first and doubling (6.3 s in all), before the job gives up."""

SWEEP_POLL_SECONDS = 0.2
"""How often a sweep with more due than one batch looks for claimed emails."""

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    DBConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server shutting down or killing us
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,  # the connection closed under us
    # A connection the server dropped mid-statement: "cannot switch to state
    # N; another operation is in progress". The pool discards it on release.
    asyncpg.InternalClientError,
)
"""Errors after which the same statement on a new connection may well succeed."""

_T = TypeVar("_T")

LANGUAGE_KEY = "email_language"
"""The context entry of a language given at queue time (`queue_email(language=...)`)."""


class SendOutcome(StrEnum):
    SENT = "SENT"
    RETRY = "RETRY"
    """Failed this time; due again at the row's `next_attempt_at`."""
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    """Nothing to send: already sent or failed, claimed by another job, not yet
    due, or the row no longer exists."""


async def queue_email(
    *, template: str, to: str, context: dict[str, Any], key: str, language: str | None = None
) -> bool:
    """Write one outbox row in the caller's transaction and enqueue its sending after commit.

    `key` is unique per (event, recipient): a second call with the same key
    is a no-op (returns False). `context` must be JSON-serialisable; it is
    stored with the row and rendered at send time, in the recipient's
    language then (`recipients.language_of`), or in `language` when given
    (a language tag, for an address that may belong to nobody yet).
    """
    if template not in rendering.template_names():
        raise ValueError(f"no email template {template!r}")
    if language is not None:
        context = {**context, LANGUAGE_KEY: language}
    try:
        json.dumps(context)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"email context for {key!r} is not JSON-serialisable: {exc}") from exc
    now = clock.now()
    async with unit_of_work():
        if await OutboxEmail.filter(key=key).exists():
            return False
        try:
            # A savepoint: losing a race on the key must not abort the caller's transaction.
            async with in_transaction():
                row = await OutboxEmail.create(
                    key=key,
                    template=template,
                    recipient=to,
                    context=context,
                    state=OutboxState.PENDING,
                    next_attempt_at=now,
                    message_id=mailer.new_message_id(get_settings()),
                    created_at=now,
                )
        except IntegrityError:
            return False
        await send_email.later(row.id)
    return True


@job(name="send_email", timeout=120, max_tries=3)
async def send_email(outbox_id: int) -> SendOutcome:
    """Claim email `outbox_id` if it is due, send it, and record how that went."""
    settings = get_settings()
    now = clock.now()
    claimed = await OutboxEmail.filter(
        id=outbox_id, state__in=_CLAIMABLE, next_attempt_at__lte=now
    ).update(
        state=OutboxState.SENDING,
        attempts=F("attempts") + 1,
        next_attempt_at=now + dt.timedelta(seconds=settings.mail_sending_timeout_seconds),
    )
    if not claimed:
        return SendOutcome.SKIPPED
    row = await with_retries(lambda: OutboxEmail.get_or_none(id=outbox_id), "read", outbox_id)
    if row is None:
        # Deleted since the claim (an operator, a test's clean-up): nothing to send.
        log.info("email %s was deleted before it was sent", outbox_id)
        return SendOutcome.SKIPPED
    given = row.context.get(LANGUAGE_KEY)
    requested = given if isinstance(given, str) else None
    if requested is None:
        requested = await with_retries(
            lambda: recipients.language_of(row.recipient), "read language", outbox_id
        )
    locale = rendering.choose_locale(
        requested, default=settings.mail_default_language, time_zone=settings.mail_time_zone
    )
    try:
        rendered = rendering.render(row.template, row.context, locale)
        message = mailer.build_message(
            settings, to=row.recipient, rendered=rendered, message_id=row.message_id, key=row.key
        )
    except (LookupError, jinja2.TemplateError) as exc:
        return await _record_failure(row, exc, permanent=True)
    try:
        with tracing.span(
            "email send",
            kind=SpanKind.CLIENT,
            attributes={
                "csm.email.template": row.template,
                "csm.email.outbox_id": row.id,
                "csm.email.attempt": row.attempts,
                "server.address": settings.smtp_host if settings.smtp_host else "file",
            },
        ):
            await mailer.mailer_for(settings).send(message, outbox_id=row.id)
    except mailer.PermanentMailError as exc:
        return await _record_failure(row, exc, permanent=True)
    except Exception as exc:
        # Whatever went wrong (connection, timeout, 4xx), the row records it and retries.
        return await _record_failure(row, exc, permanent=False)
    # The mail server has the email: from here until this UPDATE commits, a
    # lost claim means a second copy, so a dropped connection is retried.
    # A sent email's context is no longer needed, and may hold links with
    # tokens (verification, reset, survey): it is not kept.
    await with_retries(
        lambda: OutboxEmail.filter(id=row.id, state=OutboxState.SENDING).update(
            state=OutboxState.SENT, sent_at=clock.now(), next_attempt_at=None, context={}
        ),
        "mark sent",
        row.id,
    )
    return SendOutcome.SENT


async def with_retries(statement: Callable[[], Awaitable[_T]], what: str, outbox_id: int) -> _T:
    """Run `statement` (idempotent), again on a new connection after a connection
    error, up to `RECORD_ATTEMPTS` times with doubling pauses."""
    delay = RECORD_FIRST_DELAY_SECONDS
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            return await statement()
        except CONNECTION_ERRORS as exc:
            if attempt == RECORD_ATTEMPTS:
                log.error(
                    "email %s: %s failed %d times, last with %s: %s",
                    outbox_id,
                    what,
                    attempt,
                    type(exc).__name__,
                    exc,
                )
                raise
            log.warning(
                "email %s: %s failed (%s: %s), trying again in %.1f s",
                outbox_id,
                what,
                type(exc).__name__,
                exc,
                delay,
            )
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


def retry_delay(settings: Settings, attempts: int) -> dt.timedelta:
    """Back-off after `attempts` failed sends (MAIL_RETRY_*)."""
    return doubling_delay(
        settings.mail_retry_base_seconds, settings.mail_retry_max_seconds, attempts
    )


async def _record_failure(row: OutboxEmail, exc: Exception, *, permanent: bool) -> SendOutcome:
    settings = get_settings()
    error = f"{type(exc).__name__}: {exc}"[:_ERROR_LIMIT]
    give_up = permanent or row.attempts >= settings.mail_max_attempts
    if give_up:
        state, next_attempt_at, outcome = OutboxState.FAILED, None, SendOutcome.FAILED
    else:
        next_attempt_at = clock.now() + retry_delay(settings, row.attempts)
        state, outcome = OutboxState.PENDING, SendOutcome.RETRY
    # Only this claim's outcome: if the row was claimed again meanwhile, that claim decides.
    await with_retries(
        lambda: OutboxEmail.filter(
            id=row.id, state=OutboxState.SENDING, attempts=row.attempts
        ).update(state=state, next_attempt_at=next_attempt_at, last_error=error),
        "record failure",
        row.id,
    )
    log.warning(
        "email %s (%s) attempt %d failed%s: %s",
        row.id,
        row.template,
        row.attempts,
        ", giving up" if give_up else "",
        error,
    )
    return outcome


async def due_outbox_ids(limit: int, *, besides: Collection[int] = ()) -> list[int]:
    """Emails due now: PENDING ones whose time has come and SENDING ones whose
    claim lapsed, oldest first, other than `besides`."""
    query = OutboxEmail.filter(state__in=_CLAIMABLE, next_attempt_at__lte=clock.now())
    if besides:
        query = query.exclude(id__in=list(besides))
    rows = await query.order_by("next_attempt_at", "id").limit(limit).only("id")
    return [row.id for row in rows]


async def _still_due(ids: Collection[int]) -> set[int]:
    """Which of `ids` no job has claimed yet."""
    if not ids:
        return set()
    rows = await OutboxEmail.filter(
        id__in=list(ids), state__in=_CLAIMABLE, next_attempt_at__lte=clock.now()
    ).only("id")
    return {row.id for row in rows}


SWEEP_BUDGET_SECONDS = 50.0
"""Within the sweep job's timeout, and ended before the next minute's sweep starts."""


@job(name="sweep_outbox", timeout=60, max_tries=1)
async def sweep_outbox() -> int:
    """Enqueue due and stalled outbox emails (every minute, and when a worker starts).

    A backlog larger than one batch is drained within this run, for up to
    `SWEEP_BUDGET_SECONDS`, as fast as the send jobs claim it.
    """
    return await sweep(budget_seconds=SWEEP_BUDGET_SECONDS)


async def sweep(budget_seconds: float = 0.0) -> int:
    """Enqueue every due email; returns how many. A duplicate job is harmless: it claims nothing.

    At most `mail_sweep_batch` of its jobs wait in the queue at a time. When
    more are due (a backlog after an outage), the sweep stays for up to
    `budget_seconds`, topping the queue up as jobs claim their emails, so a
    backlog drains as fast as the workers and the mail server go, not one
    batch a minute. What is left after the budget, the next sweep takes.
    """
    batch = get_settings().mail_sweep_batch
    deadline = time.monotonic() + budget_seconds
    waiting: set[int] = set()  # enqueued by this sweep, not yet claimed
    enqueued = 0
    while True:
        room = batch - len(waiting)
        fresh = await due_outbox_ids(room, besides=waiting) if room > 0 else []
        for outbox_id in fresh:
            await send_email.later(outbox_id)
        waiting.update(fresh)
        enqueued += len(fresh)
        if len(fresh) < room:
            return enqueued  # everything due is in the queue
        if time.monotonic() >= deadline:
            if budget_seconds > 0:
                log.info("outbox sweep: %d enqueued, more due; the next sweep goes on", enqueued)
            return enqueued
        await asyncio.sleep(SWEEP_POLL_SECONDS)
        waiting = await _still_due(waiting)
