"""How services start background work.

A job is a service function declared with `@job(timeout=..., max_tries=...)`
where it lives, in its domain's services. `await some_job.later(*ids)` is
how a service starts one: inside a unit of work it waits for the commit (a
rolled-back change starts nothing); outside one it dispatches at once.
`await some_job(*ids)` runs it here and now. With `REDIS_URL` set, work
goes to arq and any number of `csm-graph worker` processes; otherwise it
runs as a task in this process, with the same functions, retries included.

Which jobs exist, and which run periodically, is one table
(`workers/catalogue.py`) that the entry points hand to `start()` and to
the arq worker alike.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Retry
from opentelemetry.trace import SpanKind

from csm_graph import tracing
from csm_graph.observability import JOBS
from csm_graph.settings import Settings
from csm_graph.transactions import after_commit

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_TIMEOUT = 300
DEFAULT_MAX_TRIES = 5


@dataclass(frozen=True, eq=False)
class Job(Generic[P, R]):
    """A function that can also run later, elsewhere, by its name."""

    function: Callable[P, Awaitable[R]]
    name: str
    timeout: int = DEFAULT_TIMEOUT
    """Seconds one run may take."""
    max_tries: int = DEFAULT_MAX_TRIES
    """Runs before a failing job is given up (arq's `Retry` asks for another)."""

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.function(*args, **kwargs)

    async def later(self, *ids: Any, job_id: str | None = None) -> None:
        """Run the job with `ids` (never objects) after the current commit.

        The run's span continues the trace of the code that asked for it.
        """
        trace = tracing.carrier()

        async def send() -> None:
            await get_dispatcher().dispatch(self.name, ids, job_id, trace)

        await after_commit(send)


def job(
    *, name: str | None = None, timeout: int = DEFAULT_TIMEOUT, max_tries: int = DEFAULT_MAX_TRIES
) -> Callable[[Callable[P, Awaitable[R]]], Job[P, R]]:
    """Declare a service function as a job, with its limits beside it."""

    def declare(function: Callable[P, Awaitable[R]]) -> Job[P, R]:
        return Job(function, name or function.__name__, timeout, max_tries)

    return declare


@dataclass(frozen=True)
class Periodic:
    """A job that runs on its own: every `every_seconds` in the embedded default,
    at `cron` (arq's `cron()` fields) under a worker, and at worker start-up too
    with `at_startup`."""

    job: Job[[], Any]
    every_seconds: float
    cron: dict[str, Any] = field(default_factory=dict)
    at_startup: bool = False


Trace = Mapping[str, str]
"""A `tracing.carrier()`: the trace context a job's run continues."""


class Dispatcher(Protocol):
    async def dispatch(
        self, name: str, args: tuple[Any, ...], job_id: str | None, trace: Trace | None = None
    ) -> None: ...

    async def close(self) -> None: ...


class ArqDispatcher:
    """Sends jobs to the arq queue in Redis."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self.pool = pool
        self.queue_name = queue_name

    @classmethod
    async def connect(cls, settings: Settings) -> ArqDispatcher:
        pool = await create_pool(
            RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.arq_queue_name
        )
        return cls(pool, settings.arq_queue_name)

    async def dispatch(
        self, name: str, args: tuple[Any, ...], job_id: str | None, trace: Trace | None = None
    ) -> None:
        # The trace goes as a keyword argument, only when there is one.
        extra: dict[str, Any] = {"trace": dict(trace)} if trace else {}
        await self.pool.enqueue_job(
            name, *args, _job_id=job_id, _queue_name=self.queue_name, **extra
        )

    async def close(self) -> None:
        await self.pool.aclose()


class InProcessDispatcher:
    """Runs jobs as tasks of this process: the embedded default.

    Honours arq's `Retry` with its defer, up to the job's `max_tries`, so a
    job behaves the same here as under a worker.
    """

    def __init__(self, jobs: Iterable[Job[..., Any]]) -> None:
        self.jobs = {j.name: j for j in jobs}
        self.tasks: set[asyncio.Task[None]] = set()
        self.periodic: list[asyncio.Task[None]] = []
        self._running_ids: set[str] = set()

    async def dispatch(
        self, name: str, args: tuple[Any, ...], job_id: str | None, trace: Trace | None = None
    ) -> None:
        if name not in self.jobs:
            raise LookupError(f"no job named {name!r}")
        if job_id is not None and job_id in self._running_ids:
            return
        task = asyncio.create_task(
            self._run(self.jobs[name], args, job_id, trace), name=f"job:{name}"
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(
        self, job: Job[..., Any], args: tuple[Any, ...], job_id: str | None, trace: Trace | None
    ) -> None:
        if job_id is not None:
            self._running_ids.add(job_id)
        try:
            for attempt in range(1, job.max_tries + 1):
                try:
                    await asyncio.wait_for(run(job, args, trace), job.timeout)
                    return
                except Retry as retry:
                    if attempt == job.max_tries:
                        log.error("job %s gave up after %d tries", job.name, attempt)
                        return
                    defer = retry.defer_score / 1000 if retry.defer_score else 0
                    await asyncio.sleep(defer)
                except Exception:
                    log.exception("job %s failed", job.name)
                    return
        finally:
            if job_id is not None:
                self._running_ids.discard(job_id)

    def schedule(self, periodic: Periodic) -> None:
        """Start `periodic` every so often, as arq's cron does under a worker."""
        name = periodic.job.name

        async def tick() -> None:
            while True:
                await asyncio.sleep(periodic.every_seconds)
                await self.dispatch(name, (), f"periodic:{name}")

        self.periodic.append(asyncio.create_task(tick(), name=f"periodic:{name}"))

    async def drain(self) -> None:
        """Wait until every job (and the jobs those start) has finished."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in self.periodic:
            task.cancel()
        await asyncio.gather(*self.periodic, return_exceptions=True)
        await self.drain()


async def run(job: Job[..., R], args: tuple[Any, ...], trace: Trace | None = None) -> R:
    """One run of `job`, in a span continuing `trace` and counted in the
    `csm_jobs_total` metric: how both running modes call a job."""
    with tracing.span(
        f"job {job.name}",
        kind=SpanKind.CONSUMER,
        parent=trace,
        attributes={"messaging.operation.type": "process", "csm.job": job.name},
    ):
        try:
            result = await job(*args)
        except Exception:
            JOBS.labels(job.name, "error").inc()
            raise
    JOBS.labels(job.name, "ok").inc()
    return result


_dispatcher: Dispatcher | None = None


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def get_dispatcher() -> Dispatcher:
    if _dispatcher is None:
        raise RuntimeError("jobs are not configured: call jobs.start() first")
    return _dispatcher


async def start(
    settings: Settings, jobs: Iterable[Job[..., Any]], periodic: Iterable[Periodic]
) -> Dispatcher:
    """Configure job dispatch for this process: arq with Redis, else in-process,
    where `periodic` also run (without a worker there is no arq cron)."""
    dispatcher: Dispatcher
    if settings.uses_redis:
        dispatcher = await ArqDispatcher.connect(settings)
    else:
        in_process = InProcessDispatcher(jobs)
        if settings.inprocess_periodic_jobs:
            for each in periodic:
                in_process.schedule(each)
        dispatcher = in_process
    set_dispatcher(dispatcher)
    return dispatcher


async def stop() -> None:
    global _dispatcher
    if _dispatcher is not None:
        await _dispatcher.close()
        _dispatcher = None


def doubling_delay(base_seconds: float, cap_seconds: float, attempts: int) -> dt.timedelta:
    """Back-off after `attempts` failures of a piece of work that a sweep takes
    up again (an email, a webhook delivery): base, 2x base, 4x base, ... up to
    the cap."""
    seconds = base_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, cap_seconds))
