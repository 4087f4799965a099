"""Benchmark: outbox emails per second, delivered to a local SMTP server.

Two figures per backend, each against an aiosmtpd server in this process:

- send rate: queues N emails through the outbox (in transactions of 100, as
  a busy API would), lets the product's own jobs send them over SMTP, and
  reports how many arrive per second, from the first commit to the last
  message received (jobs in-process);
- backlog drain: M emails queued while the job queue was down (their jobs
  lost, as in a Redis outage), then the first sweep after the outage;
  reports how long until the last of them arrives, and emails per second.
  On PostgreSQL a `csm-graph worker` process starts once they are queued
  and its start-up sweep finds them (Redis needed, else skipped); on
  SQLite the jobs run in-process (the embedded default has no worker).

SQLite always, PostgreSQL when it is reachable. Run by `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from common import run_per_backend, throwaway_postgres
from redis.asyncio import Redis

from csm_graph import db, jobs, runtime
from csm_graph.notifications import services
from csm_graph.settings import Settings
from csm_graph.transactions import unit_of_work

TRANSACTION = 100
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
SWEEP_EVERY_SECONDS = 60.0
"""The worker's cron sweeps each minute; the drain repeats the sweep as often."""
DRAIN_TIMEOUT_SECONDS = 900.0
# What a `csm-graph worker` child needs to find Python and the code.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


class LostJobs:
    """The job queue during an outage: the emails commit, their jobs are lost."""

    async def dispatch(self, name: str, args: tuple[Any, ...], job_id: str | None) -> None:
        pass

    async def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def queue_emails(prefix: str, emails: int) -> None:
    context = {"name": "Ann", "link": "https://portal.example.com/reset/abc"}
    for first in range(0, emails, TRANSACTION):
        async with unit_of_work():
            for n in range(first, min(first + TRANSACTION, emails)):
                await services.queue_email(
                    template="password_reset",
                    to=f"user{n}@example.com",
                    context=context,
                    key=f"{prefix}:{n}",
                )


async def run_once(settings: Settings, emails: int, counter: Counter) -> float:
    await db.migrate(settings)
    await runtime.start(settings, with_jobs=True)
    try:
        started = time.perf_counter()
        await queue_emails("bench", emails)
        dispatcher = jobs.get_dispatcher()
        if isinstance(dispatcher, jobs.InProcessDispatcher):
            await dispatcher.drain()
        while counter.count < emails:  # noqa: ASYNC110 - the SMTP thread counts
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        return emails / elapsed
    finally:
        await runtime.stop()


