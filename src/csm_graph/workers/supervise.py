"""`csm-graph worker`: an arq worker that outlives a Redis outage.

arq's `Worker` stops for good when its Redis connection fails. `run` keeps
one going: on a connection error it lets the jobs in flight finish (they
need the database and SMTP, not Redis; each within its own time limit),
stops the worker, waits with capped exponential back-off, and starts a new
one. Each new worker sweeps the
outbox at start-up (the sweep's cron has `run_at_startup`), so emails
queued while Redis was away are sent as soon as it is back, not at the
next minute.

SIGINT and SIGTERM stop it gracefully: the worker takes no new job and
lets those in flight finish, for up to `stop_grace_seconds`
(`WORKER_SHUTDOWN_GRACE_SECONDS`); a job still running then is cancelled,
and arq puts a cancelled job back on the queue, where the next worker
takes it at once. Then the process exits 0. A second signal cancels the
jobs in flight without waiting. (arq's own handling cancels them at once,
and a worker that stops them while starting one can leave it marked in
progress, untouchable for the longest job timeout plus 10 s.)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Callable
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0
"""Back-off between attempts: 1, 2, 4, ... seconds, at most this."""
STABLE_SECONDS = 60.0
"""A worker that ran this long before losing Redis starts the back-off afresh."""

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,  # includes ConnectionError and TimeoutError
)
"""What makes the worker start again rather than exit. `OSError` also covers
a database refusing connections while a new worker starts."""


def lost_connection(exc: BaseException) -> bool:
    """Whether `exc` means a connection went away: one of `CONNECTION_ERRORS`,
    or an error raised while handling one. redis-py answers a connection lost
    while a key is watched with a `WatchError` (arq watches keys to start a job
    and to queue a cron job), raised from the `ConnectionError`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, CONNECTION_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


@dataclasses.dataclass
class Backoff:
    """Capped exponential back-off: `first`, 2x `first`, ... up to `cap`."""

    first: float = RECONNECT_FIRST_SECONDS
    cap: float = RECONNECT_MAX_SECONDS
    _next: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._next = self.first

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first


def without_connect_retries(redis_settings: RedisSettings) -> RedisSettings:
    """`redis_settings` that fail at once when Redis is down: `run` does the waiting."""
    return dataclasses.replace(redis_settings, conn_retries=0)


async def run(
    options: Callable[[], dict[str, Any]],
    *,
    burst: bool = False,
    backoff: Backoff | None = None,
    grace_seconds: float | None = None,
    stop_grace_seconds: float = 0.0,
) -> int:
    """Run arq workers built from `options()` (fresh for each start) until a
    signal, or until the queue is empty with `burst`. Returns the exit code.

    `grace_seconds` bounds how long jobs in flight may go on after Redis went
    away; by default the longest job timeout plus 10 s, as arq allows them.
    `stop_grace_seconds` is how long they may go on after SIGTERM or SIGINT.
    """
    loop = asyncio.get_running_loop()
    backoff = backoff or Backoff()
    stopping = asyncio.Event()
    current: Worker | None = None
    winding_down: asyncio.Task[None] | None = None

    def on_signal(signum: signal.Signals) -> None:
        nonlocal winding_down
        if stopping.is_set():
            log.info("worker stopping on a second %s: cancelling its jobs now", signum.name)
            if current is not None:
                cancel_jobs(current)
            return
        log.info("worker stopping on %s", signum.name)
        stopping.set()
        if current is not None:
            winding_down = loop.create_task(wind_down(current, stop_grace_seconds))

    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        while not stopping.is_set():
            current = Worker(**options(), burst=burst, handle_signals=False)
            started = loop.time()
            try:
                await current.async_run()
            except asyncio.CancelledError:
                if not stopping.is_set():
                    raise
                if winding_down is not None:
                    await winding_down
                await close(current, grace_seconds=0)
                return 0
            except Exception as exc:
                if not lost_connection(exc):
                    raise
                await close(current, grace_seconds=grace_seconds)
                current = None
                if loop.time() - started >= STABLE_SECONDS:
                    backoff.reset()
                delay = backoff.next()
                log.warning(
                    "worker lost its connection (%s: %s); starting again in %.0f s",
                    type(exc).__name__,
                    exc,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), delay)
            else:
                # A burst worker found the queue empty.
                await close(current, grace_seconds=grace_seconds)
                return 0
        return 0
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def running_jobs(worker: Worker) -> list[asyncio.Task[Any]]:
    return [task for task in worker.tasks.values() if not task.done()]


def cancel_jobs(worker: Worker) -> None:
    """Cancel `worker`'s jobs in flight; arq queues each again (its `retry_jobs`)."""
    for task in running_jobs(worker):
        task.cancel()


async def wind_down(worker: Worker, grace_seconds: float) -> None:
    """Stop `worker` on a signal: no new job; those in flight finish within
    `grace_seconds` or are cancelled, and queued again; then its main loop
    (polling, health records) is cancelled. The loop goes last: cancelled while
    starting a job, it could leave that job marked in progress with no one
    running it."""
    worker.allow_pick_jobs = False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace_seconds
    # Checked again after each wait: a poll under way at the signal may still start a job.
    while (running := running_jobs(worker)) and loop.time() < deadline:
        log.info(
            "worker waits up to %.0f s for %d job(s) in flight",
            deadline - loop.time(),
            len(running),
        )
        await asyncio.wait(running, timeout=deadline - loop.time())
    running = running_jobs(worker)
    if running:
        log.warning(
            "worker cancels %d job(s) still running after %.0f s; they are queued again",
            len(running),
            grace_seconds,
        )
        cancel_jobs(worker)
        # Each records that it goes back on the queue (and leaves "in progress").
        await asyncio.gather(*running, return_exceptions=True)
    if worker.main_task is not None:
        worker.main_task.cancel()


async def close(worker: Worker, *, grace_seconds: float | None) -> None:
    """Let `worker`'s jobs finish (at most `grace_seconds`, by default the
    longest job timeout plus 10 s), run its shutdown hook and close its Redis
    pool, whether or not Redis still answers."""
    tasks = [task for task in worker.tasks.values() if not task.done()]
    if tasks:
        if grace_seconds is None:
            grace_seconds = float(worker.in_progress_timeout_s)
        if grace_seconds > 0:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for task in tasks:
            task.cancel()
        # A job that finished cannot record its result without Redis: that is
        # fine, its outcome is on the outbox row (or whatever it changed).
        await asyncio.gather(*tasks, return_exceptions=True)
    pool = worker._pool  # None when Redis was down before the worker connected
    if pool is not None:
        with contextlib.suppress(*CONNECTION_ERRORS):
            await pool.delete(worker.health_check_key)
    if worker.on_shutdown is not None:
        try:
            await worker.on_shutdown(worker.ctx)
        except Exception:
            log.exception("worker shutdown failed")
    if pool is not None:
        with contextlib.suppress(*CONNECTION_ERRORS):
            await pool.aclose(close_connection_pool=True)
        worker._pool = None
