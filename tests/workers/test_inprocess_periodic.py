"""The embedded default has no arq cron: its in-process dispatcher runs the
periodic jobs itself, so an email whose enqueue was lost is still sent."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from csm_graph import jobs
from csm_graph.notifications.models import OutboxState
from csm_graph.settings import Settings
from csm_graph.workers.settings import PERIODIC, cron_jobs, job_functions
from tests.workers.test_notifications_jobs import queue, queue_unreachable


def test_every_cron_job_also_runs_periodically_in_process() -> None:
    assert {job.name.removeprefix("cron:") for job in cron_jobs()} == set(PERIODIC)


async def test_the_in_process_sweep_sends_a_row_whose_enqueue_was_lost(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the change committed, but its job never started
    with queue_unreachable(monkeypatch):
        row = await queue(key="periodic:1")
    ctx: dict[str, Any] = {"settings": settings}
    dispatcher = jobs.InProcessDispatcher(job_functions(), ctx)

    # when: the periodic sweep runs (at a short interval for the test)
    dispatcher.schedule("sweep_outbox", 0.05)
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
