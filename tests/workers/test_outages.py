"""Outages around a real `csm-graph worker` process, with real Redis, PostgreSQL
and SMTP: Redis going away and coming back, the database dropping the
worker's connections mid-batch, and a backlog after an outage. And a send
job whose row was deleted meanwhile (both backends)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import func
from redis.exceptions import WatchError
from tortoise import connections

from csm_graph import jobs
from csm_graph.jobs import ArqDispatcher
from csm_graph.notifications import services
from csm_graph.notifications.models import OutboxEmail, OutboxState
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work
from csm_graph.workers import supervise
from csm_graph.workers.settings import worker_settings as arq_options
from csm_graph.workers.supervise import Backoff, without_connect_retries
from tests.mail import SmtpServer
from tests.processes import RedisServer, free_port
from tests.workers.test_notifications_jobs import CONTEXT
from tests.workers.test_worker_process import spawn_worker, stop, worker_check

WORKER_APPLICATION_NAME = "csm-outage-worker"


class _LostQueue:
    """Jobs vanish: Redis was flushed, or down, when the emails were queued
    (quietly: `queue_unreachable`'s logged tracebacks would slow a big batch)."""

    async def dispatch(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        pass

    async def close(self) -> None:
        pass


async def _queue_lost(monkeypatch: pytest.MonkeyPatch, prefix: str, count: int) -> None:
    """`count` emails whose jobs were lost: a backlog only a sweep will find."""
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "get_dispatcher", _LostQueue)
        await _queue_many(prefix, count)


def _needs_worker_processes(settings: Settings) -> None:
    if not settings.uses_redis:
        pytest.skip("worker processes need Redis and PostgreSQL (CSM_TEST_DB=postgres)")


def _private(settings: Settings, name: str, **changes: Any) -> Settings:
    """The test settings on a queue of their own (the session's in-process
    worker stays out), without the in-process periodic jobs."""
    return settings.model_copy(
        update={
            "arq_queue_name": f"{settings.arq_queue_name}:{name}",
            "inprocess_periodic_jobs": False,
            **changes,
        }
    )


async def _until(
    condition: Callable[[], Awaitable[bool]], what: str, seconds: float, pause: float = 0.05
) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, f"timed out after {seconds:.0f}s waiting for {what}"
        await asyncio.sleep(pause)


async def _queue_many(prefix: str, count: int) -> None:
    """`count` emails in transactions of 100, as a busy API writes them."""
    for first in range(0, count, 100):
        async with unit_of_work():
            for n in range(first, min(first + 100, count)):
                await services.queue_email(
                    template="password_reset",
                    to=f"user{n}@example.com",
                    context=CONTEXT,
                    key=f"{prefix}:{n}",
                )


def _tail(log_path: Path, lines: int = 60) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _keys(smtp_server: SmtpServer) -> Counter[str]:
    return Counter(str(m["X-CSM-Outbox-Key"]) for m in smtp_server.received())


async def _worker_up(dispatcher: ArqDispatcher, settings: Settings) -> bool:
    """The worker's health record is there (what `worker --check` reads, without
    starting a process for each look)."""
    return bool(await dispatcher.pool.exists(f"{settings.arq_queue_name}:health-check"))


@pytest.fixture
async def private_redis(settings: Settings, tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A `redis-server` of this test's own, which it may stop and start again."""
    _needs_worker_processes(settings)
    server = RedisServer(tmp_path / "redis")
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def test_a_worker_outlives_a_redis_outage_and_sends_what_was_queued_meanwhile(
    settings: Settings,
    private_redis: RedisServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a worker process on a Redis of the test's own, sending as usual
    smtp_server.reset()
    worker_settings = _private(settings, "outage", redis_url=private_redis.url)
    worker = spawn_worker(worker_settings, tmp_path / "worker")
    log_path = tmp_path / "worker" / "worker.log"
    dispatcher = await ArqDispatcher.connect(worker_settings)
    monkeypatch.setattr(jobs, "get_dispatcher", lambda: dispatcher)
    try:
        await _until(lambda: _worker_up(dispatcher, worker_settings), "a healthy worker", 20)
        await _queue_many("before", 5)

        async def before_sent() -> bool:
            return len(smtp_server.received()) == 5

        await _until(before_sent, "the emails queued before the outage", 15)

        # when: Redis goes away; emails queued meanwhile wait in the outbox
        await asyncio.to_thread(private_redis.stop)
        await _queue_many("during", 20)
        assert await OutboxEmail.filter(key__startswith="during:", state="PENDING").count() == 20

        async def outage_noticed() -> bool:
            # twice: losing Redis, then failing to reach it again, and backing off
            text = await asyncio.to_thread(log_path.read_text, errors="replace")
            return worker.poll() is not None or text.count("lost its connection") >= 2

        await _until(outage_noticed, "the worker to notice the outage", 15, 0.1)
        assert worker.poll() is None, f"the worker exited when Redis went away:\n{_tail(log_path)}"
        # and Redis comes back, empty, on the same port
        await asyncio.to_thread(private_redis.start)
        back = time.monotonic()

        # then: without a restart, every email arrives exactly once
        async def all_sent() -> bool:
            return await OutboxEmail.filter(state=OutboxState.SENT).count() == 25

        await _until(all_sent, "the emails queued during the outage", 30, 0.1)
        recovery = time.monotonic() - back
        assert worker.poll() is None
        assert await asyncio.to_thread(worker_check, worker_settings, tmp_path) == 0
    finally:
        await asyncio.to_thread(stop, worker)
        await dispatcher.close()
    keys = _keys(smtp_server)
    expected = {f"before:{n}" for n in range(5)} | {f"during:{n}" for n in range(20)}
    assert set(keys) == expected
    assert max(keys.values()) == 1, [k for k, count in keys.items() if count > 1]
    # reconnect back-off (1, 2, 4 s ...) plus the start-up sweep
    assert recovery < 20
    assert worker.returncode == 0


async def test_dropped_database_connections_mid_batch_send_no_email_twice(
    settings: Settings,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a batch in the outbox, and a worker process whose database
    # connections carry a name of their own; claims lapse after ten seconds
    # (longer than the 6.3 s a marking is retried, shorter than the test)
    _needs_worker_processes(settings)
    emails = 300
    smtp_server.reset()
    await _queue_lost(monkeypatch, "dropped", emails)
    worker_settings = _private(
        settings,
        "dropped",
        database_url=f"{settings.database_url}?application_name={WORKER_APPLICATION_NAME}",
        mail_sending_timeout_seconds=10,
    )
    worker = spawn_worker(worker_settings, tmp_path / "worker")
    dispatcher = await ArqDispatcher.connect(worker_settings)
    monkeypatch.setattr(jobs, "get_dispatcher", lambda: dispatcher)
    admin = await asyncpg.connect(settings.database_url)
    try:
        await _until(lambda: _worker_up(dispatcher, worker_settings), "a healthy worker", 20)
        await services.sweep()

        # when: the database terminates the worker's connections, again and again, while it sends
        terminated = 0
        started = time.monotonic()
        while len(smtp_server.received()) < emails and time.monotonic() - started < 5:
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND application_name = $1",
                WORKER_APPLICATION_NAME,
            )
            terminated += sum(1 for (done,) in rows if done)
            await asyncio.sleep(0.1)
        assert terminated > 0

        # then: what a failed job left behind is swept up (lapsed claims included)
        async def all_sent() -> bool:
            if await OutboxEmail.filter(state=OutboxState.SENT).count() == emails:
                return True
            if await dispatcher.pool.zcard(worker_settings.arq_queue_name) == 0:
                await services.sweep()
            return False

        await _until(all_sent, "every email to be sent", 35, 0.5)
    finally:
        await admin.close()
        await asyncio.to_thread(stop, worker)
        await dispatcher.pool.delete(worker_settings.arq_queue_name)
        await dispatcher.close()

    # and each arrived exactly once
    keys = _keys(smtp_server)
    assert set(keys) == {f"dropped:{n}" for n in range(emails)}
    assert max(keys.values()) == 1, [k for k, count in keys.items() if count > 1]


async def test_one_sweep_drains_a_backlog_larger_than_its_batch(
    settings: Settings,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given: a worker process whose sweep enqueues 200 at a time, and a backlog
    # of five such batches left by an outage (one batch per sweep, a sweep a
    # minute, would take five minutes)
    _needs_worker_processes(settings)
    batch, backlog = 200, 1000
    smtp_server.reset()
    worker_settings = _private(settings, "backlog", mail_sweep_batch=batch)
    worker = spawn_worker(worker_settings, tmp_path / "worker")
    dispatcher = await ArqDispatcher.connect(worker_settings)
    try:
        # (up first: its start-up sweep found an empty outbox)
        await _until(lambda: _worker_up(dispatcher, worker_settings), "a healthy worker", 20)
        await _queue_lost(monkeypatch, "backlog", backlog)

        # when: one sweep runs on the worker
        started = time.monotonic()
        sweep = await dispatcher.pool.enqueue_job(
            "sweep_outbox", _queue_name=worker_settings.arq_queue_name
        )
        assert sweep is not None

        # then: the whole backlog is sent within that sweep's run, well under a minute
        async def all_sent() -> bool:
            return len(smtp_server.received()) >= backlog

        await _until(all_sent, "the backlog to drain", 35, 0.1)
        drained = time.monotonic() - started
        # the sweep job itself ended well (the worker's cron may have run one too)
        assert await sweep.result(timeout=10) >= 0
    finally:
        await asyncio.to_thread(stop, worker)
        await dispatcher.pool.delete(worker_settings.arq_queue_name)
        await dispatcher.close()
    keys = _keys(smtp_server)
    assert set(keys) == {f"backlog:{n}" for n in range(backlog)}
    assert max(keys.values()) == 1
    assert await OutboxEmail.exclude(state=OutboxState.SENT).count() == 0
    assert drained < 35


_VANISH_SQLITE = """
CREATE TRIGGER outbox_vanish AFTER UPDATE OF state ON outbox_email
WHEN NEW.state = 'SENDING'
BEGIN DELETE FROM outbox_email WHERE id = NEW.id; END;
"""
_VANISH_POSTGRES = """
CREATE FUNCTION outbox_vanish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN DELETE FROM outbox_email WHERE id = NEW.id; RETURN NULL; END $$;
CREATE TRIGGER outbox_vanish AFTER UPDATE ON outbox_email
FOR EACH ROW WHEN (NEW.state = 'SENDING') EXECUTE FUNCTION outbox_vanish();
"""


async def test_a_send_job_whose_row_was_deleted_after_its_claim_ends_quietly(
    settings: Settings,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a queued email, deleted by the database the moment a job claims it
    # (as when the rows are wiped between the claim and the read)
    await _queue_lost(monkeypatch, "vanish", 1)
    row = await OutboxEmail.get(key="vanish:0")
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    await connection.execute_script(_VANISH_POSTGRES if postgres else _VANISH_SQLITE)
    smtp_server.reset()
    try:
        # when
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="csm_graph"):
            outcome = await services.send_email(row.id)
    finally:
        await connection.execute_script(
            "DROP TRIGGER IF EXISTS outbox_vanish ON outbox_email;"
            " DROP FUNCTION IF EXISTS outbox_vanish();"
            if postgres
            else "DROP TRIGGER IF EXISTS outbox_vanish;"
        )

    # then: nothing to send, nothing failed
    assert outcome == services.SendOutcome.SKIPPED
    assert not await OutboxEmail.filter(id=row.id).exists()
    assert smtp_server.received() == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("deleted before it was sent" in r.getMessage() for r in caplog.records)


def test_the_health_check_fails_fast_when_redis_does_not_answer(
    settings: Settings, tmp_path: Path
) -> None:
    """`worker --check` with Redis down says so at once: the compose health check has 10 s."""
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    started = time.monotonic()
    assert worker_check(down, tmp_path) == 1
    assert time.monotonic() - started < 4


def test_cron_runs_of_queues_sharing_one_redis_do_not_collide(settings: Settings) -> None:
    """arq's cron job ids (name and time) are global to a Redis: each queue's
    periodic jobs carry its name, so neither takes the other's sweeps."""
    redis = {"redis_url": "redis://127.0.0.1:6379/0"}
    first = arq_options(settings.model_copy(update={**redis, "arq_queue_name": "one:queue"}))
    second = arq_options(settings.model_copy(update={**redis, "arq_queue_name": "two:queue"}))
    names = [{job.name for job in options["cron_jobs"]} for options in (first, second)]
    assert "one:queue:cron:sweep_outbox" in names[0]
    assert names[0].isdisjoint(names[1])
    [sweep] = [job for job in first["cron_jobs"] if job.name.endswith("cron:sweep_outbox")]
    assert sweep.run_at_startup  # a worker back after an outage sweeps at once
    assert sweep.timeout_s == 60  # the job's own limit, not arq's 300 s default


def test_the_reconnect_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=1, cap=30)
    assert [backoff.next() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next() == 1


async def test_redis_lost_while_arq_watches_a_key_restarts_the_worker_instead_of_ending_it(
    private_redis: RedisServer,
) -> None:
    # given: a burst worker whose first start loses Redis between WATCH and
    # EXEC, as arq's job start and cron enqueue can (redis-py then raises a
    # WatchError, not a ConnectionError)
    starts = 0

    async def nothing(ctx: dict[str, Any]) -> None:
        pass

    async def outage_while_watching(ctx: dict[str, Any]) -> None:
        nonlocal starts
        starts += 1
        if starts > 1:
            return
        async with ctx["redis"].pipeline(transaction=True) as pipe:
            await pipe.watch("in-progress:a-job")
            await asyncio.to_thread(private_redis.stop)
            try:
                await pipe.exists("in-progress:a-job")
            finally:
                await asyncio.to_thread(private_redis.start)

    def options() -> dict[str, Any]:
        return {
            "functions": [func(nothing, name="nothing")],
            "redis_settings": without_connect_retries(RedisSettings.from_dsn(private_redis.url)),
            "queue_name": "csm-test:watch-outage",
            "on_startup": outage_while_watching,
        }

    # when: the supervisor runs it
    code = await asyncio.wait_for(
        supervise.run(options, burst=True, backoff=Backoff(first=0.05, cap=0.05)), 30
    )

    # then: it started a second worker, which found the queue empty and ended well
    assert (starts, code) == (2, 0)


async def test_only_a_watch_error_caused_by_a_lost_connection_counts_as_an_outage(
    private_redis: RedisServer,
) -> None:
    pool = await create_pool(RedisSettings.from_dsn(private_redis.url))
    try:
        # a key changed by someone else between WATCH and EXEC: a real conflict
        async with pool.pipeline(transaction=True) as pipe:
            await pipe.watch("key")
            await pool.set("key", "theirs")
            pipe.multi()
            pipe.set("key", "ours")
            with pytest.raises(WatchError) as conflict:
                await pipe.execute()
        assert not supervise.lost_connection(conflict.value)

        # the connection dropped while watching
        async with pool.pipeline(transaction=True) as pipe:
            await pipe.watch("key")
            await asyncio.to_thread(private_redis.stop)
            with pytest.raises(WatchError) as dropped:
                await pipe.exists("key")
        assert supervise.lost_connection(dropped.value)
    finally:
        await pool.aclose(close_connection_pool=True)
