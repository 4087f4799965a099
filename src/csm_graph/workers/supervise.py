"""`csm-graph worker`: an arq worker that outlives a Redis outage.

arq's `Worker` stops for good when its Redis connection fails. `run` keeps
one going: on a connection error it lets the jobs in flight finish (they
need the database and SMTP, not Redis; each within its own time limit),
stops the worker, waits with capped exponential back-off, and starts a new
one. Each new worker sweeps the
outbox at start-up (the sweep's cron has `run_at_startup`), so emails
queued while Redis was away are sent as soon as it is back, not at the
next minute.

SIGINT and SIGTERM stop it as they stop arq's worker: the jobs in flight
are cancelled (an email claimed but not sent is taken again once its claim
lapses) and the process exits 0.
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
) -> int:
    """Run arq workers built from `options()` (fresh for each start) until a
    signal, or until the queue is empty with `burst`. Returns the exit code.

    `grace_seconds` bounds how long jobs in flight may go on after Redis went
    away; by default the longest job timeout plus 10 s, as arq allows them.
    """
    loop = asyncio.get_running_loop()
    backoff = backoff or Backoff()
    stopping = asyncio.Event()
    current: Worker | None = None

    def on_signal(signum: signal.Signals) -> None:
        log.info("worker stopping on %s", signum.name)
        stopping.set()
        if current is not None:
            # arq's own handling: cancel the jobs in flight and the main task.
            current.handle_sig(signum)

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
                await close(current, grace_seconds=0)
                return 0
            except CONNECTION_ERRORS as exc:
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
