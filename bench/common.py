"""What the benchmark scripts share: a throwaway PostgreSQL database, one
process per backend, and the environment for a `csm-graph` child process."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import asyncpg

PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def throwaway_postgres() -> AsyncIterator[str | None]:
    """The URL of a new, empty database, dropped afterwards; None (and a note
    on stderr) when PostgreSQL cannot be reached."""
    try:
        admin = await asyncpg.connect(PG_ADMIN)
    except OSError:
        print("PostgreSQL not reachable: skipped", file=sys.stderr)
        yield None
        return
    name = f"csm_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def run_per_backend(script: str, arguments: Sequence[str]) -> None:
    """Run `script` once per backend, each in its own process: Tortoise keeps
    per-dialect query caches on the models."""
    for backend in ("sqlite", "postgres"):
        subprocess.run(  # noqa: S603 - our own script, fixed arguments
            [sys.executable, script, *arguments, "--backend", backend], check=True
        )
