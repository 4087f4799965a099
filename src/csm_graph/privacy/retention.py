"""Retention: personal data is not kept longer than the deployment says.

A periodic job (`apply_retention`) does two things, each off until its
setting is above zero:

- `RETENTION_INACTIVE_DAYS`: consumers without activity for that many days
  are erased (`erasure.erase`, as the system). Activity is the latest of:
  the record's creation or last change, a login of its account, the
  creation or last change of a case about them, and an answered survey. A
  consumer with a case still open, under a legal hold, already erased or
  merged into another record (erased with its survivor) is left alone.
- `RETENTION_OUTBOX_DAYS`: sent emails older than that lose their content
  (the template's variables, which held names, case texts and links); the
  row stays with its recipient, template, state and times.

The audit trail records each change of these settings the job sees
(`RETENTION_CONFIGURED`) and each run that changed something
(`RETENTION_APPLIED`, with counts).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Subquery

from csm_graph import clock, db
from csm_graph.accounts.models import User
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.audit.services import record
from csm_graph.cases.models import FINAL_STATES, Case
from csm_graph.consumers.models import Consumer
from csm_graph.errors import UserErrors
from csm_graph.jobs import job
from csm_graph.notifications.models import OutboxState
from csm_graph.privacy import erasure
from csm_graph.privacy.models import ErasureRequest, ErasureState
from csm_graph.settings import Settings, get_settings
from csm_graph.surveys.models import Survey
from csm_graph.transactions import unit_of_work

log = logging.getLogger(__name__)

ERASE_BATCH = 100
"""Most consumers one run erases (each in its own transaction); the next run goes on."""


@dataclass(frozen=True)
class RetentionSettings:
    inactive_days: int
    outbox_days: int

    @classmethod
    def of(cls, settings: Settings) -> RetentionSettings:
        return cls(
            inactive_days=max(settings.retention_inactive_days, 0),
            outbox_days=max(settings.retention_outbox_days, 0),
        )

    def as_data(self) -> dict[str, Any]:
        return {"inactive_days": self.inactive_days, "outbox_days": self.outbox_days}


OFF = RetentionSettings(inactive_days=0, outbox_days=0)


def reason(days: int) -> str:
    return f"Retention: no activity for {days} days (RETENTION_INACTIVE_DAYS)."


@job(name="apply_retention", timeout=1800, max_tries=1)
async def apply_retention() -> dict[str, int]:
    """Erase inactive consumers and empty old sent emails, as the settings say."""
    wanted = RetentionSettings.of(get_settings())
    await _note_settings(wanted)
    counts: dict[str, int] = {}
    if wanted.inactive_days:
        counts["consumers_erased"] = await erase_inactive(wanted.inactive_days)
    if wanted.outbox_days:
        counts["emails_emptied"] = await empty_old_emails(wanted.outbox_days)
    if any(counts.values()):
        async with unit_of_work():
            data: dict[str, Any] = {**wanted.as_data(), **counts}
            await record(AuditKind.RETENTION_APPLIED, None, **data)
        log.info("retention applied: %s", counts)
    return counts


async def _note_settings(wanted: RetentionSettings) -> None:
    """A RETENTION_CONFIGURED event when the settings differ from the last one
    recorded (nothing recorded counts as off)."""
    last = await AuditEvent.filter(kind=AuditKind.RETENTION_CONFIGURED).order_by("-id").first()
    known = OFF
    if last is not None:
        known = RetentionSettings(
            inactive_days=int(last.data.get("inactive_days", 0)),
            outbox_days=int(last.data.get("outbox_days", 0)),
        )
    if known != wanted:
        async with unit_of_work():
            data: dict[str, Any] = wanted.as_data()
            await record(AuditKind.RETENTION_CONFIGURED, None, **data)


async def inactive_consumer_ids(days: int, limit: int = ERASE_BATCH) -> list[int]:
    """Consumers whose latest activity is more than `days` days old (see the
    module's description), oldest id first."""
    cutoff = clock.now() - dt.timedelta(days=days)
    recent_cases = Case.filter(updated_at__gte=cutoff).values("consumer_id")
    new_cases = Case.filter(created_at__gte=cutoff).values("consumer_id")
    open_cases = Case.filter(state__not_in=list(FINAL_STATES)).values("consumer_id")
    answered = Survey.filter(answered_at__gte=cutoff).values("consumer_id")
    logged_in = Consumer.filter(
        user_id__in=Subquery(User.filter(last_login_at__gte=cutoff).values("id"))
    ).values("id")
    erased = ErasureRequest.filter(state=ErasureState.DONE).values("consumer_id")
    rows: list[Any] = await (
        Consumer.filter(
            merged_into_id__isnull=True,
            legal_hold=False,
            created_at__lt=cutoff,
            updated_at__lt=cutoff,
        )
        .exclude(id__in=Subquery(recent_cases))
        .exclude(id__in=Subquery(new_cases))
        .exclude(id__in=Subquery(open_cases))
        .exclude(id__in=Subquery(answered))
        .exclude(id__in=Subquery(logged_in))
        .exclude(id__in=Subquery(erased))
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [int(i) for i in rows]


async def erase_inactive(days: int) -> int:
    """Erase up to one batch of inactive consumers; returns how many."""
    erased = 0
    for consumer_id in await inactive_consumer_ids(days):
        try:
            await erasure.erase(None, consumer_id, reason(days))
        except UserErrors as exc:
            # Held or merged since it was listed: the next run looks again.
            log.info("retention skipped consumer %s: %s", consumer_id, exc)
            continue
        erased += 1
    return erased


_EMPTY_SENT = (
    "UPDATE outbox_email SET context = '{}' WHERE state = ? AND sent_at < ?"
    " AND CAST(context AS TEXT) <> '{}' RETURNING id"
)


async def empty_old_emails(days: int) -> int:
    """Empty the content of emails sent more than `days` days ago; returns how
    many had any (sending already drops it, so older rows are the ones left)."""
    cutoff = clock.now() - dt.timedelta(days=days)
    async with unit_of_work():
        rows = await db.fetch(_EMPTY_SENT, [OutboxState.SENT.value, cutoff])
    return len(rows)
