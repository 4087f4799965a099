"""The retention job: inactive consumers are erased and old sent emails lose
their content, only as far as RETENTION_INACTIVE_DAYS and
RETENTION_OUTBOX_DAYS say, and not at all while they are off."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from csm_graph import clock
from csm_graph.accounts.models import UserType
from csm_graph.audit.models import AuditEvent, AuditKind
from csm_graph.cases.models import Case, CaseState
from csm_graph.consumers.models import Consumer
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.privacy.erasure import is_erased
from csm_graph.privacy.retention import apply_retention
from csm_graph.settings import Settings
from tests.privacy.helpers import snapshot
from tests.schema.consumers.helpers import make_consumer
from tests.support import login, make_user

CONTEXT = {"name": "Rosalind", "link": "https://portal.example/cases/CS1"}


async def email(key: str, state: OutboxState, sent_days_ago: int | None) -> OutboxEmail:
    now = clock.now()
    sent_at = now - dt.timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return await OutboxEmail.create(
        key=key,
        template="case_created",
        recipient=f"{key}@example.com",
        context=CONTEXT,
        state=state,
        message_id=f"<{key}@csm-graph.local>",
        created_at=sent_at or now - dt.timedelta(days=90),
        sent_at=sent_at,
    )


async def people(http: httpx.AsyncClient) -> dict[str, Consumer]:
    """Four consumers created now; the clock then moves 400 days on."""
    found = {
        name: await make_consumer(first_name=name.title(), last_name="Retained")
        for name in ("idle", "returning", "waiting", "held")
    }
    user = await make_user("returning@example.com", user_type=UserType.EXTERNAL)
    await Consumer.filter(id=found["returning"].id).update(user_id=user.id)
    await Case.create(
        number="CS8800001",
        short_description="Still open",
        consumer_id=found["waiting"].id,
        state=CaseState.OPEN,
    )
    await Consumer.filter(id=found["held"].id).update(legal_hold=True)
    clock.travel(dt.timedelta(days=400))
    await login(http, "returning@example.com")  # activity: a login, today
    return found


def retain(monkeypatch: pytest.MonkeyPatch, settings: Settings, inactive: int, outbox: int) -> None:
    monkeypatch.setattr(settings, "retention_inactive_days", inactive)
    monkeypatch.setattr(settings, "retention_outbox_days", outbox)


async def events(kind: AuditKind) -> list[dict[str, Any]]:
    return [e.data for e in await AuditEvent.filter(kind=kind).order_by("id")]


async def test_only_the_inactive_consumer_and_old_sent_emails_are_touched(
    http: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    found = await people(http)
    old_sent = await email("old-sent", OutboxState.SENT, sent_days_ago=40)
    recent_sent = await email("recent-sent", OutboxState.SENT, sent_days_ago=5)
    old_failed = await email("old-failed", OutboxState.FAILED, sent_days_ago=None)
    retain(monkeypatch, settings, inactive=365, outbox=30)

    # when
    counts = await apply_retention()

    # then: the idle consumer only is erased
    assert counts == {"consumers_erased": 1, "emails_emptied": 1}
    erased = {name: await is_erased(c.id) for name, c in found.items()}
    assert erased == {"idle": True, "returning": False, "waiting": False, "held": False}
    idle = await Consumer.get(id=found["idle"].id)
    assert idle.full_name == f"Erased consumer {idle.number}"
    for name in ("returning", "waiting", "held"):
        assert (await Consumer.get(id=found[name].id)).first_name == name.title()
    # the old sent email keeps its row, without content; the others keep theirs
    await old_sent.refresh_from_db()
    assert (old_sent.context, old_sent.recipient, old_sent.state) == (
        {},
        "old-sent@example.com",
        OutboxState.SENT,
    )
    for kept in (recent_sent, old_failed):
        await kept.refresh_from_db()
        assert kept.context == CONTEXT
    # the trail: the settings seen, what was applied, the erasure by the system
    assert await events(AuditKind.RETENTION_CONFIGURED) == [
        {"inactive_days": 365, "outbox_days": 30}
    ]
    assert await events(AuditKind.RETENTION_APPLIED) == [
        {"inactive_days": 365, "outbox_days": 30, "consumers_erased": 1, "emails_emptied": 1}
    ]
    [erasure] = await AuditEvent.filter(kind=AuditKind.CONSUMER_ERASED)
    assert (erasure.consumer_id, erasure.actor_id) == (found["idle"].id, None)

    # and a second run finds nothing more to do, and records nothing
    before = await snapshot()
    assert await apply_retention() == {"consumers_erased": 0, "emails_emptied": 0}
    assert await snapshot() == before


async def test_with_the_settings_off_nothing_happens(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    # given: the defaults (both off), inactive consumers and old sent emails
    assert (settings.retention_inactive_days, settings.retention_outbox_days) == (0, 0)
    await people(http)
    await email("old-sent", OutboxState.SENT, sent_days_ago=4000)
    before = await snapshot()

    # when
    counts = await apply_retention()

    # then
    assert counts == {}
    assert await snapshot() == before


async def test_a_change_of_settings_is_recorded_once(
    http: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    retain(monkeypatch, settings, inactive=0, outbox=30)

    # when: two runs with one setting, then one with both off again
    await apply_retention()
    await apply_retention()
    retain(monkeypatch, settings, inactive=0, outbox=0)
    await apply_retention()

    # then
    assert await events(AuditKind.RETENTION_CONFIGURED) == [
        {"inactive_days": 0, "outbox_days": 30},
        {"inactive_days": 0, "outbox_days": 0},
    ]
    assert await events(AuditKind.RETENTION_APPLIED) == []