def start_worker(settings: Settings, work_dir: Path) -> subprocess.Popen[bytes]:
    """`csm-graph worker` on the settings' database, Redis and queue."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env.update(settings.as_environment())
    with (work_dir / "worker.log").open("wb") as log:
        # The work dir as cwd, so no `.env` of a checkout is read.
        return subprocess.Popen(
            [sys.executable, "-m", "csm_graph.cli", "worker"],
            cwd=work_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_healthy(settings: Settings, process: subprocess.Popen[bytes], log: Path) -> None:
    redis = Redis.from_url(settings.redis_url)
    try:
        for _ in range(600):
            if process.poll() is not None:
                tail = (await asyncio.to_thread(log.read_text))[-3000:]
                raise RuntimeError(f"the worker exited:\n{tail}")
            if await redis.exists(f"{settings.arq_queue_name}:health-check"):
                return
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()
    raise RuntimeError("the worker did not start")


async def drain_once(
    settings: Settings, backlog: int, counter: Counter, work_dir: Path
) -> tuple[float, float]:
    """(seconds, emails/s) from the first sweep after an outage (a worker's
    start-up sweep, or the in-process one) to the last of `backlog` emails received."""
    await db.migrate(settings)
    await runtime.start(settings, with_jobs=True)
    worker: subprocess.Popen[bytes] | None = None
    try:
        dispatcher = jobs.get_dispatcher()
        before = counter.count
        jobs.set_dispatcher(LostJobs())
        try:
            await queue_emails("backlog", backlog)
        finally:
            jobs.set_dispatcher(dispatcher)
        if settings.uses_redis:
            # The worker comes back with Redis: its start-up sweep finds the backlog.
            worker = start_worker(settings, work_dir)
            await wait_healthy(settings, worker, work_dir / "worker.log")
        else:
            await dispatcher.dispatch("sweep_outbox", (), None)
        started = last_sweep = time.perf_counter()
        while counter.count - before < backlog:
            now = time.perf_counter()
            if now - started > DRAIN_TIMEOUT_SECONDS:
                raise RuntimeError(f"{counter.count - before} of {backlog} sent in time")
            if now - last_sweep >= SWEEP_EVERY_SECONDS and worker is None:
                # The next minute's sweep (a worker's own cron does this).
                await dispatcher.dispatch("sweep_outbox", (), None)
                last_sweep = now
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
        return elapsed, backlog / elapsed
    finally:
        if worker is not None:
            await asyncio.to_thread(stop_worker, worker)
            redis = Redis.from_url(settings.redis_url)
            await redis.delete(settings.arq_queue_name, f"{settings.arq_queue_name}:health-check")
            await redis.aclose()
        await runtime.stop()


async def redis_reachable() -> bool:
    redis = Redis.from_url(REDIS_URL, socket_timeout=3, socket_connect_timeout=3)
    try:
        return bool(await redis.ping())
    except Exception:  # refused, timed out, or not Redis
        return False
    finally:
        await redis.aclose()


async def bench(
    backend: str, emails: int, backlog: int
) -> tuple[float, tuple[float, float] | None] | None:
    """(send rate, (drain seconds, drain rate) or None), or None without PostgreSQL."""
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            common: dict[str, Any] = {
                "var_dir": Path(tmp) / "var",
                "log_json": False,
                "log_level": "WARNING",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_starttls": False,
                "inprocess_periodic_jobs": False,
                "secret_key": "bench-secret-" + "z" * 40,
            }
            if backend == "sqlite":
                rate = await run_once(Settings(**common), emails, counter)
                drain_settings = Settings(**{**common, "var_dir": Path(tmp) / "drain"})
                drained = await drain_once(drain_settings, backlog, counter, Path(tmp))
                return rate, drained
            async with throwaway_postgres() as url:
                if url is None:
                    return None
                rate = await run_once(Settings(database_url=url, **common), emails, counter)
            if not await redis_reachable():
                print("Redis not reachable: backlog drain skipped", file=sys.stderr)
                return rate, None
            async with throwaway_postgres() as url:
                if url is None:
                    return rate, None
                name = f"csm-bench-{uuid.uuid4().hex[:8]}"
                drain_settings = Settings(
                    database_url=url,
                    redis_url=REDIS_URL,
                    redis_prefix=f"{name}:",
                    arq_queue_name=f"{name}:queue",
                    **common,
                )
                drained = await drain_once(drain_settings, backlog, counter, Path(tmp))
            return rate, drained
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend == "both":
        run_per_backend(__file__, ["--emails", str(args.emails), "--backlog", str(args.backlog)])
        return
    result = asyncio.run(bench(args.backend, args.emails, args.backlog))
    if result is None:
        return
    rate, drained = result
    cores = os.cpu_count()
    print(
        f"outbox emails    {args.backend:<9} {args.emails:>8} emails "
        f"{rate:>10,.0f} emails/s  ({cores} cores, SMTP on localhost)"
    )
    if drained is not None:
        seconds, drain_rate = drained
        jobs_run = "1 worker process" if args.backend == "postgres" else "jobs in-process"
        print(
            f"outbox backlog   {args.backend:<9} {args.backlog:>8} emails "
            f"{drain_rate:>10,.0f} emails/s  {seconds:.1f} s to drain after an outage "
            f"({jobs_run}, {cores} cores, SMTP on localhost)"
        )


if __name__ == "__main__":
    main()
