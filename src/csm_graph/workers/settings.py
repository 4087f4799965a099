"""arq worker settings: the catalogue's jobs and periodic runs, and start-up.

`csm-graph worker` runs `worker_settings`; the embedded default runs the
same jobs in-process (see `csm_graph.jobs`). Each job brings its own
timeout and tries; nothing here is per job.
"""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, func

from csm_graph import runtime, tracing
from csm_graph.jobs import DEFAULT_MAX_TRIES, DEFAULT_TIMEOUT, Job, Periodic, Trace, run
from csm_graph.settings import Settings, get_settings
from csm_graph.workers.catalogue import JOBS, PERIODIC

MAX_JOBS = 20
"""Jobs one worker runs at a time. Most are short and wait on SMTP or the
database, so more than arq's 10 drains a backlog faster (see docs/operations.md)."""
POLL_DELAY_SECONDS = 0.1
"""How often a worker with free slots looks for jobs. arq's 0.5 s caps a
worker at `MAX_JOBS` jobs per half second when jobs are shorter than that."""
HEALTH_CHECK_INTERVAL = 10
"""Seconds between health records; `worker --check` calls a worker dead when
its record is older than this plus a margin, so a dead worker shows within
a minute."""


def arq_coroutine(job: Job[..., Any]) -> Any:
    """`job` as arq calls it: with its context first, which our jobs do not
    use, and the trace it continues as a keyword argument (`Job.later`)."""

    async def coroutine(ctx: dict[str, Any], *args: Any, trace: Trace | None = None) -> Any:
        return await run(job, args, trace)

    coroutine.__qualname__ = coroutine.__name__ = job.name
    return coroutine


def functions() -> list[Function]:
    """Every job of the catalogue, under the name services enqueue it by."""
    return [
        func(arq_coroutine(job), name=job.name, timeout=job.timeout, max_tries=job.max_tries)
        for job in JOBS
    ]


def cron_jobs(namespace: str = "") -> list[CronJob]:
    """The periodic jobs under arq, each with its job's own timeout.

    `namespace` (a worker passes its queue name) starts their names. arq
    builds a cron run's job id from the name and the time, and job ids are
    global to a Redis: without it, deployments (or test runs) sharing one
    Redis take each other's runs, and each gets only some of its sweeps.
    """

    def scheduled(periodic: Periodic) -> CronJob:
        job = periodic.job
        return cron(
            arq_coroutine(job),
            name=f"{namespace}cron:{job.name}",
            timeout=job.timeout,
            unique=True,
            run_at_startup=periodic.at_startup,
            **periodic.cron,
        )

    return [scheduled(periodic) for periodic in PERIODIC]


async def startup(ctx: dict[str, Any]) -> None:
    tracing.configure()
    settings: Settings = ctx.get("settings") or get_settings()
    ctx["settings"] = settings
    # A worker inside a process that already runs the product (the tests)
    # shares its runtime instead of opening a second one.
    ctx["owns_runtime"] = not runtime.is_started()
    if ctx["owns_runtime"]:
        try:
            await runtime.start(settings, with_jobs=True)
        except BaseException:
            # Half started (Redis or the database went away): close what opened,
            # so the next start begins clean.
            ctx["owns_runtime"] = False
            await runtime.stop()
            raise


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.get("owns_runtime"):
        await runtime.stop()


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`, from our settings."""
    return {
        "functions": functions(),
        "cron_jobs": cron_jobs(f"{settings.arq_queue_name}:"),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.arq_queue_name,
        "health_check_key": f"{settings.arq_queue_name}:health-check",
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "job_timeout": DEFAULT_TIMEOUT,
        "max_jobs": MAX_JOBS,
        "poll_delay": POLL_DELAY_SECONDS,
        "max_tries": DEFAULT_MAX_TRIES,
        "keep_result": 3600,
        "ctx": {"settings": settings},
    }


class WorkerSettings:
    """For arq's own command line (`arq csm_graph.workers.settings.WorkerSettings`);
    `csm-graph worker` builds the same from `worker_settings`."""

    _settings = get_settings()
    functions = functions()
    cron_jobs = cron_jobs(f"{_settings.arq_queue_name}:")
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(_settings.redis_url or "redis://127.0.0.1:6379")
    queue_name = _settings.arq_queue_name
    health_check_key = f"{_settings.arq_queue_name}:health-check"
    max_jobs = MAX_JOBS
    poll_delay = POLL_DELAY_SECONDS
