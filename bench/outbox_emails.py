"""Benchmark: outbox emails per second, delivered to a local SMTP server.

Queues N emails through the outbox (in transactions of 100, as a busy API
would), lets the product's own jobs send them over SMTP to an aiosmtpd
server in this process, and reports how many arrive per second, from the
first commit to the last message received. SQLite with jobs in-process
(the embedded default), and PostgreSQL when it is reachable. Run by
`make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from common import run_per_backend, throwaway_postgres

from csm_graph import db, jobs, runtime
from csm_graph.jobs import unit_of_work
from csm_graph.notifications import services
from csm_graph.settings import Settings

TRANSACTION = 100


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def run_once(settings: Settings, emails: int, counter: Counter) -> float:
    await db.migrate(settings)
    await runtime.start(settings, with_jobs=True)
    try:
        context = {"name": "Ann", "link": "https://portal.example.com/reset/abc"}
        started = time.perf_counter()
        for first in range(0, emails, TRANSACTION):
            async with unit_of_work():
                for n in range(first, min(first + TRANSACTION, emails)):
                    await services.queue_email(
                        template="password_reset",
                        to=f"user{n}@example.com",
                        context=context,
                        key=f"bench:{n}",
                    )
        dispatcher = jobs.get_dispatcher()
        if isinstance(dispatcher, jobs.InProcessDispatcher):
            await dispatcher.drain()
        while counter.count < emails:  # noqa: ASYNC110 - the SMTP thread counts
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        return emails / elapsed
    finally:
        await runtime.stop()


async def bench(backend: str, emails: int) -> float | None:
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
            }
            if backend == "sqlite":
                return await run_once(Settings(**common), emails, counter)
            async with throwaway_postgres() as url:
                if url is None:
                    return None
                return await run_once(Settings(database_url=url, **common), emails, counter)
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend == "both":
        run_per_backend(__file__, ["--emails", str(args.emails)])
        return
    rate = asyncio.run(bench(args.backend, args.emails))
    if rate is not None:
        cores = os.cpu_count()
        print(
            f"outbox emails    {args.backend:<9} {args.emails:>8} emails "
            f"{rate:>10,.0f} emails/s  ({cores} cores, SMTP on localhost)"
        )


if __name__ == "__main__":
    main()
