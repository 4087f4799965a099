"""Benchmark: CSV import of consumers, rows per second, on SQLite and PostgreSQL.

Generates a reproducible file (seeded) with 1% bad rows, imports it into a
fresh database through the same code the worker job runs, checks that
exactly the bad rows were refused, and prints the rate. Run by `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import tempfile
import time
from pathlib import Path

from common import run_per_backend, throwaway_postgres

from csm_graph import db, runtime
from csm_graph.consumers import importing
from csm_graph.consumers.models import Consumer
from csm_graph.settings import Settings


def write_csv(path: Path, rows: int, seed: int = 7) -> int:
    """Write `rows` consumers, 1% of them bad; return how many are bad."""
    rng = random.Random(seed)
    first = ["Ann", "Bob", "Cleo", "Dev", "Eva", "Finn", "Gia", "Hal", "Ivy", "Jon"]
    last = ["Lee", "Ray", "Diaz", "Khan", "Novak", "Silva", "Okafor", "Berg", "Moss", "Ueda"]
    bad = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "full_name", "email", "phone", "city", "sla_level"])
        for n in range(1, rows + 1):
            email = f"c{n}@example.com"
            if n % 100 == 0:
                email, bad = "not-an-email", bad + 1
            writer.writerow(
                [
                    f"crm-{n}",
                    f"{rng.choice(first)} {rng.choice(last)}",
                    email,
                    f"+1415{rng.randrange(2000000, 9999999)}",
                    rng.choice(["Reno", "Austin", "Boise", "Tulsa"]),
                    rng.choice(["BRONZE", "SILVER", "GOLD", "PLATINUM"]),
                ]
            )
    return bad


async def run_once(settings: Settings, path: Path, rows: int, bad: int) -> float:
    await db.migrate(settings)
    await runtime.start(settings, with_jobs=True)
    try:
        content = await asyncio.to_thread(path.read_bytes)
        job = await importing.create_job(path.name, content, None)
        started = time.perf_counter()
        done = await importing.run_import(job.id)
        elapsed = time.perf_counter() - started
        assert done is not None
        assert done.state == "DONE", done.message
        assert done.failed == bad, f"expected {bad} refused rows, got {done.failed}"
        assert await Consumer.all().count() == rows - bad
        return rows / elapsed
    finally:
        await runtime.stop()


async def bench(backend: str, rows: int) -> float | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "consumers.csv"
        bad = write_csv(path, rows)
        if backend == "sqlite":
            return await run_once(
                Settings(var_dir=Path(tmp) / "var", log_json=False), path, rows, bad
            )
        async with throwaway_postgres() as url:
            if url is None:
                return None
            settings = Settings(var_dir=Path(tmp) / "var", database_url=url, log_json=False)
            return await run_once(settings, path, rows, bad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.backend == "both":
        run_per_backend(__file__, ["--rows", str(args.rows)])
        return
    rate = asyncio.run(bench(args.backend, args.rows))
    if rate is not None:
        print(f"consumer import  {args.backend:<9} {args.rows:>8} rows  {rate:>10,.0f} rows/s")


if __name__ == "__main__":
    main()
