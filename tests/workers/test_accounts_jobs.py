"""Account jobs, run by a real arq worker on real Redis in both test modes."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job
from arq.worker import Worker

from csm_graph import clock, jobs
from csm_graph.accounts.models import RefreshToken
from csm_graph.accounts.sessions import purge_expired_tokens
from csm_graph.settings import Settings
from csm_graph.workers.settings import worker_settings
from tests.support import login, make_user


@pytest.fixture
def queue_name(settings: Settings) -> str:
    return f"{settings.redis_prefix}jobs-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def arq_pool(redis_url: str, queue_name: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_url), default_queue_name=queue_name)
    yield pool
    keys = [k async for k in pool.scan_iter(match=f"{queue_name}*")]
    if keys:
        await pool.delete(*keys)
    await pool.aclose()


async def _run_burst_worker(settings: Settings, redis_url: str, queue_name: str) -> Worker:
    """The product's worker configuration on a private queue, until the queue is empty."""
    options = worker_settings(settings.model_copy(update={"redis_url": redis_url}))
    options.update(
        queue_name=queue_name,
        health_check_key=f"{queue_name}:health-check",
        cron_jobs=[],
        poll_delay=0.05,
    )
    worker = Worker(**options, burst=True, handle_signals=False)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def _sessions(http: httpx.AsyncClient) -> tuple[int, int]:
    """An expired refresh token and a live one, as the product clock sees them."""
    await make_user("old@example.com")
    await make_user("new@example.com")
    await login(http, "old@example.com")
    clock.travel(dt.timedelta(days=31))
    await login(http, "new@example.com")
    old = await RefreshToken.get(user__email="old@example.com")
    new = await RefreshToken.get(user__email="new@example.com")
    return old.id, new.id


async def test_purge_expired_tokens_runs_on_a_real_worker(
    http: httpx.AsyncClient,
    settings: Settings,
    redis_url: str,
    queue_name: str,
    arq_pool: ArqRedis,
) -> None:
    # given
    expired, live = await _sessions(http)
    job = await arq_pool.enqueue_job("purge_expired_tokens")
    assert job is not None

    # when
    worker = await _run_burst_worker(settings, redis_url, queue_name)

    # then
    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    assert await job.result(timeout=5) == 1
    assert await RefreshToken.filter(id=expired).count() == 0
    assert await RefreshToken.filter(id=live).count() == 1


async def test_purging_twice_is_harmless(
    http: httpx.AsyncClient,
    settings: Settings,
    redis_url: str,
    queue_name: str,
    arq_pool: ArqRedis,
) -> None:
    # given
    _, live = await _sessions(http)
    first = await arq_pool.enqueue_job("purge_expired_tokens")
    second = await arq_pool.enqueue_job("purge_expired_tokens")
    assert first is not None
    assert second is not None

    # when
    await _run_burst_worker(settings, redis_url, queue_name)

    # then
    assert sorted([await first.result(timeout=5), await second.result(timeout=5)]) == [0, 1]
    assert await RefreshToken.all().values_list("id", flat=True) == [live]


async def test_the_products_own_dispatch_reaches_the_worker(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """With Redis configured, `Job.later` goes to the worker the suite runs;
    without it, the job runs in-process."""
    # given
    expired, live = await _sessions(http)
    job_id = f"purge-{uuid.uuid4().hex}"

    # when
    await purge_expired_tokens.later(job_id=job_id)

    # then
    dispatcher = jobs.get_dispatcher()
    if isinstance(dispatcher, jobs.ArqDispatcher):
        job = Job(job_id, dispatcher.pool, _queue_name=settings.arq_queue_name)
        assert await job.result(timeout=10) == 1
    else:
        assert isinstance(dispatcher, jobs.InProcessDispatcher)
        await dispatcher.drain()
    assert await RefreshToken.filter(id=expired).count() == 0
    assert await RefreshToken.filter(id=live).count() == 1
