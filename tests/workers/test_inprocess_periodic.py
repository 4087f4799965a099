"""The embedded default has no arq cron: its in-process dispatcher runs the
periodic jobs itself, so an email whose enqueue was lost is still sent."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from csm_graph import jobs
from csm_graph.notifications.models import OutboxState
from csm_graph.notifications.services import sweep_outbox
from csm_graph.workers.catalogue import JOBS, PERIODIC
from csm_graph.workers.settings import cron_jobs
from tests.workers.test_notifications_jobs import queue, queue_unreachable


def test_one_table_drives_arq_cron_and_the_in_process_schedule() -> None:
    assert [job.name for job in cron_jobs()] == [f"cron:{p.job.name}" for p in PERIODIC]
    assert {p.job for p in PERIODIC} <= set(JOBS)


async def test_the_in_process_sweep_sends_a_row_whose_enqueue_was_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: the change committed, but its job never started
    with queue_unreachable(monkeypatch):
        row = await queue(key="periodic:1")
    dispatcher = jobs.InProcessDispatcher(JOBS)

    # when: the periodic sweep runs (at a short interval for the test)
    [sweep] = [p for p in PERIODIC if p.job is sweep_outbox]
    dispatcher.schedule(dataclasses.replace(sweep, every_seconds=0.05))
    try:
        for _ in range(200):
            await row.refresh_from_db()
            if row.state == OutboxState.SENT:
                break
            await asyncio.sleep(0.05)
    finally:
        await dispatcher.close()

    # then
    assert row.state == OutboxState.SENT
