"""arq worker settings: the job functions, cron jobs, and start-up.

`csm-graph worker` runs `WorkerSettings`; the embedded default runs the
same functions in-process (see `csm_graph.jobs`).
"""

from __future__ import annotations

import functools
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function, func

from csm_graph import runtime
from csm_graph.jobs import JobFunction
from csm_graph.observability import JOBS
from csm_graph.settings import Settings, get_settings
from csm_graph.workers import accounts, cases, consumers, notifications


def job_functions() -> dict[str, JobFunction]:
    """Every job, by the name services enqueue it under."""
    functions: list[JobFunction] = [
        accounts.purge_expired_tokens,
        consumers.sync_consumer_identity,
        consumers.sync_user_identity,
        consumers.import_consumers,
        notifications.send_email,
        notifications.sweep_outbox,
        cases.mark_sla_breaches,
        cases.auto_close_cases,
    ]
    return {f.__name__: counted(f) for f in functions}


def counted(function: JobFunction) -> JobFunction:
    """`function`, counting its runs in the `csm_jobs_total` metric."""

    @functools.wraps(function)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        try:
            result = await function(ctx, *args)
        except Exception:
            JOBS.labels(function.__name__, "error").inc()
            raise
        JOBS.labels(function.__name__, "ok").inc()
        return result

    return run


PERIODIC = {
    "sweep_outbox": 60.0,
    "purge_expired_tokens": 3600.0,
    "mark_sla_breaches": 60.0,
    "auto_close_cases": 600.0,
}
"""The periodic jobs for the embedded default, by interval in seconds (the
same jobs `cron_jobs` schedules under arq)."""


def cron_jobs(namespace: str = "") -> list[CronJob]:
    """The periodic jobs under arq, each with its job's own timeout.

    `namespace` (a worker passes its queue name) starts their names. arq
    builds a cron run's job id from the name and the time, and job ids are
    global to a Redis: without it, deployments (or test runs) sharing one
    Redis take each other's runs, and each gets only some of its sweeps.
    """

    def periodic(function: JobFunction, **when: Any) -> CronJob:
        timeout, _ = job_options(function)
        name = f"{namespace}cron:{function.__name__}"
        return cron(function, name=name, timeout=timeout, unique=True, **when)  # type: ignore[arg-type]

    return [
        periodic(accounts.purge_expired_tokens, minute={7}),
        # Also at start-up: a worker (re)starting after an outage sends the backlog at once.
        periodic(notifications.sweep_outbox, second={0}, run_at_startup=True),
        periodic(cases.mark_sla_breaches, second={30}),
        periodic(cases.auto_close_cases, minute={3, 13, 23, 33, 43, 53}, second={15}),
    ]


async def startup(ctx: dict[str, Any]) -> None:
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


DEFAULT_JOB_TIMEOUT = 300
DEFAULT_MAX_TRIES = 5
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


def job_options(function: JobFunction) -> tuple[int, int]:
    """(timeout seconds, max tries) of a job: its own `timeout` and `max_tries`
    attributes, else the defaults."""
    timeout = int(getattr(function, "timeout", DEFAULT_JOB_TIMEOUT))
    max_tries = int(getattr(function, "max_tries", DEFAULT_MAX_TRIES))
    return timeout, max_tries


def _function(name: str, function: JobFunction) -> Function:
    timeout, max_tries = job_options(function)
    return func(function, name=name, timeout=timeout, max_tries=max_tries)  # type: ignore[arg-type]


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `arq.Worker`, from our settings."""
    return {
        "functions": [_function(name, f) for name, f in job_functions().items()],
        "cron_jobs": cron_jobs(f"{settings.arq_queue_name}:"),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.arq_queue_name,
        "health_check_key": f"{settings.arq_queue_name}:health-check",
        "health_check_interval": HEALTH_CHECK_INTERVAL,
        "job_timeout": DEFAULT_JOB_TIMEOUT,
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
    functions = list(job_functions().values())
    cron_jobs = cron_jobs(f"{_settings.arq_queue_name}:")
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(_settings.redis_url or "redis://127.0.0.1:6379")
    queue_name = _settings.arq_queue_name
    health_check_key = f"{_settings.arq_queue_name}:health-check"
    max_jobs = MAX_JOBS
    poll_delay = POLL_DELAY_SECONDS
