"""How services start background work.

`enqueue(name, *args)` is the only entry point. Inside `unit_of_work()` it
waits for the transaction to commit (a rolled-back change starts nothing);
outside it dispatches at once. With `REDIS_URL` set, work goes to arq and
any number of `csm-graph worker` processes; otherwise it runs as a task in
this process, with the same functions, retries included.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Retry
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from csm_graph.settings import Settings

log = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[Any]]
AfterCommit = Callable[[], Awaitable[None]]

_after_commit: contextvars.ContextVar[list[AfterCommit] | None] = contextvars.ContextVar(
    "after_commit", default=None
)


class Dispatcher(Protocol):
    async def dispatch(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None: ...

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

    async def dispatch(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        await self.pool.enqueue_job(name, *args, _job_id=job_id, _queue_name=self.queue_name)

    async def close(self) -> None:
        await self.pool.aclose()


class InProcessDispatcher:
    """Runs jobs as tasks of this process: the embedded default.

    Honours arq's `Retry` with its defer, up to the job's `max_tries`, so a
    job behaves the same here as under a worker.
    """

    def __init__(self, functions: dict[str, JobFunction], ctx: dict[str, Any]) -> None:
        self.functions = functions
        self.ctx = ctx
        self.tasks: set[asyncio.Task[None]] = set()
        self.periodic: list[asyncio.Task[None]] = []
        self._running_ids: set[str] = set()

    async def dispatch(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        if name not in self.functions:
            raise LookupError(f"no job named {name!r}")
        if job_id is not None and job_id in self._running_ids:
            return
        task = asyncio.create_task(self._run(name, args, job_id), name=f"job:{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        function = self.functions[name]
        max_tries = int(getattr(function, "max_tries", 5))
        if job_id is not None:
            self._running_ids.add(job_id)
        try:
            for attempt in range(1, max_tries + 1):
                ctx = {**self.ctx, "job_try": attempt, "job_id": job_id}
                try:
                    await function(ctx, *args)
                    return
                except Retry as retry:
                    if attempt == max_tries:
                        log.error("job %s gave up after %d tries", name, attempt)
                        return
                    defer = retry.defer_score / 1000 if retry.defer_score else 0
                    await asyncio.sleep(defer)
                except Exception:
                    log.exception("job %s failed", name)
                    return
        finally:
            if job_id is not None:
                self._running_ids.discard(job_id)

    def schedule(self, name: str, every_seconds: float) -> None:
        """Start job `name` every `every_seconds`, as arq's cron does under a worker."""

        async def tick() -> None:
            while True:
                await asyncio.sleep(every_seconds)
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


_dispatcher: Dispatcher | None = None


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def get_dispatcher() -> Dispatcher:
    if _dispatcher is None:
        raise RuntimeError("jobs are not configured: call jobs.start() first")
    return _dispatcher


async def start(settings: Settings) -> Dispatcher:
    """Configure job dispatch for this process from the settings."""
    from csm_graph.workers.settings import job_functions

    dispatcher: Dispatcher
    if settings.uses_redis:
        dispatcher = await ArqDispatcher.connect(settings)
    else:
        in_process = InProcessDispatcher(job_functions(), {"settings": settings})
        if settings.inprocess_periodic_jobs:
            # Without a worker there is no arq cron: run the periodic jobs here.
            from csm_graph.workers.settings import PERIODIC

            for name, every_seconds in PERIODIC.items():
                in_process.schedule(name, every_seconds)
        dispatcher = in_process
    set_dispatcher(dispatcher)
    return dispatcher


async def stop() -> None:
    global _dispatcher
    if _dispatcher is not None:
        await _dispatcher.close()
        _dispatcher = None


async def enqueue(name: str, *args: Any, job_id: str | None = None) -> None:
    """Start job `name` with `args` (ids, never objects), after the current commit."""

    async def send() -> None:
        await get_dispatcher().dispatch(name, args, job_id)

    await after_commit(send)


async def after_commit(callback: AfterCommit) -> None:
    """Run `callback` once the surrounding unit of work commits, or now if there is none."""
    pending = _after_commit.get()
    if pending is None:
        await callback()
    else:
        pending.append(callback)


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[BaseDBAsyncClient]:
    """One transaction; jobs and events queued inside start only after it commits.

    Nested units join the outermost one, so a service may open one whether
    or not its caller already has.
    """
    outer = _after_commit.get()
    if outer is not None:
        async with in_transaction() as connection:
            yield connection
        return
    pending: list[AfterCommit] = []
    token = _after_commit.set(pending)
    try:
        async with in_transaction() as connection:
            yield connection
    finally:
        _after_commit.reset(token)
    for callback in pending:
        try:
            await callback()
        except Exception:
            # The change is committed; the periodic sweeps pick up what did not start.
            log.exception("after-commit callback failed")
